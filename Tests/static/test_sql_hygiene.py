"""SQL only with bound parameters: in Swift, `\\(value)` inside a PostgresQuery binds; raw SQL may
come only from the migration files and from constant column lists."""
import re
from pathlib import Path

SOURCES = Path(__file__).resolve().parents[2] / "Sources"


def swift_lines():
    for path in SOURCES.rglob("*.swift"):
        for number, line in enumerate(path.read_text().splitlines(), 1):
            yield path.relative_to(SOURCES), number, line


def raw_sql_findings(path, line):
    """Raw SQL outside the migrator, or `\\(unescaped:)` of anything but a constant column list."""
    if "unsafeSQL" in line and path.name != "Migrator.swift":
        yield "raw SQL outside the migrator"
    for argument in re.findall(r"\\\(unescaped:\s*([^)]*)\)", line):
        # `Self.columns` or a model's (`Message.columns`): static constants, never built from input.
        if not re.fullmatch(r"(Self|[A-Z]\w*)\.columns", argument.strip()):
            yield f"unescaped {argument}"


def concatenation_findings(line):
    """A query built from a string instead of by interpolation, or SQL glued around a variable."""
    if re.search(r"PostgresQuery\(stringLiteral", line):
        yield "PostgresQuery(stringLiteral:)"
    if re.search(r'"\s*\+\s*\w+\s*\+\s*"\s*(FROM|WHERE|AND|SET)\b', line):
        yield "SQL concatenated around a variable"


def test_raw_sql_comes_only_from_migrations_and_constant_column_lists():
    for path, number, line in swift_lines():
        assert not list(raw_sql_findings(path, line)), f"{path}:{number}: {line.strip()}"


def test_stores_build_queries_by_interpolation_not_concatenation():
    for path, number, line in swift_lines():
        assert not list(concatenation_findings(line)), f"{path}:{number}: {line.strip()}"


def test_the_checks_catch_what_they_are_for():
    store = Path("Chat/MessageStore.swift")
    assert list(raw_sql_findings(store, 'let q = PostgresQuery(unsafeSQL: text)'))
    assert list(raw_sql_findings(store, '"SELECT \\(unescaped: userInput) FROM t"'))
    assert not list(raw_sql_findings(store, '"SELECT \\(unescaped: Self.columns) FROM t"'))
    assert not list(raw_sql_findings(Path("Database/Migrator.swift"), "PostgresQuery(unsafeSQL: script)"))
    assert list(concatenation_findings('let sql = "SELECT * " + table + " WHERE id = 1"'))
    assert list(concatenation_findings('PostgresQuery(stringLiteral: sql)'))
    assert not list(concatenation_findings('"SELECT id FROM users WHERE id = \\(id)"'))
