"""Backing up and restoring the whole database (PRODUCT.md §10).

- `backup(dest)`: SQLite's online backup API copies a consistent snapshot while other
  processes keep writing (WAL readers never block writers). The copy is written under a
  temporary name, checked, switched to a single-file journal mode and renamed into place,
  so a crash never leaves half a backup. An existing file is kept unless `force`.
- `restore(source)`: the file is copied into a staging database first, and every check
  runs on that copy: `PRAGMA integrity_check`, a Flow Logic schema, a schema version this
  version knows. The current database is kept as a timestamped copy under
  `FLOWLOGIC_HOME/backups/`, then the staging copy is written into the live database with
  the backup API in one transaction (other processes see the old data or the new, never a
  mix), and the migrations bring it up to the latest schema.
"""

from __future__ import annotations

import os
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path

from flowlogic import clock, paths
from flowlogic.errors import InputRefused, NotFound, UsageError
from flowlogic.store.db import BUSY_TIMEOUT_MS, open_db
from flowlogic.store.migrations import MIGRATIONS, latest_version

SQLITE_MAGIC = b"SQLite format 3\x00"
BACKUPS_FOLDER = "backups"


@dataclass
class BackupResult:
    path: Path
    size_bytes: int
    schema_version: int
    profiles: int
    assessments: int


@dataclass
class RestoreResult:
    source: Path
    schema_version_before: int  # the backup's schema
    schema_version_after: int
    migrations_applied: list[int] = field(default_factory=list)
    previous_copy: Path | None = None  # where the replaced database was kept
    profiles: int = 0
    assessments: int = 0


def backups_dir() -> Path:
    path = paths.home() / BACKUPS_FOLDER
    path.mkdir(parents=True, exist_ok=True)
    return path


def is_sqlite_file(path: Path) -> bool:
    try:
        with open(path, "rb") as handle:
            return handle.read(len(SQLITE_MAGIC)) == SQLITE_MAGIC
    except OSError:
        return False


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    if read_only:
        conn = sqlite3.connect(
            f"{path.resolve().as_uri()}?mode=ro",
            uri=True,
            timeout=BUSY_TIMEOUT_MS / 1000,
            isolation_level=None,
        )
    else:
        conn = sqlite3.connect(str(path), timeout=BUSY_TIMEOUT_MS / 1000, isolation_level=None)
    conn.execute(f"PRAGMA busy_timeout = {BUSY_TIMEOUT_MS}")
    return conn


def schema_version_of(conn: sqlite3.Connection) -> int | None:
    """The highest applied migration, or None when this is not a Flow Logic database."""
    tables = {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type='table'")}
    if "schema_migrations" not in tables or "profiles" not in tables:
        return None
    row = conn.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def integrity_problems(conn: sqlite3.Connection) -> list[str]:
    """`PRAGMA integrity_check` findings (empty when the database is sound)."""
    rows = [str(row[0]) for row in conn.execute("PRAGMA integrity_check")]
    return [] if rows == ["ok"] else rows


def _counts(conn: sqlite3.Connection) -> tuple[int, int]:
    profiles = conn.execute("SELECT COUNT(*) FROM profiles").fetchone()[0]
    assessments = conn.execute("SELECT COUNT(*) FROM assessments").fetchone()[0]
    return int(profiles), int(assessments)


def _copy_database(source: sqlite3.Connection, target: Path) -> None:
    """A consistent single-file copy of `source` at `target` (which must not exist)."""
    destination = _connect(target)
    try:
        source.backup(destination)  # all pages in one step: one consistent snapshot
        destination.execute("PRAGMA journal_mode = DELETE")  # one self-contained file
    finally:
        destination.close()


def _fsync(path: Path) -> None:
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def backup(dest: Path, *, force: bool = False, db_path: Path | None = None) -> BackupResult:
    """Write a consistent copy of the database to `dest`."""
    live = Path(db_path) if db_path else paths.database_path()
    dest = Path(dest).expanduser()
    if not live.is_file():
        raise NotFound(f"There is no database at {live} yet, so there is nothing to back up.")
    if dest.is_dir():
        raise UsageError(f"{dest} is a folder; give a file name such as {dest / 'flowlogic.db'}")
    if dest.exists() and dest.resolve() == live.resolve():
        raise UsageError("The backup file cannot be the live database itself.")
    if dest.exists() and not force:
        raise UsageError(f"{dest} already exists; add --force to replace it.")
    if not dest.parent.is_dir():
        raise UsageError(f"The folder {dest.parent} does not exist.")
    temp = dest.with_name(f".{dest.name}.partial")
    temp.unlink(missing_ok=True)
    source = _connect(live)
    try:
        _copy_database(source, temp)
        check = _connect(temp, read_only=True)
        try:
            problems = integrity_problems(check)
            version = schema_version_of(check) or 0
            profiles, assessments = _counts(check) if version else (0, 0)
        finally:
            check.close()
        if problems:
            raise InputRefused(
                f"The database failed its integrity check ({problems[0]}); no backup written. "
                "Run `flowlogic doctor`.",
                code="CORRUPT",
            )
        _fsync(temp)
        os.replace(temp, dest)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    finally:
        source.close()
    return BackupResult(dest, dest.stat().st_size, version, profiles, assessments)


def check_backup_file(path: Path) -> tuple[int, int, int]:
    """Refuse anything that is not a sound Flow Logic database this version can read.
    Returns (schema version, profiles, assessments)."""
    if not is_sqlite_file(path):
        raise InputRefused(f"{path.name} is not a Flow Logic backup (not an SQLite database).")
    conn = _connect(path, read_only=True)
    try:
        try:
            problems = integrity_problems(conn)
            version = schema_version_of(conn)
        except sqlite3.DatabaseError as error:
            raise InputRefused(f"{path.name} cannot be read as a database ({error}).") from None
        if problems:
            raise InputRefused(
                f"{path.name} failed its integrity check ({problems[0]}); nothing was restored.",
                code="CORRUPT",
            )
        if version is None:
            raise InputRefused(f"{path.name} is an SQLite database but not a Flow Logic backup.")
        known = {number for number, _, _ in MIGRATIONS}
        applied = {int(row[0]) for row in conn.execute("SELECT version FROM schema_migrations")}
        if version > latest_version() or not applied <= known:
            raise InputRefused(
                f"{path.name} was made by a newer Flow Logic (schema {version}; this version "
                f"knows up to {latest_version()}). Upgrade Flow Logic, then restore.",
                code="SCHEMA_TOO_NEW",
            )
        return (version, *_counts(conn))
    finally:
        conn.close()


def _stamp() -> str:
    return clock.now_local().strftime("%Y%m%d-%H%M%S")


def _unique(path: Path) -> Path:
    candidate, number = path, 1
    while candidate.exists():
        number += 1
        candidate = path.with_name(f"{path.stem}-{number}{path.suffix}")
    return candidate


def _keep_current(live: Path) -> Path | None:
    """A consistent copy of the live database under backups/ (None when there is none).
    A live file that SQLite cannot read at all is moved aside instead."""
    if not live.is_file():
        return None
    target = _unique(backups_dir() / f"flowlogic-before-restore-{_stamp()}.db")
    try:
        source = _connect(live)
        try:
            _copy_database(source, target)
        finally:
            source.close()
        return target
    except sqlite3.DatabaseError:
        target.unlink(missing_ok=True)
        damaged = _unique(backups_dir() / f"flowlogic-damaged-{_stamp()}.db")
        for suffix in ("", "-wal", "-shm"):
            side = live.with_name(live.name + suffix)
            if side.exists():
                os.replace(side, damaged.with_name(damaged.name + suffix))
        return damaged


def _write_into_live(staging: Path, live: Path) -> None:
    """Replace the live database's content with the staging copy in one transaction."""
    source = _connect(staging, read_only=True)
    try:
        target = _connect(live)
        try:
            target.execute("PRAGMA journal_mode = WAL")
            source.backup(target)
            target.execute("PRAGMA wal_checkpoint(PASSIVE)")
        finally:
            target.close()
    finally:
        source.close()


def restore(source: Path, *, db_path: Path | None = None) -> RestoreResult:
    """Replace the database with the backup at `source` (see the module notes)."""
    live = Path(db_path) if db_path else paths.database_path()
    source = Path(source).expanduser()
    if not source.is_file():
        raise InputRefused(f"{source} does not exist or is not a file.", code="NOT_FOUND")
    if live.exists() and source.resolve() == live.resolve():
        raise UsageError("That file is the live database itself; restore from a backup copy.")
    check_backup_file(source)
    live.parent.mkdir(parents=True, exist_ok=True)
    staging = live.with_name(f".restore-{os.getpid()}.db")
    staging.unlink(missing_ok=True)
    try:
        reader = _connect(source, read_only=True)
        try:
            _copy_database(reader, staging)
        finally:
            reader.close()
        version, profiles, assessments = check_backup_file(staging)
        previous = _keep_current(live)
        _write_into_live(staging, live)
    finally:
        staging.unlink(missing_ok=True)
    db = open_db(live, apply_migrations=False)
    try:
        from flowlogic.audit import record_event
        from flowlogic.store.migrations import migrate

        applied = migrate(db, clock.iso(clock.now_utc()))
        record_event(
            db,
            "data.restored",
            details={"schema_before": version, "migrations_applied": applied},
        )
    finally:
        db.conn.close()
    return RestoreResult(
        source=source,
        schema_version_before=version,
        schema_version_after=latest_version(),
        migrations_applied=applied,
        previous_copy=previous,
        profiles=profiles,
        assessments=assessments,
    )


__all__ = [
    "BackupResult",
    "RestoreResult",
    "backup",
    "backups_dir",
    "check_backup_file",
    "integrity_problems",
    "is_sqlite_file",
    "restore",
    "schema_version_of",
]
