"""The landmark cache is numpy data only: a cache entry carrying a pickle is refused
(never unpickled) and rebuilt from the video."""

from __future__ import annotations

import numpy as np
import pytest

from flowlogic.capture.probe import probe
from flowlogic.pose.backend import PoseEstimate
from flowlogic.pose.pipeline import AnalysisOptions, analyse, cache_path
from flowlogic.pose.track import PoseTrack
from tests.conftest import SAMPLE

OPTIONS = AnalysisOptions(face_count_every_s=0)  # pose only: no face model needed


class StubBackend:
    """Returns the same pose for every frame, instantly."""

    model_id = "stub-pose-for-cache-tests"

    def __init__(self) -> None:
        self.calls = 0

    def estimate(self, rgb: np.ndarray) -> PoseEstimate:
        self.calls += 1
        image = np.full((33, 4), 0.5, dtype=np.float32)
        return PoseEstimate(image=image, world=np.zeros((33, 3), dtype=np.float32))

    def close(self) -> None:
        return None


class Booby:
    """Unpickling this would create the marker file."""

    def __init__(self, marker) -> None:
        self.marker = marker

    def __reduce__(self):
        return (self.marker.touch, ())


@pytest.fixture
def cache(tmp_path, monkeypatch):
    monkeypatch.setenv("FLOWLOGIC_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path / "cache"


@pytest.mark.parametrize("poisoned", ["image", "header"])
def test_a_pickled_cache_entry_is_refused_and_rebuilt(cache, tmp_path, poisoned):
    info = probe(SAMPLE)
    backend = StubBackend()
    path = cache_path(info.sha256, OPTIONS, backend.model_id)
    path.parent.mkdir(parents=True, exist_ok=True)
    marker = tmp_path / "unpickled"
    payload = np.empty(1, dtype=object)
    payload[0] = Booby(marker)
    arrays = {
        "timestamps_s": np.zeros(1),
        "image": np.zeros((1, 33, 4), dtype=np.float32),
        "header": np.array("{}"),
        poisoned: payload,
    }
    with open(path, "wb") as handle:
        np.savez(handle, **arrays)  # object arrays are stored as pickles
    with np.load(path, allow_pickle=True) as check:  # the entry really holds a pickle
        assert check[poisoned].dtype == object
    marker.unlink(missing_ok=True)  # loading it above ran the payload once; start clean

    track, from_cache = analyse(info, options=OPTIONS, backend=backend)

    assert from_cache is False and backend.calls == track.frames == 65
    assert not marker.exists()  # never unpickled by Flow Logic
    with np.load(path, allow_pickle=False) as rebuilt:
        assert all(rebuilt[name].dtype != object for name in rebuilt.files)
    assert PoseTrack.load(path).frames == 65
    again, from_cache = analyse(info, options=OPTIONS, backend=StubBackend())
    assert from_cache is True and again.frames == 65
