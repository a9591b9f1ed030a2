"""Live recording (flowlogic/recording.py): the file written atomically, cancel and a lost
camera leave nothing behind, the time limit, live guidance from the gates, video retention,
`flowlogic record`, and a replayed real clip scored like `flowlogic score` scores it."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest
from typer.testing import CliRunner

from flowlogic import profiles
from flowlogic.assess import prepare_attempt, score_video
from flowlogic.catalog import find_test
from flowlogic.cli.app import app
from flowlogic.errors import InputRefused, UsageError
from flowlogic.pose.backend import PoseEstimate
from flowlogic.pose.track import PoseTrack
from flowlogic.recording import (
    CameraChoice,
    Phase,
    Recorder,
    live_guidance,
    purge_expired_videos,
    record,
    retention_days,
    set_retention_days,
    settings,
    videos_dir,
    window_track,
)
from flowlogic.store import assessments
from tests.conftest import SAMPLE
from tests.fake_cameras import LostCamera

GUIDANCE = settings()["guidance"]


def write_clip(
    path: Path,
    frames: int = 30,
    fps: float = 30.0,
    grey: int = 120,
    size: tuple[int, int] = (160, 120),
) -> Path:
    """A plain grey clip: no person, steady light."""
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
    for index in range(frames):
        image = np.full((size[1], size[0], 3), grey, dtype=np.uint8)
        cv2.putText(image, str(index), (10, 60), cv2.FONT_HERSHEY_SIMPLEX, 1, (0, 0, 0), 2)
        writer.write(image)
    writer.release()
    return path


class NoPoseBackend:
    """Sees nobody, instantly (the mechanics tests need no pose model)."""

    model_id = "test-no-pose"

    def estimate(self, rgb: np.ndarray) -> PoseEstimate | None:
        return None

    def close(self) -> None:
        pass


def files_in_videos() -> list[str]:
    return sorted(p.name for p in videos_dir().iterdir())


def stored(db) -> list[dict]:
    return list(db.query("SELECT * FROM assessments"))


def test_time_limit_ends_the_recording_and_stores_the_attempt(accepted_db, tmp_path):
    clip = write_clip(tmp_path / "grey.mp4", frames=45)
    attempt = prepare_attempt(accepted_db, "overhead-squat")
    recorder = Recorder(
        attempt, CameraChoice.parse(clip), backend_factory=NoPoseBackend, countdown_s=0
    )
    recorder.limit_s = 0.5  # the test's own 45 s limit, shortened
    seen = []
    outcome = record(recorder, on_state=seen.append, poll_s=0.02)

    assert outcome.status == "invalid"  # nobody in the picture
    assert outcome.quality.failed_codes[0] == "INVALID_NO_PERSON"
    assert 0 < outcome.video.frames <= 16  # 0.5 s of a 30 fps clip, not its 1.5 s
    assert outcome.track.frames == outcome.video.frames  # every recorded frame analysed
    row = stored(accepted_db)[0]
    assert row["source"] == "record" and row["status"] == "invalid"
    assert Path(row["video_path"]).is_file()
    assert files_in_videos() == [Path(row["video_path"]).name]  # no partial file left
    recording = [s for s in seen if s.phase is Phase.RECORDING]
    assert recording and all(s.almost_up for s in recording)  # < 5 s left all along


def test_a_replayed_file_is_recorded_from_its_first_frame(accepted_db, tmp_path):
    clip = write_clip(tmp_path / "grey.mp4", frames=20)
    attempt = prepare_attempt(accepted_db, 4)
    recorder = Recorder(
        attempt, CameraChoice.parse(clip), backend_factory=NoPoseBackend, countdown_s=0.2
    )
    outcome = record(recorder, poll_s=0.02)
    assert outcome.video.frames == 20  # the end of the file ends the recording
    import cv2

    capture = cv2.VideoCapture(outcome.video.path)
    assert int(capture.get(cv2.CAP_PROP_FRAME_COUNT)) == 20
    capture.release()


def test_a_large_camera_picture_is_saved_at_the_analysis_size(accepted_db, tmp_path):
    clip = write_clip(tmp_path / "portrait.mp4", frames=6, size=(1080, 1920))
    attempt = prepare_attempt(accepted_db, 4)
    recorder = Recorder(
        attempt, CameraChoice.parse(clip), backend_factory=NoPoseBackend, countdown_s=0
    )
    outcome = record(recorder, poll_s=0.02)
    longest = int(settings()["record_max_side"]["value"])
    assert (outcome.video.width, outcome.video.height) == (round(1080 * longest / 1920), longest)
    assert (outcome.track.frame_width, outcome.track.frame_height) == (
        outcome.video.width,
        outcome.video.height,
    )
    import cv2

    capture = cv2.VideoCapture(outcome.video.path)
    assert int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)) == longest
    capture.release()


class CountingBackend(NoPoseBackend):
    """Sees nobody, and counts the frames each instance was given."""

    made: ClassVar[list[CountingBackend]] = []

    def __init__(self) -> None:
        self.calls = 0
        CountingBackend.made.append(self)

    def estimate(self, rgb: np.ndarray) -> PoseEstimate | None:
        self.calls += 1
        return None


def test_two_pose_lanes_take_turns_in_one_second_blocks(accepted_db, tmp_path, monkeypatch):
    monkeypatch.setattr("os.cpu_count", lambda: 2)
    CountingBackend.made = []
    clip = write_clip(tmp_path / "grey.mp4", frames=75)  # 2.5 s at 30 fps
    attempt = prepare_attempt(accepted_db, 4)
    recorder = Recorder(
        attempt, CameraChoice.parse(clip), backend_factory=CountingBackend, countdown_s=0
    )
    outcome = record(recorder, poll_s=0.02)

    assert float(settings()["live_pose_block_s"]["value"]) == 1.0
    _preview_and_lane_one, second = CountingBackend.made
    assert second.calls == 30  # the frames of 1.0-2.0 s, and only those
    assert outcome.track.frames == outcome.video.frames == 75  # none lost, none twice
    assert (np.diff(outcome.track.timestamps_s) > 0).all()  # merged back in time order


def test_interleaved_tracks_merge_in_time_order(real_track):
    track = real_track("reference/pose_squats.mp4")  # 65 frames at 5 fps
    starts = [0.0, 3.0, 6.0, 9.0, 12.0]
    blocks = [track.slice_time(start, start + 3.0) for start in starts]
    for block, start in zip(blocks, starts, strict=True):
        block.timestamps_s[:] += start  # slice_time counts from the slice's start
    lanes = [PoseTrack.interleaved(blocks[0::2]), PoseTrack.interleaved(blocks[1::2])]
    merged = PoseTrack.interleaved(lanes)
    assert merged.frames == track.frames
    assert np.array_equal(merged.timestamps_s, track.timestamps_s)
    assert np.array_equal(merged.image, track.image, equal_nan=True)
    assert np.array_equal(merged.faces, track.faces)


def test_cancel_during_recording_saves_nothing(accepted_db, tmp_path):
    clip = write_clip(tmp_path / "grey.mp4", frames=90)
    attempt = prepare_attempt(accepted_db, 4)
    recorder = Recorder(
        attempt, CameraChoice.parse(clip), backend_factory=NoPoseBackend, countdown_s=0
    )
    recorder.open()
    recorder.start()
    for _ in range(200):
        if recorder.state().frames_recorded >= 5:
            break
        recorder.wait(0.02)
    assert recorder.state().phase is Phase.RECORDING
    recorder.close()
    assert recorder.state().phase is Phase.CANCELLED
    assert recorder.outcome is None
    assert stored(accepted_db) == []
    assert files_in_videos() == []


def test_a_camera_lost_mid_recording_counts_nothing(accepted_db):
    attempt = prepare_attempt(accepted_db, 4)
    recorder = Recorder(attempt, LostCamera(good=60), backend_factory=NoPoseBackend, countdown_s=0)
    with pytest.raises(InputRefused) as refused:
        record(recorder, poll_s=0.02)
    assert recorder.state().frames_recorded > 0  # lost while recording, not before
    assert refused.value.code == "CAMERA_LOST"
    assert recorder.state().phase is Phase.FAILED
    assert recorder.state().message == settings()["messages"]["camera_lost"]
    assert stored(accepted_db) == []  # the attempt is not counted
    assert files_in_videos() == []


def test_a_camera_that_cannot_be_opened_is_refused(accepted_db):
    attempt = prepare_attempt(accepted_db, 4)
    recorder = Recorder(attempt, CameraChoice(index=97), backend_factory=NoPoseBackend)
    with pytest.raises(InputRefused) as refused:
        record(recorder, poll_s=0.02)
    assert refused.value.code == "CAMERA_UNAVAILABLE"
    assert "another index" in refused.value.message


def test_camera_choice_parses_numbers_and_files(tmp_path):
    assert CameraChoice.parse("1") == CameraChoice(index=1)
    assert CameraChoice.parse(None) == CameraChoice(index=0)
    clip = write_clip(tmp_path / "c.mp4", frames=2)
    assert CameraChoice.parse(str(clip)).video == clip
    with pytest.raises(InputRefused):
        CameraChoice.parse(str(tmp_path / "missing.mp4"))


# --- live guidance ------------------------------------------------------------------------


def one_second(track, start_s: float = 0.0):
    return track.slice_time(start_s, start_s + 1.0)


def test_guidance_is_ready_when_the_gates_would_pass(real_track):
    track = real_track("overhead_squat/ohsquat_IMG7027_front.mov")
    guidance = live_guidance(one_second(track), find_test(4), None)
    assert guidance.ready, guidance.text
    assert guidance.text == GUIDANCE["ready"]


def test_guidance_asks_to_turn_for_a_front_only_test_seen_side_on(real_track):
    track = real_track("overhead_squat/ohsquat_IMG7026_side.mov")
    guidance = live_guidance(one_second(track), find_test("single-leg-balance"), None)
    assert guidance.code == "WRONG_VIEW"
    assert guidance.text == GUIDANCE["WRONG_VIEW"].format(turn="to face the camera")


def test_guidance_asks_for_light_and_for_a_person(real_track):
    track = one_second(real_track("overhead_squat/ohsquat_IMG7027_front.mov"))
    dark = replace(track, brightness=np.full_like(track.brightness, 12.0))
    assert live_guidance(dark, find_test(4), None).code == "BAD_LIGHTING"
    empty = np.full_like(track.image, np.nan)
    empty[..., 3] = 0.0
    nobody = replace(track, image=empty)
    assert live_guidance(nobody, find_test(4), None).text == GUIDANCE["INVALID_NO_PERSON"]


def test_guidance_asks_to_step_back_when_the_feet_are_cut_off(real_track):
    track = one_second(real_track("overhead_squat/ohsquat_IMG7027_front.mov"))
    image = track.image.copy()
    image[:, :, 1] = image[:, :, 1] * 1.6  # the lower body now falls below the picture
    guidance = live_guidance(replace(track, image=image), find_test(4), "front")
    assert guidance.code == "OUT_OF_FRAME"
    assert guidance.text.startswith("Step back")


def test_window_track_matches_the_samples():
    samples = [(10.0 + i / 10, np.full((33, 4), 0.5, np.float32), 100.0) for i in range(11)]
    track = window_track(samples, (640, 480))
    assert track.frames == 11
    assert track.timestamps_s[0] == 0.0 and track.timestamps_s[-1] == pytest.approx(1.0)
    assert track.fps == pytest.approx(10.0)


# --- retention ----------------------------------------------------------------------------


def test_retention_setting_bounds(accepted_db):
    assert retention_days(accepted_db) == 90
    assert set_retention_days(accepted_db, 0) == 0
    assert retention_days(accepted_db) == 0
    with pytest.raises(UsageError):
        set_retention_days(accepted_db, -1)


def test_purge_deletes_only_old_recordings_of_our_own(accepted_db, tmp_path):
    who = profiles.active(accepted_db)
    old = videos_dir() / "old.mp4"
    new = videos_dir() / "new.mp4"
    elsewhere = tmp_path / "users-own.mp4"
    for path in (old, new, elsewhere):
        path.write_bytes(b"video")
    now = datetime(2025, 6, 1, tzinfo=UTC)
    rows = [(old, now - timedelta(days=91), "record"), (new, now - timedelta(days=10), "record")]
    rows.append((elsewhere, now - timedelta(days=400), "score"))
    for path, when, source in rows:
        accepted_db["assessments"].insert(
            {
                "profile_id": who.id,
                "test_id": 4,
                "test_slug": "overhead-squat",
                "status": "invalid",
                "created_at": when.isoformat(timespec="seconds"),
                "local_date": when.date().isoformat(),
                "source": source,
                "video_path": str(path),
                "video_sha256": "x",
                "quality_json": "{}",
                "reasons_json": "[]",
                "outcome_json": "{}",
            }
        )
    assert purge_expired_videos(accepted_db, now) == 1
    assert not old.exists() and new.exists() and elsewhere.exists()


def test_retention_zero_keeps_no_video(accepted_db, tmp_path):
    set_retention_days(accepted_db, 0)
    clip = write_clip(tmp_path / "grey.mp4", frames=10)
    attempt = prepare_attempt(accepted_db, 4)
    recorder = Recorder(
        attempt, CameraChoice.parse(clip), backend_factory=NoPoseBackend, countdown_s=0
    )
    outcome = record(recorder, poll_s=0.02)
    assert outcome.assessment_id is not None
    assert files_in_videos() == []


# --- the CLI ----------------------------------------------------------------------------


def test_record_command_json(tmp_path):
    clip = write_clip(tmp_path / "grey.mp4", frames=15)
    runner = CliRunner()
    result = runner.invoke(
        app,
        ["record", "overhead-squat", "--camera", str(clip), "--json", "--accept-disclaimer"],
    )
    assert result.exit_code == 3, result.output  # nobody in the picture: gate failed
    payload = json.loads(result.stdout)
    assert payload["status"] == "invalid"
    assert payload["video"]["frames"] == 15
    assert payload["assessment_id"] == 1


def test_record_command_refuses_without_consent_and_for_locked_tests(tmp_path):
    clip = write_clip(tmp_path / "grey.mp4", frames=5)
    runner = CliRunner()
    refused = runner.invoke(app, ["record", "4", "--camera", str(clip), "--json"])
    assert refused.exit_code == 4
    locked = runner.invoke(
        app, ["record", "plank-endurance", "--camera", str(clip), "--accept-disclaimer"]
    )
    assert locked.exit_code == 4


# --- a real clip, replayed as a camera ------------------------------------------------


@pytest.mark.footage
def test_replayed_real_clip_is_scored_like_the_file(accepted_db, footage):
    clip = footage("overhead_squat/ohsquat_IMG7027_front.mov")
    attempt = prepare_attempt(accepted_db, 4)
    recorder = Recorder(attempt, CameraChoice.parse(clip), countdown_s=0.5)
    live = record(recorder, poll_s=0.05)
    offline = score_video(clip, 4, db=accepted_db, save=False)

    assert live.status == offline.status == "valid"
    assert live.view == offline.view == "front"
    assert live.result.bucket == offline.result.bucket
    assert sorted(f.code for f in live.result.flags) == sorted(f.code for f in offline.result.flags)
    assert abs(live.result.score - offline.result.score) <= 6  # at most one mild flag apart
    assert live.track.frames == offline.track.frames  # no frame dropped for analysis
    saved = assessments.get(accepted_db, live.assessment_id)
    assert saved["status"] == "valid" and saved["result"]["score"] == live.result.score
    assert Path(saved["video"]["path"]).parent == videos_dir()


def test_replayed_bundled_sample_gives_a_valid_result(accepted_db):
    attempt = prepare_attempt(accepted_db, 4)
    recorder = Recorder(attempt, CameraChoice.parse(SAMPLE), countdown_s=0)
    outcome = record(recorder, poll_s=0.05)
    assert outcome.status == "valid"
    assert outcome.track.frames == 65  # every frame of the 5 fps clip analysed
    assert recorder.stop_to_result_s is not None
