"""Numbered schema migrations, applied once each and recorded in `schema_migrations`.

Never edit a migration that has shipped: add the next number instead.
"""

from __future__ import annotations

from collections.abc import Callable

import sqlite_utils

from flowlogic.store.tx import run_script, transaction

Migration = tuple[int, str, Callable[[sqlite_utils.Database], None]]


def _m001_foundation(db: sqlite_utils.Database) -> None:
    run_script(
        db,
        """
        CREATE TABLE profiles (
            id INTEGER PRIMARY KEY,
            name TEXT NOT NULL UNIQUE COLLATE NOCASE,
            email TEXT,
            birth_year INTEGER,
            dominant_side TEXT CHECK (dominant_side IN ('left', 'right') OR dominant_side IS NULL),
            created_at TEXT NOT NULL
        );
        CREATE TABLE settings (
            key TEXT PRIMARY KEY,
            value TEXT
        );
        CREATE TABLE consent (
            id INTEGER PRIMARY KEY,
            accepted_at TEXT NOT NULL,
            disclaimer_version TEXT NOT NULL,
            text_sha256 TEXT NOT NULL
        );
        CREATE TABLE assessments (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            test_id INTEGER NOT NULL,
            test_slug TEXT NOT NULL,
            view TEXT,
            status TEXT NOT NULL CHECK (status IN ('valid', 'invalid')),
            created_at TEXT NOT NULL,
            local_date TEXT NOT NULL,
            source TEXT NOT NULL DEFAULT 'score',
            video_path TEXT,
            video_sha256 TEXT,
            video_json TEXT,
            quality_score REAL,
            quality_json TEXT,
            reasons_json TEXT,
            model TEXT,
            outcome_json TEXT
        );
        CREATE INDEX assessments_profile_day ON assessments (profile_id, local_date, test_id);
        CREATE INDEX assessments_video ON assessments (video_sha256, test_id);
        CREATE TABLE results (
            assessment_id INTEGER PRIMARY KEY REFERENCES assessments(id) ON DELETE CASCADE,
            bucket TEXT NOT NULL,
            normalized TEXT NOT NULL CHECK (normalized IN ('pass', 'limited', 'significant')),
            score INTEGER NOT NULL CHECK (score BETWEEN 0 AND 100),
            confidence REAL NOT NULL,
            side TEXT,
            reps INTEGER,
            result_json TEXT NOT NULL
        );
        CREATE TABLE metrics (
            id INTEGER PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
            name TEXT NOT NULL,
            value REAL,
            unit TEXT,
            side TEXT,
            estimated INTEGER NOT NULL DEFAULT 0
        );
        CREATE INDEX metrics_assessment ON metrics (assessment_id);
        CREATE TABLE flags (
            id INTEGER PRIMARY KEY,
            assessment_id INTEGER NOT NULL REFERENCES assessments(id) ON DELETE CASCADE,
            code TEXT NOT NULL,
            side TEXT,
            severity TEXT NOT NULL CHECK (severity IN ('mild', 'moderate', 'severe'))
        );
        CREATE INDEX flags_assessment ON flags (assessment_id);
        CREATE TABLE audit_events (
            id INTEGER PRIMARY KEY,
            at TEXT NOT NULL,
            event TEXT NOT NULL,
            profile_id INTEGER REFERENCES profiles(id) ON DELETE CASCADE,
            assessment_id INTEGER REFERENCES assessments(id) ON DELETE CASCADE,
            details_json TEXT
        );
        """,
    )


def _m002_licence_cache(db: sqlite_utils.Database) -> None:
    """The last verified licence (one row), sealed with an HMAC (flowlogic/licence/cache.py).
    No secret is ever stored here."""
    run_script(
        db,
        """
        CREATE TABLE licence_cache (
            id INTEGER PRIMARY KEY CHECK (id = 1),
            status TEXT NOT NULL,
            subscribed_tier TEXT,
            customer_id TEXT,
            email TEXT,
            subscription_id TEXT,
            period_end TEXT,
            verified_at TEXT NOT NULL,
            mac TEXT NOT NULL,
            last_attempt_at TEXT,
            last_error TEXT
        )
        """,
    )


MIGRATIONS: list[Migration] = [
    (
        1,
        "foundation: profiles, consent, assessments, results, metrics, flags, audit",
        _m001_foundation,
    ),
    (2, "licence cache", _m002_licence_cache),
]


def current_version(db: sqlite_utils.Database) -> int:
    if "schema_migrations" not in db.table_names():
        return 0
    row = db.execute("SELECT MAX(version) FROM schema_migrations").fetchone()
    return int(row[0] or 0)


def migrate(db: sqlite_utils.Database, now_iso: str, target: int | None = None) -> list[int]:
    """Apply pending migrations in order, each in its own transaction. Returns the
    versions applied."""
    db.execute(
        "CREATE TABLE IF NOT EXISTS schema_migrations ("
        "version INTEGER PRIMARY KEY, name TEXT NOT NULL, applied_at TEXT NOT NULL)"
    )
    done = {int(row[0]) for row in db.execute("SELECT version FROM schema_migrations")}
    applied = []
    for version, name, apply in sorted(MIGRATIONS, key=lambda m: m[0]):
        if target is not None and version > target:
            break
        if version in done:
            continue
        with transaction(db):
            apply(db)
            db.execute(
                "INSERT INTO schema_migrations (version, name, applied_at) VALUES (?, ?, ?)",
                [version, name, now_iso],
            )
        applied.append(version)
    return applied


def latest_version() -> int:
    return max(version for version, _, _ in MIGRATIONS)
