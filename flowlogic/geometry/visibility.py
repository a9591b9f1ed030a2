"""Visibility gating and landmark preparation shared by every scorer."""

from __future__ import annotations

import numpy as np

from flowlogic.geometry.smoothing import fill_short_gaps, one_euro
from flowlogic.pose.track import PoseTrack

DEFAULT_MIN_VISIBILITY = 0.5


def gated_xy(track: PoseTrack, min_visibility: float = DEFAULT_MIN_VISIBILITY) -> np.ndarray:
    """(T, 33, 2) pixel positions, NaN where a landmark's visibility is below the gate."""
    xy = track.xy
    xy[track.visibility < min_visibility] = np.nan
    return xy


def frames_with(
    track: PoseTrack, indices: list[int], min_visibility: float = DEFAULT_MIN_VISIBILITY
) -> np.ndarray:
    """(T,) True where every landmark in `indices` passes the visibility gate."""
    if not indices:
        return track.present
    return np.all(track.visibility[:, indices] >= min_visibility, axis=1)


def prepared_xy(
    track: PoseTrack,
    *,
    min_visibility: float = DEFAULT_MIN_VISIBILITY,
    max_gap_s: float = 0.25,
    smooth: bool = True,
    min_cutoff_hz: float = 2.0,
    beta: float = 0.5,
) -> np.ndarray:
    """Gated, gap-filled and One-Euro-smoothed pixel positions (T, 33, 2).

    Smoothing works in units of frame height so that its settings mean the same at any
    resolution. Gaps up to `max_gap_s` are interpolated; longer ones stay NaN.
    """
    xy = gated_xy(track, min_visibility)
    if track.frames == 0:
        return xy
    max_gap = max(1, round(max_gap_s * track.fps))
    xy = fill_short_gaps(xy, max_gap)
    if not smooth:
        return xy
    scale = float(track.frame_height or 1)
    smoothed = one_euro(xy / scale, track.timestamps_s, min_cutoff_hz=min_cutoff_hz, beta=beta)
    return smoothed * scale
