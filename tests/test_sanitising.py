"""Names that reach the file system are sanitised, and bad command-line arguments give one
line and exit code 2.

- Profile names (`profiles.validate_name`) and file-name parts (`outfiles.safe_name`):
  never a path separator, `..`, a control character or a hidden file; a property test
  over any text, and the obvious attacks by name.
- Reports, exports and share cards written for a profile whose stored name is hostile
  (a row written before names were checked) land inside the `--out` folder under safe
  names; an `--out` path with control characters is refused before anything is written;
  a `--out` folder that is a file is one clear line (exit 2), not an internal error.
- Every command given a bad --test, --view or --profile (with `../` or control
  characters), a negative --workers, an out-of-range --days or a missing path exits 2
  with one line on stderr and no traceback. (A missing *video* for `score` is input
  refused before analysis: exit 5, see tests/test_bad_media.py.)
"""

from __future__ import annotations

import json
import re
import unicodedata
from datetime import date
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from typer.testing import CliRunner

from flowlogic import profiles
from flowlogic.catalog import find_test, load_catalog
from flowlogic.cli.app import app
from flowlogic.errors import UsageError
from flowlogic.outfiles import MAX_NAME_CHARS, check_output_path, printable, safe_name
from flowlogic.store import open_db
from tests.conftest import SAMPLE

runner = CliRunner()
NAME_BUDGET = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
HOSTILE_NAMES = [
    "..",
    ".",
    "../evil",
    "../../etc/passwd",
    "a/b",
    "a\\b",
    "/abs",
    "a\x00b",
    "two\nlines",
    "tab\there",
    "bell\x07",
    "\x1b[31mred",
    "",
    "   ",
    "-rf",
    ".hidden",
    "x" * 65,
]


def has_control(text: str) -> bool:
    return any(unicodedata.category(char) == "Cc" for char in text)


@pytest.mark.parametrize("name", HOSTILE_NAMES)
def test_hostile_profile_names_are_refused(name):
    with pytest.raises(UsageError) as refused:
        profiles.validate_name(name)
    assert "\n" not in refused.value.message


@pytest.mark.parametrize("name", ["Ann", "Zoë", "Jean-Luc O'Neil", "client_7", "Dr. Who"])
def test_ordinary_profile_names_are_kept(name):
    assert profiles.validate_name(f"  {name} ") == name


@NAME_BUDGET
@given(text=st.text(max_size=80))
def test_an_accepted_profile_name_is_a_safe_file_name_part(text):
    try:
        name = profiles.validate_name(text)
    except UsageError:
        return
    assert name not in (".", "..") and not name.startswith((".", "-", " "))
    assert "/" not in name and "\\" not in name and not has_control(name)
    assert 1 <= len(name) <= 64


@NAME_BUDGET
@given(text=st.text(max_size=200), fallback=st.sampled_from(["unnamed", "profile-7"]))
def test_safe_name_stays_one_plain_part_inside_its_folder(text, fallback, tmp_path):
    part = safe_name(text, fallback=fallback)
    assert re.fullmatch(r"[a-z0-9][a-z0-9._-]*", part) or part == fallback
    assert len(part) <= MAX_NAME_CHARS and ".." not in part.split(".")
    assert (tmp_path / part).resolve().parent == tmp_path.resolve()


def test_test_slugs_are_already_safe_file_name_parts():
    for spec in load_catalog():
        assert safe_name(spec.slug) == spec.slug
    for attack in ("../4", "4/../../x", "over\nhead-squat", "\x1b[2J"):
        with pytest.raises(UsageError):
            find_test(attack)


@pytest.mark.parametrize("path", ["a\nb.png", "card\x1b[2J.png", "dir\x00/x.png", "\r.png"])
def test_output_paths_with_control_characters_are_refused(path):
    with pytest.raises(UsageError):
        check_output_path(Path(path))


# --- files written for a profile with a hostile stored name ----------------------------------

HOSTILE_STORED_NAME = "../../outside\x1b[2J\nname"


@pytest.fixture
def hostile_profile(accepted_db, monkeypatch):
    """A profile row whose name never went through validate_name (an old database), with
    one real scored attempt (the bundled sample), on Pro+ so every writer is unlocked."""
    from flowlogic.assess import score_video

    monkeypatch.setattr("flowlogic.licence_state.effective_tier_key", lambda db: "proplus")
    accepted_db.execute(
        "INSERT INTO profiles (name, created_at) VALUES (?, '2026-01-01T00:00:00+00:00')",
        [HOSTILE_STORED_NAME],
    )
    outcome = score_video(SAMPLE, 4, profile=HOSTILE_STORED_NAME, db=accepted_db)
    return outcome.assessment_id


def files_under(folder: Path) -> list[Path]:
    return sorted(p for p in folder.rglob("*") if p.is_file())


def assert_safe_files(folder: Path, files: list[Path]) -> None:
    assert files, "something was written"
    for path in files:
        assert path.resolve().is_relative_to(folder.resolve())
        assert not has_control(str(path.relative_to(folder)))


@pytest.mark.parametrize(
    "command",
    [
        ["report", "--out", "{out}"],
        ["report", "--full", "--out", "{out}"],
        ["export", "--out", "{out}"],
        ["share-card", "--with-name", "--out", "{out}/card.png"],
        ["chart", "streak", "--out", "{out}/streak.png"],
    ],
    ids=lambda command: command[0] + ("-full" if "--full" in command else ""),
)
def test_files_for_a_hostile_profile_name_stay_inside_the_out_folder(
    command, hostile_profile, tmp_path
):
    out = tmp_path / "out"
    args = [part.replace("{out}", str(out)) for part in command]
    result = runner.invoke(app, [*args, "--profile", HOSTILE_STORED_NAME])
    assert result.exit_code == 0, result.output
    assert_safe_files(out, files_under(out))
    assert not (tmp_path / "outside").exists() and not any(tmp_path.parent.glob("outside*"))


def test_an_out_path_with_control_characters_writes_nothing(hostile_profile, tmp_path):
    target = tmp_path / "card\n.png"
    result = runner.invoke(app, ["share-card", "--out", str(target), "--json"])
    assert result.exit_code == 2
    assert json.loads(result.stdout)["error"]["code"] == "USAGE"
    assert list(tmp_path.iterdir()) == [tmp_path / "home"]  # nothing written


@pytest.mark.parametrize(
    "command",
    [["export", "--out", "{file}/inside"], ["chart", "streak", "--out", "{file}/c.png"]],
    ids=["export", "chart"],
)
def test_an_out_folder_that_is_a_file_is_one_clear_line(command, hostile_profile, tmp_path):
    blocker = tmp_path / "a-file"
    blocker.write_text("already here")
    args = [part.replace("{file}", str(blocker)) for part in command]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "not a folder" in lines[0]
    assert blocker.read_text() == "already here"


# --- bad command-line arguments -------------------------------------------------------------

SCORE = ["score", str(SAMPLE), "--accept-disclaimer"]
BAD_ARGUMENTS = {
    "test-dotdot": [*SCORE, "--test", "../../etc/passwd"],
    "test-newline": [*SCORE, "--test", "over\nhead-squat"],
    "test-escape": [*SCORE, "--test", "\x1b[31m4"],
    "view-dotdot": [*SCORE, "--test", "4", "--view", "../front"],
    "view-newline": [*SCORE, "--test", "4", "--view", "side\nfront"],
    "view-wrong-for-test": [*SCORE, "--test", "4", "--view", "side\x07"],
    "profile-dotdot": [*SCORE, "--test", "4", "--profile", "../../x"],
    "profile-newline": [*SCORE, "--test", "4", "--profile", "a\nb"],
    "profile-add-dotdot": ["profile", "add", "../evil"],
    "profile-add-control": ["profile", "add", "bad\x07name"],
    "profile-use-escape": ["profile", "use", "\x1b[2J"],
    "tests-show-dotdot": ["tests", "show", "../4"],
    "history-test-nul": ["history", "--test", "\x00"],
    "workers-negative": ["batch", "{manifest}", "--workers", "-1"],
    "workers-zero": ["batch", "{manifest}", "--workers", "0"],
    "report-days-high": ["report", "--full", "--days", "1000"],
    "report-days-negative": ["report", "--full", "--days", "-3"],
    "chart-days-high": ["chart", "streak", "--days", "100000"],
    "chart-days-zero": ["chart", "streak", "--days", "0"],
    "batch-missing": ["batch", "{tmp}/no-such-manifest.csv"],
    "eval-missing": ["eval", "{tmp}/no-such-labels.csv"],
    "report-missing-assessment": ["report", "424242"],
    "record-dotdot-test": ["record", "../4", "--accept-disclaimer"],
    "record-dotdot-profile": ["record", "4", "--profile", "../x", "--accept-disclaimer"],
}


@pytest.mark.parametrize("name", list(BAD_ARGUMENTS))
def test_bad_arguments_exit_2_with_one_line(name, tmp_path, accepted_db, monkeypatch):
    monkeypatch.setattr("flowlogic.licence_state.effective_tier_key", lambda db: "proplus")
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(f"video,profile,test,view,date\n{SAMPLE},Ann,4,,{date.today()}\n")
    args = [
        part.replace("{manifest}", str(manifest)).replace("{tmp}", str(tmp_path))
        for part in BAD_ARGUMENTS[name]
    ]
    result = runner.invoke(app, args)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output and "Internal error" not in result.output
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and lines[0].startswith("Error:"), result.stderr
    assert open_db()["assessments"].count == 0


def test_printable_turns_control_characters_into_spaces():
    assert printable(HOSTILE_STORED_NAME) == "../../outside [2J name"
    assert printable("Zoë  Ruiz") == "Zoë Ruiz"


# matplotlib warns (UserWarning) when the font has no glyph for a character
@pytest.mark.filterwarnings("error::UserWarning")
def test_the_share_card_draws_a_hostile_name_without_control_characters(hostile_profile, tmp_path):
    result = runner.invoke(
        app,
        [
            "share-card",
            "--with-name",
            "--out",
            str(tmp_path / "card.png"),
            "--profile",
            HOSTILE_STORED_NAME,
        ],
    )
    assert result.exit_code == 0, result.output
    assert (tmp_path / "card.png").stat().st_size > 0
