"""Export (PRODUCT.md §8, §10): JSON and CSV complete enough to rebuild a profile's history."""

from __future__ import annotations

import csv
import json
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from typer.testing import CliRunner

from flowlogic import consent, export, profiles
from flowlogic.store import assessments, open_db
from tests import history

EXPORT_DAY = "2026-03-16"


@pytest.fixture
def db(monkeypatch):
    monkeypatch.setenv("FLOWLOGIC_TZ", "UTC")
    with time_machine.travel(datetime(2026, 3, 16, 12, tzinfo=UTC), tick=False):
        database = open_db()
        consent.accept(database)
        yield database


@pytest.fixture
def two_people(db):
    """Sam: a squat with flags, a retest, an invalid balance attempt. Kim: one squat."""
    sam = profiles.add(db, "Sam O'Neil", email="sam@example.com", birth_year=1990)
    kim = profiles.add(db, "Kim")
    flagged = history.outcome(
        4, score=62, bucket="compensation", flags=[("knee_valgus", "left", "moderate")]
    )
    ids = [
        history.store(db, sam.id, date(2026, 2, 27), flagged),
        history.store(db, sam.id, date(2026, 3, 2), history.outcome(7, score=None)),
        history.store(db, sam.id, date(2026, 3, 16), history.outcome(4, score=78)),
    ]
    history.store(db, kim.id, date(2026, 3, 16), history.outcome(4, score=90))
    return sam, kim, ids


def _read_csv(path: Path) -> list[dict[str, str]]:
    with open(path, newline="", encoding="utf-8") as handle:
        return list(csv.DictReader(handle))


def test_json_holds_every_attempt_with_quality_result_metrics_and_flags(db, two_people, tmp_path):
    _, _, ids = two_people
    result = export.export_profile(db, "Sam O'Neil", tmp_path, formats=("json",))

    path = tmp_path / f"flowlogic-sam-o-neil-{EXPORT_DAY}.json"
    assert result.paths == [path]
    data = json.loads(path.read_text())
    assert data["schema_version"] == export.SCHEMA_VERSION
    assert data["profile"]["name"] == "Sam O'Neil" and data["profile"]["birth_year"] == 1990
    assert [a["id"] for a in data["assessments"]] == ids
    for item in data["assessments"]:
        stored = assessments.get(db, item["id"])
        assert item["status"] == stored["status"]
        assert item["quality"] == stored["quality"]
        assert item["result"] == stored["result"]
    first = data["assessments"][0]
    assert first["result"]["flags"] == [
        {"code": "knee_valgus", "side": "left", "severity": "moderate"}
    ]
    assert first["result"]["metrics"]["depth_pelvis_drop"]["unit"] == "leg lengths"
    assert data["assessments"][1]["result"] is None
    assert data["assessments"][1]["reasons"] == ["BAD_LIGHTING"]


def test_json_tables_hold_only_this_profiles_rows_and_every_row_of_them(db, two_people, tmp_path):
    sam, kim, ids = two_people
    export.export_profile(db, "Sam O'Neil", tmp_path, formats=("json",))
    tables = json.loads((tmp_path / f"flowlogic-sam-o-neil-{EXPORT_DAY}.json").read_text())[
        "tables"
    ]

    assert [r["id"] for r in tables["profiles"]] == [sam.id]
    assert [r["id"] for r in tables["assessments"]] == ids
    assert {r["assessment_id"] for r in tables["results"]} == {ids[0], ids[2]}
    assert {r["assessment_id"] for r in tables["flags"]} == {ids[0]}
    own_metrics = db.execute(
        "SELECT COUNT(*) FROM metrics WHERE assessment_id IN (?, ?, ?)", ids
    ).fetchone()[0]
    assert len(tables["metrics"]) == own_metrics
    assert all(r["profile_id"] in (sam.id, None) for r in tables["audit_events"])
    assert "consent" not in tables and "settings" not in tables
    assert kim.id not in {r["profile_id"] for r in tables["assessments"]}


def test_history_can_be_rebuilt_from_the_json(db, two_people, tmp_path):
    """Load the exported tables into an empty database: the history reads the same."""
    sam, _, _ = two_people
    export.export_profile(db, "Sam O'Neil", tmp_path, formats=("json",))
    data = json.loads((tmp_path / f"flowlogic-sam-o-neil-{EXPORT_DAY}.json").read_text())

    fresh = open_db(tmp_path / "rebuilt.db")
    for table in ("profiles", "assessments", "results", "metrics", "flags"):
        fresh[table].insert_all(data["tables"][table])

    assert assessments.history(fresh, sam.id) == assessments.history(db, sam.id)
    for item in data["assessments"]:
        assert assessments.get(fresh, item["id"]) == assessments.get(db, item["id"])


def test_plan_tables_are_exported_when_they_exist(db, two_people, tmp_path):
    sam, kim, _ = two_people
    db.execute(
        "CREATE TABLE coach_notes (id INTEGER PRIMARY KEY, "
        "profile_id INTEGER REFERENCES profiles(id), note TEXT)"
    )
    db.execute(
        "CREATE TABLE coach_note_tags (id INTEGER PRIMARY KEY, "
        "note_id INTEGER REFERENCES coach_notes(id), tag TEXT)"
    )
    db["coach_notes"].insert_all(
        [{"profile_id": sam.id, "note": "=HYPERLINK(1)"}, {"profile_id": kim.id, "note": "k"}]
    )
    db["coach_note_tags"].insert_all([{"note_id": 1, "tag": "sam"}, {"note_id": 2, "tag": "kim"}])

    export.export_profile(db, "Sam O'Neil", tmp_path)

    data = json.loads((tmp_path / f"flowlogic-sam-o-neil-{EXPORT_DAY}.json").read_text())
    assert [r["note"] for r in data["tables"]["coach_notes"]] == ["=HYPERLINK(1)"]
    assert [r["tag"] for r in data["tables"]["coach_note_tags"]] == ["sam"]
    folder = tmp_path / f"flowlogic-sam-o-neil-{EXPORT_DAY}-csv"
    notes = _read_csv(folder / "table-coach_notes.csv")
    assert [r["note"] for r in notes] == ["'=HYPERLINK(1)"]  # no formula in spreadsheets


def test_csv_files_are_readable_and_match_the_json(db, two_people, tmp_path):
    _, _, ids = two_people
    export.export_profile(db, "Sam O'Neil", tmp_path, formats=("csv",))
    folder = tmp_path / f"flowlogic-sam-o-neil-{EXPORT_DAY}-csv"

    rows = _read_csv(folder / "assessments.csv")
    assert [int(r["id"]) for r in rows] == ids
    assert [r["status"] for r in rows] == ["valid", "invalid", "valid"]
    assert rows[0]["score"] == "62" and rows[0]["flags"] == "knee_valgus:left:moderate"
    assert rows[1]["score"] == "" and rows[1]["reasons"] == "BAD_LIGHTING"
    assert rows[0]["quality_score"] == "0.92"
    metrics = _read_csv(folder / "metrics.csv")
    assert {int(m["assessment_id"]) for m in metrics} == {ids[0], ids[2]}
    flags = _read_csv(folder / "flags.csv")
    assert [(f["code"], f["side"], f["severity"]) for f in flags] == [
        ("knee_valgus", "left", "moderate")
    ]
    raw = _read_csv(folder / "table-assessments.csv")
    assert len(raw) == 3 and set(raw[0]) == set(db["assessments"].columns_dict)


def test_videos_are_copied_when_asked_and_still_on_disk(db, tmp_path):
    person = profiles.add(db, "Sam")
    clip = tmp_path / "clips" / "squat.mp4"
    clip.parent.mkdir()
    clip.write_bytes(b"fake video")
    kept = history.outcome(4, score=80)
    kept["video"]["path"] = str(clip)
    history.store(db, person.id, date(2026, 3, 16), kept)
    history.store(db, person.id, date(2026, 3, 16), history.outcome(7, score=80))  # deleted clip

    out = tmp_path / "out"
    result = export.export_profile(db, "Sam", out, formats=("json",), videos=True)

    assert (result.videos_copied, result.videos_missing) == (1, 1)
    copied = out / f"flowlogic-sam-{EXPORT_DAY}-videos" / "1-squat.mp4"
    assert copied.read_bytes() == b"fake video"


def test_file_names_are_safe_for_any_profile_name(db, tmp_path):
    person = profiles.add(db, "Zoë Ünal-Smith")
    history.store(db, person.id, date(2026, 3, 16), history.outcome(4, score=80))
    result = export.export_profile(db, "Zoë Ünal-Smith", tmp_path, formats=("json",))
    assert result.paths[0].name == f"flowlogic-zoe-unal-smith-{EXPORT_DAY}.json"
    assert result.paths[0].parent == tmp_path


def test_cli_export(db, two_people, tmp_path):
    from flowlogic.cli.app import app

    out = tmp_path / "out"
    result = CliRunner().invoke(
        app, ["export", "--profile", "Kim", "--format", "json", "--out", str(out), "--json"]
    )

    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    assert payload["rows"]["assessments"] == 1
    assert [Path(p).name for p in payload["files"]] == [f"flowlogic-kim-{EXPORT_DAY}.json"]


def test_cli_export_rejects_an_unknown_format(db, tmp_path):
    from flowlogic.cli.app import app

    result = CliRunner().invoke(app, ["export", "--format", "xml", "--out", str(tmp_path)])
    assert result.exit_code == 2
    assert "json, csv or both" in result.output
