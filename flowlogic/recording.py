"""Live recording of one test (PRODUCT.md §3), with no user interface of its own.

A `Recorder` opens a camera (a webcam index, or a video file replayed as a camera),
shows what it sees (`state()`: the latest frame, the latest pose, live guidance from the
quality gates), counts down, records an MP4 under FLOWLOGIC_HOME/videos/ and runs pose
estimation on every recorded frame in a worker thread while the person moves. At the
stop (a request, the test's time limit, or the end of a replayed file) the built track
goes through the same gates, scorer and store as `flowlogic score`
(`assess.score_track`), so the result is ready moments after the stop.

Threads: the capture thread reads frames, writes the video (at most 1280 px on the
long side) and queues every recorded frame; the analysis thread estimates poses during
the preview (only on the newest frame, so guidance keeps up), and while recording hands
every frame, never dropping one, to the analysis lanes: one pose model per core, taking
turns in one-second blocks, because one MediaPipe model on one core cannot keep up with
a 30 fps camera on a small machine. At the stop the lanes' tracks are merged and scored.
A user interface polls `state()` and may skip frames for display.

Nothing is half-saved: the video is written under a temporary name and renamed only
when the recording ends; a cancel, a lost camera or a failed scoring deletes it, and the
attempt is stored in one transaction or not at all.
"""

from __future__ import annotations

import enum
import os
import queue
import threading
import time
from collections import deque
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import sqlite_utils

from flowlogic import clock, paths
from flowlogic.assess import Outcome, Permit, score_track
from flowlogic.capture.probe import VideoInfo, sha256_of
from flowlogic.capture.sources import CameraSource, Frame, ReplayCameraSource
from flowlogic.catalog import TestSpec, load_data_toml
from flowlogic.errors import FlowLogicError, InputRefused, UsageError
from flowlogic.geometry.visibility import gated_xy
from flowlogic.pose.backend import MediaPipePoseBackend, PoseBackend, PoseEstimate
from flowlogic.pose.landmarks import NUM_LANDMARKS
from flowlogic.pose.pipeline import (
    AnalysisOptions,
    TrackBuilder,
    mean_brightness,
    model_rgb,
    scaled_to_fit,
)
from flowlogic.pose.quiet import native_logs_to_file
from flowlogic.pose.track import PoseTrack
from flowlogic.quality import gates
from flowlogic.store import open_db

RETENTION_KEY = "video_retention_days"
_END = object()


def settings() -> dict[str, Any]:
    return load_data_toml("recording.toml")


def _number(name: str) -> float:
    return float(settings()[name]["value"])


# --- cameras --------------------------------------------------------------------------


@dataclass(frozen=True)
class CameraChoice:
    """A webcam by index, or a video file that stands in for one (replayed at its own
    frame rate; recording starts from the file's first frame)."""

    index: int | None = None
    video: Path | None = None

    @classmethod
    def parse(cls, text: str | int | Path | None) -> CameraChoice:
        """`0` or `"1"` -> a webcam index; anything else -> a video file that must exist."""
        if text is None or text == "":
            return cls(index=0)
        if isinstance(text, int) or str(text).strip().isdigit():
            return cls(index=int(str(text).strip()))
        path = Path(text).expanduser()
        if not path.is_file():
            raise InputRefused(
                f"{path} is neither a camera number nor a video file", code="NOT_FOUND"
            )
        return cls(video=path)

    @property
    def is_file(self) -> bool:
        return self.video is not None

    @property
    def label(self) -> str:
        return f"video {self.video.name}" if self.video else f"camera {self.index}"

    def setting(self) -> str:
        return str(self.video) if self.video else str(self.index)

    def open(self) -> CameraSource | ReplayCameraSource:
        """The frame source; `InputRefused` (CAMERA_UNAVAILABLE, UNREADABLE) when it
        cannot be opened."""
        if self.video is not None:
            return ReplayCameraSource(self.video)
        return CameraSource(self.index or 0)


class CameraPreview:
    """Just the pictures of a camera, newest first (the settings' test preview)."""

    def __init__(self, camera: CameraChoice) -> None:
        self.camera = camera
        self._lock = threading.Lock()
        self._frame: np.ndarray | None = None
        self._seq = 0
        self.error: str | None = None
        self._closing = threading.Event()
        self._thread = threading.Thread(target=self._run, name="flowlogic-preview", daemon=True)
        self._thread.start()

    def _run(self) -> None:
        try:
            source = self.camera.open()
            while not self._closing.is_set():
                for frame in source:
                    with self._lock:
                        self._frame, self._seq = frame.image, self._seq + 1
                    if self._closing.is_set():
                        return
                if not self.camera.is_file:
                    return
        except FlowLogicError as error:
            self.error = error.message

    def latest(self) -> tuple[int, np.ndarray | None]:
        with self._lock:
            return self._seq, self._frame

    def close(self) -> None:
        self._closing.set()
        self._thread.join(timeout=2)


# --- state the user interface reads ---------------------------------------------------


class Phase(enum.StrEnum):
    OPENING = "opening"
    PREVIEW = "preview"
    COUNTDOWN = "countdown"
    RECORDING = "recording"
    SCORING = "scoring"
    DONE = "done"
    CANCELLED = "cancelled"
    FAILED = "failed"

    @property
    def finished(self) -> bool:
        return self in (Phase.DONE, Phase.CANCELLED, Phase.FAILED)


@dataclass(frozen=True)
class Guidance:
    text: str
    ready: bool  # every live check passes
    code: str | None = None  # the failing gate, if any


@dataclass(frozen=True)
class LiveState:
    phase: Phase
    frame: np.ndarray | None  # newest BGR frame
    frame_seq: int  # increases with every frame read (lets a UI skip repeats)
    landmarks: np.ndarray | None  # (33, 4) newest pose estimate
    guidance: Guidance
    countdown_left_s: float | None
    elapsed_s: float
    remaining_s: float
    almost_up: bool
    frames_recorded: int
    frames_analysed: int
    message: str | None  # why it failed / was cancelled


# --- live guidance --------------------------------------------------------------------


def window_track(
    samples: list[tuple[float, np.ndarray, float]], size: tuple[int, int]
) -> PoseTrack:
    """A small `PoseTrack` of preview samples (timestamp, (33, 4) landmarks, brightness)."""
    frames = len(samples)
    image = np.asarray([s[1] for s in samples], dtype=np.float32).reshape(frames, NUM_LANDMARKS, 4)
    times = np.asarray([s[0] for s in samples], dtype=np.float64)
    span = float(times[-1] - times[0]) if frames > 1 else 0.0
    fps = (frames - 1) / span if span > 0 else 30.0
    return PoseTrack(
        timestamps_s=times - times[0] if frames else times,
        image=image,
        world=np.full((frames, NUM_LANDMARKS, 3), np.nan, dtype=np.float32),
        brightness=np.asarray([s[2] for s in samples], dtype=np.float32),
        faces=np.full(frames, -1, dtype=np.int8),
        frame_width=size[0],
        frame_height=size[1],
        fps=fps,
        source_fps=fps,
        source_frames=frames,
        model="preview",
    )


def live_guidance(track: PoseTrack, spec: TestSpec, view: str | None) -> Guidance:
    """One suggestion from the gates that can be judged on a second of standing still:
    someone there, enough light, in the picture, clearly seen, turned the right way."""
    words = settings()["guidance"]
    if track.frames < int(_number("guidance_min_frames")):
        return Guidance(words["looking"], False)
    needed = view or (spec.views[0] if len(spec.views) == 1 else None)
    judged_view = needed or _seen_or_first(track, spec)
    xy = gated_xy(track)
    checks = [
        gates.check_person(track, spec),
        gates.check_lighting(track, spec),
        gates.check_in_frame(track, spec, judged_view),
        gates.check_confidence(track, spec, judged_view)[0],
    ]
    if needed is not None:
        checks.append(gates.check_view(track, spec, needed, xy)[0])
    failed = next((c for c in checks if not c.passed), None)
    if failed is None:
        return Guidance(words["ready"], True)
    values = {
        "framing": "full body",
        "body_part": "body",
        "direction": "back",
        "turn": "to face the camera",
    }
    values.update({k: v for k, v in failed.detail.items() if isinstance(v, str)})
    return Guidance(words[failed.code].format(**values), False, failed.code)


def _seen_or_first(track: PoseTrack, spec: TestSpec) -> str:
    from flowlogic.assess import resolve_view

    try:
        return resolve_view(None, spec, track)
    except (ValueError, FlowLogicError):
        return spec.views[0]


# --- the recorder ---------------------------------------------------------------------


def videos_dir() -> Path:
    path = paths.home() / "videos"
    path.mkdir(parents=True, exist_ok=True)
    return path


def _video_name(spec: TestSpec, profile_id: int) -> str:
    stamp = clock.now_local().strftime("%Y%m%d-%H%M%S")
    return f"{stamp}-{spec.slug}-p{profile_id}.mp4"


class VideoSink:
    """An MP4 encoded by its own thread (encoding never holds up the camera) under a
    temporary name: `commit()` gives it its final name, `discard()` deletes it."""

    def __init__(self, final: Path, fps: float, size: tuple[int, int]) -> None:
        import cv2

        self.final = final
        self.temp = final.with_name(f".{final.stem}.partial.mp4")
        self._writer = cv2.VideoWriter(str(self.temp), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        if not self._writer.isOpened():
            raise InputRefused("The video file could not be written.", code="WRITE_FAILED")
        self._images: queue.Queue = queue.Queue()
        self._thread = threading.Thread(target=self._run, name="flowlogic-writer", daemon=True)
        self._thread.start()
        self._finished = False
        self._written = 0

    def write(self, image: np.ndarray) -> None:
        self._images.put(image)
        self._written += 1

    def _run(self) -> None:
        try:
            while (image := self._images.get()) is not None:
                self._writer.write(image)
        finally:
            self._writer.release()

    def _finish(self) -> None:
        if not self._finished:
            self._finished = True
            self._images.put(None)
            self._thread.join()

    def commit(self) -> Path:
        """Close the file and give it its final name once it reads back whole. OpenCV does
        not report failed writes (a full disk), so a file that does not read back is
        deleted and the recording fails with one clear line."""
        self._finish()
        try:
            if not _reads_back(self.temp, self._written):
                raise OSError("the written video does not read back")
            os.replace(self.temp, self.final)
        except OSError:
            self.temp.unlink(missing_ok=True)
            raise FlowLogicError(settings()["messages"]["not_saved"], code="WRITE_FAILED") from None
        return self.final

    def discard(self) -> None:
        self._finish()
        self.temp.unlink(missing_ok=True)
        self.final.unlink(missing_ok=True)


def _reads_back(path: Path, frames: int) -> bool:
    import cv2

    capture = cv2.VideoCapture(str(path))
    try:
        return capture.isOpened() and int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0) >= frames
    finally:
        capture.release()


class Recorder:
    """Record one attempt of `attempt.spec` from `camera` (see the module notes).

    Call `open()`, then `start()` when the person is ready (countdown, then recording),
    then `stop()` or let the time limit end it; `cancel()` at any time discards it.
    `outcome` holds the stored result once `state().phase` is DONE.
    """

    def __init__(
        self,
        attempt: Permit,
        camera: CameraChoice,
        *,
        db_path: Path | None = None,
        options: AnalysisOptions | None = None,
        backend_factory: Callable[[], PoseBackend] | None = None,
        countdown_s: float | None = None,
        source: str = "record",
        now: Callable[[], float] = time.monotonic,
    ) -> None:
        self.attempt = attempt
        self.spec = attempt.spec
        self.camera = camera
        self.db_path = db_path
        self.options = options or AnalysisOptions(
            face_mesh=self.spec.face_mesh, max_inference_side=int(_number("live_inference_side"))
        )
        self.backend_factory = backend_factory or MediaPipePoseBackend
        self.countdown_s = _number("countdown_s") if countdown_s is None else countdown_s
        self.limit_s = self.spec.duration_limit_s
        self.record_max_side = int(_number("record_max_side"))
        self.block_s = _number("live_pose_block_s")
        self.almost_up_s = _number("almost_up_s")
        self.source = source
        self._now = now

        self._lock = threading.Lock()
        self._phase = Phase.OPENING
        self._frame: np.ndarray | None = None
        self._frame_seq = 0
        self._analysed_seq = 0
        self._landmarks: np.ndarray | None = None
        self._guidance = Guidance(settings()["guidance"]["waiting"], False)
        self._window: deque[tuple[float, np.ndarray, float]] = deque()
        self._countdown_end: float | None = None
        self._t0: float | None = None
        self._elapsed = 0.0
        self._recorded = 0
        self._analysed = 0
        self._message: str | None = None
        self._stop_requested = threading.Event()
        self._closing = threading.Event()
        self._queue: queue.Queue = queue.Queue()  # unbounded: analysis never drops a frame
        self._sink: VideoSink | None = None
        self._fps = 30.0
        self._size: tuple[int, int] = (0, 0)
        self.video_path: Path | None = None
        self.outcome: Outcome | None = None
        self.error: FlowLogicError | None = None
        self.stop_time: float | None = None  # monotonic: the moment recording ended
        self.result_time: float | None = None  # monotonic: the moment the result was stored
        self._threads: list[threading.Thread] = []
        self.done = threading.Event()

    # -- controls ------------------------------------------------------------------------
    def open(self) -> None:
        """Open the camera and start the preview (threads)."""
        for target, name in ((self._capture, "capture"), (self._analyse, "analysis")):
            thread = threading.Thread(target=target, name=f"flowlogic-{name}", daemon=True)
            thread.start()
            self._threads.append(thread)

    def start(self) -> None:
        """Begin the countdown; recording starts when it ends."""
        with self._lock:
            if self._phase in (Phase.OPENING, Phase.PREVIEW):
                self._phase = Phase.COUNTDOWN
                self._countdown_end = self._now() + self.countdown_s

    def stop(self) -> None:
        """End the recording now and score it (during the countdown: back to preview)."""
        with self._lock:
            if self._phase is Phase.COUNTDOWN:
                self._phase = Phase.PREVIEW
                self._countdown_end = None
                return
        self._stop_requested.set()

    def cancel(self) -> None:
        """Discard everything: no video, no stored attempt."""
        with self._lock:
            if self._phase.finished:
                return
            self._phase = Phase.CANCELLED
            self._message = settings()["messages"]["cancelled"]
        self._closing.set()
        self._stop_requested.set()
        self._queue.put(_END)

    def close(self, timeout: float = 5.0) -> None:
        """Cancel unless finished, and wait for the threads to end."""
        self.cancel()
        for thread in self._threads:
            thread.join(timeout=timeout)
        self._discard_video()

    def wait(self, timeout: float | None = None) -> bool:
        return self.done.wait(timeout)

    @property
    def stop_to_result_s(self) -> float | None:
        if self.stop_time is None or self.result_time is None:
            return None
        return self.result_time - self.stop_time

    # -- what the UI reads -----------------------------------------------------------------
    def state(self) -> LiveState:
        with self._lock:
            now = self._now()
            countdown = None
            if self._phase is Phase.COUNTDOWN and self._countdown_end is not None:
                countdown = max(0.0, self._countdown_end - now)
            remaining = max(0.0, self.limit_s - self._elapsed)
            return LiveState(
                phase=self._phase,
                frame=self._frame,
                frame_seq=self._frame_seq,
                landmarks=self._landmarks,
                guidance=self._guidance,
                countdown_left_s=countdown,
                elapsed_s=self._elapsed,
                remaining_s=remaining,
                almost_up=self._phase is Phase.RECORDING and remaining <= self.almost_up_s,
                frames_recorded=self._recorded,
                frames_analysed=self._analysed,
                message=self._message,
            )

    @property
    def phase(self) -> Phase:
        with self._lock:
            return self._phase

    # -- capture thread ----------------------------------------------------------------------
    def _capture(self) -> None:
        try:
            source = self.camera.open()
            self._fps = float(source.fps or 30.0)
            with self._lock:
                if self._phase is Phase.OPENING:
                    self._phase = Phase.PREVIEW
            while not self._closing.is_set():
                frames = iter(source)
                seen_before = self._frame_seq
                try:
                    ended = self._read(frames)
                finally:
                    close = getattr(frames, "close", None)
                    if close is not None:
                        close()
                if ended == "end_of_file" and self._frame_seq == seen_before:
                    # a file that opens but gives no picture would be replayed forever
                    raise InputRefused(
                        f"{self.camera.label} has no readable video frames "
                        "(damaged, truncated or audio only)",
                        code="UNREADABLE",
                    )
                if ended == "restart":
                    continue
                if ended == "end_of_file" and self.phase is Phase.RECORDING:
                    self._finish_recording()
                if not self.camera.is_file or self.phase not in (Phase.PREVIEW, Phase.COUNTDOWN):
                    break
        except FlowLogicError as error:
            self._fail(error)
        except Exception as error:  # a camera driver error: report it, never hang the UI
            self._fail(
                InputRefused(f"The camera failed ({type(error).__name__}).", code="CAMERA_LOST")
            )
        finally:
            if self.phase.finished:
                self._discard_video()
            self._queue.put(_END)

    def _read(self, frames: Iterator[Frame]) -> str:
        """Read frames until the recording ends, the file ends, or a file must restart
        from its first frame because recording begins. Returns why it returned."""
        for frame in frames:
            if self._closing.is_set():
                return "closing"
            with self._lock:
                self._frame, self._frame_seq = frame.image, self._frame_seq + 1
                phase = self._phase
                if phase is Phase.COUNTDOWN and self._now() >= (self._countdown_end or 0):
                    self._phase = phase = Phase.RECORDING
                    self._countdown_end = None
                    if self.camera.is_file:
                        return "restart"  # a replayed file is recorded from its start
            if phase is Phase.RECORDING and not self._record(frame):
                return "stopped"
            if phase.finished:
                return "closing"
        return "end_of_file"

    def _record(self, frame: Frame) -> bool:
        """Write and queue one frame; False once the recording has ended."""
        image = scaled_to_fit(frame.image, self.record_max_side)
        if self._t0 is None:
            self._t0 = frame.timestamp_s
            height, width = image.shape[:2]
            self._size = (width, height)
            name = _video_name(self.spec, self.attempt.profile.id)
            self._sink = VideoSink(videos_dir() / name, self._fps, self._size)
            self.video_path = self._sink.final
        elapsed = frame.timestamp_s - self._t0
        if self._stop_requested.is_set() or elapsed >= self.limit_s:
            self._finish_recording()
            return False
        assert self._sink is not None
        self._sink.write(image)
        model_image = scaled_to_fit(image, self.options.max_inference_side)
        self._queue.put(Frame(self._recorded, elapsed, model_image))
        with self._lock:
            self._recorded += 1
            self._elapsed = elapsed
        return True

    def _finish_recording(self) -> None:
        with self._lock:
            if self._phase is not Phase.RECORDING:
                return
            self._phase = Phase.SCORING
        self.stop_time = self._now()
        if self._sink is not None:
            self._sink.commit()  # before scoring: the stored attempt needs the whole file
        self._queue.put(_END)

    # -- analysis thread ---------------------------------------------------------------------
    def _analyse(self) -> None:
        backends: list[PoseBackend] = []
        try:
            with native_logs_to_file():
                backends = [self.backend_factory() for _ in range(self._lanes_wanted())]
                self._analyse_with(backends)
        except FlowLogicError as error:
            self._fail(error)
        except Exception as error:  # never leave the UI waiting on a dead thread
            self._fail(FlowLogicError(f"Internal error while analysing ({type(error).__name__})."))
        finally:
            for backend in backends:
                backend.close()
            self.done.set()

    @staticmethod
    def _lanes_wanted() -> int:
        return max(1, min(int(_number("live_pose_workers")), os.cpu_count() or 1))

    def _analyse_with(self, backends: list[PoseBackend]) -> None:
        """Preview on the first backend; while recording, the frames go to the lanes (one
        pose model each, in parallel) in turns of `live_pose_block_s` seconds, and the
        lanes' tracks are merged in time. Whole blocks, not alternate frames: each model
        then tracks a continuous stretch, and the merged track stays within ~2-3 px of
        one model's (alternate frames differ by up to 20 px: two smoothing filters)."""
        lanes: list[AnalysisLane] = []
        try:
            while True:
                phase = self.phase
                if phase.finished:
                    return
                if phase in (Phase.OPENING, Phase.PREVIEW, Phase.COUNTDOWN):
                    if not self._preview_step(backends[0]):
                        time.sleep(0.005)
                    continue
                item = self._queue.get()
                if self.phase.finished:
                    return
                if item is _END:
                    if self.phase is Phase.SCORING:
                        break
                    continue
                if not lanes:
                    lanes = [AnalysisLane(self, backend) for backend in backends]
                block = int(item.timestamp_s // self.block_s)
                lanes[block % len(lanes)].put(item)
            if not lanes or self._closing.is_set():
                raise InputRefused("Nothing was recorded.", code="EMPTY_RECORDING")
            track = PoseTrack.interleaved([lane.finish() for lane in lanes])
        finally:
            for lane in lanes:
                lane.close()
        width, height = self._size  # the saved video's frame size
        self._score(
            replace(track, source_frames=track.frames, frame_width=width, frame_height=height)
        )

    def _preview_step(self, backend: PoseBackend) -> bool:
        with self._lock:
            frame, seq = self._frame, self._frame_seq
        if frame is None or seq == self._analysed_seq:
            return False
        self._analysed_seq = seq
        image = scaled_to_fit(frame, self.options.max_inference_side)
        estimate = backend.estimate(model_rgb(image))
        self._remember(estimate, count=False)
        landmarks = estimate.image if estimate is not None else _no_pose()
        now = self._now()
        window = self._window
        window.append((now, landmarks, mean_brightness(image)))
        while window and now - window[0][0] > _number("guidance_window_s"):
            window.popleft()
        height, width = frame.shape[:2]
        guidance = live_guidance(
            window_track(list(window), (width, height)), self.spec, self.attempt.view
        )
        with self._lock:
            self._guidance = guidance
        return True

    def _remember(self, estimate: PoseEstimate | None, *, count: bool = True) -> None:
        with self._lock:
            self._landmarks = estimate.image if estimate is not None else None
            if count:
                self._analysed += 1

    # -- scoring ---------------------------------------------------------------------------
    def _score(self, track: PoseTrack) -> None:
        assert self.video_path is not None
        info = VideoInfo(
            path=str(self.video_path),
            sha256=sha256_of(self.video_path),
            size_bytes=self.video_path.stat().st_size,
            width=self._size[0],
            height=self._size[1],
            fps=self._fps,
            frames=self._recorded,
            duration_s=round(self._recorded / self._fps, 3),
            kind="video",
        )
        db = open_db(self.db_path)
        try:
            if self._closing.is_set():
                raise InputRefused("Recording cancelled.", code="CANCELLED")
            outcome = score_track(db, self.attempt, info, track, source=self.source)
            if retention_days(db) == 0:
                self.video_path.unlink(missing_ok=True)
        finally:
            db.conn.close()
        self.outcome = outcome
        self.result_time = self._now()
        with self._lock:
            self._phase = Phase.DONE

    def _fail(self, error: FlowLogicError) -> None:
        with self._lock:
            if self._phase in (Phase.DONE, Phase.CANCELLED):
                return
            was_recording = self._phase in (Phase.RECORDING, Phase.SCORING)
            self._phase = Phase.FAILED
            if error.code == "CAMERA_LOST" and was_recording:
                self._message = settings()["messages"]["camera_lost"]
            else:
                self._message = error.message
        self.error = error
        self._closing.set()
        self._queue.put(_END)

    def _discard_video(self) -> None:
        if self.phase is Phase.DONE:
            return
        if self._sink is not None:
            self._sink.discard()
        elif self.video_path is not None:
            self.video_path.unlink(missing_ok=True)


class AnalysisLane:
    """One pose model analysing its share of the recorded frames on a thread of its own.
    MediaPipe runs a graph on one core and releases the GIL, so two lanes on two cores
    keep up with a 30 fps camera where one cannot (data/recording.toml)."""

    def __init__(self, recorder: Recorder, backend: PoseBackend) -> None:
        self._recorder = recorder
        self._builder = TrackBuilder(
            fps=recorder._fps,
            source_fps=recorder._fps,
            source_frames=0,
            options=recorder.options,
            backend=backend,
        )
        self._frames: queue.Queue = queue.Queue()  # unbounded: no frame is ever dropped
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, name="flowlogic-pose", daemon=True)
        self._thread.start()

    def put(self, frame: Frame) -> None:
        self._frames.put(frame)

    def _run(self) -> None:
        try:
            with native_logs_to_file():
                while (frame := self._frames.get()) is not _END:
                    if self._recorder._closing.is_set():
                        return
                    self._recorder._remember(self._builder.add(frame))
        except BaseException as error:  # handed to the analysis thread by finish()
            self._error = error

    def finish(self) -> PoseTrack:
        """Wait for the lane's last frame and return its track."""
        self._frames.put(_END)
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._builder.build()

    def close(self) -> None:
        self._frames.put(_END)
        self._thread.join(timeout=5.0)
        self._builder.close()


def _no_pose() -> np.ndarray:
    landmarks = np.full((NUM_LANDMARKS, 4), np.nan, dtype=np.float32)
    landmarks[:, 3] = 0.0
    return landmarks


def record(
    recorder: Recorder,
    *,
    on_state: Callable[[LiveState], None] | None = None,
    poll_s: float = 0.1,
) -> Outcome:
    """Run a recorder without a preview: start at once, wait for the end (the time limit,
    the end of a replayed file, or `recorder.stop()` from elsewhere) and return the
    stored outcome; raise the error that ended it otherwise."""
    recorder.open()
    recorder.start()
    while not recorder.wait(poll_s):
        if on_state is not None:
            on_state(recorder.state())
    recorder.close()
    if recorder.outcome is not None:
        return recorder.outcome
    if recorder.error is not None:
        raise recorder.error
    raise InputRefused(recorder.state().message or "Recording cancelled.", code="CANCELLED")


# --- video retention ------------------------------------------------------------------


def retention_days(db: sqlite_utils.Database) -> int:
    rows = list(db.query("SELECT value FROM settings WHERE key = ?", [RETENTION_KEY]))
    if rows:
        return int(rows[0]["value"])
    return int(_number("default_video_retention_days"))


def set_retention_days(db: sqlite_utils.Database, days: int) -> int:
    most = int(_number("max_video_retention_days"))
    if not 0 <= int(days) <= most:
        raise UsageError(f"Video retention must be 0 (never keep) to {most} days, not {days}.")
    db["settings"].upsert({"key": RETENTION_KEY, "value": str(int(days))}, pk="key")
    return int(days)


def purge_expired_videos(db: sqlite_utils.Database, now: datetime | None = None) -> int:
    """Delete recordings older than the retention period (landmarks, results and history
    stay). Only files Flow Logic recorded itself (under videos/) are ever deleted."""
    days = retention_days(db)
    cutoff = clock.iso((now or clock.now_utc()) - timedelta(days=days))
    folder = videos_dir().resolve()
    removed = 0
    for row in db.query(
        "SELECT video_path FROM assessments WHERE source = 'record' AND created_at < ?",
        [cutoff],
    ):
        path = Path(row["video_path"] or "")
        if path.is_file() and path.resolve().parent == folder:
            path.unlink()
            removed += 1
    return removed


__all__ = [
    "CameraChoice",
    "CameraPreview",
    "Guidance",
    "LiveState",
    "Phase",
    "Recorder",
    "live_guidance",
    "purge_expired_videos",
    "record",
    "retention_days",
    "set_retention_days",
]
