"""Helpers that make small test videos (OpenCV writer, or the ffmpeg binary shipped in the
imageio-ffmpeg wheel for things OpenCV cannot write, such as rotation metadata)."""

from __future__ import annotations

import subprocess
from pathlib import Path

import numpy as np


def ffmpeg_exe() -> str:
    import imageio_ffmpeg

    return imageio_ffmpeg.get_ffmpeg_exe()


def ffmpeg(*args: str) -> None:
    subprocess.run([ffmpeg_exe(), "-y", "-loglevel", "error", *args], check=True)


def write_video(path: Path, frames: list[np.ndarray], fps: float = 30.0) -> Path:
    import cv2

    height, width = frames[0].shape[:2]
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for frame in frames:
        writer.write(frame)
    writer.release()
    return path


def solid_frames(count: int, size: tuple[int, int] = (160, 120), value: int = 128) -> list:
    width, height = size
    return [np.full((height, width, 3), value, dtype=np.uint8) for _ in range(count)]
