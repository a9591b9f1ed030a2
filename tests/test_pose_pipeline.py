"""The pose pipeline itself: MediaPipe's published landmarks, caching, rotation, mirroring."""

from __future__ import annotations

import json

import numpy as np
import pytest

from flowlogic.capture.probe import probe
from flowlogic.capture.sources import VideoFileSource, frame_step, use_decode_threads
from flowlogic.pose.pipeline import (
    AnalysisOptions,
    analyse,
    cache_path,
    default_model_id,
    reduced_to_fit,
)
from flowlogic.pose.track import PoseTrack
from tests.conftest import SAMPLE, TEST_DATA
from tests.media import ffmpeg


def test_sample_matches_mediapipe_published_landmarks():
    """pose_squats.mp4 against MediaPipe's own BlazePose-full output (tolerance 28 px)."""
    track, _ = analyse(probe(SAMPLE))
    expected = np.array(json.loads((TEST_DATA / "pose_squats.full.json").read_text()))
    assert track.frames == expected.shape[0] == 65
    error = np.abs(track.xy - expected[:, :, :2])
    assert np.nanmax(error) < 28.0, f"max landmark error {np.nanmax(error):.1f} px"
    assert np.nanmean(error) < 12.0


def test_still_image_matches_mediapipe_published_landmarks():
    """pose.jpg in static-image mode against MediaPipe's expected landmarks (15 px)."""
    import cv2

    from flowlogic.pose.backend import MediaPipePoseBackend

    image = cv2.imread(str(TEST_DATA / "pose.jpg"))
    height, width = image.shape[:2]
    backend = MediaPipePoseBackend(static_images=True)
    try:
        estimate = backend.estimate(cv2.cvtColor(image, cv2.COLOR_BGR2RGB))
    finally:
        backend.close()
    assert estimate is not None
    expected = np.array(
        json.loads((TEST_DATA / "pose_jpg_expected.json").read_text())["landmarks_px"]
    )
    got = estimate.image[:, :2] * [width, height]
    assert np.abs(got - expected).max() < 15.0


class CountingBackend:
    """Wraps the real backend and counts inference calls."""

    def __init__(self):
        from flowlogic.pose.backend import MediaPipePoseBackend

        self.inner = MediaPipePoseBackend()
        self.model_id = self.inner.model_id
        self.calls = 0

    def estimate(self, rgb):
        self.calls += 1
        return self.inner.estimate(rgb)

    def close(self):
        self.inner.close()


def test_second_analysis_comes_from_cache_without_inference(tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWLOGIC_CACHE_DIR", str(tmp_path / "cache"))
    info = probe(SAMPLE)
    first = CountingBackend()
    track, cached = analyse(info, backend=first)
    assert (cached, first.calls) == (False, 65)
    assert cache_path(info.sha256, AnalysisOptions(), first.model_id).exists()
    second = CountingBackend()
    again, cached = analyse(info, backend=second)
    assert cached is True and second.calls == 0
    np.testing.assert_array_equal(again.image, track.image)
    forced = CountingBackend()
    _, cached = analyse(info, backend=forced, use_cache=False)
    assert cached is False and forced.calls == 65
    first.close(), second.close(), forced.close()


def test_track_round_trips_without_pickle(tmp_path):
    track, _ = analyse(probe(SAMPLE))
    path = tmp_path / "t.npz"
    track.save(path)
    loaded = PoseTrack.load(path)
    np.testing.assert_array_equal(loaded.image, track.image)
    assert loaded.model == track.model == default_model_id()
    with np.load(path, allow_pickle=False) as data:  # would raise if anything were pickled
        assert set(data.files) >= {"image", "world", "timestamps_s", "header"}


def test_damaged_cache_entry_is_rebuilt(tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWLOGIC_CACHE_DIR", str(tmp_path / "cache"))
    info = probe(SAMPLE)
    analyse(info)
    path = cache_path(info.sha256, AnalysisOptions(), default_model_id())
    path.write_bytes(b"not a numpy file")
    track, cached = analyse(info)
    assert cached is False and track.frames == 65


def test_mirrored_track_swaps_left_and_right():
    track, _ = analyse(probe(SAMPLE))
    mirrored = track.mirrored()
    np.testing.assert_allclose(mirrored.image[:, 11, 0], 1 - track.image[:, 12, 0])
    np.testing.assert_allclose(mirrored.world[:, 23, 0], -track.world[:, 24, 0])
    np.testing.assert_allclose(mirrored.mirrored().image, track.image, atol=1e-6)


def test_rotation_metadata_is_honoured(tmp_path):
    """A portrait clip stored sideways with a display rotation comes out upright."""
    sideways = tmp_path / "sideways.mp4"
    tagged = tmp_path / "tagged.mp4"
    ffmpeg(
        "-i",
        str(SAMPLE),
        "-vf",
        "transpose=1",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        str(sideways),
    )
    ffmpeg("-display_rotation", "90", "-i", str(sideways), "-c", "copy", str(tagged))
    original = next(iter(VideoFileSource(SAMPLE))).image
    upright = next(iter(VideoFileSource(tagged))).image
    assert upright.shape == original.shape  # portrait again: 1280 x 720
    assert np.abs(upright.astype(int) - original.astype(int)).mean() < 12
    info = probe(tagged)
    assert (info.width, info.height) == (720, 1280)


@pytest.mark.parametrize(("fps", "step"), [(59.94, 2), (30.0, 1), (23.98, 1), (120.0, 4)])
def test_high_frame_rates_are_thinned_to_30fps(fps, step):
    assert frame_step(fps, 30.0) == step


def test_sixty_fps_clip_is_analysed_at_thirty(tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWLOGIC_CACHE_DIR", str(tmp_path / "cache"))
    sixty = tmp_path / "sixty.mp4"
    ffmpeg(
        "-i",
        str(SAMPLE),
        "-t",
        "2",
        "-vf",
        "fps=60,scale=360:640",
        "-c:v",
        "libx264",
        "-pix_fmt",
        "yuv420p",
        str(sixty),
    )
    track, _ = analyse(probe(sixty))
    assert track.source_fps == pytest.approx(60, abs=0.1)
    assert track.fps == pytest.approx(30, abs=0.1)
    assert 55 <= track.frames <= 62


def test_large_frames_are_reduced_by_a_whole_factor():
    rng = np.random.default_rng(7)
    portrait = rng.integers(0, 256, (1920, 1080, 3), dtype=np.uint8)
    reduced = reduced_to_fit(portrait, 1280)
    assert reduced.shape == (960, 540, 3)
    # each pixel is the mean of its 2x2 block (within rounding)
    blocks = portrait.reshape(960, 2, 540, 2, 3).mean(axis=(1, 3))
    assert np.abs(reduced.astype(float) - blocks).max() <= 1.0
    uhd = np.zeros((2160, 3840, 3), dtype=np.uint8)
    assert reduced_to_fit(uhd, 1280).shape == (720, 1280, 3)
    odd = np.zeros((721, 1281, 3), dtype=np.uint8)  # no whole 2x2 blocks: bilinear
    assert reduced_to_fit(odd, 1280).shape == (360, 640, 3)
    small = np.zeros((720, 1280, 3), dtype=np.uint8)
    assert reduced_to_fit(small, 1280) is small


def test_one_decode_thread_gives_the_same_frames():
    default = [frame.image for frame in VideoFileSource(SAMPLE)]
    use_decode_threads(1)
    try:
        single = [frame.image for frame in VideoFileSource(SAMPLE)]
    finally:
        use_decode_threads(0)
    assert len(single) == len(default) > 0
    assert all(np.array_equal(a, b) for a, b in zip(default, single, strict=True))
