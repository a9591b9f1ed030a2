"""Test 2 — Plank Endurance (CATALOG.md; norms in NORMS.md).

Side view, measured on the near side. Each frame gets:

- in position: up on the arms (shoulder above the elbow by a share of the torso) with the
  shoulder-ankle line near horizontal, so lying on the floor before or after is not a plank;
- alignment_deg: how far shoulder-hip-ankle bends at the hip, + when the hips pike above
  the line, - when they sag below it;
- steady: the shoulders stay near their hold height (a push-up moves them, a plank does not).

The hold runs from the first frame in position, in tolerance and steady to the first
sustained break (breaks shorter than the grace window are landmark jitter). Form faults
are judged on the deviation sustained over a short window, never on single frames.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.angles import bend_above_line_deg, signed_tilt_from_horizontal
from flowlogic.geometry.body import distance
from flowlogic.geometry.segmentation import Segment, hold_segments
from flowlogic.geometry.smoothing import moving_median
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.pose.landmarks import sided
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.common import (
    finite_or_none,
    nanmedian,
    near_side,
    require_body_size,
    severity_by,
    visibility_confidence,
)
from flowlogic.scoring.result import (
    Flag,
    Metric,
    Rep,
    TestResult,
    flag_penalty,
    normalize_bucket,
)

PARTS = ("shoulder", "elbow", "hip", "ankle")


def _window(seconds: float, fps: float) -> int:
    return max(1, round(seconds * fps)) | 1  # odd, so the median is centred


def sustained_alignment(alignment: np.ndarray, window: int) -> np.ndarray:
    """Running median over `window` frames, kept only where most of the window was in
    position, so a few frames while getting up or lying down never count as form."""
    if len(alignment) == 0:
        return np.asarray(alignment, dtype=np.float64)
    window = min(window, len(alignment))  # a clip shorter than the window: the whole clip
    valid = np.isfinite(alignment).astype(np.float64)
    share = np.convolve(valid, np.ones(window) / window, mode="same")
    return np.where(share >= 0.5, moving_median(alignment, window), np.nan)


@dataclass(frozen=True)
class PlankSignals:
    """Per-frame signals of the near side."""

    side: str
    torso: float  # near shoulder-hip distance, pixels
    alignment: np.ndarray  # shoulder-hip-ankle bend, + pike / - sag, degrees
    sustained: np.ndarray  # alignment held over the form window (NaN out of position)
    in_position: np.ndarray  # up on the arms, body near level
    steady: np.ndarray  # shoulders near their hold height
    shoulder_y: np.ndarray


def plank_signals(track: PoseTrack, spec: TestSpec) -> PlankSignals:
    xy = prepared_xy(track)
    side = near_side(track, ("shoulder", "hip", "ankle"))
    shoulder, elbow, hip, ankle = (xy[:, sided(n, side)] for n in PARTS)
    torso = require_body_size(nanmedian(distance(shoulder, hip)))
    alignment = bend_above_line_deg(shoulder, hip, ankle)
    lift_on_arms = (elbow[:, 1] - shoulder[:, 1]) / torso
    body_tilt = np.abs(signed_tilt_from_horizontal(shoulder, ankle))
    with np.errstate(invalid="ignore"):
        in_position = (lift_on_arms >= spec.threshold("min_lift_on_arms")) & (
            body_tilt <= spec.threshold("max_body_tilt_deg")
        )
    hold_height = nanmedian(shoulder[in_position, 1]) if in_position.any() else np.nan
    with np.errstate(invalid="ignore"):
        steady = np.abs(shoulder[:, 1] - hold_height) / torso <= spec.threshold(
            "max_shoulder_shift"
        )
    sustained = sustained_alignment(
        np.where(in_position, alignment, np.nan),
        _window(spec.threshold("form_window_s"), track.fps),
    )
    return PlankSignals(side, torso, alignment, sustained, in_position, steady, shoulder[:, 1])


def find_hold(mask: np.ndarray, timestamps_s: np.ndarray, spec: TestSpec) -> list[Segment]:
    """Hold segments; the first one long enough to be a real start comes first."""
    segments = hold_segments(mask, timestamps_s, grace_s=spec.threshold("hold_grace_s"))
    started = [s for s in segments if s.duration_s >= spec.threshold("min_hold_start_s")]
    return started or sorted(segments, key=lambda s: -s.duration_s)


def hold_bucket(hold_s: float, spec: TestSpec) -> str:
    if hold_s >= spec.threshold("pass_hold_s"):
        return "pass"
    if hold_s >= spec.threshold("limited_hold_s"):
        return "limited"
    return "significant"


def time_score(hold_s: float, spec: TestSpec) -> float:
    """0-100 growing with the hold: 30 s -> 60, 60 s -> 75, the 90 s limit -> 100."""
    limited, passed = spec.threshold("limited_hold_s"), spec.threshold("pass_hold_s")
    limit = spec.duration_limit_s
    if hold_s < limited:
        return 59.0 * hold_s / limited
    if hold_s < passed:
        return 60.0 + 14.0 * (hold_s - limited) / (passed - limited)
    return 75.0 + 25.0 * min(1.0, (hold_s - passed) / max(limit - passed, 1e-6))


def _form_flag(code: str, deviation: float, spec: TestSpec) -> Flag | None:
    if not np.isfinite(deviation) or deviation <= spec.threshold("aligned_max_deg"):
        return None
    if deviation > spec.threshold("form_severe_deg"):
        return Flag(code, None, "severe")
    if deviation > spec.threshold("form_moderate_deg"):
        return Flag(code, None, "moderate")
    return Flag(code, None, "mild")


def _window_median(values: np.ndarray, frames: np.ndarray, count: int) -> float:
    return nanmedian(values[frames[:count]]) if frames.size else float("nan")


def _notes(
    track: PoseTrack,
    spec: TestSpec,
    hold: Segment | None,
    dips: int,
    borderline: bool,
) -> list[str]:
    notes = []
    if dips:
        notes.append(
            f"Your body went down and back up {dips} time(s), as in push-ups; a plank is "
            "held still, so only the still time in line counts."
        )
    if hold is not None and hold.end >= track.frames - 1:
        notes.append("The hold lasted until the end of the recording.")
    if track.duration_s < spec.threshold("pass_hold_s") - spec.threshold("hold_grace_s"):
        notes.append(
            f"The recording is {track.duration_s:.0f} s long, shorter than the "
            f"{spec.threshold('pass_hold_s'):.0f} s a pass needs."
        )
    if borderline:
        # the typical line sits within one camera's error of the tolerance: a few
        # degrees decide whether a second counts, so we say so
        notes.append(
            f"Your body line sat close to the {spec.threshold('aligned_max_deg'):.0f}° limit; "
            f"one camera measures it to about ±{spec.threshold('borderline_margin_deg'):.0f}°, "
            "so the hold time is approximate."
        )
    return notes


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    t = track.timestamps_s
    sig = plank_signals(track, spec)
    if not sig.in_position.any():
        raise MovementNotFound(
            "We did not see a plank. Lie face down side-on to the camera, then lift onto "
            "your forearms and toes and hold your body in a straight line."
        )
    alignment, sustained = sig.alignment, sig.sustained
    in_position, steady = sig.in_position, sig.steady
    tolerance = spec.threshold("aligned_max_deg")
    with np.errstate(invalid="ignore"):
        aligned = np.abs(alignment) <= tolerance
    holds = find_hold(in_position & aligned & steady, t, spec)
    hold = holds[0] if holds else None
    hold_s = hold.duration_s if hold else 0.0
    dt = 1.0 / max(track.fps, 1e-6)
    position_frames = np.flatnonzero(in_position)
    position_s = position_frames.size * dt
    stretches = hold_segments(
        in_position,
        t,
        grace_s=spec.threshold("hold_grace_s"),
        min_duration_s=spec.threshold("min_position_s"),
    )
    dips = max(0, len(stretches) - 1)  # down out of the position and back up
    # alignment over time: the whole plank, its first and last seconds
    window = max(1, round(spec.threshold("alignment_window_s") * track.fps))
    alignment_all = nanmedian(alignment[position_frames]) if position_frames.size else np.nan
    start_deg = _window_median(alignment, position_frames, window)
    end_deg = _window_median(alignment, position_frames[::-1], window)
    sag_deg = max(0.0, -float(np.nanmin(sustained))) if np.isfinite(sustained).any() else np.nan
    pike_deg = max(0.0, float(np.nanmax(sustained))) if np.isfinite(sustained).any() else np.nan
    shoulder_y = sig.shoulder_y[position_frames]
    travel = (
        float(np.nanpercentile(shoulder_y, 95) - np.nanpercentile(shoulder_y, 5)) / sig.torso
        if np.isfinite(shoulder_y).sum() >= 2
        else np.nan
    )

    flags = [
        f
        for f in (_form_flag("hip_sag", sag_deg, spec), _form_flag("hip_pike", pike_deg, spec))
        if f
    ]
    # early break: time still up in the plank position after a real hold was lost (a
    # plank never in line is already told by the sag / pike flags)
    started = hold is not None and hold_s >= spec.threshold("min_hold_start_s")
    after_break_s = float(np.sum(in_position[hold.end :]) * dt) if started else 0.0
    early = severity_by(
        after_break_s,
        spec.threshold("early_break_mild_s"),
        spec.threshold("early_break_moderate_s"),
        spec.threshold("early_break_severe_s"),
    )
    if early:
        flags.append(Flag("early_break", None, early))

    margin = spec.threshold("borderline_margin_deg")
    borderline = bool(np.isfinite(alignment_all) and abs(abs(alignment_all) - tolerance) < margin)
    notes = _notes(track, spec, hold, dips, borderline)

    bucket = hold_bucket(hold_s, spec)
    normalized = normalize_bucket(bucket)
    raw = time_score(hold_s, spec) - flag_penalty(flags)
    visibility = visibility_confidence(track, [int(sided(n, sig.side)) for n in PARTS])
    confidence = visibility * (0.8 if borderline else 1.0)
    if position_frames.size < 0.5 * track.frames:
        confidence *= 0.85
    metrics = [
        Metric("hold_seconds", round(hold_s, 2), "s"),
        Metric("position_seconds", round(position_s, 2), "s"),
        Metric("alignment_deg", finite_or_none(alignment_all), "deg"),
        Metric("alignment_start_deg", finite_or_none(start_deg), "deg"),
        Metric("alignment_end_deg", finite_or_none(end_deg), "deg"),
        Metric("max_sag_deg", finite_or_none(sag_deg), "deg"),
        Metric("max_pike_deg", finite_or_none(pike_deg), "deg"),
        Metric("shoulder_travel", finite_or_none(travel), "torso lengths"),
        Metric("dips", float(dips), "count"),
    ]
    segments = tuple(
        Rep(
            i + 1,
            s.start_s,
            s.end_s,
            None,
            {
                "seconds": s.duration_s,
                "alignment_deg": nanmedian(alignment[s.start : s.end]),
                "alignment_min_deg": float(np.nanmin(alignment[s.start : s.end])),
                "alignment_max_deg": float(np.nanmax(alignment[s.start : s.end])),
            },
        )
        for i, s in enumerate(holds)
    )
    return TestResult.build(
        bucket=bucket,
        normalized=normalized,
        raw_score=raw,
        confidence=confidence,
        side=None,
        reps=None,
        metrics=metrics,
        flags=flags,
        segments=segments,
        notes=notes,
    )
