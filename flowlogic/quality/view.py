"""Which way the body faces the camera, and whether it is upright or lying.

Facing the camera, shoulders and hips look wide against the torso's length; side-on
they collapse to a few pixels. Pure functions of pixel landmarks.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from flowlogic.geometry.angles import inclination_from_vertical, signed_tilt_from_horizontal
from flowlogic.geometry.body import distance, midpoint, torso_length_series
from flowlogic.pose.landmarks import Landmark as L


def _median(values: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return float(np.nanmedian(values)) if np.size(values) else float("nan")


def width_ratio(xy: np.ndarray) -> float:
    """Median shoulder width over the torso's upright length (its 90th percentile, so a
    forward lean or a squat does not shorten it). Facing the camera ≈ 0.5-0.65,
    side-on ≈ 0.2-0.4 on the shared footage."""
    torso = torso_length_series(xy)
    finite = torso[np.isfinite(torso)]
    if finite.size == 0:
        return float("nan")
    upright = float(np.percentile(finite, 90))
    if upright <= 0:
        return float("nan")
    shoulders = distance(xy[:, L.LEFT_SHOULDER], xy[:, L.RIGHT_SHOULDER])
    return _median(shoulders) / upright


def classify_view(ratio: float, front_min: float, side_max: float) -> str:
    """ "front", "side" or "diagonal" from a width ratio (NaN -> "unknown")."""
    if np.isnan(ratio):
        return "unknown"
    if ratio >= front_min:
        return "front"
    if ratio <= side_max:
        return "side"
    return "diagonal"


def line_tilt_deg(xy: np.ndarray) -> float:
    """Median absolute tilt of the shoulder line and of the hip line, the larger."""
    shoulders = np.abs(signed_tilt_from_horizontal(xy[:, L.RIGHT_SHOULDER], xy[:, L.LEFT_SHOULDER]))
    hips = np.abs(signed_tilt_from_horizontal(xy[:, L.RIGHT_HIP], xy[:, L.LEFT_HIP]))
    return max(_median(shoulders), _median(hips))


def torso_inclination_deg(xy: np.ndarray) -> float:
    """Median angle of the hip->shoulder line from vertical: 0 upright, 90 lying."""
    top = midpoint(xy, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    bottom = midpoint(xy, L.LEFT_HIP, L.RIGHT_HIP)
    return _median(inclination_from_vertical(top, bottom))


@dataclass(frozen=True)
class BodyFrame:
    """How big the body is and which way it faces, from whatever part is in the picture.

    With hips in view the unit is the torso (mid-shoulder to mid-hip) and the view comes
    from shoulder width against it. Upper-body tests (head and shoulders only) use the
    neck instead: mid-shoulder to mid-ear, scaled to a torso equivalent, and shoulder width
    against the neck for the view.
    """

    hips_seen: bool
    unit_px: float
    width_ratio: float
    inclination_deg: float
    centre: np.ndarray  # (T, 2): pelvis, or mid-shoulder without hips


def _neck(xy: np.ndarray) -> np.ndarray:
    shoulders = midpoint(xy, L.LEFT_SHOULDER, L.RIGHT_SHOULDER)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        ears = np.nanmean(xy[:, [L.LEFT_EAR, L.RIGHT_EAR]], axis=1)
    return ears - shoulders


def body_frame(xy: np.ndarray, *, hips_seen_ratio: float, neck_to_torso: float) -> BodyFrame:
    hips = ~np.isnan(xy[:, [L.LEFT_HIP, L.RIGHT_HIP], 0]).any(axis=1)
    shoulders = ~np.isnan(xy[:, [L.LEFT_SHOULDER, L.RIGHT_SHOULDER], 0]).any(axis=1)
    seen = shoulders.any() and hips[shoulders].mean() >= hips_seen_ratio
    if seen:
        return BodyFrame(
            True,
            float(
                np.nanpercentile(torso_length_series(xy), 90)
                if np.isfinite(torso_length_series(xy)).any()
                else np.nan
            ),
            width_ratio(xy),
            torso_inclination_deg(xy),
            midpoint(xy, L.LEFT_HIP, L.RIGHT_HIP),
        )
    neck = _neck(xy)
    neck_height = _median(np.linalg.norm(neck, axis=1))
    shoulder_width = _median(distance(xy[:, L.LEFT_SHOULDER], xy[:, L.RIGHT_SHOULDER]))
    up = np.zeros_like(neck)
    up[:, 1] = -1.0
    from flowlogic.geometry.angles import angle_between

    return BodyFrame(
        False,
        neck_height * neck_to_torso,
        shoulder_width / neck_height if neck_height > 0 else float("nan"),
        _median(angle_between(neck, up)),
        midpoint(xy, L.LEFT_SHOULDER, L.RIGHT_SHOULDER),
    )
