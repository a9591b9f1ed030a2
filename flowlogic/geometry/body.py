"""Body-size measures, so distances can be compared across people, zoom and resolution.

All take pixel coordinates (T, 33, 2) with NaN for landmarks that are not trusted.
"""

from __future__ import annotations

import warnings

import numpy as np

from flowlogic.pose.landmarks import Landmark as L


def _nanmedian(values: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        result = np.nanmedian(values) if np.size(values) else np.nan
    return float(result)


def _nanpercentile(values: np.ndarray, q: float) -> float:
    finite = np.asarray(values, dtype=np.float64)
    finite = finite[np.isfinite(finite)]
    return float(np.percentile(finite, q)) if finite.size else float("nan")


def midpoint(xy: np.ndarray, a: int, b: int) -> np.ndarray:
    return (xy[..., a, :] + xy[..., b, :]) / 2.0


def distance(p: np.ndarray, q: np.ndarray) -> np.ndarray:
    return np.linalg.norm(np.asarray(p) - np.asarray(q), axis=-1)


def torso_length_series(xy: np.ndarray) -> np.ndarray:
    """Mid-shoulder to mid-hip distance per frame."""
    return distance(
        midpoint(xy, L.LEFT_SHOULDER, L.RIGHT_SHOULDER), midpoint(xy, L.LEFT_HIP, L.RIGHT_HIP)
    )


def torso_length(xy: np.ndarray) -> float:
    """Typical torso length (median over frames), the default unit of body size."""
    return _nanmedian(torso_length_series(xy))


def leg_length_series(xy: np.ndarray, side: str) -> np.ndarray:
    hip, knee, ankle = (L[f"{side.upper()}_{n}"] for n in ("HIP", "KNEE", "ANKLE"))
    return distance(xy[:, hip], xy[:, knee]) + distance(xy[:, knee], xy[:, ankle])


def leg_length(xy: np.ndarray, side: str | None = None) -> float:
    """Hip-knee-ankle length of a straight leg: a high percentile over the clip, since
    the leg is longest (straight, least foreshortened) when standing."""
    sides = [side] if side else ["left", "right"]
    values = np.concatenate([leg_length_series(xy, s) for s in sides])
    return _nanpercentile(values, 90)


def hip_width(xy: np.ndarray) -> float:
    return _nanmedian(distance(xy[:, L.LEFT_HIP], xy[:, L.RIGHT_HIP]))


def shoulder_width(xy: np.ndarray) -> float:
    return _nanmedian(distance(xy[:, L.LEFT_SHOULDER], xy[:, L.RIGHT_SHOULDER]))
