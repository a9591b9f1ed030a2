"""`flowlogic delete --profile X`: every row, cached landmark file, recording, report and
export of that profile is gone (checked by searching the whole data folder and the
landmark cache, names and bytes), and nothing of anyone else is touched."""

from __future__ import annotations

import hashlib
import json
import shutil
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowlogic import assess, backup, consent, profiles
from flowlogic.cli import commands_data
from flowlogic.cli.app import app
from flowlogic.store import assessments, open_db
from flowlogic.store.assessments import history
from tests.conftest import SAMPLE, TRACK_CACHE, load_track

runner = CliRunner()
NAME = "Zelda Quint"
EMAIL = "zelda.quint@example.com"


def run(*args: object, **kwargs):
    return runner.invoke(app, [str(a) for a in args], **kwargs)


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


@pytest.fixture
def cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A landmark cache of this test's own (deleting must never touch the shared one),
    holding the bundled sample's cached tracks."""
    load_track(SAMPLE)  # make sure the shared cache has the sample
    folder = tmp_path / "cache"
    sample_sha = sha256(SAMPLE)
    (folder / sample_sha[:2]).mkdir(parents=True)
    for entry in (TRACK_CACHE / sample_sha[:2]).glob(f"{sample_sha}-*.npz"):
        shutil.copy(entry, folder / sample_sha[:2] / entry.name)
    monkeypatch.setenv("FLOWLOGIC_CACHE_DIR", str(folder))
    return folder


def variant(tmp_path: Path, cache: Path, label: str) -> Path:
    """The sample with a few bytes appended: another video (another content hash) that
    scores the same; its cached tracks are copies of the sample's."""
    path = tmp_path / f"clip-{label}.mp4"
    path.write_bytes(SAMPLE.read_bytes() + f"variant-{label}".encode())
    sha, sample_sha = sha256(path), sha256(SAMPLE)
    (cache / sha[:2]).mkdir(parents=True, exist_ok=True)
    for entry in (cache / sample_sha[:2]).glob(f"{sample_sha}-*.npz"):
        shutil.copy(entry, cache / sha[:2] / entry.name.replace(sample_sha, sha))
    return path


@pytest.fixture
def two_people(tmp_path, cache_dir, flowlogic_home):
    """Zelda: a video of her own, the bundled sample (also scored by Bystander), a
    recording under videos/, reports and an export (with videos) under the data folder,
    a log line, a kept backup and a user's backup in the data folder; Bystander: the
    sample, a report and an export."""
    db = open_db()
    consent.accept(db)
    zelda = profiles.add(db, NAME, email=EMAIL, birth_year=1990)
    profiles.add(db, "Bystander")
    profiles.use(db, NAME)
    own = variant(tmp_path, cache_dir, "zelda")
    assess.score_video(own, 4, profile=NAME, db=db)
    assess.score_video(SAMPLE, 4, profile=NAME, db=db)
    assess.score_video(SAMPLE, 4, profile="Bystander", db=db)
    recorded_source = variant(tmp_path, cache_dir, "recorded")
    videos = flowlogic_home / "videos"
    videos.mkdir(parents=True, exist_ok=True)
    recording = videos / f"20260101-090000-overhead-squat-p{zelda.id}.mp4"
    shutil.copy(recorded_source, recording)
    assess.score_video(recording, 4, profile=NAME, db=db, source="record")

    home = flowlogic_home
    for who, folder in ((NAME, "reports/zelda"), ("Bystander", "reports/bystander")):
        for args in (("report", "-p", who), ("export", "-p", who, "--videos")):
            result = run(*args, "--out", home / folder)
            assert result.exit_code == 0, result.output
    (home / "logs").mkdir(exist_ok=True)
    (home / "logs" / "errors.log").write_text(
        f"ValueError: something about {NAME}\nunrelated line\n", "utf-8"
    )
    backup.backup(backup.backups_dir() / "flowlogic-before-restore-20260101-000000.db")
    backup.backup(home / "my-own-backup.db")  # a backup the user wrote into the data folder
    return {
        "db": db,
        "zelda": zelda,
        "own_sha": sha256(own),
        "recorded_sha": sha256(recording),
        "sample_sha": sha256(SAMPLE),
        "recording": recording,
    }


def _everything(*roots: Path) -> list[Path]:
    return [p for root in roots for p in sorted(root.rglob("*"))]


def _mentions(path: Path, needles: list[str]) -> list[str]:
    found = [n for n in needles if n.casefold() in path.name.casefold()]
    if path.is_file():
        data = path.read_bytes().lower()
        found += [n for n in needles if n.lower().encode() in data]
    return found


def test_delete_leaves_no_trace_of_the_profile_and_keeps_the_others(
    two_people, flowlogic_home, cache_dir
):
    home = flowlogic_home
    db = two_people["db"]
    bystander = profiles.find(db, "Bystander")
    bystander_history = history(db, bystander.id)
    zelda_id = two_people["zelda"].id
    needles = [NAME, EMAIL, two_people["own_sha"], two_people["recorded_sha"]]
    assert any(_mentions(p, needles) for p in _everything(home, cache_dir)), "setup"

    result = run("delete", "--profile", NAME, "--yes", "--json")

    assert result.exit_code == 0, result.output
    report = json.loads(result.stdout)
    assert report["rows"]["assessments"] == 3 and report["rows"]["profiles"] == 1
    assert report["videos"] == 1 and report["backups_scrubbed"] == 2
    per_video = len(list((cache_dir / two_people["sample_sha"][:2]).glob("*.npz")))
    assert per_video >= 1
    assert report["landmark_files"] == 2 * per_video  # her own clip and her recording
    assert report["landmark_files_kept"] == per_video  # the sample: Bystander scored it too
    assert report["log_lines"] == 1
    leftovers = {str(p): _mentions(p, needles) for p in _everything(home, cache_dir)}
    assert {p: found for p, found in leftovers.items() if found} == {}

    db = open_db()
    assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert db.execute("PRAGMA foreign_key_check").fetchall() == []
    assert profiles.find(db, NAME, missing_ok=True) is None
    for table in ("assessments", "audit_events", "plans", "calendar_tasks", "badges"):
        rows = db.execute(f"SELECT COUNT(*) FROM {table} WHERE profile_id = ?", [zelda_id])
        assert rows.fetchone()[0] == 0, table
    assert history(db, bystander.id) == bystander_history
    assert profiles.active(db).name == "default"  # Zelda was active: the setting went too
    kept = sorted(p.relative_to(home).as_posix() for p in (home / "reports").rglob("*.*"))
    assert kept and all(p.startswith("reports/bystander/") for p in kept)
    assert any(p.endswith(".pdf") for p in kept) and any(p.endswith(".json") for p in kept)
    sample = two_people["sample_sha"]
    assert list((cache_dir / sample[:2]).glob(f"{sample}-*.npz"))
    assert (home / "logs" / "errors.log").read_text("utf-8") == "unrelated line\n"
    for copy in (next(backup.backups_dir().glob("*.db")), home / "my-own-backup.db"):
        with backup._connect(copy, read_only=True) as kept_copy:
            names = [r[0] for r in kept_copy.execute("SELECT name FROM profiles ORDER BY name")]
        assert names == ["Bystander"]


def test_a_profile_that_only_shares_videos_keeps_the_cached_landmarks(
    tmp_path, cache_dir, accepted_db
):
    profiles.add(accepted_db, "Twin A")
    profiles.add(accepted_db, "Twin B")
    for who in ("Twin A", "Twin B"):
        assess.score_video(SAMPLE, 4, profile=who, db=accepted_db)
    sample = sha256(SAMPLE)
    before = sorted((cache_dir / sample[:2]).glob("*.npz"))

    result = run("delete", "--profile", "Twin A", "--yes")

    assert result.exit_code == 0, result.output
    assert sorted((cache_dir / sample[:2]).glob("*.npz")) == before
    twin_b = profiles.find(open_db(), "Twin B")
    assert len(assessments.history(open_db(), twin_b.id)) == 1


def test_without_a_terminal_delete_needs_yes(accepted_db):
    profiles.add(accepted_db, "Keep Me")
    result = run("delete", "--profile", "Keep Me")
    assert result.exit_code == 2
    assert "--yes" in result.output and "Traceback" not in result.output
    assert profiles.find(open_db(), "Keep Me", missing_ok=True) is not None


@pytest.mark.parametrize(("answer", "deleted"), [("n\n", False), ("y\n", True)])
def test_at_a_terminal_delete_asks_first(accepted_db, monkeypatch, answer, deleted):
    profiles.add(accepted_db, "Ask Me")
    monkeypatch.setattr(commands_data, "_interactive", lambda: True)
    result = run("delete", "--profile", "Ask Me", input=answer)
    assert result.exit_code == 0, result.output
    assert "cannot be undone" in result.output
    assert (profiles.find(open_db(), "Ask Me", missing_ok=True) is None) is deleted


def test_deleting_an_unknown_profile_is_a_usage_error(accepted_db):
    result = run("delete", "--profile", "Nobody", "--yes")
    assert result.exit_code == 2 and "No profile named" in result.output


def test_profiles_with_the_same_file_name_part_keep_each_others_files(
    tmp_path, cache_dir, accepted_db, flowlogic_home
):
    """ "Zoë" and "Zoe" both write flowlogic-zoe-DATE.*: names cannot tell them apart, so
    only the content decides."""
    for who in ("Zoë", "Zoe"):
        profiles.add(accepted_db, who)
        assess.score_video(SAMPLE, 4, profile=who, db=accepted_db)
        assert run("export", "-p", who, "--out", flowlogic_home / who, "-f", "json").exit_code == 0
        assert run("report", "-p", who, "--out", flowlogic_home / who).exit_code == 0

    assert run("delete", "--profile", "Zoë", "--yes").exit_code == 0

    assert not (flowlogic_home / "Zoë").exists()
    left = sorted(p.suffix for p in (flowlogic_home / "Zoe").iterdir())
    assert left == [".html", ".json", ".pdf"]
