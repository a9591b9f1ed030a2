"""Migrations from every earlier schema version, with data in it: migrate a fresh database
to version N, fill every table that exists at N with realistic rows, then `open_db()` and
check the rows are all still there and the schema is exactly the latest one."""

from __future__ import annotations

import json
import sqlite3
from pathlib import Path
from typing import Any

import pytest
import sqlite_utils

from flowlogic.store import open_db
from flowlogic.store.migrations import MIGRATIONS, current_version, latest_version, migrate

NOW = "2026-02-01T09:00:00+00:00"
DAY = "2026-02-01"

# Rows valid at the version that created their table (parents before children).
ROWS: dict[str, list[dict[str, Any]]] = {
    "profiles": [
        {
            "id": 1,
            "name": "Ana Lima",
            "email": "ana@example.com",
            "birth_year": 1988,
            "dominant_side": "right",
            "created_at": NOW,
        },
        {"id": 2, "name": "default", "created_at": NOW},
    ],
    "settings": [{"key": "active_profile", "value": "Ana Lima"}],
    "consent": [{"id": 1, "accepted_at": NOW, "disclaimer_version": "1", "text_sha256": "ab" * 32}],
    "assessments": [
        {
            "id": 1,
            "profile_id": 1,
            "test_id": 4,
            "test_slug": "overhead-squat",
            "view": "front",
            "status": "valid",
            "created_at": NOW,
            "local_date": DAY,
            "source": "score",
            "video_path": "/videos/squat.mp4",
            "video_sha256": "cd" * 32,
            "video_json": json.dumps({"fps": 30.0}),
            "quality_score": 0.93,
            "quality_json": json.dumps({"score": 0.93, "checks": []}),
            "reasons_json": "[]",
            "model": "mediapipe-0.10.21-blazepose-full-video",
            "outcome_json": json.dumps({"assessment_id": 1, "status": "valid"}),
        },
        {
            "id": 2,
            "profile_id": 1,
            "test_id": 7,
            "test_slug": "single-leg-balance",
            "status": "invalid",
            "created_at": NOW,
            "local_date": DAY,
            "source": "batch",
            "reasons_json": json.dumps(["OUT_OF_FRAME"]),
            "outcome_json": "{}",
        },
    ],
    "results": [
        {
            "assessment_id": 1,
            "bucket": "compensation",
            "normalized": "limited",
            "score": 68,
            "confidence": 0.81,
            "side": "left",
            "reps": 5,
            "result_json": json.dumps({"score": 68}),
        }
    ],
    "metrics": [
        {
            "id": 1,
            "assessment_id": 1,
            "name": "knee_valgus_deg",
            "value": 9.5,
            "unit": "deg",
            "side": "left",
            "estimated": 0,
        }
    ],
    "flags": [
        {"id": 1, "assessment_id": 1, "code": "knee_valgus", "side": "left", "severity": "mild"}
    ],
    "audit_events": [
        {
            "id": 1,
            "at": NOW,
            "event": "assessment.scored",
            "profile_id": 1,
            "assessment_id": 1,
            "details_json": json.dumps({"score": 68}),
        }
    ],
    "licence_cache": [
        {
            "id": 1,
            "status": "active",
            "subscribed_tier": "pro",
            "customer_id": "cus_123",
            "email": "ana@example.com",
            "subscription_id": "sub_123",
            "period_end": "2026-03-01T00:00:00+00:00",
            "verified_at": NOW,
            "mac": "ef" * 32,
        }
    ],
    "plans": [
        {
            "id": 1,
            "profile_id": 1,
            "version": 1,
            "kind": "full",
            "status": "active",
            "created_at": NOW,
            "reason": "first",
            "cycle_start": DAY,
            "start_date": DAY,
            "end_date": "2026-03-15",
            "start_level": 1,
            "basis_json": json.dumps([{"assessment_id": 1, "test_id": 4}]),
            "plan_json": json.dumps({"phases": [], "problem_areas": []}),
        }
    ],
    "problem_areas": [
        {
            "id": 1,
            "profile_id": 1,
            "plan_id": 1,
            "taken_at": NOW,
            "local_date": DAY,
            "rank": 1,
            "area_key": "ankle_mobility",
            "name": "Ankle mobility",
            "priority": "P1",
            "why": "Stiff ankles push the knees inward.",
            "tests_json": "[4, 6]",
            "flags_json": '["knee_valgus"]',
            "rule": "ankle",
            "confirmed": 1,
        }
    ],
    "plan_items": [
        {
            "id": 1,
            "plan_id": 1,
            "phase": "local",
            "position": 0,
            "exercise_id": "wall-ankle-mobilisation",
            "area_key": "ankle_mobility",
            "role": "must",
            "level": 1,
        }
    ],
    "adaptations": [
        {
            "id": 1,
            "profile_id": 1,
            "plan_id": 1,
            "start_day": DAY,
            "tasks_before": 3,
            "tasks_after": 2,
            "red_days_json": json.dumps([DAY]),
            "created_at": NOW,
        }
    ],
    "calendar_tasks": [
        {
            "id": 1,
            "profile_id": 1,
            "plan_id": 1,
            "plan_item_id": 1,
            "day": DAY,
            "slot": 0,
            "role": "must",
            "status": "done",
            "completed_at": NOW,
            "adaptation_id": 1,
            "created_at": NOW,
        }
    ],
    "reflections": [
        {"id": 1, "profile_id": 1, "day": DAY, "rating": 8, "note": "easy", "created_at": NOW}
    ],
    "badges": [
        {
            "id": 1,
            "profile_id": 1,
            "badge_key": "first_test",
            "earned_at": NOW,
            "earned_on": DAY,
            "details_json": "{}",
        }
    ],
    "batch_jobs": [
        {"id": 1, "source": "/clients/manifest.csv", "kind": "manifest", "created_at": NOW}
    ],
    "batch_rows": [
        {
            "id": 1,
            "job_id": 1,
            "position": 0,
            "line": 2,
            "video": "/clients/ana/squat.mp4",
            "profile": "Ana Lima",
            "test_id": 4,
            "local_date": DAY,
            "status": "valid",
            "video_sha256": "cd" * 32,
            "assessment_id": 1,
            "score": 68,
        }
    ],
}


def _schema(db: sqlite_utils.Database) -> dict[str, list[tuple[str, str]]]:
    return {
        table: [(c.name, c.type) for c in db[table].columns]
        for table in sorted(db.table_names())
        if table != "schema_migrations"
    }


def _rows(db: sqlite_utils.Database, table: str, columns: list[str]) -> list[tuple]:
    names = ", ".join(f'"{c}"' for c in columns)
    return [tuple(r) for r in db.execute(f'SELECT {names} FROM "{table}" ORDER BY rowid')]


@pytest.fixture(scope="module")
def latest_schema(tmp_path_factory) -> dict[str, list[tuple[str, str]]]:
    return _schema(open_db(tmp_path_factory.mktemp("latest") / "flowlogic.db"))


def test_every_table_of_the_latest_schema_has_sample_rows(latest_schema):
    assert set(ROWS) == set(latest_schema), "add realistic rows for the new table(s)"


@pytest.mark.parametrize("version", range(latest_version()))
def test_upgrading_from_an_earlier_version_keeps_the_data(tmp_path: Path, version, latest_schema):
    path = tmp_path / "flowlogic.db"
    conn = sqlite3.connect(path, isolation_level=None)
    conn.execute("PRAGMA foreign_keys = ON")
    old = sqlite_utils.Database(conn)
    migrate(old, NOW, target=version)
    assert current_version(old) == version
    present = [t for t in ROWS if t in old.table_names()]
    expected = [n for n, _, _ in MIGRATIONS if n <= version]
    assert sorted(r[0] for r in conn.execute("SELECT version FROM schema_migrations")) == expected
    for table in present:
        old[table].insert_all(ROWS[table])
    conn.close()

    db = open_db(path)

    assert current_version(db) == latest_version()
    assert _schema(db) == latest_schema
    for table in present:
        columns = list(ROWS[table][0])
        wanted = [tuple(row.get(c) for c in columns) for row in ROWS[table]]
        assert _rows(db, table, columns) == wanted, table
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    # and the upgraded database takes new data of the newest tables
    for table in ROWS:
        if table not in present:
            db[table].insert_all(ROWS[table])
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_opening_twice_applies_nothing_more(tmp_path):
    path = tmp_path / "flowlogic.db"
    open_db(path).conn.close()
    db = open_db(path)
    assert migrate(db, NOW) == []
