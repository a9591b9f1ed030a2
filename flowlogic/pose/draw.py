"""Draw a pose skeleton on a frame (for previews, debugging and reports)."""

from __future__ import annotations

import numpy as np

from flowlogic.pose.landmarks import Landmark as L

#: Bones as landmark pairs: trunk, arms, legs, feet.
BONES: tuple[tuple[int, int], ...] = (
    (L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    (L.LEFT_HIP, L.RIGHT_HIP),
    (L.LEFT_SHOULDER, L.LEFT_HIP),
    (L.RIGHT_SHOULDER, L.RIGHT_HIP),
    (L.LEFT_SHOULDER, L.LEFT_ELBOW),
    (L.LEFT_ELBOW, L.LEFT_WRIST),
    (L.RIGHT_SHOULDER, L.RIGHT_ELBOW),
    (L.RIGHT_ELBOW, L.RIGHT_WRIST),
    (L.LEFT_HIP, L.LEFT_KNEE),
    (L.LEFT_KNEE, L.LEFT_ANKLE),
    (L.RIGHT_HIP, L.RIGHT_KNEE),
    (L.RIGHT_KNEE, L.RIGHT_ANKLE),
    (L.LEFT_ANKLE, L.LEFT_HEEL),
    (L.LEFT_HEEL, L.LEFT_FOOT_INDEX),
    (L.LEFT_ANKLE, L.LEFT_FOOT_INDEX),
    (L.RIGHT_ANKLE, L.RIGHT_HEEL),
    (L.RIGHT_HEEL, L.RIGHT_FOOT_INDEX),
    (L.RIGHT_ANKLE, L.RIGHT_FOOT_INDEX),
    (L.NOSE, L.LEFT_EAR),
    (L.NOSE, L.RIGHT_EAR),
)

LEFT_COLOUR = (255, 160, 0)  # BGR: the person's left in blue
RIGHT_COLOUR = (0, 140, 255)  # the person's right in orange
CENTRE_COLOUR = (230, 230, 230)


def _colour(a: int, b: int) -> tuple[int, int, int]:
    names = L(a).name + L(b).name
    if "LEFT" in names and "RIGHT" not in names:
        return LEFT_COLOUR
    if "RIGHT" in names and "LEFT" not in names:
        return RIGHT_COLOUR
    return CENTRE_COLOUR


def draw_skeleton(
    image_bgr: np.ndarray,
    landmarks: np.ndarray,
    *,
    min_visibility: float = 0.5,
    thickness: int | None = None,
) -> np.ndarray:
    """A copy of `image_bgr` with the pose drawn; `landmarks` is (33, 4) normalised."""
    import cv2

    out = image_bgr.copy()
    if landmarks is None or np.isnan(landmarks[0, 0]):
        return out
    height, width = out.shape[:2]
    thickness = thickness or max(1, round(min(width, height) / 200))
    points = [(int(x * width), int(y * height)) for x, y in landmarks[:, :2]]
    visible = landmarks[:, 3] >= min_visibility
    for a, b in BONES:
        if visible[a] and visible[b]:
            cv2.line(out, points[a], points[b], _colour(a, b), thickness, cv2.LINE_AA)
    for i, point in enumerate(points):
        if visible[i]:
            cv2.circle(out, point, thickness + 1, (255, 255, 255), -1, cv2.LINE_AA)
    return out
