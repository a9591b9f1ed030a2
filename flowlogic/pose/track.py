"""`PoseTrack`: the only thing scorers and quality gates see of a video.

Plain numpy arrays, one row per analysed frame:

- `timestamps_s` (T,): seconds from the start of the clip.
- `image` (T, 33, 4): x, y normalised to the frame (0..1, may fall outside when a
  landmark is outside the picture), z (MediaPipe's relative depth) and visibility
  (0..1). Frames without a detected pose hold NaN in x, y, z and 0 visibility.
- `world` (T, 33, 3): MediaPipe world landmarks in metres, hip-centred (NaN when absent).
- `brightness` (T,): mean grey level of the frame, 0..255.
- `faces` (T,): faces seen by the face detector on sampled frames, -1 where not sampled
  (used to notice a second person).
- `face` (T, 468, 3) or None: Face Mesh landmarks (normalised), only for the neck tests.

Saved as `.npz` without pickles, so a cached track can be loaded safely.
"""

from __future__ import annotations

import json
import os
import tempfile
from dataclasses import dataclass, field, replace
from pathlib import Path

import numpy as np

from flowlogic.pose.landmarks import MIRROR_PERMUTATION, NUM_LANDMARKS

TRACK_FORMAT_VERSION = 1


@dataclass(frozen=True)
class PoseTrack:
    timestamps_s: np.ndarray
    image: np.ndarray
    world: np.ndarray
    brightness: np.ndarray
    faces: np.ndarray
    frame_width: int
    frame_height: int
    fps: float
    source_fps: float
    source_frames: int
    model: str
    face: np.ndarray | None = None
    meta: dict = field(default_factory=dict)

    def __post_init__(self) -> None:
        frames = len(self.timestamps_s)
        if self.image.shape != (frames, NUM_LANDMARKS, 4):
            raise ValueError(f"image landmarks must be ({frames}, 33, 4), got {self.image.shape}")
        if self.world.shape != (frames, NUM_LANDMARKS, 3):
            raise ValueError(f"world landmarks must be ({frames}, 33, 3), got {self.world.shape}")
        for name in ("brightness", "faces"):
            if len(getattr(self, name)) != frames:
                raise ValueError(f"{name} must have one value per frame")

    # -- shape -------------------------------------------------------------------------
    @property
    def frames(self) -> int:
        return len(self.timestamps_s)

    @property
    def duration_s(self) -> float:
        if self.frames == 0:
            return 0.0
        return float(self.timestamps_s[-1] - self.timestamps_s[0]) + 1.0 / max(self.fps, 1e-6)

    @property
    def present(self) -> np.ndarray:
        """(T,) True where a pose was detected."""
        return ~np.isnan(self.image[:, 0, 0])

    @property
    def visibility(self) -> np.ndarray:
        """(T, 33) landmark visibility, 0 where no pose."""
        return np.nan_to_num(self.image[:, :, 3], nan=0.0)

    @property
    def xy(self) -> np.ndarray:
        """(T, 33, 2) landmark positions in pixels (square pixels, so angles are true)."""
        scale = np.array([self.frame_width, self.frame_height], dtype=np.float64)
        return self.image[:, :, :2].astype(np.float64) * scale

    # -- transforms --------------------------------------------------------------------
    def mirrored(self) -> PoseTrack:
        """The track of the horizontally flipped video: x -> 1-x, left and right swapped."""
        perm = MIRROR_PERMUTATION
        image = self.image[:, perm, :].copy()
        image[:, :, 0] = 1.0 - image[:, :, 0]
        world = self.world[:, perm, :].copy()
        world[:, :, 0] = -world[:, :, 0]
        face = None
        if self.face is not None:
            face = self.face.copy()
            face[:, :, 0] = 1.0 - face[:, :, 0]
        return replace(self, image=image, world=world, face=face)

    def slice_time(self, start_s: float, end_s: float) -> PoseTrack:
        keep = (self.timestamps_s >= start_s) & (self.timestamps_s < end_s)
        return replace(
            self,
            timestamps_s=self.timestamps_s[keep] - start_s,
            image=self.image[keep],
            world=self.world[keep],
            brightness=self.brightness[keep],
            faces=self.faces[keep],
            face=None if self.face is None else self.face[keep],
        )

    @classmethod
    def interleaved(cls, parts: list[PoseTrack]) -> PoseTrack:
        """One track from tracks of the same recording analysed in parallel (each saw
        every n-th frame): frames merged in time order; the header is the first part's."""
        parts = [part for part in parts if part.frames] or parts[:1]
        first = parts[0]
        order = np.argsort(np.concatenate([part.timestamps_s for part in parts]), kind="stable")

        def merged(name: str) -> np.ndarray:
            return np.concatenate([getattr(part, name) for part in parts])[order]

        faces_seen = all(part.face is not None for part in parts)
        return replace(
            first,
            timestamps_s=merged("timestamps_s"),
            image=merged("image"),
            world=merged("world"),
            brightness=merged("brightness"),
            faces=merged("faces"),
            face=merged("face") if faces_seen else None,
        )

    # -- persistence -------------------------------------------------------------------
    def save(self, path: Path) -> None:
        """Write atomically (temporary file, then rename) as a pickle-free `.npz`."""
        path.parent.mkdir(parents=True, exist_ok=True)
        header = {
            "format": TRACK_FORMAT_VERSION,
            "frame_width": self.frame_width,
            "frame_height": self.frame_height,
            "fps": self.fps,
            "source_fps": self.source_fps,
            "source_frames": self.source_frames,
            "model": self.model,
            "meta": self.meta,
        }
        arrays = {
            "timestamps_s": self.timestamps_s,
            "image": self.image,
            "world": self.world,
            "brightness": self.brightness,
            "faces": self.faces,
            "header": np.array(json.dumps(header)),
        }
        if self.face is not None:
            arrays["face"] = self.face
        # a temporary name of this writer's own (two processes may cache the same clip at
        # once), removed when the write fails (a full disk leaves no partial file)
        handle, temp_name = tempfile.mkstemp(
            prefix=f".{path.name}.", suffix=".tmp", dir=path.parent
        )
        tmp = Path(temp_name)
        try:
            with os.fdopen(handle, "wb") as stream:
                np.savez_compressed(stream, **arrays)
            tmp.replace(path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise

    @classmethod
    def load(cls, path: Path) -> PoseTrack:
        with np.load(path, allow_pickle=False) as data:
            header = json.loads(str(data["header"]))
            if header.get("format") != TRACK_FORMAT_VERSION:
                raise ValueError(f"unsupported track format {header.get('format')}")
            return cls(
                timestamps_s=data["timestamps_s"],
                image=data["image"],
                world=data["world"],
                brightness=data["brightness"],
                faces=data["faces"],
                face=data["face"] if "face" in data.files else None,
                frame_width=int(header["frame_width"]),
                frame_height=int(header["frame_height"]),
                fps=float(header["fps"]),
                source_fps=float(header["source_fps"]),
                source_frames=int(header["source_frames"]),
                model=str(header["model"]),
                meta=dict(header.get("meta", {})),
            )


def empty_track(frame_width: int, frame_height: int, fps: float, model: str) -> PoseTrack:
    return PoseTrack(
        timestamps_s=np.zeros(0),
        image=np.zeros((0, NUM_LANDMARKS, 4), dtype=np.float32),
        world=np.zeros((0, NUM_LANDMARKS, 3), dtype=np.float32),
        brightness=np.zeros(0, dtype=np.float32),
        faces=np.zeros(0, dtype=np.int8),
        frame_width=frame_width,
        frame_height=frame_height,
        fps=fps,
        source_fps=fps,
        source_frames=0,
        model=model,
    )
