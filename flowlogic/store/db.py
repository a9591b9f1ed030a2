"""Opening the database: WAL, foreign keys, a busy timeout, migrations applied."""

from __future__ import annotations

import sqlite3
from pathlib import Path

import sqlite_utils

from flowlogic import clock, paths
from flowlogic.store.migrations import migrate
from flowlogic.store.tx import transaction

__all__ = ["open_db", "transaction"]

BUSY_TIMEOUT_MS = 15_000


def open_db(path: Path | None = None, *, apply_migrations: bool = True) -> sqlite_utils.Database:
    path = Path(path) if path else paths.database_path()
    path.parent.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute("PRAGMA synchronous = NORMAL")
    db = sqlite_utils.Database(conn)
    if apply_migrations:
        migrate(db, clock.iso(clock.now_utc()))
    return db
