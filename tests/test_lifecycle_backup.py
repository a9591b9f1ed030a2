"""`flowlogic backup FILE` / `flowlogic restore FILE`: SQLite's online backup, consistent
while another process writes; restore checks the file, keeps the current database and
migrates the restored one forward."""

from __future__ import annotations

import json
import sqlite3
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowlogic import audit, backup, consent, profiles
from flowlogic.cli.app import app
from flowlogic.store import open_db
from flowlogic.store.migrations import latest_version, migrate

runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def names(db_path: Path) -> list[str]:
    conn = sqlite3.connect(f"{db_path.resolve().as_uri()}?mode=ro", uri=True)
    try:
        return [r[0] for r in conn.execute("SELECT name FROM profiles ORDER BY name")]
    finally:
        conn.close()


def test_backup_writes_a_sound_single_file_copy_and_never_overwrites_silently(
    accepted_db, tmp_path
):
    profiles.add(accepted_db, "Anna")
    target = tmp_path / "copy.db"

    first = run("backup", target, "--json")
    assert first.exit_code == 0, first.output
    payload = json.loads(first.stdout)
    assert payload["profiles"] == 1 and payload["database_schema"] == latest_version()
    assert names(target) == ["Anna"]
    assert not Path(f"{target}-wal").exists()  # one self-contained file
    conn = sqlite3.connect(target)
    assert conn.execute("PRAGMA journal_mode").fetchone()[0] == "delete"
    assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    conn.close()

    profiles.add(accepted_db, "Bert")
    refused = run("backup", target)
    assert refused.exit_code == 2 and "--force" in refused.output
    assert names(target) == ["Anna"]
    forced = run("backup", target, "--force")
    assert forced.exit_code == 0, forced.output
    assert names(target) == ["Anna", "Bert"]
    assert sorted(p.name for p in tmp_path.iterdir()) == ["copy.db", "home"]  # no temporary


def test_backup_usage_errors(accepted_db, tmp_path):
    assert run("backup", tmp_path).exit_code == 2  # a folder
    assert run("backup", tmp_path / "missing" / "x.db").exit_code == 2


WRITER = textwrap.dedent(
    """
    import sys
    from flowlogic import profiles
    from flowlogic.store import open_db
    db = open_db()
    for i in range(int(sys.argv[1])):
        profiles.add(db, f"writer {i}")  # a profile and its audit event, one transaction
    """
)


def test_backup_is_consistent_while_another_process_writes(accepted_db, tmp_path):
    rows = 400
    writer = subprocess.Popen([sys.executable, "-c", WRITER, str(rows)])
    copies = []
    try:
        while writer.poll() is None and len(copies) < 20:
            target = tmp_path / f"copy-{len(copies)}.db"
            assert run("backup", target).exit_code == 0
            copies.append(target)
    finally:
        assert writer.wait(timeout=120) == 0
    assert copies
    for copy in copies:
        conn = sqlite3.connect(copy)
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
        made = conn.execute("SELECT COUNT(*) FROM profiles WHERE name LIKE 'writer %'")
        events = conn.execute(
            "SELECT COUNT(*) FROM audit_events WHERE event = 'profile.created' AND profile_id "
            "IN (SELECT id FROM profiles WHERE name LIKE 'writer %')"
        )
        assert made.fetchone()[0] == events.fetchone()[0]  # never half a transaction
        conn.close()
    counts = [len(names(c)) for c in copies]
    assert counts == sorted(counts)


def test_restore_brings_back_the_backup_and_keeps_the_current_database(accepted_db, tmp_path):
    profiles.add(accepted_db, "Anna")
    target = tmp_path / "before.db"
    assert run("backup", target).exit_code == 0
    profiles.add(accepted_db, "Later")
    reader = open_db()  # another window keeps the database open

    result = run("restore", target, "--json")

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    kept = Path(payload["previous_copy"])
    assert kept.parent.name == "backups"
    assert "Later" in names(kept)
    assert [p.name for p in profiles.list_all(reader)] == ["Anna"]
    db = open_db()
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert audit.events(db, "data.restored")
    profiles.add(db, "After restore")  # the restored database is writable
    assert "After restore" in [p.name for p in profiles.list_all(reader)]


def test_restore_migrates_an_older_backup_forward(tmp_path, flowlogic_home):
    old = tmp_path / "old.db"
    conn = sqlite3.connect(old, isolation_level=None)
    import sqlite_utils

    legacy = sqlite_utils.Database(conn)
    migrate(legacy, "2026-01-01T00:00:00+00:00", target=1)
    conn.execute(
        "INSERT INTO profiles (name, created_at) VALUES ('Old Timer', '2026-01-01T00:00:00+00:00')"
    )
    conn.close()

    result = run("restore", old, "--json")

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["database_schema_before"] == 1
    assert payload["migrations_applied"] == list(range(2, latest_version() + 1))
    db = open_db()
    assert [p.name for p in profiles.list_all(db)] == ["Old Timer"]
    assert "plans" in db.table_names() and "batch_jobs" in db.table_names()


def _corrupt(path: Path) -> None:
    data = bytearray(path.read_bytes())
    page = 4096
    for offset in range(2 * page, len(data) - page, page):  # trash every b-tree page header
        data[offset : offset + 16] = b"\xff" * 16
    path.write_bytes(bytes(data))


@pytest.mark.parametrize("case", ["random", "empty", "foreign", "corrupt", "newer"])
def test_restore_refuses_bad_files_and_leaves_the_database_alone(accepted_db, tmp_path, case):
    profiles.add(accepted_db, "Keep")
    bad = tmp_path / "bad.db"
    if case == "random":
        bad.write_bytes(bytes(range(256)) * 64)
    elif case == "empty":
        bad.write_bytes(b"")
    elif case == "foreign":
        conn = sqlite3.connect(bad)
        conn.execute("CREATE TABLE notes (id INTEGER PRIMARY KEY, text TEXT)")
        conn.commit()
        conn.close()
    else:
        assert run("backup", bad).exit_code == 0
        if case == "corrupt":
            _corrupt(bad)
        else:
            conn = sqlite3.connect(bad)
            conn.execute(
                "INSERT INTO schema_migrations VALUES (99, 'from the future', '2030-01-01')"
            )
            conn.commit()
            conn.close()

    result = run("restore", bad)

    assert result.exit_code == 5, result.output
    assert "Traceback" not in result.output and len(result.output.strip().splitlines()) == 1
    assert [p.name for p in profiles.list_all(open_db())] == ["Keep"]
    assert not list(backup.backups_dir().iterdir())  # nothing replaced, nothing kept


def test_restore_of_a_missing_file(accepted_db, tmp_path):
    result = run("restore", tmp_path / "nope.db")
    assert result.exit_code == 5 and "does not exist" in result.output


def test_restore_into_a_damaged_live_database_moves_it_aside(tmp_path, flowlogic_home):
    db = open_db()
    consent.accept(db)
    profiles.add(db, "Saved")
    good = tmp_path / "good.db"
    assert run("backup", good).exit_code == 0
    db.conn.close()
    live = flowlogic_home / "flowlogic.db"
    for side in (Path(f"{live}-wal"), Path(f"{live}-shm")):
        side.unlink(missing_ok=True)
    live.write_bytes(b"this is no database" * 100)

    result = run("restore", good, "--json")

    assert result.exit_code == 0, result.output
    assert "damaged" in json.loads(result.stdout)["previous_copy"]
    assert "Saved" in [p.name for p in profiles.list_all(open_db())]
