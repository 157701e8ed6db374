"""SQL only with bound parameters: in Swift, `\\(value)` inside a PostgresQuery binds; raw SQL may
come only from the migration files and from constant column lists."""
import re
from pathlib import Path

SOURCES = Path(__file__).resolve().parents[2] / "Sources"


def swift_lines():
    for path in SOURCES.rglob("*.swift"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            yield path.relative_to(SOURCES), number, line


def test_raw_sql_comes_only_from_migrations_and_constant_column_lists():
    for path, number, line in swift_lines():
        if "unsafeSQL" in line:
            assert path.name == "Migrator.swift", f"{path}:{number}: raw SQL outside the migrator"
        for argument in re.findall(r"\\\(unescaped:\s*([^)]*)\)", line):
            # `Self.columns` or a model's (`Message.columns`): static constants, never built from input.
            assert re.fullmatch(r"(Self|[A-Z]\w*)\.columns", argument.strip()), f"{path}:{number}: unescaped {argument}"


def test_stores_build_queries_by_interpolation_not_concatenation():
    for path, number, line in swift_lines():
        assert not re.search(r'PostgresQuery\(stringLiteral', line), f"{path}:{number}"
        assert not re.search(r'"\s*\+\s*\w+\s*\+\s*"\s*(FROM|WHERE|AND|SET)', line), f"{path}:{number}"
