"""The CLI as a script and a person use it (Typer's CliRunner, a fresh FLOWLOGIC_HOME)."""

from __future__ import annotations

import json

from typer.testing import CliRunner

from flowlogic.cli.app import app
from tests.conftest import SAMPLE

runner = CliRunner()


def run(*args):
    return runner.invoke(app, [str(a) for a in args])


def test_help_lists_commands_and_exit_codes():
    result = run("--help")
    assert result.exit_code == 0
    for word in ("score", "history", "consent", "profile", "tests", "Exit codes"):
        assert word in result.stdout


def test_score_refused_without_consent_non_interactive():
    result = run("score", SAMPLE, "--test", "4", "--json")
    assert result.exit_code == 4
    assert json.loads(result.stdout)["error"]["code"] == "CONSENT_REQUIRED"
    assert "flowlogic consent --accept" in result.stderr


def test_score_sample_json_shape_and_history():
    assert run("consent", "--accept").exit_code == 0
    result = run("score", SAMPLE, "--test", "overhead-squat", "--view", "front", "--json")
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert out["schema_version"] == 1 and out["status"] == "valid"
    assert out["test"] == {"id": 4, "slug": "overhead-squat", "name": "Overhead Squat"}
    assert set(out["video"]) >= {"path", "sha256", "fps", "frames", "duration_s", "width", "height"}
    assert set(out["quality"]) >= {"passed", "score", "checks", "feedback"}
    assert all(set(c) >= {"code", "passed", "value", "threshold"} for c in out["quality"]["checks"])
    result_part = out["result"]
    assert set(result_part) >= {
        "bucket",
        "normalized",
        "score",
        "confidence",
        "side",
        "reps",
        "metrics",
        "flags",
    }
    for metric in result_part["metrics"].values():
        assert set(metric) == {"value", "unit", "side", "estimated"}
    assert isinstance(out["assessment_id"], int)

    history = json.loads(run("history", "--json").stdout)
    assert [a["id"] for a in history["assessments"]] == [out["assessment_id"]]
    shown = json.loads(run("show", out["assessment_id"], "--json").stdout)
    assert shown["result"] == out["result"]


def test_no_save_stores_nothing():
    run("consent", "--accept")
    result = run("score", SAMPLE, "--test", "4", "--no-save", "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout)["assessment_id"] is None
    assert json.loads(run("history", "--json").stdout)["assessments"] == []


def test_human_output_has_bucket_score_and_next_step():
    run("consent", "--accept")
    result = run("score", SAMPLE, "--test", "4")
    assert result.exit_code == 0
    assert "/ 100" in result.stdout and "Next" in result.stdout


def test_usage_errors_exit_2():
    run("consent", "--accept")
    assert run("score", SAMPLE, "--test", "no-such-test").exit_code == 2
    assert run("score", SAMPLE, "--test", "7", "--view", "side").exit_code == 2
    assert run("score", SAMPLE).exit_code == 2  # --test missing
    assert run("show", "999").exit_code == 2


def test_locked_test_refused_with_unlocking_tier():
    run("consent", "--accept")
    result = run("score", SAMPLE, "--test", "plank-endurance", "--json")
    assert result.exit_code == 4
    error = json.loads(result.stdout)["error"]
    assert error["code"] == "LOCKED_BY_TIER" and "Pro" in error["message"]


def test_tests_lists_all_fifteen_with_tier_state():
    out = json.loads(run("tests", "--json").stdout)
    assert [t["id"] for t in out["tests"]] == list(range(1, 16))
    unlocked = {t["id"] for t in out["tests"] if t["unlocked"]}
    assert unlocked == {3, 4, 7}
    shown = run("tests", "show", "overhead-squat")
    assert shown.exit_code == 0 and "What to do" in shown.stdout


def test_profiles_commands():
    added = run("profile", "add", "Coach Client", "--birth-year", "1985")
    assert added.exit_code == 0
    assert "flowlogic profile use 'Coach Client'" in " ".join(added.stdout.split())
    assert run("profile", "use", "Coach Client").exit_code == 0
    listed = json.loads(run("profile", "list", "--json").stdout)
    assert [p["name"] for p in listed if p["active"]] == ["Coach Client"]
    assert run("profile", "add", "../../evil").exit_code == 2
