"""Look at an input file before any analysis and refuse what cannot be analysed.

Every refusal is an `InputRefused` with a code and a one-line message (exit code 5).
"""

from __future__ import annotations

import functools
import hashlib
import os
from dataclasses import asdict, dataclass
from pathlib import Path

from flowlogic.errors import InputRefused

VIDEO_EXTENSIONS = (".mp4", ".mov", ".avi", ".mkv", ".webm", ".gif", ".m4v")
IMAGE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".bmp", ".webp")
MAX_PLAUSIBLE_FPS = 1000.0
#: design: below 32 px on the short side a person is a few pixels tall and the pose model
#: (a 256-px crop of the person) has nothing to find; such sizes come from thumbnails or
#: damaged headers (1x1), so they are refused instead of being analysed into a failed
#: attempt that would count against the daily cap.
MIN_FRAME_SIDE_PX = 32
#: design: 8K UHD (7680x4320, 33 MP) is the largest frame consumer cameras record. One
#: decoded 10000x10000 frame is 300 MB, and decoding runs 8 frames ahead of inference, so
#: larger frames are refused from the header, before any frame is decoded.
MAX_FRAME_PIXELS = 7680 * 4320


@dataclass(frozen=True)
class Limits:
    """Refusal limits for one test (PRODUCT.md §3; tests may declare longer holds)."""

    max_duration_s: float = 45.0
    max_size_mb: float = 50.0


@dataclass(frozen=True)
class VideoInfo:
    path: str
    sha256: str
    size_bytes: int
    width: int
    height: int
    fps: float
    frames: int
    duration_s: float
    kind: str  # "video" or "images"

    def to_dict(self) -> dict:
        return asdict(self)


def sha256_of(path: Path, chunk_size: int = 1 << 20) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(chunk_size):
            digest.update(chunk)
    return digest.hexdigest()


def image_files(folder: Path) -> list[Path]:
    return sorted(
        p for p in folder.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS
    )


def probe(path: Path, limits: Limits = Limits(), *, images_fps: float = 30.0) -> VideoInfo:
    """Check `path` can be analysed within `limits`; return what we know of it."""
    path = Path(path)
    if not path.exists():
        raise InputRefused(f"File not found: {path}", code="NOT_FOUND")
    if path.is_dir():
        return _probe_image_folder(path, limits, images_fps)
    if path.suffix.lower() not in VIDEO_EXTENSIONS:
        allowed = ", ".join(e.lstrip(".") for e in VIDEO_EXTENSIONS)
        raise InputRefused(
            f"{path.name} is not a supported video (use one of: {allowed}, or a folder of images)",
            code="UNSUPPORTED_FORMAT",
        )
    size = path.stat().st_size
    if size == 0:
        raise InputRefused(f"{path.name} is empty (0 bytes)", code="EMPTY_FILE")
    if size > limits.max_size_mb * 1024 * 1024:
        raise InputRefused(
            f"{path.name} is {size / 1024 / 1024:.0f} MB; the limit is "
            f"{limits.max_size_mb:.0f} MB. Trim or compress the clip.",
            code="TOO_LARGE",
        )
    width, height, fps, frames = _open_video_metadata(path)
    duration = frames / fps
    if duration > limits.max_duration_s + 0.5:
        raise InputRefused(
            f"{path.name} lasts {duration:.0f} s; this test allows at most "
            f"{limits.max_duration_s:.0f} s. Trim the clip to the test itself.",
            code="TOO_LONG",
        )
    return VideoInfo(
        path=str(path),
        sha256=sha256_of(path),
        size_bytes=size,
        width=width,
        height=height,
        fps=fps,
        frames=frames,
        duration_s=round(duration, 3),
        kind="video",
    )


def check_frame_size(name: str, width: int, height: int) -> None:
    """Refuse frames too small to show a person or too large to decode safely. A header
    that gives no size (0) is left to the first decoded frame."""
    if width <= 0 or height <= 0:
        return
    if min(width, height) < MIN_FRAME_SIDE_PX:
        raise InputRefused(
            f"{name} has {width}x{height} frames; at least {MIN_FRAME_SIDE_PX} px a side is "
            "needed to see a person (640x480 or more works best)",
            code="FRAME_TOO_SMALL",
        )
    if width * height > MAX_FRAME_PIXELS:
        raise InputRefused(
            f"{name} has {width}x{height} frames, larger than the 7680x4320 (8K) we can "
            "analyse; export it at 1920x1080 or smaller",
            code="FRAME_TOO_LARGE",
        )


def check_frame_rate(name: str, fps: float) -> None:
    if not (0 < fps <= MAX_PLAUSIBLE_FPS):
        raise InputRefused(
            f"{name} reports an impossible frame rate ({fps:g} fps); re-export the clip",
            code="BAD_FRAME_RATE",
        )


@functools.cache
def opencv():
    """cv2, imported on first use (so `flowlogic` imports fast), with OpenCV's and libav's
    own messages off: libav prints its decoding errors ("moov atom not found"), which our
    refusals say in one line instead. The settings are read when the first video opens, so
    they are set once; later calls (several a frame) only return the module."""
    os.environ.setdefault("OPENCV_LOG_LEVEL", "ERROR")
    os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")
    import cv2

    return cv2


def header_of(capture) -> tuple[int, int, float, int]:
    """(width, height, fps, frames) as an open capture's container declares them (0 where
    it does not say)."""
    cv2 = opencv()
    return (
        int(capture.get(cv2.CAP_PROP_FRAME_WIDTH) or 0),
        int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT) or 0),
        float(capture.get(cv2.CAP_PROP_FPS) or 0.0),
        int(capture.get(cv2.CAP_PROP_FRAME_COUNT) or 0),
    )


def video_header(path: Path) -> tuple[int, int, float, int] | None:
    """`header_of` a video file without decoding a frame; None when it does not open."""
    capture = opencv().VideoCapture(str(path))
    try:
        return header_of(capture) if capture.isOpened() else None
    finally:
        capture.release()


def _open_video_metadata(path: Path) -> tuple[int, int, float, int]:
    cv2 = opencv()
    capture = cv2.VideoCapture(str(path))
    try:
        if not capture.isOpened():
            raise InputRefused(
                f"{path.name} could not be read as a video (damaged, truncated or not a video)",
                code="UNREADABLE",
            )
        capture.set(cv2.CAP_PROP_ORIENTATION_AUTO, 1)
        declared_width, declared_height, fps, frames = header_of(capture)
        check_frame_size(path.name, declared_width, declared_height)
        ok, frame = capture.read()
        if not ok or frame is None or frame.size == 0:
            raise InputRefused(
                f"{path.name} has no readable video frames (damaged, truncated or audio only)",
                code="UNREADABLE",
            )
        height, width = frame.shape[:2]
        check_frame_size(path.name, width, height)
    finally:
        capture.release()
    check_frame_rate(path.name, fps)
    if frames <= 0:
        raise InputRefused(f"{path.name} reports no frames", code="UNREADABLE")
    return width, height, fps, frames


def _probe_image_folder(folder: Path, limits: Limits, fps: float) -> VideoInfo:
    files = image_files(folder)
    if not files:
        raise InputRefused(
            f"{folder} holds no images ({', '.join(IMAGE_EXTENSIONS)})", code="EMPTY_FOLDER"
        )
    duration = len(files) / fps
    if duration > limits.max_duration_s + 0.5:
        raise InputRefused(
            f"{folder.name} holds {len(files)} images = {duration:.0f} s at {fps:g} fps; "
            f"this test allows at most {limits.max_duration_s:.0f} s",
            code="TOO_LONG",
        )
    import cv2

    first = cv2.imread(str(files[0]))
    if first is None:
        raise InputRefused(f"{files[0].name} could not be read as an image", code="UNREADABLE")
    check_frame_size(files[0].name, first.shape[1], first.shape[0])
    digest = hashlib.sha256()
    total = 0
    for file in files:
        digest.update(file.name.encode())
        digest.update(sha256_of(file).encode())
        total += file.stat().st_size
    if total > limits.max_size_mb * 1024 * 1024:
        raise InputRefused(
            f"{folder.name} holds {total / 1024 / 1024:.0f} MB of images; the limit is "
            f"{limits.max_size_mb:.0f} MB",
            code="TOO_LARGE",
        )
    height, width = first.shape[:2]
    return VideoInfo(
        path=str(folder),
        sha256=digest.hexdigest(),
        size_bytes=total,
        width=width,
        height=height,
        fps=fps,
        frames=len(files),
        duration_s=round(duration, 3),
        kind="images",
    )
