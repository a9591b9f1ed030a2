"""`--log-json` (PRODUCT.md §10): JSON lines in FLOWLOGIC_HOME/logs/flowlogic.log with ids,
codes and counts only: no profile names, e-mails or paths."""

from __future__ import annotations

import hashlib
import json
import shutil

import pytest
from typer.testing import CliRunner

from flowlogic import logs
from flowlogic.cli.app import app
from tests.conftest import SAMPLE, TRACK_CACHE, load_track

runner = CliRunner()
NAME = "Hanna Sørensen"
EMAIL = "hanna.sorensen@example.com"


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture(autouse=True)
def logging_off_afterwards():
    yield
    logs.enable(False)


@pytest.fixture
def own_cache(tmp_path, monkeypatch):
    """The sample's cached tracks in a cache of this test's own: deleting the profile
    deletes its landmarks, and must not empty the cache the other tests share."""
    load_track(SAMPLE)
    sha = hashlib.sha256(SAMPLE.read_bytes()).hexdigest()
    folder = tmp_path / "cache" / sha[:2]
    folder.mkdir(parents=True)
    for entry in (TRACK_CACHE / sha[:2]).glob(f"{sha}-*.npz"):
        shutil.copy(entry, folder / entry.name)
    monkeypatch.setenv("FLOWLOGIC_CACHE_DIR", str(tmp_path / "cache"))


def lines(home) -> list[dict]:
    text = (home / "logs" / "flowlogic.log").read_text("utf-8")
    return [json.loads(line) for line in text.splitlines()]


def test_json_logs_record_commands_without_personal_data(flowlogic_home, tmp_path, own_cache):
    clip = tmp_path / "hanna-sorensen" / "Hanna Sørensen squat.mp4"
    clip.parent.mkdir()
    clip.write_bytes(SAMPLE.read_bytes())
    steps = [
        (0, ("--log-json", "consent", "--accept")),
        (0, ("--log-json", "profile", "add", NAME, "--email", EMAIL, "--use")),
        (0, ("--log-json", "score", clip, "--test", "4", "--json")),
        (0, ("--log-json", "export", "--out", tmp_path / "out")),
        (2, ("--log-json", "profile", "show", "Nobody Here")),
        (0, ("--log-json", "delete", "--profile", NAME, "--yes")),
    ]
    for code, step in steps:
        assert run(*step).exit_code == code, step

    records = lines(flowlogic_home)

    for record in records:
        assert {"ts", "level", "event", "pid"} <= set(record)
    ends = [(r["command"], r["exit_code"]) for r in records if r["event"] == "command.end"]
    assert ends == [
        ("consent", 0),
        ("profile", 0),
        ("score", 0),
        ("export", 0),
        ("profile", 2),
        ("delete", 0),
    ]
    deleted = [r for r in records if r["event"] == "profile.deleted"]
    assert deleted and isinstance(deleted[0]["profile_id"], int) and deleted[0]["rows"] > 0
    raw = (flowlogic_home / "logs" / "flowlogic.log").read_text("utf-8").casefold()
    for personal in (NAME, "Hanna", "Sørensen", EMAIL, str(tmp_path), "squat.mp4", "Nobody"):
        assert personal.casefold() not in raw, personal


def test_without_the_option_no_json_log_is_written(flowlogic_home):
    assert run("consent", "--accept").exit_code == 0
    assert not (flowlogic_home / "logs" / "flowlogic.log").exists()


@pytest.mark.parametrize(
    ("key", "value", "kept"),
    [
        ("profile_id", 7, True),
        ("exit_code", 4, True),
        ("test", "overhead-squat", True),
        ("code", "LOW_CONFIDENCE", True),
        ("test", "Hanna Sørensen", False),  # spaces and letters outside the code alphabet
        ("reason", "hanna@example.com", False),
        ("reason", "/home/hanna/videos/a.mp4", False),
        ("profile", "hanna", False),  # a key that names a person
        ("video_path", "a.mp4", False),
        ("detail", "sk_test_abcdef123456", False),  # looks like a Stripe key
        ("birth_year", 1990, False),
        ("details", {"profile_id": 3, "name": "x"}, {"profile_id": 3, "name": logs.REDACTED}),
    ],
)
def test_clean_value_lets_only_codes_ids_and_numbers_through(key, value, kept):
    cleaned = logs.clean_value(key, value)
    if isinstance(kept, dict):
        assert cleaned == kept
    elif kept:
        assert cleaned == value
    else:
        assert cleaned == logs.REDACTED


def test_the_log_rotates(flowlogic_home, monkeypatch):
    logs.enable()
    monkeypatch.setattr(logs, "MAX_BYTES", 200)
    for number in range(20):
        logs.log_event("tick", number=number)
    files = sorted(p.name for p in (flowlogic_home / "logs").iterdir())
    assert files[:2] == ["flowlogic.log", "flowlogic.log.1"]
    assert len(files) <= 1 + logs.KEEP_FILES
