"""Migrations that move data: a database of the previous release, with messages and what still waited
for delivery, upgraded by `parley migrate` as a rolling release would."""
import shutil
import subprocess
import uuid

import pytest

from conftest import BINARY, DATABASE_URL, ROOT

SERVER_URL = DATABASE_URL.rsplit("/", 1)[0]


def sql(url, statement):
    result = subprocess.run(["psql", url, "-qtAc", statement], check=True, capture_output=True, text=True)
    return [line.split("|") for line in result.stdout.strip().splitlines()]


@pytest.fixture
def database():
    name = f"parley_migration_{uuid.uuid4().hex[:8]}"
    sql(f"{SERVER_URL}/postgres", f"CREATE DATABASE {name}")
    try:
        yield f"{SERVER_URL}/{name}"
    finally:
        sql(f"{SERVER_URL}/postgres", f"DROP DATABASE {name} WITH (FORCE)")


def migrate(url, sql_dir):
    subprocess.run([str(BINARY), "migrate", "--sql-dir", str(sql_dir)], check=True, capture_output=True,
                   env={"PARLEY_DATABASE_URL": url, "PATH": "/usr/bin:/bin"})


def test_the_inbox_migration_keeps_history_and_what_waited(database, tmp_path):
    """0008: every stored message enters its recipient's inbox in id order, recalls after them; the
    delivery cursor stops before the first entry that still waited in `deliveries`, so it is pushed
    as before; conversations exist, read up to now."""
    previous = tmp_path / "sql"
    previous.mkdir()
    for file in sorted((ROOT / "sql").glob("*.sql")):
        if file.name < "0008":
            shutil.copy(file, previous)
    migrate(database, previous)
    sql(database, """
        INSERT INTO users (id, username, password_hash) OVERRIDING SYSTEM VALUE
            VALUES (1, 'alice01', 'x'), (2, 'bobby02', 'x'), (3, 'carol03', 'x');
        INSERT INTO messages (id, from_id, to_id, chat_type, type, data, from_name, from_avatar, to_name, to_avatar, recalled_at)
            OVERRIDING SYSTEM VALUE VALUES
            (10, 1, 2, 'user', 'text', 'delivered', 'a', '', 'b', '', NULL),
            (11, 1, 2, 'user', 'text', 'recalled', 'a', '', 'b', '', now()),
            (12, 3, 2, 'user', 'text', 'waiting', 'c', '', 'b', '', NULL),
            (13, 2, 1, 'user', 'text', 'answer', 'b', '', 'a', '', NULL);
        INSERT INTO deliveries (user_id, message_id, kind) VALUES (2, 12, 'message'), (2, 11, 'recall');
    """)
    migrate(database, ROOT / "sql")

    assert sql(database, "SELECT user_id, seq, kind, peer_id, message_id FROM inbox ORDER BY user_id, seq") == [
        ["1", "1", "message", "2", "13"],
        ["2", "1", "message", "1", "10"], ["2", "2", "message", "1", "11"], ["2", "3", "message", "3", "12"],
        ["2", "4", "recall", "1", "11"],
    ]
    assert sql(database, "SELECT user_id, last_seq FROM mailboxes ORDER BY user_id") == [["1", "1"], ["2", "4"]]
    # Bob still waited for message 12 (entry 3) and the recall (entry 4); Alice for nothing.
    assert sql(database, "SELECT user_id, delivered_seq FROM delivery_cursors ORDER BY user_id") == [["1", "1"], ["2", "2"]]
    assert sql(database, "SELECT user_id, peer_id, read_seq FROM conversations ORDER BY user_id, peer_id") == [
        ["1", "2", "1"], ["2", "1", "4"], ["2", "3", "4"], ["3", "2", "0"],
    ]
    assert sql(database, "SELECT to_regclass('deliveries') IS NULL") == [["t"]]
    # New numbers follow the migrated ones.
    assert sql(database, "SELECT next_inbox_seq(2), next_inbox_seq(3)") == [["5", "1"]]
