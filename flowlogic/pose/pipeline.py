"""One pose pass per video: frames -> `PoseTrack`, cached by content hash and model.

Decoding runs in a thread ahead of inference (bounded queue); frames above
`max_fps` are skipped (60 fps clips are analysed at 30 fps); very large frames are
scaled down before inference. The same `TrackBuilder` serves live recording, where
frames arrive from a camera one at a time.
"""

from __future__ import annotations

import hashlib
import json
import zipfile
from collections.abc import Callable, Iterable
from dataclasses import asdict, dataclass
from pathlib import Path

import numpy as np

from flowlogic import paths
from flowlogic.capture.probe import VideoInfo, opencv
from flowlogic.capture.sources import Frame, open_source, prefetch
from flowlogic.errors import InputRefused
from flowlogic.pose.backend import (
    FACE_MESH_POINTS,
    ModelSet,
    PoseBackend,
    PoseEstimate,
)
from flowlogic.pose.landmarks import NUM_LANDMARKS
from flowlogic.pose.quiet import native_logs_to_file
from flowlogic.pose.track import PoseTrack

#: Bump when the way tracks are made changes, so old cache entries are not reused.
# 2: overlapping face boxes count once (MULTIPLE_PEOPLE); 3: large frames scaled with
# bilinear instead of area interpolation; 4: brightness from a nearest-neighbour sample;
# 5: large frames reduced by a whole factor (1080x1920 -> 540x960)
PIPELINE_VERSION = 5


@dataclass(frozen=True)
class AnalysisOptions:
    max_fps: float = 30.0
    #: frames whose long side exceeds this are reduced by a whole factor before inference
    #: (see `reduced_to_fit`; unscaled 1080p frames cost two batch workers more,
    #: measured, than reducing them first)
    max_inference_side: int = 1280
    #: run Face Mesh too (neck tests only)
    face_mesh: bool = False
    #: look for a second face every this many seconds (0 = never)
    face_count_every_s: float = 0.5
    #: test helpers: flip or rescale the frames before analysis
    mirror: bool = False
    scale: float = 1.0

    def key(self, model_id: str) -> str:
        payload = json.dumps(
            {"pipeline": PIPELINE_VERSION, "model": model_id, **asdict(self)}, sort_keys=True
        )
        return hashlib.sha256(payload.encode()).hexdigest()[:16]


def mean_brightness(image_bgr: np.ndarray) -> float:
    """Mean grey level 0..255: the grey weights (ITU-R BT.601, as OpenCV's BGR2GRAY)
    applied to the channel means of a 160-px-wide sample of the pixels (nearest
    neighbour: 0.13 ms for a 1080x1920 frame, within half a grey level of the full mean)."""
    cv2 = opencv()
    height, width = image_bgr.shape[:2]
    if width > 160:
        size = (160, max(1, round(height * 160 / width)))
        image_bgr = cv2.resize(image_bgr, size, interpolation=cv2.INTER_NEAREST)
    blue, green, red, _ = cv2.mean(image_bgr)
    return float(0.114 * blue + 0.587 * green + 0.299 * red)


def scaled_to_fit(image_bgr: np.ndarray, max_side: int) -> np.ndarray:
    """The image with its long side at most `max_side`. Bilinear: 1.5 ms against 6.4 ms
    (area) for 1080x1920 on one core, and the landmarks move < 1 px on average (the model
    samples its own 256-px crop anyway)."""
    height, width = image_bgr.shape[:2]
    long_side = max(width, height)
    if long_side <= max_side:
        return image_bgr
    factor = max_side / long_side
    size = (round(width * factor), round(height * factor))
    cv2 = opencv()
    return cv2.resize(image_bgr, size, interpolation=cv2.INTER_LINEAR)


def reduced_to_fit(image_bgr: np.ndarray, max_side: int) -> np.ndarray:
    """The image divided by the smallest whole factor that brings its long side to at most
    `max_side` (1080x1920 -> 540x960, 2160x3840 -> 720x1280). A whole factor is OpenCV's
    fast path: 0.85 ms for 1080x1920 on one core against 3.9 ms to fit 720x1280 exactly,
    each output pixel the mean of a 2x2 (3x3...) block. The pose model works on its own
    256-px crop of the person, and live recording analyses at 640 px with the same
    results (data/recording.toml), so nothing it needs is lost."""
    height, width = image_bgr.shape[:2]
    factor = -(-max(width, height) // max_side)  # ceiling division
    if factor <= 1:
        return image_bgr
    cv2 = opencv()
    exact = width % factor == 0 and height % factor == 0
    return cv2.resize(
        image_bgr,
        (width // factor, height // factor),
        interpolation=cv2.INTER_AREA if exact else cv2.INTER_LINEAR,
    )


def model_rgb(image_bgr: np.ndarray) -> np.ndarray:
    """The read-only RGB copy the pose and face models take."""
    cv2 = opencv()
    rgb = cv2.cvtColor(image_bgr, cv2.COLOR_BGR2RGB)
    rgb.flags.writeable = False
    return rgb


class TrackBuilder:
    """Feeds frames to the pose model one at a time and assembles a `PoseTrack`."""

    def __init__(
        self,
        *,
        fps: float,
        source_fps: float,
        source_frames: int,
        options: AnalysisOptions = AnalysisOptions(),
        backend: PoseBackend | None = None,
        models: ModelSet | None = None,
    ) -> None:
        self.options = options
        self.fps = fps
        self.source_fps = source_fps
        self.source_frames = source_frames
        self._owns_models = models is None
        self.models = models or ModelSet(backend)
        if not self._owns_models:
            self.models.reset()
        self.backend = self.models.pose
        self.face_counter = self.models.face_counter() if options.face_count_every_s > 0 else None
        self.face_mesh = self.models.face_mesh() if options.face_mesh else None
        self._times: list[float] = []
        self._image: list[np.ndarray] = []
        self._world: list[np.ndarray] = []
        self._bright: list[float] = []
        self._faces: list[int] = []
        self._face: list[np.ndarray] = []
        self._next_face_count_s = 0.0
        self.frame_size: tuple[int, int] | None = None

    def add(self, frame: Frame) -> PoseEstimate | None:
        if self.frame_size is None:
            height, width = frame.image.shape[:2]
            self.frame_size = (width, height)
        image = reduced_to_fit(frame.image, self.options.max_inference_side)
        rgb = model_rgb(image)
        estimate = self.backend.estimate(rgb)
        self._times.append(frame.timestamp_s)
        self._bright.append(mean_brightness(image))
        if estimate is None:
            self._image.append(np.full((NUM_LANDMARKS, 4), np.nan, dtype=np.float32))
            self._image[-1][:, 3] = 0.0
            self._world.append(np.full((NUM_LANDMARKS, 3), np.nan, dtype=np.float32))
        else:
            self._image.append(estimate.image)
            self._world.append(estimate.world)
        faces = -1
        if self.face_counter is not None and frame.timestamp_s >= self._next_face_count_s:
            faces = self.face_counter.count(rgb)
            self._next_face_count_s = frame.timestamp_s + self.options.face_count_every_s
        self._faces.append(faces)
        if self.face_mesh is not None:
            mesh = self.face_mesh.estimate(rgb)
            if mesh is None:
                mesh = np.full((FACE_MESH_POINTS, 3), np.nan, dtype=np.float32)
            self._face.append(mesh)
        return estimate

    def build(self) -> PoseTrack:
        width, height = self.frame_size or (0, 0)
        frames = len(self._times)
        return PoseTrack(
            timestamps_s=np.asarray(self._times, dtype=np.float64),
            image=np.asarray(self._image, dtype=np.float32).reshape(frames, NUM_LANDMARKS, 4),
            world=np.asarray(self._world, dtype=np.float32).reshape(frames, NUM_LANDMARKS, 3),
            brightness=np.asarray(self._bright, dtype=np.float32),
            faces=np.asarray(self._faces, dtype=np.int8),
            face=(
                np.asarray(self._face, dtype=np.float32).reshape(frames, FACE_MESH_POINTS, 3)
                if self.face_mesh is not None
                else None
            ),
            frame_width=width,
            frame_height=height,
            fps=self.fps,
            source_fps=self.source_fps,
            source_frames=self.source_frames,
            model=self.backend.model_id,
        )

    def close(self) -> None:
        if self._owns_models:
            self.models.close()


def track_from_frames(
    frames: Iterable[Frame],
    *,
    fps: float,
    source_fps: float,
    source_frames: int,
    options: AnalysisOptions = AnalysisOptions(),
    backend: PoseBackend | None = None,
    on_frame: Callable[[Frame, PoseEstimate | None], None] | None = None,
    models: ModelSet | None = None,
) -> PoseTrack:
    with native_logs_to_file():
        builder = TrackBuilder(
            fps=fps,
            source_fps=source_fps,
            source_frames=source_frames,
            options=options,
            backend=backend,
            models=models,
        )
        try:
            for frame in prefetch(frames):
                estimate = builder.add(frame)
                if on_frame is not None:
                    on_frame(frame, estimate)
            return builder.build()
        finally:
            builder.close()


def cache_path(sha256: str, options: AnalysisOptions, model_id: str) -> Path:
    return paths.landmark_cache_dir() / sha256[:2] / f"{sha256}-{options.key(model_id)}.npz"


def default_model_id() -> str:
    from flowlogic.pose.backend import mediapipe_version

    return f"mediapipe-{mediapipe_version()}-blazepose-full-video"


def analyse(
    info: VideoInfo,
    *,
    options: AnalysisOptions = AnalysisOptions(),
    use_cache: bool = True,
    backend: PoseBackend | None = None,
    progress: Callable[[int, int], None] | None = None,
    models: ModelSet | None = None,
    cache_only: bool = False,
) -> tuple[PoseTrack, bool]:
    """The `PoseTrack` of a probed input, from the cache when possible.

    Returns the track and whether it came from the cache (no inference ran).
    `progress(done, total)` is called after each analysed frame. `models` reuses loaded
    models (batch workers); `cache_only` refuses to run inference (rescoring).
    """
    if models is not None:
        backend = models.pose
    model_id = backend.model_id if backend is not None else default_model_id()
    path = cache_path(info.sha256, options, model_id)
    if use_cache and path.exists():
        try:
            return PoseTrack.load(path), True
        except (OSError, ValueError, KeyError, EOFError, zipfile.BadZipFile):
            path.unlink(missing_ok=True)  # a damaged cache entry is rebuilt, not trusted
    if cache_only:
        raise InputRefused(
            f"No cached landmarks for {Path(info.path).name}; score it once without rescoring",
            code="NOT_CACHED",
        )
    source = open_source(
        Path(info.path),
        max_fps=options.max_fps,
        mirror=options.mirror,
        scale=options.scale,
        images_fps=info.fps,
    )
    expected = source.source_frames / max(source.step, 1)
    on_frame = None
    if progress is not None:
        total = int(round(expected))
        counter = iter(range(1, 1 << 62))

        def on_frame(_frame: Frame, _estimate: PoseEstimate | None) -> None:
            progress(next(counter), total)

    track = track_from_frames(
        source,
        fps=source.fps,
        source_fps=source.source_fps,
        source_frames=source.source_frames,
        options=options,
        backend=None if models is not None else backend,
        on_frame=on_frame,
        models=models,
    )
    if info.kind == "video" and expected >= 10 and track.frames < 0.5 * expected:
        raise InputRefused(
            f"{Path(info.path).name} stops after {track.frames} of {expected:.0f} frames "
            "(the file looks truncated); re-export or copy it again",
            code="TRUNCATED",
        )
    if track.frames == 0:
        raise InputRefused(f"{Path(info.path).name} has no readable frames", code="UNREADABLE")
    if use_cache:
        track.save(path)
    return track, False
