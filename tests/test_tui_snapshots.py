"""Snapshots of every screen of the terminal app, driven by key presses on fixture data.

The clock is frozen and the time zone is UTC so dates on screen are stable; histories are
constructed outcomes (tests/history.py) stored through the real store; the recording
screen is fed by a scripted recorder showing a real photo with its MediaPipe reference
landmarks, so the picture does not depend on timing. Update the baselines with
`pytest tests/test_tui_snapshots.py --snapshot-update` and look at the SVGs.
"""

from __future__ import annotations

import json
from datetime import UTC, date, datetime

import numpy as np
import pytest

from flowlogic import consent, profiles
from flowlogic.recording import Guidance, LiveState, Phase
from flowlogic.store import open_db
from flowlogic.tui.app import build_app
from flowlogic.tui.screens.recording import RecordingScreen
from tests.conftest import TEST_DATA
from tests.history import outcome, store

TODAY = date(2025, 3, 12)
SIZE = (110, 36)


@pytest.fixture(autouse=True)
def frozen(monkeypatch, time_machine):
    monkeypatch.setenv("FLOWLOGIC_TZ", "UTC")
    monkeypatch.delenv("NO_COLOR", raising=False)
    time_machine.move_to(datetime(2025, 3, 12, 10, 0, tzinfo=UTC), tick=False)


def set_tier(monkeypatch, key: str) -> None:
    monkeypatch.setattr("flowlogic.licence_state.effective_tier_key", lambda db: key)


@pytest.fixture
def alex():
    """A person who has taken a few tests: the overhead squat twice (knees move inward the
    first time), the Y-balance once, a single-leg balance that could not be scored."""
    db = open_db()
    consent.accept(db)
    person = profiles.add(db, "Alex", birth_year=1990)
    profiles.add(db, "Sam Client")
    profiles.use(db, "Alex")
    store(
        db,
        person.id,
        date(2025, 2, 20),
        outcome(4, score=72, bucket="compensation", flags=[("knee_valgus", "left", "moderate")]),
    )
    store(db, person.id, date(2025, 2, 27), outcome("y-balance", score=81, bucket="symmetric"))
    store(
        db,
        person.id,
        date(2025, 3, 5),
        outcome(4, score=84, bucket="compensation", flags=[("knee_valgus", "left", "mild")]),
    )
    store(db, person.id, date(2025, 3, 11), outcome("single-leg-balance", score=None))
    return db


def app(**kwargs):
    return build_app(**kwargs)


# --- first run ----------------------------------------------------------------------------


def test_first_run_disclaimer(snap_compare):
    assert snap_compare(app(), terminal_size=SIZE)


def test_first_run_profile(snap_compare):
    assert snap_compare(app(), press=["a", *"Jo"], terminal_size=SIZE)


# --- sections -----------------------------------------------------------------------------


def test_dashboard_free(snap_compare, alex):
    assert snap_compare(app(), terminal_size=SIZE)


def test_dashboard_basic(snap_compare, alex, monkeypatch):
    set_tier(monkeypatch, "basic")
    assert snap_compare(app(), terminal_size=SIZE)


def test_tests_list(snap_compare, alex):
    assert snap_compare(app(), press=["t"], terminal_size=SIZE)


def test_test_detail(snap_compare, alex):
    assert snap_compare(app(), press=["t", "enter"], terminal_size=SIZE)


def test_history_with_trend(snap_compare, alex, monkeypatch):
    set_tier(monkeypatch, "basic")
    assert snap_compare(app(), press=["h"], terminal_size=SIZE)


def test_result_valid_from_history(snap_compare, alex):
    # newest first: the invalid single-leg balance, then the y-balance, then the squat
    assert snap_compare(app(), press=["h", "down", "enter"], terminal_size=SIZE)


def test_result_invalid_from_history(snap_compare, alex):
    assert snap_compare(app(), press=["h", "enter"], terminal_size=SIZE)


def test_plan_locked_on_free(snap_compare, alex):
    assert snap_compare(app(), press=["p"], terminal_size=SIZE)


def test_plan_and_today_basic(snap_compare, alex, monkeypatch):
    set_tier(monkeypatch, "basic")
    assert snap_compare(app(), press=["p", "space"], terminal_size=SIZE)


def test_settings(snap_compare, alex):
    assert snap_compare(app(), press=["s"], terminal_size=SIZE)


def test_profiles(snap_compare, alex):
    assert snap_compare(app(), press=["o"], terminal_size=SIZE)


def test_help(snap_compare, alex):
    assert snap_compare(app(), press=["t", "question_mark"], terminal_size=SIZE)


def test_tiny_terminal_asks_for_a_larger_window(snap_compare, alex):
    assert snap_compare(app(), terminal_size=(50, 14))


def test_no_color(snap_compare, alex, monkeypatch):
    monkeypatch.setenv("NO_COLOR", "1")
    assert snap_compare(app(), press=["t"], terminal_size=SIZE)


# --- recording, from a scripted recorder --------------------------------------------------


def reference_photo() -> tuple[np.ndarray, np.ndarray]:
    """tests/data/pose.jpg and its MediaPipe reference landmarks as (33, 4) normalised."""
    import cv2

    image = cv2.imread(str(TEST_DATA / "pose.jpg"))
    expected = json.loads((TEST_DATA / "pose_jpg_expected.json").read_text())
    height, width = image.shape[:2]
    points = np.asarray(expected["landmarks_px"], dtype=np.float32)
    landmarks = np.ones((33, 4), dtype=np.float32)
    landmarks[:, 0] = points[:, 0] / width
    landmarks[:, 1] = points[:, 1] / height
    return image, landmarks


class ScriptedRecorder:
    """Stands in for `Recorder`: always in one state, showing the reference photo."""

    state_to_show: LiveState

    def __init__(self, attempt, camera, **kwargs) -> None:
        self.attempt = attempt
        self.outcome = None

    def open(self) -> None:
        pass

    def state(self) -> LiveState:
        return self.state_to_show

    @property
    def phase(self) -> Phase:
        return self.state_to_show.phase

    def start(self) -> None:
        pass

    def stop(self) -> None:
        pass

    def close(self) -> None:
        pass


def scripted(monkeypatch, **changes) -> None:
    image, landmarks = reference_photo()
    state = LiveState(
        phase=Phase.PREVIEW,
        frame=image,
        frame_seq=1,
        landmarks=landmarks,
        guidance=Guidance("Turn sideways", False, "WRONG_VIEW"),
        countdown_left_s=None,
        elapsed_s=0.0,
        remaining_s=45.0,
        almost_up=False,
        frames_recorded=0,
        frames_analysed=0,
        message=None,
    )
    for key, value in changes.items():
        state = state.__class__(**{**state.__dict__, key: value})
    ScriptedRecorder.state_to_show = state
    monkeypatch.setattr(RecordingScreen, "recorder_factory", ScriptedRecorder)


def test_recording_preview_with_guidance(snap_compare, alex, monkeypatch):
    scripted(monkeypatch)
    assert snap_compare(app(), press=["t", "enter", "enter", "_"], terminal_size=SIZE)


def test_recording_time_almost_up(snap_compare, alex, monkeypatch):
    scripted(
        monkeypatch,
        phase=Phase.RECORDING,
        elapsed_s=41.2,
        remaining_s=3.8,
        almost_up=True,
        frames_recorded=1236,
        frames_analysed=1230,
    )
    assert snap_compare(app(), press=["t", "enter", "enter", "_"], terminal_size=SIZE)


def test_recording_camera_lost(snap_compare, alex, monkeypatch):
    from flowlogic.recording import settings

    scripted(
        monkeypatch,
        phase=Phase.FAILED,
        frame=None,
        landmarks=None,
        message=settings()["messages"]["camera_lost"],
    )
    assert snap_compare(app(), press=["t", "enter", "enter", "_"], terminal_size=SIZE)
