"""Pose backends: the one place that knows a pose model's own objects.

A backend turns one upright BGR frame into 33 image landmarks (normalised x, y, z,
visibility) and 33 world landmarks (metres). Scorers never see the backend; they see
the `PoseTrack` built from its output. Today's backend is MediaPipe's "solutions" API
with the BlazePose *full* model bundled in the mediapipe 0.10.21 wheel; a Tasks-API
backend with a user-supplied `.task` file can be added beside it.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from importlib.metadata import version
from typing import Protocol

import numpy as np

from flowlogic.pose.landmarks import NUM_LANDMARKS

os.environ.setdefault("GLOG_minloglevel", "2")
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

FACE_MESH_POINTS = 468


@dataclass(frozen=True)
class PoseEstimate:
    image: np.ndarray  # (33, 4)
    world: np.ndarray  # (33, 3)


class PoseBackend(Protocol):
    model_id: str

    def estimate(self, rgb: np.ndarray) -> PoseEstimate | None: ...

    def close(self) -> None: ...


def mediapipe_version() -> str:
    return version("mediapipe")


class MediaPipePoseBackend:
    """BlazePose through `mediapipe.solutions.pose` (full model, `model_complexity=1`).

    Lite (0) and heavy (2) are downloaded at run time by mediapipe and are therefore
    not offered: this machine and many users' machines have no network.
    """

    def __init__(self, *, static_images: bool = False, smooth: bool = True) -> None:
        import mediapipe as mp

        self._pose = mp.solutions.pose.Pose(
            static_image_mode=static_images,
            model_complexity=1,
            smooth_landmarks=smooth,
            enable_segmentation=False,
            min_detection_confidence=0.5,
            min_tracking_confidence=0.5,
        )
        mode = "static" if static_images else "video"
        self.model_id = f"mediapipe-{mediapipe_version()}-blazepose-full-{mode}"

    def estimate(self, rgb: np.ndarray) -> PoseEstimate | None:
        result = self._pose.process(rgb)
        if result.pose_landmarks is None:
            return None
        image = np.array(
            [(p.x, p.y, p.z, p.visibility) for p in result.pose_landmarks.landmark],
            dtype=np.float32,
        )
        world = np.full((NUM_LANDMARKS, 3), np.nan, dtype=np.float32)
        if result.pose_world_landmarks is not None:
            world = np.array(
                [(p.x, p.y, p.z) for p in result.pose_world_landmarks.landmark],
                dtype=np.float32,
            )
        return PoseEstimate(image=image, world=world)

    def reset(self) -> None:
        """Forget tracking state before the next video, keeping the loaded model."""
        self._pose.reset()

    def close(self) -> None:
        self._pose.close()


def _overlap(a: tuple[float, ...], b: tuple[float, ...]) -> float:
    """Intersection over the smaller box's area (1 = one box inside the other)."""
    width = min(a[2], b[2]) - max(a[0], b[0])
    height = min(a[3], b[3]) - max(a[1], b[1])
    if width <= 0 or height <= 0:
        return 0.0
    smaller = min((a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1]))
    return width * height / smaller if smaller > 0 else 0.0


def distinct_boxes(boxes: list[tuple[float, ...]], max_overlap: float = 0.3) -> list:
    kept: list[tuple[float, ...]] = []
    for box in boxes:
        if all(_overlap(box, other) <= max_overlap for other in kept):
            kept.append(box)
    return kept


class FaceCounter:
    """Counts faces with MediaPipe's bundled full-range face detector (people 2-5 m away).

    Used only to notice a second person in view; run on a sample of frames.
    """

    def __init__(self, min_confidence: float = 0.6) -> None:
        import mediapipe as mp

        self._detector = mp.solutions.face_detection.FaceDetection(
            model_selection=1, min_detection_confidence=min_confidence
        )

    def count(self, rgb: np.ndarray) -> int:
        """Distinct faces: the detector sometimes reports one face twice with overlapping
        boxes (seen on the shared footage), so overlapping boxes count once."""
        result = self._detector.process(rgb)
        boxes = []
        for detection in result.detections or []:
            box = detection.location_data.relative_bounding_box
            boxes.append((box.xmin, box.ymin, box.xmin + box.width, box.ymin + box.height))
        return len(distinct_boxes(boxes))

    def reset(self) -> None:
        self._detector.reset()

    def close(self) -> None:
        self._detector.close()


class FaceMeshBackend:
    """MediaPipe Face Mesh (468 points, bundled), used only by the neck tests."""

    def __init__(self) -> None:
        import mediapipe as mp

        self._mesh = mp.solutions.face_mesh.FaceMesh(
            static_image_mode=False, max_num_faces=1, refine_landmarks=False
        )

    def estimate(self, rgb: np.ndarray) -> np.ndarray | None:
        result = self._mesh.process(rgb)
        if not result.multi_face_landmarks:
            return None
        return np.array(
            [(p.x, p.y, p.z) for p in result.multi_face_landmarks[0].landmark], dtype=np.float32
        )

    def reset(self) -> None:
        self._mesh.reset()

    def close(self) -> None:
        self._mesh.close()


class ModelSet:
    """The models an analysis needs, loaded once and reset between videos.

    A batch worker process keeps one for its whole life ("load MediaPipe once"); a single
    `flowlogic score` makes one and closes it. Face models load only when first asked for.
    """

    def __init__(self, pose: PoseBackend | None = None) -> None:
        self._owns_pose = pose is None  # a backend handed in is closed by its owner
        self.pose = pose or MediaPipePoseBackend()
        self._face_counter: FaceCounter | None = None
        self._face_mesh: FaceMeshBackend | None = None

    def face_counter(self) -> FaceCounter:
        if self._face_counter is None:
            self._face_counter = FaceCounter()
        return self._face_counter

    def face_mesh(self) -> FaceMeshBackend:
        if self._face_mesh is None:
            self._face_mesh = FaceMeshBackend()
        return self._face_mesh

    def reset(self) -> None:
        for model in (self.pose, self._face_counter, self._face_mesh):
            reset = getattr(model, "reset", None)
            if model is not None and reset is not None:
                reset()

    def close(self) -> None:
        owned = (self.pose if self._owns_pose else None, self._face_counter, self._face_mesh)
        for model in owned:
            if model is not None:
                model.close()
