"""Frame sources: a video file, a folder of images, a webcam, or a file replayed as a camera.

Each source is an iterable of `Frame` (BGR image + timestamp). Video files are read
with their rotation metadata applied, so portrait phone clips come out upright.
"""

from __future__ import annotations

import queue
import threading
import time
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from flowlogic.capture.probe import (
    check_frame_rate,
    check_frame_size,
    header_of,
    image_files,
    opencv,
)
from flowlogic.errors import InputRefused


@dataclass(frozen=True)
class Frame:
    index: int  # index in the source, before any frame skipping
    timestamp_s: float
    image: np.ndarray  # BGR, uint8, upright


_decode_threads = 0  # 0: FFmpeg's own choice (one per core)


def use_decode_threads(count: int) -> None:
    """Decode videos with this many FFmpeg threads in this process (0 = one per core).

    Batch workers run one per core, so they decode with one thread: decoding already
    overlaps inference (`prefetch`), and FFmpeg's frame threads cost CPU of their own
    (a 1080x1920 H.264 frame: 11.7 ms of CPU with one thread, 14.5 ms with two)."""
    global _decode_threads
    _decode_threads = max(0, int(count))


def _open_video(path: Path):
    cv2 = opencv()
    if _decode_threads:
        capture = cv2.VideoCapture(
            str(path), cv2.CAP_ANY, [cv2.CAP_PROP_N_THREADS, _decode_threads]
        )
        if capture.isOpened():
            return capture
        capture.release()  # a backend without the thread setting opens it plainly below
    return cv2.VideoCapture(str(path))


def frame_step(source_fps: float, max_fps: float | None) -> int:
    """Keep every n-th frame so the analysed rate does not exceed `max_fps` (60 -> 30)."""
    if not max_fps or source_fps <= max_fps * 1.2:
        return 1
    return max(1, round(source_fps / max_fps))


class VideoFileSource:
    """Frames of a video file, upright, optionally thinned to `max_fps`."""

    def __init__(
        self, path: Path, *, max_fps: float | None = 30.0, mirror: bool = False, scale: float = 1.0
    ) -> None:
        self.path = Path(path)
        self.mirror = mirror
        self.scale = scale
        cv2 = opencv()
        capture = _open_video(self.path)
        if not capture.isOpened():
            raise InputRefused(
                f"{self.path.name} could not be opened as a video", code="UNREADABLE"
            )
        capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        width, height, fps, self.source_frames = header_of(capture)
        self.source_fps = fps or 30.0
        capture.release()
        # a file replayed as a camera is not probed first: refuse from its header what
        # the probe would refuse, before any frame is decoded
        check_frame_size(self.path.name, width, height)
        check_frame_rate(self.path.name, self.source_fps)
        self.step = frame_step(self.source_fps, max_fps)
        self.fps = self.source_fps / self.step
        self.frames_read = 0

    def __iter__(self) -> Iterator[Frame]:
        cv2 = opencv()
        capture = _open_video(self.path)
        capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        index = 0
        try:
            while True:
                if index % self.step:
                    if not capture.grab():
                        break
                    index += 1
                    continue
                ok, image = capture.read()
                if not ok or image is None:
                    break
                self.frames_read += 1
                yield Frame(index, index / self.source_fps, _adjust(image, self.mirror, self.scale))
                index += 1
        finally:
            capture.release()


class ImageFolderSource:
    """A folder of images, in file-name order, treated as frames at `fps`."""

    def __init__(
        self, folder: Path, *, fps: float = 30.0, mirror: bool = False, scale: float = 1.0
    ) -> None:
        self.files = image_files(Path(folder))
        self.fps = self.source_fps = fps
        self.source_frames = len(self.files)
        self.step = 1
        self.mirror = mirror
        self.scale = scale

    def __iter__(self) -> Iterator[Frame]:
        cv2 = opencv()
        for index, file in enumerate(self.files):
            image = cv2.imread(str(file))
            if image is None:
                raise InputRefused(f"{file.name} could not be read as an image", code="UNREADABLE")
            yield Frame(index, index / self.fps, _adjust(image, self.mirror, self.scale))


class CameraSource:
    """A webcam by index. Asks for 1280x720 at 30 fps; the camera may give less."""

    def __init__(
        self, index: int = 0, *, width: int = 1280, height: int = 720, fps: float = 30.0
    ) -> None:
        cv2 = opencv()
        self.capture = cv2.VideoCapture(index)
        if not self.capture.isOpened():
            raise InputRefused(
                f"No camera could be opened at index {index}. Try another index "
                "(--camera 1) or a video file.",
                code="CAMERA_UNAVAILABLE",
            )
        self.capture.set(cv2.CAP_PROP_FRAME_WIDTH, width)
        self.capture.set(cv2.CAP_PROP_FRAME_HEIGHT, height)
        self.capture.set(cv2.CAP_PROP_FPS, fps)
        self.fps = self.source_fps = float(self.capture.get(cv2.CAP_PROP_FPS) or fps)
        self.source_frames = 0
        self.step = 1

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        index = 0
        try:
            while True:
                ok, image = self.capture.read()
                if not ok or image is None:
                    raise InputRefused("The camera stopped sending pictures.", code="CAMERA_LOST")
                yield Frame(index, time.monotonic() - start, image)
                index += 1
        finally:
            self.capture.release()


class ReplayCameraSource(VideoFileSource):
    """A video file that behaves like a camera: frames arrive at the file's own rate."""

    def __init__(self, path: Path, **kwargs) -> None:
        kwargs.setdefault("max_fps", None)
        super().__init__(path, **kwargs)

    def __iter__(self) -> Iterator[Frame]:
        start = time.monotonic()
        for frame in super().__iter__():
            delay = frame.timestamp_s - (time.monotonic() - start)
            if delay > 0:
                time.sleep(delay)
            yield frame


def _adjust(image: np.ndarray, mirror: bool, scale: float) -> np.ndarray:
    cv2 = opencv()
    if scale != 1.0:
        height, width = image.shape[:2]
        size = (max(1, round(width * scale)), max(1, round(height * scale)))
        image = cv2.resize(image, size, interpolation=cv2.INTER_AREA)
    if mirror:
        image = cv2.flip(image, 1)
    return image


def open_source(
    path: Path,
    *,
    max_fps: float | None = 30.0,
    mirror: bool = False,
    scale: float = 1.0,
    images_fps: float = 30.0,
):
    """A video file or an image folder, by what `path` is."""
    path = Path(path)
    if path.is_dir():
        return ImageFolderSource(path, fps=images_fps, mirror=mirror, scale=scale)
    return VideoFileSource(path, max_fps=max_fps, mirror=mirror, scale=scale)


_DONE = object()


def prefetch(frames: Iterable[Frame], depth: int = 8) -> Iterator[Frame]:
    """Decode ahead in a thread so decoding overlaps pose inference (bounded queue)."""
    buffer: queue.Queue = queue.Queue(maxsize=depth)
    stop = threading.Event()
    errors: list[BaseException] = []

    def reader() -> None:
        try:
            for frame in frames:
                while not stop.is_set():
                    try:
                        buffer.put(frame, timeout=0.1)
                        break
                    except queue.Full:
                        continue
                if stop.is_set():
                    return
        except BaseException as exc:  # handed to the consumer below
            errors.append(exc)
        finally:
            while not stop.is_set():
                try:
                    buffer.put(_DONE, timeout=0.1)
                    break
                except queue.Full:
                    continue

    thread = threading.Thread(target=reader, name="flowlogic-decode", daemon=True)
    thread.start()
    try:
        while True:
            item = buffer.get()
            if item is _DONE:
                break
            yield item
    finally:
        stop.set()
        thread.join(timeout=5)
    if errors:
        raise errors[0]
