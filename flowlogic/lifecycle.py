"""The life of stored data: deleting a profile, video retention, clean-up (PRODUCT.md §3, §10).

**Deleting a profile** removes, in this order:
1. every database row of the profile: the profile row with everything that references it
   (foreign keys cascade: attempts, results, metrics, flags, audit events, plans, tasks,
   reflections, badges...), its batch rows (which name the profile as text), and the
   "active profile" setting when it named it. `secure_delete` overwrites the freed bytes
   and the write-ahead log is truncated afterwards, so the name is gone from the files;
2. the cached landmarks of its videos, unless another profile has an attempt on the
   same video (same content hash);
3. its recorded videos under `videos/`;
4. reports, exports and other outputs of the profile under FLOWLOGIC_HOME
   (`flowlogic.owned_files` says how they are recognised); folders left empty go too;
5. its lines in the log files, and its rows in every backup database under the data
   folder (the copies `flowlogic restore` keeps in `backups/`, and any backup a user wrote
   there): the profile is deleted inside each copy, the rest of the copy stays.
Backups written outside the data folder are the user's own files and are not touched.

**Video retention**: recordings under `videos/` are deleted once older than the retention
period (default 90 days, `flowlogic settings retention DAYS`, 0 = never keep);
landmarks, results and history stay. The purge runs at the start of every command when
recorded videos exist (a folder listing when there are none), in the TUI, and on demand
with `flowlogic cleanup`.
"""

from __future__ import annotations

import re
import shutil
import sqlite3
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

import sqlite_utils

from flowlogic import clock, logs, paths, profiles
from flowlogic.audit import record_event
from flowlogic.owned_files import ProfileTraces, scan
from flowlogic.store.tx import transaction

DB_SUFFIXES = ("", "-wal", "-shm", "-journal")
STALE_TEMP_AGE = timedelta(days=1)


@dataclass
class DeleteReport:
    profile_id: int
    rows: dict[str, int] = field(default_factory=dict)  # table -> rows removed
    landmark_files: int = 0
    landmark_files_kept: int = 0  # shared with another profile's video
    videos: int = 0
    files: list[str] = field(default_factory=list)  # outputs removed (relative to home)
    log_lines: int = 0
    backups_scrubbed: int = 0
    warnings: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {
            "profile_id": self.profile_id,
            "rows": self.rows,
            "rows_total": sum(self.rows.values()),
            "landmark_files": self.landmark_files,
            "landmark_files_kept": self.landmark_files_kept,
            "videos": self.videos,
            "files": self.files,
            "log_lines": self.log_lines,
            "backups_scrubbed": self.backups_scrubbed,
            "warnings": self.warnings,
        }


# --- what belongs to the profile --------------------------------------------------------


def _column_values(db: sqlite_utils.Database, sql: str, params: list) -> set[str]:
    return {str(row[0]) for row in db.execute(sql, params) if row[0]}


def _has_table(db: sqlite_utils.Database, name: str) -> bool:
    return name in db.table_names()


def _video_hashes(db: sqlite_utils.Database, profile_id: int, name: str) -> set[str]:
    found = _column_values(
        db, "SELECT video_sha256 FROM assessments WHERE profile_id = ?", [profile_id]
    )
    if _has_table(db, "batch_rows"):
        found |= _column_values(
            db, "SELECT video_sha256 FROM batch_rows WHERE profile = ? COLLATE NOCASE", [name]
        )
    return found


def _hashes_of_others(db: sqlite_utils.Database, profile_id: int, name: str) -> set[str]:
    found = _column_values(
        db, "SELECT video_sha256 FROM assessments WHERE profile_id <> ?", [profile_id]
    )
    if _has_table(db, "batch_rows"):
        found |= _column_values(
            db,
            "SELECT video_sha256 FROM batch_rows WHERE profile <> ? COLLATE NOCASE",
            [name],
        )
    return found


def _row_counts(db: sqlite_utils.Database, profile_id: int) -> dict[str, int]:
    from flowlogic.export import profile_row_filters

    counts = {}
    for table, condition in profile_row_filters(db).items():
        sql = f'SELECT COUNT(*) FROM "{table}" WHERE {condition}'
        counts[table] = int(db.execute(sql, {"pid": profile_id}).fetchone()[0])
    return {t: n for t, n in sorted(counts.items()) if n}


# --- the database -----------------------------------------------------------------------


def _delete_rows(db: sqlite_utils.Database, profile_id: int, name: str) -> None:
    """One transaction: batch rows naming the profile, the setting, the profile (cascades)."""
    db.execute("PRAGMA secure_delete = ON")
    with transaction(db):
        if _has_table(db, "batch_rows"):
            db.execute(
                "DELETE FROM batch_rows WHERE profile = ? COLLATE NOCASE OR assessment_id IN "
                "(SELECT id FROM assessments WHERE profile_id = ?)",
                [name, profile_id],
            )
            db.execute(
                "DELETE FROM batch_jobs WHERE NOT EXISTS "
                "(SELECT 1 FROM batch_rows r WHERE r.job_id = batch_jobs.id)"
            )
        db.execute(
            "DELETE FROM settings WHERE key = 'active_profile' AND value = ? COLLATE NOCASE",
            [name],
        )
        db.execute("DELETE FROM profiles WHERE id = ?", [profile_id])


def _truncate_wal(conn: sqlite3.Connection) -> bool:
    """Copy the log into the database and empty it; False when another process still
    reads and the log could not be emptied."""
    busy, _, _ = conn.execute("PRAGMA wal_checkpoint(TRUNCATE)").fetchone()
    return not busy


def _scrub_backup(path: Path, name: str) -> bool:
    """Remove the profile (matched by name) from a backup database. True if it was there."""
    conn = sqlite3.connect(str(path), isolation_level=None, timeout=5)
    try:
        db = sqlite_utils.Database(conn)
        if not _has_table(db, "profiles"):
            return False
        conn.execute("PRAGMA foreign_keys = ON")
        row = conn.execute(
            "SELECT id FROM profiles WHERE name = ? COLLATE NOCASE", [name]
        ).fetchone()
        if row is None:
            return False
        _delete_rows(db, int(row[0]), name)
        conn.execute("VACUUM")
        if conn.execute("PRAGMA journal_mode").fetchone()[0] == "wal":
            _truncate_wal(conn)
        return True
    finally:
        conn.close()


# --- files ------------------------------------------------------------------------------


def _remove(path: Path) -> None:
    if path.is_dir() and not path.is_symlink():
        shutil.rmtree(path)
    else:
        path.unlink(missing_ok=True)


def _remove_empty_parents(path: Path, stop: Path) -> None:
    folder = path.parent
    while folder != stop and stop in folder.parents:
        try:
            folder.rmdir()
        except OSError:
            return
        folder = folder.parent


def landmark_files(video_sha256: str) -> list[Path]:
    """Every cached track of one video (all analysis options and models)."""
    if not re.fullmatch(r"[0-9a-f]{64}", video_sha256):
        return []
    folder = paths.landmark_cache_dir() / video_sha256[:2]
    return sorted(folder.glob(f"{video_sha256}-*")) if folder.is_dir() else []


def _recorded_videos(db: sqlite_utils.Database, profile_id: int) -> set[Path]:
    from flowlogic.recording import videos_dir

    folder = videos_dir().resolve()
    found = set()
    for value in _column_values(
        db, "SELECT video_path FROM assessments WHERE profile_id = ?", [profile_id]
    ):
        path = Path(value)
        if path.is_file() and path.resolve().parent == folder:
            found.add(path.resolve())
    pattern = re.compile(rf"-p{profile_id}(\.partial)?\.mp4$")
    found |= {p.resolve() for p in folder.iterdir() if pattern.search(p.name)}
    return found


def _scrub_logs(traces: ProfileTraces) -> int:
    """Drop every log line that mentions the profile's name, e-mail or video hashes."""
    needles = [traces.name.casefold(), *traces.video_hashes]
    if traces.email:
        needles.append(traces.email.casefold())
    removed = 0
    for path in sorted(paths.log_dir().glob("*")):
        if not path.is_file():
            continue
        lines = path.read_text("utf-8", errors="replace").splitlines(keepends=True)
        kept = [line for line in lines if not any(n in line.casefold() for n in needles)]
        if len(kept) != len(lines):
            removed += len(lines) - len(kept)
            from flowlogic.outfiles import atomic_write_text

            atomic_write_text(path, "".join(kept))
    return removed


def _database_files(db_path: Path) -> set[Path]:
    return {db_path.with_name(db_path.name + suffix) for suffix in DB_SUFFIXES}


# --- deleting a profile -----------------------------------------------------------------


def delete_profile(db: sqlite_utils.Database, name: str) -> DeleteReport:
    """Remove everything of the profile `name` (see the module notes)."""
    from flowlogic.backup import backups_dir, is_sqlite_file

    who = profiles.find(db, name)
    assert who is not None
    others = [p for p in profiles.list_all(db) if p.id != who.id]
    mine = _video_hashes(db, who.id, who.name)
    shared = mine & _hashes_of_others(db, who.id, who.name)
    traces = ProfileTraces(
        profile_id=who.id,
        name=who.name,
        email=who.email,
        video_hashes=frozenset(mine - shared),
        file_part_shared=any(
            ProfileTraces(p.id, p.name, None).file_part
            == ProfileTraces(who.id, who.name, None).file_part
            for p in others
        ),
    )
    report = DeleteReport(who.id, rows=_row_counts(db, who.id))
    videos = _recorded_videos(db, who.id)

    _delete_rows(db, who.id, who.name)
    record_event(db, "profile.deleted", details={"profile_id": who.id})
    if not _truncate_wal(db.conn):
        report.warnings.append(
            "Another Flow Logic window has the database open; close it and run "
            "`flowlogic cleanup` so the deleted data is also wiped from the write-ahead log."
        )

    for sha in sorted(mine):
        files = landmark_files(sha)
        if sha in shared:
            report.landmark_files_kept += len(files)
            continue
        for path in files:
            path.unlink(missing_ok=True)
            report.landmark_files += 1
        if files:
            _remove_empty_parents(files[0], paths.landmark_cache_dir())
    for path in sorted(videos):
        path.unlink(missing_ok=True)
        report.videos += 1

    home = paths.home().resolve()
    db_path = Path(db.conn.execute("PRAGMA database_list").fetchone()[2]).resolve()
    backups = backups_dir().resolve()
    skip = {
        *_database_files(db_path),
        paths.log_dir().resolve(),
        paths.landmark_cache_dir().resolve(),
        (home / "videos").resolve(),
        backups,
    }
    found = scan(home, traces, skip)
    for path in found.matched:
        _remove(path)
        _remove_empty_parents(path, home)
        report.files.append(str(path.relative_to(home)))

    report.log_lines = _scrub_logs(traces)
    elsewhere = skip - {backups}
    copies = {
        p
        for p in home.rglob("*")
        if p.is_file() and p not in elsewhere and not any(s in p.parents for s in elsewhere)
    }
    for path in sorted(copies):
        if is_sqlite_file(path):
            try:
                report.backups_scrubbed += int(_scrub_backup(path, who.name))
            except sqlite3.DatabaseError as error:
                report.warnings.append(f"Could not clean backup {path.name}: {error}")
    logs.log_event(
        "profile.deleted",
        profile_id=who.id,
        rows=sum(report.rows.values()),
        files=len(report.files),
        videos=report.videos,
        landmark_files=report.landmark_files,
    )
    return report


# --- retention and clean-up -------------------------------------------------------------


@dataclass
class CleanupReport:
    videos_deleted: int = 0
    retention_days: int = 0
    temp_files: int = 0
    landmark_files: int = 0
    wal_truncated: bool = True

    def to_dict(self) -> dict:
        return dict(self.__dict__)


def _recorded_video_files() -> list[Path]:
    folder = paths.home() / "videos"
    if not folder.is_dir():
        return []
    return [p for p in folder.iterdir() if p.suffix == ".mp4" and not p.name.startswith(".")]


def purge_on_start(db_path: Path | None = None) -> int:
    """The cheap purge at the start of a command: a folder listing when no recording is
    kept; otherwise the retention query. Never fails the command (returns -1 on error)."""
    try:
        if not _recorded_video_files():
            return 0
        from flowlogic.recording import purge_expired_videos
        from flowlogic.store.db import open_db

        db = open_db(db_path, apply_migrations=False)
        try:
            if not {"settings", "assessments"} <= set(db.table_names()):
                return 0
            removed = purge_expired_videos(db)
        finally:
            db.conn.close()
        if removed:
            logs.log_event("videos.purged", count=removed)
        return removed
    except Exception:  # best effort: the command itself must still run
        return -1


def _stale_temp_files(now: datetime) -> list[Path]:
    """Half-written files a crash left behind (recordings, atomic writes, restores)."""
    home = paths.home()
    cutoff = (now - STALE_TEMP_AGE).timestamp()
    candidates = [
        *(home / "videos").glob(".*.partial.mp4"),
        *home.glob(".restore-*.db"),
        *home.rglob(".*.tmp"),
    ]
    stale = []
    for path in candidates:
        try:
            if path.is_file() and path.stat().st_mtime < cutoff:
                stale.append(path)
        except OSError:
            continue
    return stale


def unreferenced_landmark_files(db: sqlite_utils.Database) -> list[Path]:
    """Cached tracks of videos no attempt in this database uses."""
    used = _column_values(db, "SELECT video_sha256 FROM assessments", [])
    if _has_table(db, "batch_rows"):
        used |= _column_values(db, "SELECT video_sha256 FROM batch_rows", [])
    found = []
    for path in paths.landmark_cache_dir().glob("*/*.npz"):
        if path.name.split("-", 1)[0] not in used:
            found.append(path)
    return sorted(found)


def cleanup(
    db: sqlite_utils.Database, *, landmarks: bool = False, now: datetime | None = None
) -> CleanupReport:
    """Purge expired recordings and stale temporary files; with `landmarks`, also the
    cached landmarks of videos that no stored attempt uses."""
    from flowlogic.recording import purge_expired_videos, retention_days

    now = now or clock.now_utc()
    report = CleanupReport(retention_days=retention_days(db))
    report.videos_deleted = purge_expired_videos(db, now)
    for path in _stale_temp_files(now):
        path.unlink(missing_ok=True)
        report.temp_files += 1
    if landmarks:
        for path in unreferenced_landmark_files(db):
            path.unlink(missing_ok=True)
            report.landmark_files += 1
    report.wal_truncated = _truncate_wal(db.conn)
    logs.log_event("data.cleanup", **{k: v for k, v in report.to_dict().items()})
    return report


def landmark_cache_bytes() -> tuple[int, int]:
    """(files, bytes) of the landmark cache."""
    files = total = 0
    for path in paths.landmark_cache_dir().glob("*/*.npz"):
        try:
            total += path.stat().st_size
            files += 1
        except OSError:
            continue
    return files, total


__all__ = [
    "CleanupReport",
    "DeleteReport",
    "cleanup",
    "delete_profile",
    "landmark_cache_bytes",
    "landmark_files",
    "purge_on_start",
    "unreferenced_landmark_files",
]
