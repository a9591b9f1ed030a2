"""Explicit transactions on an autocommit connection."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import sqlite_utils


@contextmanager
def transaction(db: sqlite_utils.Database) -> Iterator[sqlite_utils.Database]:
    """BEGIN IMMEDIATE ... COMMIT, rolled back on any exception. Nested use joins the
    outer transaction."""
    conn = db.conn
    if conn.in_transaction:
        yield db
        return
    conn.execute("BEGIN IMMEDIATE")
    try:
        yield db
    except BaseException:
        conn.execute("ROLLBACK")
        raise
    conn.execute("COMMIT")


def run_script(db: sqlite_utils.Database, script: str) -> None:
    """Execute `;`-separated DDL statements inside the current transaction
    (sqlite3's executescript would commit first). No `;` inside statements."""
    for statement in script.split(";"):
        if statement.strip():
            db.execute(statement)
