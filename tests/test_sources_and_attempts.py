"""Frame sources beyond mp4 (mkv, webm, an image folder, a camera that is not there) and
what a failed attempt leaves behind (stored, audited, the third-failure copy)."""

from __future__ import annotations

import json

import numpy as np
import pytest
from typer.testing import CliRunner

from flowlogic.audit import events
from flowlogic.capture.probe import probe
from flowlogic.capture.sources import CameraSource, ReplayCameraSource, VideoFileSource
from flowlogic.cli.app import app
from flowlogic.errors import InputRefused
from flowlogic.pose.pipeline import analyse
from tests.conftest import SAMPLE
from tests.media import ffmpeg

runner = CliRunner()


@pytest.mark.parametrize(
    ("suffix", "codec"), [(".mkv", "libx264"), (".webm", "libvpx-vp9"), (".avi", "mjpeg")]
)
def test_other_containers_give_the_same_landmarks(tmp_path, suffix, codec):
    target = tmp_path / f"sample{suffix}"
    ffmpeg("-i", str(SAMPLE), "-c:v", codec, "-q:v", "2", "-b:v", "2M", str(target))
    reference, _ = analyse(probe(SAMPLE))
    track, _ = analyse(probe(target))
    assert track.frames == reference.frames == 65
    assert np.nanmax(np.abs(track.xy - reference.xy)) < 28  # MediaPipe's own tolerance


def test_image_folder_is_a_video(tmp_path):
    import cv2

    folder = tmp_path / "frames"
    folder.mkdir()
    for index, frame in enumerate(VideoFileSource(SAMPLE)):
        cv2.imwrite(str(folder / f"{index:04d}.png"), frame.image)
    info = probe(folder, images_fps=5.0)
    assert info.kind == "images" and info.frames == 65 and info.duration_s == 13.0
    track, _ = analyse(info)
    reference, _ = analyse(probe(SAMPLE))
    assert np.nanmax(np.abs(track.xy - reference.xy)) < 28


def test_missing_camera_is_a_clear_refusal():
    with pytest.raises(InputRefused) as refused:
        CameraSource(97)
    assert refused.value.code == "CAMERA_UNAVAILABLE"
    assert "another index" in refused.value.message


def test_replayed_file_arrives_at_its_own_frame_rate():
    import time

    source = ReplayCameraSource(SAMPLE)  # 5 fps
    started = time.monotonic()
    frames = [f for _, f in zip(range(6), source, strict=False)]
    elapsed = time.monotonic() - started
    assert len(frames) == 6
    assert elapsed >= 5 / 5.0 - 0.05  # six frames at 5 fps span one second


def test_failed_attempts_are_stored_audited_and_the_third_says_skip(tmp_path, footage):
    dark = footage("squat/barbell_back_squat_front_gym.mp4")
    runner.invoke(app, ["consent", "--accept"])
    outputs = []
    for _ in range(3):
        result = runner.invoke(app, ["score", str(dark), "--test", "4", "--json"])
        assert result.exit_code == 3
        outputs.append(json.loads(result.stdout))
    assert [o["status"] for o in outputs] == ["invalid"] * 3
    assert [o["attempts_left_today"] for o in outputs] == [2, 1, 0]
    assert outputs[0]["quality"]["feedback"]["header"] == "Hard to see"
    assert outputs[2]["quality"]["feedback"]["header"] == "Let's skip this one for now"
    from flowlogic.store import open_db

    failed = events(open_db(), "assessment.measurement_failed")
    assert len(failed) == 3
    assert "BAD_LIGHTING" in failed[0]["details_json"]
    fourth = runner.invoke(app, ["score", str(dark), "--test", "4", "--json"])
    assert fourth.exit_code == 4
    assert (
        "Max attempts for this test reached. Try again tomorrow."
        in json.loads(fourth.stdout)["error"]["message"]
    )
