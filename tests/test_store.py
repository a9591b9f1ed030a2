"""The SQLite store: migrations, pragmas, profiles, consent."""

from __future__ import annotations

import pytest

from flowlogic import consent, profiles
from flowlogic.errors import ConsentRequired, UsageError
from flowlogic.store import open_db
from flowlogic.store.migrations import MIGRATIONS, latest_version, migrate


def _columns(db, table):
    return [row[1] for row in db.execute(f"PRAGMA table_info({table})")]


def test_foundation_schema_columns_exactly():
    db = open_db()
    assert _columns(db, "assessments") == [
        "id",
        "profile_id",
        "test_id",
        "test_slug",
        "view",
        "status",
        "created_at",
        "local_date",
        "source",
        "video_path",
        "video_sha256",
        "video_json",
        "quality_score",
        "quality_json",
        "reasons_json",
        "model",
        "outcome_json",
    ]
    assert _columns(db, "results") == [
        "assessment_id",
        "bucket",
        "normalized",
        "score",
        "confidence",
        "side",
        "reps",
        "result_json",
    ]
    assert _columns(db, "flags") == ["id", "assessment_id", "code", "side", "severity"]
    assert _columns(db, "metrics") == [
        "id",
        "assessment_id",
        "name",
        "value",
        "unit",
        "side",
        "estimated",
    ]


def test_pragmas_wal_and_foreign_keys():
    db = open_db()
    assert db.execute("PRAGMA journal_mode").fetchone()[0] == "wal"
    assert db.execute("PRAGMA foreign_keys").fetchone()[0] == 1


def test_migrations_apply_once_and_are_recorded():
    db = open_db()
    versions = [r[0] for r in db.execute("SELECT version FROM schema_migrations ORDER BY 1")]
    assert versions == sorted(v for v, _, _ in MIGRATIONS)
    assert migrate(db, "2026-01-01T00:00:00+00:00") == []
    assert max(versions) == latest_version()


def test_default_profile_and_switching():
    db = open_db()
    assert profiles.active(db).name == "default"
    profiles.add(db, "Ana Client", birth_year=1990, dominant_side="left")
    profiles.use(db, "ana client")  # names are case-insensitive
    assert profiles.active(db).name == "Ana Client"
    with pytest.raises(UsageError):
        profiles.add(db, "Ana Client")


@pytest.mark.parametrize("bad", ["../etc", "a/b", "x\x07y", "", " ", ".."])
def test_profile_names_are_sanitised(bad):
    with pytest.raises(UsageError):
        profiles.add(open_db(), bad)


def test_consent_required_then_recorded_once():
    db = open_db()
    with pytest.raises(ConsentRequired) as refused:
        consent.require(db)
    assert refused.value.exit_code == 4
    first = consent.accept(db)
    again = consent.accept(db)
    assert first["accepted_at"] == again["accepted_at"]
    assert db["consent"].count == 1
    consent.require(db)
