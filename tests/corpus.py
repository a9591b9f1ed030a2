"""The broken-media corpus, built at test time into a temporary folder (nothing large is
committed): OpenCV for images, the ffmpeg binary of the imageio-ffmpeg wheel for video,
and a few header bytes patched by hand for metadata no encoder will write.

Every item says how Flow Logic must treat it:
- `refused` (an `InputRefused` code, exit 5): refused before analysis — no attempt is
  stored and no landmark file is cached. `TRUNCATED` is found while decoding, so it is
  refused after the frames were read, still before anything is stored.
- `refused is None` (exit 3): the file can be analysed; its frames hold no person (test
  patterns, flat grey), so the quality gates fail and an invalid attempt is stored.

Generated content is deterministic (bit-exact ffmpeg output, seeded random bytes), so a
clip's landmark cache entry is reused across runs.
"""

from __future__ import annotations

import random
import struct
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from tests.media import ffmpeg

BITEXACT = ("-fflags", "+bitexact", "-flags:v", "+bitexact")


@dataclass(frozen=True)
class BrokenMedia:
    name: str  # short identifier, also a valid profile name
    path: Path
    what: str  # what is wrong with it, for test ids and reports
    refused: str | None  # the InputRefused code, or None when it is analysable

    @property
    def exit_code(self) -> int:
        return 5 if self.refused else 3


# --- makers: each writes one file into `folder` and returns its path ---------------------


def _test_pattern(path: Path, *, seconds: float = 2.0, size: str = "160x120", extra=()) -> Path:
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=s={size}:r=30:d={seconds}",
        "-c:v", "libx264", "-preset", "ultrafast", "-g", "10", "-bf", "0",
        *extra, *BITEXACT, str(path),
    )  # fmt: skip
    return path


def zero_bytes(folder: Path) -> Path:
    path = folder / "zero-bytes.mp4"
    path.write_bytes(b"")
    return path


def random_bytes(folder: Path, suffix: str = ".mp4") -> Path:
    path = folder / f"random-bytes{suffix}"
    path.write_bytes(random.Random(8).randbytes(200_000))
    return path


def truncated(folder: Path, fraction: float, *, moov_first: bool = True) -> Path:
    """A 2 s, 60-frame H.264 clip cut after `fraction` of its bytes. With the index
    (moov) first, the frames before the cut still decode; with it last (the default of
    most encoders), nothing can be read at all."""
    layout = "faststart" if moov_first else "moov-last"
    whole = folder / "sources" / f"whole-{layout}.mp4"
    if not whole.exists():
        whole.parent.mkdir(exist_ok=True)
        _test_pattern(whole, extra=("-movflags", "+faststart") if moov_first else ())
    data = whole.read_bytes()
    path = folder / f"truncated-{layout}-{round(fraction * 1000):04d}.mp4"
    path.write_bytes(data[: int(len(data) * fraction)])
    return path


def image_named_mp4(folder: Path) -> Path:
    import cv2

    image = np.zeros((240, 320, 3), np.uint8)
    image[:] = (40, 120, 200)
    path = folder / "photo.mp4"
    path.write_bytes(cv2.imencode(".jpg", image)[1].tobytes())
    return path


def audio_only(folder: Path) -> Path:
    path = folder / "audio-only.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "sine=frequency=440:duration=1", "-c:a", "aac", *BITEXACT, str(path)
    )
    return path


def _mjpeg_avi(path: Path, *, size: str = "160x120", rate: str = "30", seconds: float = 1) -> Path:
    ffmpeg(
        "-f", "lavfi", "-i", f"testsrc=s={size}:r={rate}:d={seconds}", "-c:v", "mjpeg",
        *BITEXACT, str(path),
    )  # fmt: skip
    return path


def _patch_avi_rate(path: Path, scale: int, rate: int) -> Path:
    """Rewrite the video stream header's frame rate (dwRate / dwScale) and the main
    header's microseconds per frame, as a damaged or hand-made AVI would carry them."""
    data = bytearray(path.read_bytes())
    main = data.index(b"avih")
    struct.pack_into("<I", data, main + 8, 0)
    stream = data.index(b"strh")
    assert data[stream + 8 : stream + 12] == b"vids"
    struct.pack_into("<II", data, stream + 28, scale, rate)
    path.write_bytes(bytes(data))
    return path


def zero_fps_avi(folder: Path) -> Path:
    """Frame rate 0 in the AVI header (the demuxer falls back to 25 fps)."""
    return _patch_avi_rate(_mjpeg_avi(folder / "zero-fps.avi"), scale=1, rate=0)


def absurd_fps_avi(folder: Path) -> Path:
    """A billion frames per second in the AVI header."""
    return _patch_avi_rate(_mjpeg_avi(folder / "absurd-fps.avi"), scale=1, rate=1_000_000_000)


def zero_durations_mp4(folder: Path) -> Path:
    """An MJPEG MP4 whose samples all last 0 and whose media time scale is 0: no frame
    rate can be derived from it (the reader then reports the container's tick rate)."""
    path = folder / "zero-durations.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=s=160x120:r=30:d=1", "-c:v", "mjpeg", *BITEXACT, str(path)
    )  # fmt: skip
    data = bytearray(path.read_bytes())
    stts = data.index(b"stts")
    for entry in range(struct.unpack_from(">I", data, stts + 8)[0]):
        struct.pack_into(">I", data, stts + 12 + 8 * entry + 4, 0)
    mdhd = data.index(b"mdhd")
    timescale = mdhd + 8 + (8 if data[mdhd + 4] == 0 else 16)
    struct.pack_into(">I", data, timescale + 4, 0)
    path.write_bytes(bytes(data))
    return path


def variable_frame_rate(folder: Path) -> Path:
    """One second at 30 fps, then frames 0.2 s apart (a phone's VFR recording)."""
    path = folder / "variable-frame-rate.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "testsrc=s=160x120:r=30:d=2",
        "-vf", "setpts='if(lt(N,30),N/30/TB,(1+(N-30)/5)/TB)'", "-fps_mode", "vfr",
        "-c:v", "libx264", "-preset", "ultrafast", *BITEXACT, str(path),
    )  # fmt: skip
    return path


def one_pixel(folder: Path) -> Path:
    path = folder / "one-pixel.mkv"
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=gray:s=2x2:r=30:d=1", "-vf", "scale=1:1",
        "-c:v", "ffv1", *BITEXACT, str(path),
    )  # fmt: skip
    return path


def huge_frames(folder: Path) -> Path:
    """Two 10000x10000 frames (300 MB each once decoded; 1 MB on disk)."""
    path = folder / "huge-frames.avi"
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=gray:s=10000x10000:r=1:d=2", "-c:v", "mjpeg",
        "-q:v", "31", *BITEXACT, str(path),
    )  # fmt: skip
    return path


def two_hours(folder: Path) -> Path:
    """7200 frames at 1 fps, 64x48: two hours in 100 kB."""
    path = folder / "two-hours.mp4"
    ffmpeg(
        "-f", "lavfi", "-i", "color=c=gray:s=64x48:r=1:d=7200",
        "-c:v", "libx264", "-preset", "ultrafast", *BITEXACT, str(path),
    )  # fmt: skip
    return path


def one_frame_gif(folder: Path) -> Path:
    path = folder / "one-frame.gif"
    ffmpeg("-f", "lavfi", "-i", "color=c=gray:s=160x120:r=1:d=1", "-frames:v", "1", str(path))
    return path


# --- the corpus ------------------------------------------------------------------------

Maker = Callable[[Path], Path]

#: (name, maker, what is wrong, expected refusal code or None when analysable)
ITEMS: list[tuple[str, Maker, str, str | None]] = [
    ("zero_bytes", zero_bytes, "0 bytes", "EMPTY_FILE"),
    ("random_mp4", random_bytes, "200 kB of random bytes named .mp4", "UNREADABLE"),
    (
        "random_mkv",
        lambda f: random_bytes(f, ".mkv"),
        "200 kB of random bytes named .mkv",
        "UNREADABLE",
    ),
    (
        "cut_0005",
        lambda f: truncated(f, 0.005),
        "cut after 0.5 % (inside the header)",
        "UNREADABLE",
    ),
    (
        "cut_0100",
        lambda f: truncated(f, 0.10),
        "cut after 10 % (header whole, no whole frame)",
        "UNREADABLE",
    ),
    ("cut_0300", lambda f: truncated(f, 0.30), "cut after 30 % (13 of 60 frames)", "TRUNCATED"),
    ("cut_0900", lambda f: truncated(f, 0.90), "cut after 90 % (50 of 60 frames)", None),
    (
        "cut_moov_last",
        lambda f: truncated(f, 0.5, moov_first=False),
        "cut after 50 % with the index at the end",
        "UNREADABLE",
    ),
    ("image_named_mp4", image_named_mp4, "a JPEG photo named .mp4", "UNREADABLE"),
    ("audio_only", audio_only, "an MP4 with only an audio track", "UNREADABLE"),
    ("zero_fps", zero_fps_avi, "0 fps in the AVI header", None),
    ("zero_durations", zero_durations_mp4, "0-length samples, time scale 0", "BAD_FRAME_RATE"),
    ("absurd_fps", absurd_fps_avi, "1,000,000,000 fps in the AVI header", "BAD_FRAME_RATE"),
    ("vfr", variable_frame_rate, "variable frame rate (30 fps, then 5 fps)", None),
    ("one_pixel", one_pixel, "1x1 frames", "FRAME_TOO_SMALL"),
    ("huge_frames", huge_frames, "10000x10000 frames", "FRAME_TOO_LARGE"),
    ("two_hours", two_hours, "2 hours long (64x48, 1 fps)", "TOO_LONG"),
    ("one_frame_gif", one_frame_gif, "a GIF with a single frame", None),
]


def build(folder: Path) -> list[BrokenMedia]:
    """Write every corpus item into `folder` (created if needed)."""
    folder.mkdir(parents=True, exist_ok=True)
    return [BrokenMedia(name, make(folder), what, code) for name, make, what, code in ITEMS]
