"""The work one batch row needs, run in a worker process (local pool or Dask worker).

Pure computation: probe, pose (from the worker's landmark cache when possible), quality
gates and scoring. No database access: the coordinator is the only writer. MediaPipe is
loaded once per worker process and reset between videos.
"""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from pathlib import Path

from flowlogic import paths
from flowlogic.capture.probe import Limits, VideoInfo, probe
from flowlogic.capture.sources import use_decode_threads
from flowlogic.catalog import find_test
from flowlogic.errors import InputRefused
from flowlogic.pose.backend import ModelSet
from flowlogic.pose.pipeline import AnalysisOptions, analyse
from flowlogic.pose.quiet import native_logs_to_file
from flowlogic.pose.track import PoseTrack

MAX_SIZE_MB = 50.0
_MODELS: ModelSet | None = None


@dataclass(frozen=True)
class Task:
    position: int
    video: str
    test_id: int
    view: str | None
    rescore: bool = False


@dataclass(frozen=True)
class TaskResult:
    position: int
    status: str  # "computed" or "unreadable"
    reason: str = ""
    info: VideoInfo | None = None
    track: PoseTrack | None = None
    from_cache: bool = False
    seconds: float = 0.0


def _models() -> ModelSet:
    global _MODELS
    if _MODELS is None:
        _MODELS = ModelSet()
    return _MODELS


def warm_up() -> None:
    """Pool initializer: send this worker's native (C++) logs to the log file for its whole
    life (a worker prints nothing itself; errors travel back with the results), then load
    the models once."""
    if not os.environ.get("FLOWLOGIC_DEBUG"):
        log = open(paths.log_dir() / "native.log", "ab")  # noqa: SIM115
        os.dup2(log.fileno(), 2)
        log.close()
    import cv2

    # one worker per core: OpenCV's and FFmpeg's own threads would only contend
    cv2.setNumThreads(1)
    use_decode_threads(1)
    _models()


def compute(task: Task) -> TaskResult:
    """Probe and pose one video. Returns the track so the coordinator can judge, store and
    cache it; unreadable input is a result, not an exception."""
    started = time.perf_counter()
    spec = find_test(task.test_id)
    try:
        info = probe(Path(task.video), Limits(spec.duration_limit_s, MAX_SIZE_MB))
        options = AnalysisOptions(face_mesh=spec.face_mesh)
        with native_logs_to_file():
            track, cached = analyse(
                info,
                options=options,
                models=None if task.rescore else _models(),
                cache_only=task.rescore,
            )
    except InputRefused as refused:
        return TaskResult(
            task.position,
            "unreadable",
            f"{refused.code}: {refused.message}",
            seconds=time.perf_counter() - started,
        )
    return TaskResult(
        task.position,
        "computed",
        info=info,
        track=track,
        from_cache=cached,
        seconds=time.perf_counter() - started,
    )
