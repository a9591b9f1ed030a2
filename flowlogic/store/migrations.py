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


def _m003_plans(db: sqlite_utils.Database) -> None:
    """Problem-area snapshots, plan versions (one active per profile) with their items,
    calendar tasks (one per plan item and day; a task is done at most once), reflections,
    badges and auto-adaptations (flowlogic/plans)."""
    run_script(
        db,
        """
        CREATE TABLE plans (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            version INTEGER NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('lite', 'full')),
            status TEXT NOT NULL CHECK (status IN ('active', 'superseded')),
            created_at TEXT NOT NULL,
            reason TEXT NOT NULL,
            cycle_start TEXT NOT NULL,
            start_date TEXT NOT NULL,
            end_date TEXT NOT NULL,
            superseded_at TEXT,
            start_level INTEGER NOT NULL CHECK (start_level BETWEEN 1 AND 3),
            basis_json TEXT NOT NULL,
            plan_json TEXT NOT NULL,
            UNIQUE (profile_id, version)
        );
        CREATE UNIQUE INDEX plans_one_active ON plans (profile_id) WHERE status = 'active';
        CREATE TABLE problem_areas (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            plan_id INTEGER REFERENCES plans(id) ON DELETE CASCADE,
            taken_at TEXT NOT NULL,
            local_date TEXT NOT NULL,
            rank INTEGER NOT NULL,
            area_key TEXT NOT NULL,
            name TEXT NOT NULL,
            priority TEXT NOT NULL CHECK (priority IN ('P1', 'P2')),
            why TEXT NOT NULL,
            tests_json TEXT NOT NULL,
            flags_json TEXT NOT NULL,
            rule TEXT NOT NULL,
            confirmed INTEGER NOT NULL
        );
        CREATE INDEX problem_areas_profile ON problem_areas (profile_id, local_date);
        CREATE TABLE plan_items (
            id INTEGER PRIMARY KEY,
            plan_id INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
            phase TEXT NOT NULL CHECK (phase IN ('local', 'integration', 'function')),
            position INTEGER NOT NULL,
            exercise_id TEXT NOT NULL,
            area_key TEXT NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('must', 'should')),
            level INTEGER NOT NULL CHECK (level BETWEEN 1 AND 3),
            UNIQUE (plan_id, phase, position)
        );
        CREATE TABLE adaptations (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            plan_id INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
            start_day TEXT NOT NULL,
            tasks_before INTEGER NOT NULL,
            tasks_after INTEGER NOT NULL,
            red_days_json TEXT NOT NULL,
            created_at TEXT NOT NULL,
            undone_at TEXT
        );
        CREATE TABLE calendar_tasks (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            plan_id INTEGER NOT NULL REFERENCES plans(id) ON DELETE CASCADE,
            plan_item_id INTEGER NOT NULL REFERENCES plan_items(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            slot INTEGER NOT NULL,
            role TEXT NOT NULL CHECK (role IN ('must', 'should')),
            status TEXT NOT NULL DEFAULT 'open'
                CHECK (status IN ('open', 'done', 'dropped', 'superseded')),
            completed_at TEXT,
            adaptation_id INTEGER REFERENCES adaptations(id) ON DELETE SET NULL,
            created_at TEXT NOT NULL,
            UNIQUE (plan_item_id, day),
            CHECK ((status = 'done') = (completed_at IS NOT NULL))
        );
        CREATE INDEX calendar_tasks_profile_day ON calendar_tasks (profile_id, day);
        CREATE TABLE reflections (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            day TEXT NOT NULL,
            rating INTEGER NOT NULL CHECK (rating BETWEEN 0 AND 10),
            note TEXT,
            created_at TEXT NOT NULL,
            UNIQUE (profile_id, day)
        );
        CREATE TABLE badges (
            id INTEGER PRIMARY KEY,
            profile_id INTEGER NOT NULL REFERENCES profiles(id) ON DELETE CASCADE,
            badge_key TEXT NOT NULL,
            earned_at TEXT NOT NULL,
            earned_on TEXT NOT NULL,
            details_json TEXT,
            UNIQUE (profile_id, badge_key)
        )
        """,
    )


def _m004_batch_jobs(db: sqlite_utils.Database) -> None:
    """Coach batch jobs: one row per input row, so a killed batch resumes where it stopped
    and nothing is counted twice (the row's final state is written in the same transaction
    as its assessment)."""
    run_script(
        db,
        """
        CREATE TABLE batch_jobs (
            id INTEGER PRIMARY KEY,
            source TEXT NOT NULL,
            kind TEXT NOT NULL CHECK (kind IN ('manifest', 'folder')),
            rescore INTEGER NOT NULL DEFAULT 0,
            created_at TEXT NOT NULL,
            finished_at TEXT
        );
        CREATE INDEX batch_jobs_source ON batch_jobs (source, rescore, finished_at);
        CREATE TABLE batch_rows (
            id INTEGER PRIMARY KEY,
            job_id INTEGER NOT NULL REFERENCES batch_jobs(id) ON DELETE CASCADE,
            position INTEGER NOT NULL,
            line INTEGER,
            video TEXT NOT NULL,
            profile TEXT NOT NULL,
            test_id INTEGER NOT NULL,
            view TEXT,
            local_date TEXT NOT NULL,
            status TEXT NOT NULL DEFAULT 'pending' CHECK (status IN
                ('pending', 'valid', 'invalid', 'refused', 'unreadable', 'skipped')),
            reason TEXT,
            video_sha256 TEXT,
            assessment_id INTEGER REFERENCES assessments(id) ON DELETE SET NULL,
            bucket TEXT,
            score INTEGER,
            confidence REAL,
            flags_json TEXT,
            updated_at TEXT,
            UNIQUE (job_id, position)
        );
        CREATE INDEX batch_rows_job_status ON batch_rows (job_id, status)
        """,
    )


MIGRATIONS: list[Migration] = [
    (
        1,
        "foundation: profiles, consent, assessments, results, metrics, flags, audit",
        _m001_foundation,
    ),
    (2, "licence cache", _m002_licence_cache),
    (
        3,
        "plans: problem areas, plans, plan items, calendar tasks, reflections, badges, adaptations",
        _m003_plans,
    ),
    (4, "batch jobs and rows", _m004_batch_jobs),
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
