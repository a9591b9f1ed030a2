"""Video retention (PRODUCT.md §3): recordings are deleted after the retention period
(default 90 days, `flowlogic settings retention DAYS`, 0 = never keep) at the start of
the next command or by `flowlogic cleanup`; landmarks, results and history stay."""

from __future__ import annotations

import json
import os
import shutil
import time
from datetime import timedelta
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowlogic import assess, clock, lifecycle, paths
from flowlogic.cli.app import app
from flowlogic.store import open_db
from flowlogic.store.assessments import history
from tests.conftest import SAMPLE

runner = CliRunner()


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


def recorded(db, home: Path, days_ago: int, label: str) -> tuple[int, Path]:
    """A recording under videos/ scored `days_ago` days ago (the bundled sample's frames)."""
    folder = home / "videos"
    folder.mkdir(parents=True, exist_ok=True)
    video = folder / f"2026-{label}-overhead-squat-p1.mp4"
    shutil.copy(SAMPLE, video)
    outcome = assess.score_video(video, 4, db=db, source="record")
    when = clock.iso(clock.now_utc() - timedelta(days=days_ago))
    db.execute("UPDATE assessments SET created_at = ? WHERE id = ?", [when, outcome.assessment_id])
    return outcome.assessment_id, video


@pytest.fixture
def recordings(accepted_db, flowlogic_home):
    old = recorded(accepted_db, flowlogic_home, 100, "old")
    recent = recorded(accepted_db, flowlogic_home, 10, "recent")
    return accepted_db, old, recent


def test_the_next_command_deletes_expired_recordings_and_keeps_results(recordings):
    db, (old_id, old_video), (_, recent_video) = recordings
    before = history(db, 1)
    cache_entries = sorted(paths.landmark_cache_dir().rglob("*.npz"))

    result = run("history", "--json")  # any command

    assert result.exit_code == 0, result.output
    assert not old_video.exists() and recent_video.exists()
    assert history(open_db(), 1) == before  # results and history kept
    assert any(row["id"] == old_id and row["score"] is not None for row in before)
    assert sorted(paths.landmark_cache_dir().rglob("*.npz")) == cache_entries


def test_settings_retention_shows_sets_and_applies_at_once(recordings):
    _, (_, old_video), (_, recent_video) = recordings
    shown = run("settings", "retention", "--json")
    assert json.loads(shown.stdout)["video_retention_days"] == 90

    shorter = run("settings", "retention", "5", "--json")

    assert shorter.exit_code == 0, shorter.output
    assert json.loads(shorter.stdout) == {
        "schema_version": 1,
        "video_retention_days": 5,
        "deleted": 1,  # the 10-day-old one; the start purge already took the 100-day-old
    }
    assert not old_video.exists() and not recent_video.exists()
    overview = json.loads(run("settings", "--json").stdout)
    assert overview["video_retention_days"] == 5


def test_zero_means_never_keep(recordings):
    _, _, (_, recent_video) = recordings
    assert run("settings", "retention", "0").exit_code == 0
    assert not recent_video.exists()
    assert "not kept" in run("settings").stdout


@pytest.mark.parametrize("days", ["-1", "100000", "ninety"])
def test_bad_retention_values_are_usage_errors(accepted_db, days):
    result = run("settings", "retention", days)
    assert result.exit_code == 2, result.output
    assert "Traceback" not in result.output


def test_only_files_flowlogic_recorded_are_ever_deleted(accepted_db, tmp_path):
    """A scored video of the user's own (outside videos/) is never touched, however old."""
    own = tmp_path / "my-squat.mp4"
    shutil.copy(SAMPLE, own)
    outcome = assess.score_video(own, 4, db=accepted_db, source="record")
    accepted_db.execute(
        "UPDATE assessments SET created_at = '2000-01-01T00:00:00+00:00' WHERE id = ?",
        [outcome.assessment_id],
    )
    assert run("cleanup").exit_code == 0
    assert own.exists()


def test_the_start_purge_is_a_folder_listing_when_nothing_is_recorded(flowlogic_home):
    assert lifecycle.purge_on_start() == 0
    assert not (flowlogic_home / "flowlogic.db").exists()  # the database was not even opened


def test_cleanup_removes_stale_temporary_files_only(accepted_db, flowlogic_home):
    videos = flowlogic_home / "videos"
    videos.mkdir(parents=True, exist_ok=True)
    stale = videos / ".20260101-090000-overhead-squat-p1.partial.mp4"
    fresh = videos / ".20260102-090000-overhead-squat-p1.partial.mp4"
    half_report = flowlogic_home / "out" / ".report.pdf.abc123.tmp"
    half_report.parent.mkdir()
    for path in (stale, fresh, half_report):
        path.write_bytes(b"partial")
    two_days_ago = time.time() - 2 * 86_400
    for path in (stale, half_report):
        os.utime(path, (two_days_ago, two_days_ago))

    result = run("cleanup", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["temp_files"] == 2
    assert not stale.exists() and not half_report.exists() and fresh.exists()


def test_cleanup_landmarks_keeps_what_history_uses(accepted_db, tmp_path, monkeypatch):
    cache = tmp_path / "cache"
    monkeypatch.setenv("FLOWLOGIC_CACHE_DIR", str(cache))
    used_sha = "a" * 64
    accepted_db.execute(
        "INSERT INTO profiles (name, created_at) VALUES ('P', '2026-01-01T00:00:00+00:00')"
    )
    accepted_db.execute(
        "INSERT INTO assessments (profile_id, test_id, test_slug, status, created_at, "
        "local_date, video_sha256) VALUES (1, 4, 'overhead-squat', 'invalid', "
        "'2026-01-01T00:00:00+00:00', '2026-01-01', ?)",
        [used_sha],
    )
    used = cache / "aa" / f"{used_sha}-0123456789abcdef.npz"
    unused = cache / "bb" / f"{'b' * 64}-0123456789abcdef.npz"
    for path in (used, unused):
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(b"npz")

    result = run("cleanup", "--landmarks", "--json")

    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["landmark_files"] == 1
    assert used.exists() and not unused.exists()
