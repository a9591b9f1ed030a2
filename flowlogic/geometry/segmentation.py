"""Rep and hold segmentation with hysteresis.

A rep starts when a signal rises past `enter` and ends when it falls back past `exit`
(exit < enter), so jitter around one threshold never splits or invents reps. A rep
already past `enter` when the clip starts, or still past `enter` when it ends, is
marked `partial` and not counted as complete; a clip that starts or ends between the
two thresholds (nearly standing) counts as starting or ending at rest.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class Segment:
    start: int  # first frame index (inclusive)
    end: int  # last frame index (exclusive)
    start_s: float
    end_s: float
    partial: bool = False

    @property
    def duration_s(self) -> float:
        return self.end_s - self.start_s


def _time_at(timestamps_s: np.ndarray, index: int) -> float:
    if index < len(timestamps_s):
        return float(timestamps_s[index])
    if len(timestamps_s) >= 2:
        return float(timestamps_s[-1] + (timestamps_s[-1] - timestamps_s[-2]))
    return float(timestamps_s[-1]) if len(timestamps_s) else 0.0


def hysteresis_segments(
    signal: np.ndarray,
    timestamps_s: np.ndarray,
    *,
    enter: float,
    exit: float,
    min_duration_s: float = 0.0,
) -> list[Segment]:
    """Stretches where `signal` went above `enter`, bounded by the last/first sample at or
    below `exit` on either side. NaN samples keep the current state."""
    if exit > enter:
        raise ValueError("exit threshold must not be above the enter threshold")
    segments: list[Segment] = []
    values = np.asarray(signal, dtype=np.float64)
    finite = np.flatnonzero(~np.isnan(values))
    if finite.size == 0:
        return []
    inside = False
    # the clip counts as starting at rest unless it starts already past `enter`
    seen_rest = bool(values[finite[0]] < enter)
    last_rest = int(finite[0])
    start = 0
    partial_start = False
    for i, value in enumerate(values):
        if np.isnan(value):
            continue
        if not inside:
            if value <= exit:
                seen_rest = True
                last_rest = i
            elif value >= enter:
                inside = True
                start = last_rest if seen_rest else 0
                partial_start = not seen_rest
        elif value <= exit:
            segment = Segment(
                start,
                i + 1,
                _time_at(timestamps_s, start),
                _time_at(timestamps_s, i),
                partial=partial_start,
            )
            if segment.duration_s >= min_duration_s:
                segments.append(segment)
            inside = False
            seen_rest = True
            last_rest = i
    if inside:
        last = int(finite[-1])
        ends_at_rest = bool(values[last] < enter)
        end = last + 1 if ends_at_rest else len(values)
        segment = Segment(
            start,
            end,
            _time_at(timestamps_s, start),
            _time_at(timestamps_s, end - 1 if ends_at_rest else end),
            partial=partial_start or not ends_at_rest,
        )
        if segment.duration_s >= min_duration_s:
            segments.append(segment)
    return segments


def hold_segments(
    mask: np.ndarray, timestamps_s: np.ndarray, *, grace_s: float = 0.5, min_duration_s: float = 0.0
) -> list[Segment]:
    """Runs where `mask` holds, bridging breaks no longer than `grace_s` (landmark
    jitter), so a hold ends at the first sustained break."""
    mask = np.asarray(mask, dtype=bool)
    segments: list[Segment] = []
    i = 0
    n = len(mask)
    while i < n:
        if not mask[i]:
            i += 1
            continue
        start = i
        end = i
        j = i
        while j < n:
            if mask[j]:
                end = j
                j += 1
                continue
            k = j
            while k < n and not mask[k]:
                k += 1
            gap = _time_at(timestamps_s, k) - _time_at(timestamps_s, j)
            if k < n and gap <= grace_s:
                j = k
                continue
            break
        segment = Segment(
            start,
            end + 1,
            _time_at(timestamps_s, start),
            _time_at(timestamps_s, end + 1),
            partial=start == 0 or end == n - 1,
        )
        if segment.duration_s >= min_duration_s:
            segments.append(segment)
        i = end + 1
    return segments
