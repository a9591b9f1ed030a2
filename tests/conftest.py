"""Shared fixtures.

- Every test gets its own empty FLOWLOGIC_HOME (database, logs) — nothing touches the
  user's real data folder.
- Pose tracks are cached in one folder shared by all tests and runs
  (FLOWLOGIC_CACHE_DIR, default `.pytest_cache/flowlogic-tracks`), so each real clip is
  analysed once per machine.
- `footage(relpath)` gives a path under ../shared/footage and skips the test, with the
  reason, when that folder is absent.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
FOOTAGE = Path(os.environ.get("FLOWLOGIC_FOOTAGE", ROOT.parent / "shared" / "footage"))
TRACK_CACHE = Path(
    os.environ.get("FLOWLOGIC_TEST_TRACK_CACHE", ROOT / ".pytest_cache" / "flowlogic-tracks")
)
SAMPLE = ROOT / "data" / "samples" / "pose_squats.mp4"
TEST_DATA = ROOT / "tests" / "data"


@pytest.fixture(autouse=True)
def flowlogic_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    home = tmp_path / "home"
    monkeypatch.setenv("FLOWLOGIC_HOME", str(home))
    monkeypatch.setenv("FLOWLOGIC_CACHE_DIR", str(TRACK_CACHE))
    monkeypatch.delenv("FLOWLOGIC_TZ", raising=False)
    return home


def footage_path(relpath: str) -> Path:
    path = FOOTAGE / relpath
    if not FOOTAGE.is_dir():
        pytest.skip(f"shared footage folder {FOOTAGE} is absent")
    if not path.exists():
        pytest.skip(f"footage file {relpath} is absent")
    return path


@pytest.fixture
def footage():
    return footage_path


_TRACKS: dict[tuple, object] = {}


def load_track(path: Path, **option_overrides):
    """The PoseTrack of a clip (cached on disk across runs, in memory within a run)."""
    from flowlogic.capture.probe import Limits, probe
    from flowlogic.pose.pipeline import AnalysisOptions, analyse

    key = (str(path), tuple(sorted(option_overrides.items())))
    if key not in _TRACKS:
        os.environ.setdefault("FLOWLOGIC_CACHE_DIR", str(TRACK_CACHE))
        info = probe(path, Limits(max_duration_s=600, max_size_mb=500))
        track, _ = analyse(info, options=AnalysisOptions(**option_overrides))
        _TRACKS[key] = track
    return _TRACKS[key]


@pytest.fixture
def real_track(footage):
    """`real_track("squat/yuyou_squat_side.mp4", mirror=True)` -> PoseTrack (skips
    without the footage)."""

    def get(relpath: str, **options):
        return load_track(footage(relpath), **options)

    return get


@pytest.fixture
def accepted_db():
    """An open database in the test's home with the disclaimer accepted."""
    from flowlogic import consent
    from flowlogic.store import open_db

    db = open_db()
    consent.accept(db)
    return db
