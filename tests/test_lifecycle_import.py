"""`flowlogic import`: export -> delete -> import gives back the same profile history, and
a broken or foreign file is refused with one line and exit 5 (2 for a name clash)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from typer.testing import CliRunner

from flowlogic import consent, export, plans, profiles
from flowlogic.cli.app import app
from flowlogic.plans.lifecycle import has_new_results
from flowlogic.store import open_db
from tests import history
from tests.plan_helpers import set_tier

runner = CliRunner()
NAME = "Zoë Anne Müller"
END = datetime(2026, 3, 22, 20, tzinfo=UTC)


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def followed(monkeypatch):
    """A Pro+ profile with three weeks of history: attempts with results, metrics and
    flags, two plan versions with items and tasks (some done), problem areas, a reflection
    and badges; plus a second profile that must not be touched."""
    monkeypatch.setenv("FLOWLOGIC_TZ", "UTC")
    set_tier(monkeypatch, "proplus")
    with time_machine.travel(END, tick=False):
        db = open_db()
        consent.accept(db)
        bystander = profiles.add(db, "Bystander")
        history.store(db, bystander.id, history.SCENARIO_START, history.outcome(4, score=80))
        person, _ = history.plan_scenario(db, NAME)
        plans.reflect(db, person.id, END.date(), 7, "felt good")
        plans.award_badges(db, person.id, END.date())
        yield db, person


def _tables(db, name: str) -> dict[str, list[dict]]:
    """The profile's rows as exported, without the import's own audit event."""
    who = profiles.find(db, name)
    tables = export.build_json(db, who.id)["tables"]
    tables["audit_events"] = [e for e in tables["audit_events"] if e["event"] != "profile.imported"]
    return tables


def _write_export(db, name: str, folder: Path) -> Path:
    result = export.export_profile(db, name, folder, formats=("json",))
    return result.paths[0]


def test_export_delete_import_gives_back_the_same_history(followed, tmp_path):
    db, person = followed
    before = _tables(db, NAME)
    for table in ("assessments", "results", "metrics", "flags", "plans", "plan_items"):
        assert before[table], f"the scenario should have {table} rows"
    assert before["calendar_tasks"] and before["problem_areas"] and before["reflections"]
    history_before = plans.plan_versions(db, person.id)
    bystander_before = _tables(db, "Bystander")
    file = _write_export(db, NAME, tmp_path)

    with time_machine.travel(END, tick=False):
        deleted = run("delete", "--profile", NAME, "--yes")
        assert deleted.exit_code == 0, deleted.output
        assert profiles.find(open_db(), NAME, missing_ok=True) is None
        imported = run("import", file, "--json")
    assert imported.exit_code == 0, imported.output
    payload = json.loads(imported.stdout)
    # the delete's own audit event took the next free audit id, nothing else moved
    assert payload["renumbered_tables"] in ([], ["audit_events"])
    assert payload["rows"]["assessments"] == len(before["assessments"])

    db = open_db()
    after = _tables(db, NAME)
    without_ids = [{k: v for k, v in e.items() if k != "id"} for e in before["audit_events"]]
    assert [{k: v for k, v in e.items() if k != "id"} for e in after["audit_events"]] == (
        without_ids
    )
    assert {t: r for t, r in after.items() if t != "audit_events"} == {
        t: r for t, r in before.items() if t != "audit_events"
    }
    assert _tables(db, "Bystander") == bystander_before
    again = profiles.find(db, NAME)
    assert [p.to_dict() for p in plans.plan_versions(db, again.id)] == [
        p.to_dict() for p in history_before
    ]
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []


def test_import_into_a_database_whose_ids_are_taken_renumbers_consistently(
    followed, tmp_path, monkeypatch
):
    db, _ = followed
    file = _write_export(db, NAME, tmp_path)
    original = _tables(db, NAME)
    monkeypatch.setenv("FLOWLOGIC_HOME", str(tmp_path / "other-home"))
    fresh = open_db()
    consent.accept(fresh)
    squatter = profiles.add(fresh, "Someone Else")  # takes profile id 1 and more
    for _ in range(3):
        history.store(fresh, squatter.id, history.SCENARIO_START, history.outcome(4, score=70))

    with time_machine.travel(END, tick=False):
        imported = run("import", file, "--json")
    assert imported.exit_code == 0, imported.output
    assert json.loads(imported.stdout)["ids_kept"] is False

    fresh = open_db()
    copied = _tables(fresh, NAME)
    pairs = list(zip(original["assessments"], copied["assessments"], strict=True))
    new_ids = {old["id"]: new["id"] for old, new in pairs}
    assert set(new_ids) != set(new_ids.values())
    for old, new in pairs:
        assert json.loads(new["outcome_json"])["assessment_id"] == new["id"]
        assert {k: v for k, v in old.items() if k not in ("id", "profile_id", "outcome_json")} == {
            k: v for k, v in new.items() if k not in ("id", "profile_id", "outcome_json")
        }
    for old, new in zip(original["plans"], copied["plans"], strict=True):
        basis_old = [b["assessment_id"] for b in json.loads(old["basis_json"])]
        basis_new = [b["assessment_id"] for b in json.loads(new["basis_json"])]
        assert basis_new == [new_ids[i] for i in basis_old]
    for table in ("results", "metrics", "flags", "plan_items", "calendar_tasks"):
        assert len(copied[table]) == len(original[table])
    who = profiles.find(fresh, NAME)
    plan = plans.active_plan(fresh, who.id)
    assert plan is not None
    assert not has_new_results(fresh, plan, END.date())  # the basis follows the new ids
    assert fresh.execute("PRAGMA foreign_key_check").fetchall() == []


def test_an_existing_profile_name_is_a_usage_error_and_as_renames(followed, tmp_path):
    db, _ = followed
    file = _write_export(db, NAME, tmp_path)
    clash = run("import", file)
    assert clash.exit_code == 2
    assert "already exists" in clash.output and "Traceback" not in clash.output
    renamed = run("import", file, "--as", "Copy of Zoe", "--json")
    assert renamed.exit_code == 0, renamed.output
    assert len(_tables(open_db(), "Copy of Zoe")["assessments"]) == len(
        _tables(open_db(), NAME)["assessments"]
    )


def _broken(payload: dict, case: str) -> dict:
    tables = payload["tables"]
    if case == "version":
        payload["schema_version"] = 99
    elif case == "unknown_table":
        tables["secret_table"] = [{"id": 1}]
    elif case == "unknown_column":
        tables["assessments"][0]["shell"] = "rm -rf /"
    elif case == "dangling_reference":
        tables["results"][0]["assessment_id"] = 999_999
    elif case == "nested_value":
        tables["metrics"][0]["value"] = {"not": "plain"}
    elif case == "bad_json_column":
        tables["assessments"][0]["outcome_json"] = "{not json"
    elif case == "check_violation":
        tables["results"][0]["score"] = 101
    elif case == "two_profiles":
        tables["profiles"].append(dict(tables["profiles"][0], id=77))
    elif case == "duplicate_id":
        tables["flags"].append(dict(tables["flags"][0]))
    elif case == "bad_name":
        tables["profiles"][0]["name"] = "../../etc"
    elif case == "rows_not_objects":
        tables["metrics"] = [1, 2, 3]
    return payload


CASES = [
    "version",
    "unknown_table",
    "unknown_column",
    "dangling_reference",
    "nested_value",
    "bad_json_column",
    "check_violation",
    "two_profiles",
    "duplicate_id",
    "rows_not_objects",
]


@pytest.mark.parametrize("case", CASES)
def test_a_broken_export_is_refused_whole_with_one_line(followed, tmp_path, case):
    db, _ = followed
    payload = json.loads(_write_export(db, NAME, tmp_path).read_text("utf-8"))
    run("delete", "--profile", NAME, "--yes")
    rows_before = db.execute("SELECT COUNT(*) FROM assessments").fetchone()[0]
    broken = tmp_path / "broken.json"
    broken.write_text(json.dumps(_broken(payload, case)), "utf-8")

    result = run("import", broken)

    assert result.exit_code == 5, (case, result.output)
    assert "Traceback" not in result.output
    assert len(result.output.strip().splitlines()) == 1, result.output
    assert profiles.find(open_db(), NAME, missing_ok=True) is None
    assert open_db().execute("SELECT COUNT(*) FROM assessments").fetchone()[0] == rows_before


def test_a_bad_profile_name_in_the_file_is_a_usage_error(followed, tmp_path):
    db, _ = followed
    payload = json.loads(_write_export(db, NAME, tmp_path).read_text("utf-8"))
    broken = tmp_path / "name.json"
    broken.write_text(json.dumps(_broken(payload, "bad_name")), "utf-8")
    result = run("import", broken)
    assert result.exit_code == 2 and "Invalid profile name" in result.output


@pytest.mark.parametrize(
    "content",
    [b"", b"\xff\xfe\x00garbage", b"[1, 2, 3]", b'{"tables": {}}', b"{" * 5000, b"null"],
    ids=["empty", "binary", "array", "no_profile", "deep", "null"],
)
def test_files_that_are_not_exports_are_refused(tmp_path, content):
    file = tmp_path / "input.json"
    file.write_bytes(content)
    result = run("import", file)
    assert result.exit_code == 5, result.output
    assert "Traceback" not in result.output


def test_a_missing_file_is_refused(tmp_path):
    result = run("import", tmp_path / "nope.json")
    assert result.exit_code == 5 and "does not exist" in result.output
