"""Angles in degrees from 2-D (or 3-D) points; every function works on stacked arrays
(..., D) and returns NaN where an input is NaN."""

from __future__ import annotations

import numpy as np


def angle_at(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """Angle ABC at vertex B, 0..180 degrees (straight limb = 180)."""
    return angle_between(np.asarray(a) - np.asarray(b), np.asarray(c) - np.asarray(b))


def angle_between(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Unsigned angle between vectors, 0..180 degrees."""
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    dot = np.sum(u * v, axis=-1)
    norms = np.linalg.norm(u, axis=-1) * np.linalg.norm(v, axis=-1)
    with np.errstate(invalid="ignore", divide="ignore"):
        cosine = np.clip(dot / norms, -1.0, 1.0)
    return np.degrees(np.arccos(cosine))


def inclination_from_vertical(top: np.ndarray, bottom: np.ndarray) -> np.ndarray:
    """Unsigned angle of the segment bottom->top from the image vertical, 0..180 degrees.

    Image y grows downwards, so "up" is (0, -1).
    """
    vector = np.asarray(top, dtype=np.float64) - np.asarray(bottom, dtype=np.float64)
    up = np.zeros_like(vector)
    up[..., 1] = -1.0
    return angle_between(vector, up)


def signed_tilt_from_horizontal(p1: np.ndarray, p2: np.ndarray) -> np.ndarray:
    """Tilt of the line p1->p2 from horizontal in degrees, -90..90 (positive: p2 higher).

    Direction-agnostic: a line and its reverse give the same tilt.
    """
    d = np.asarray(p2, dtype=np.float64) - np.asarray(p1, dtype=np.float64)
    dx, dy = d[..., 0], -d[..., 1]
    with np.errstate(invalid="ignore", divide="ignore"):
        tilt = np.degrees(np.arctan2(dy, dx))
    tilt = np.where(tilt > 90, tilt - 180, tilt)
    return np.where(tilt < -90, tilt + 180, tilt)


def signed_angle_2d(u: np.ndarray, v: np.ndarray) -> np.ndarray:
    """Signed angle from u to v in the image plane, -180..180 degrees (counter-clockwise
    as seen on screen is positive)."""
    u = np.asarray(u, dtype=np.float64)
    v = np.asarray(v, dtype=np.float64)
    cross = u[..., 0] * (-v[..., 1]) - (-u[..., 1]) * v[..., 0]
    dot = u[..., 0] * v[..., 0] + u[..., 1] * v[..., 1]
    return np.degrees(np.arctan2(cross, dot))


def bend_above_line_deg(a: np.ndarray, b: np.ndarray, c: np.ndarray) -> np.ndarray:
    """How far the path a->b->c bends at b (0 = straight), signed by where b sits against
    the straight line a-c: positive when b is above it in the image (nearer the top of the
    frame), negative below. Side-on floor tests read hips piking (+) or sagging (-) from it.
    """
    a = np.asarray(a, dtype=np.float64)
    b = np.asarray(b, dtype=np.float64)
    c = np.asarray(c, dtype=np.float64)
    bend = 180.0 - angle_at(a, b, c)
    line = c - a
    with np.errstate(invalid="ignore", divide="ignore"):
        along = np.sum((b - a) * line, axis=-1) / np.sum(line * line, axis=-1)
    foot_y = a[..., 1] + along * line[..., 1]
    return np.where(b[..., 1] <= foot_y, bend, -bend)
