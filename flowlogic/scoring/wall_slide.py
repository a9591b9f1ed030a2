"""Test 10 — Wall Slide (CATALOG.md; no published angle norms, NORMS.md: score by a
compensation checklist).

Side view, back to the wall, arms sliding from a W up to a Y. Side-on the wall is seen
edge-on, so:

- max_arm_elevation_deg: the upper arm against the trunk line in world landmarks (the
  arms move sideways, across the camera's line of sight, so a 2-D angle cannot follow
  them); marked estimated. Each rep is a slide up past an enter angle and back below an
  exit angle (hysteresis); the rep's value is its highest point.
- elbow/wrist departure: how far in front of the trunk line (shoulder -> hip, extended
  upward: the line of the wall behind the back) the near elbow and wrist travel during
  the rep, in torso lengths. Arms on the wall stay at or behind it.
- trunk arch: the trunk leaning back against its resting angle at the top of the rep.
- shrug: the ear-to-shoulder height shrinking at the top of the rep.
- hip drop: how far the hips sink below their arms-down height during the rep. The test
  is done standing against a wall; arms that rise while the hips sink are a squat (or a
  front raise in a squat), not a wall slide, and the attempt is refused.

Bucket: pass when the median rep reaches the elevation needed and no flag is worse than
mild; needs-work otherwise.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.segmentation import Segment, hysteresis_segments
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.pose.landmarks import sided
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.common import (
    finite_or_none,
    nanmedian,
    near_side,
    rep_agreement,
    rep_count_factor,
    require_body_size,
    severity_by,
    too_few_reps_note,
    visibility_confidence,
)
from flowlogic.scoring.result import (
    Flag,
    Metric,
    Rep,
    TestResult,
    flag_penalty,
    normalize_bucket,
    worst_severity,
)
from flowlogic.scoring.shoulder_flexion import (
    elevation_series,
    facing_series,
    lean_back_deg,
    peak_index,
    rest_frames,
    shrug_series,
    trunk_down_2d,
)


@dataclass(frozen=True)
class Slide:
    segment: Segment
    elevation_deg: float
    elbow_departure: float
    wrist_departure: float
    trunk_arch_deg: float
    shrug: float
    hip_drop: float


def departure_series(xy: np.ndarray, side: str, point: str, facing: np.ndarray) -> np.ndarray:
    """(T,) how far `point` (elbow, wrist) sits in front of the trunk line, in torso
    lengths: the signed distance from the line through shoulder and hip, positive
    toward the way the person faces."""
    shoulder = xy[:, sided("shoulder", side)]
    down = trunk_down_2d(xy, side)
    torso = require_body_size(nanmedian(np.linalg.norm(down, axis=1)))
    with np.errstate(invalid="ignore", divide="ignore"):
        down = down / np.linalg.norm(down, axis=1, keepdims=True)
    # the normal pointing forward: facing right with the trunk vertical, (+1, 0)
    forward = np.stack([down[:, 1], -down[:, 0]], axis=1) * facing[:, None]
    offset = xy[:, sided(point, side)] - shoulder
    return np.sum(offset * forward, axis=1) / torso


def hip_drop_series(xy: np.ndarray, side: str, rest: np.ndarray) -> np.ndarray:
    """(T,) how far the near hip sits below its height with the arms down, in torso
    lengths (NaN where the hip is not seen)."""
    hip, shoulder = xy[:, sided("hip", side)], xy[:, sided("shoulder", side)]
    torso = nanmedian(np.linalg.norm(hip - shoulder, axis=1))
    baseline = nanmedian(hip[rest, 1]) if rest.any() else float("nan")
    if not (np.isfinite(torso) and torso > 0 and np.isfinite(baseline)):
        return np.full(len(xy), np.nan)
    return (hip[:, 1] - baseline) / torso


def find_slides(track: PoseTrack, xy: np.ndarray, spec: TestSpec, side: str) -> list[Slide]:
    elevation = elevation_series(xy, track, side, "front")  # world 3-D (see module doc)
    facing = facing_series(xy, track.fps)
    exit_ = spec.threshold("rep_exit_deg")
    rest = rest_frames(elevation, exit_)
    lean = lean_back_deg(xy, side, facing)
    lean_rest = nanmedian(lean[rest])
    shrug = shrug_series(xy, side, rest)
    elbow = departure_series(xy, side, "elbow", facing)
    wrist = departure_series(xy, side, "wrist", facing)
    hip_drop = hip_drop_series(xy, side, rest)
    segments = hysteresis_segments(
        elevation,
        track.timestamps_s,
        enter=spec.threshold("rep_enter_deg"),
        exit=exit_,
        min_duration_s=spec.threshold("min_rep_s"),
    )
    slides = []
    for segment in segments:
        top = peak_index(elevation, segment)
        window = slice(segment.start, segment.end)
        slides.append(
            Slide(
                segment,
                float(elevation[top]),
                _largest(elbow[window]),
                _largest(wrist[window]),
                float(lean[top] - lean_rest),
                float(shrug[top]),
                _largest(hip_drop[window]),
            )
        )
    return slides


def _largest(values: np.ndarray) -> float:
    return float(np.nanmax(values)) if np.isfinite(values).any() else float("nan")


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    xy = prepared_xy(track)
    side = near_side(track, ("shoulder", "elbow", "wrist"))
    found = find_slides(track, xy, spec, side)
    slides = [s for s in found if not s.segment.partial] or found
    if not slides:
        raise MovementNotFound(
            "We did not see your arms slide up the wall. Start with your arms in a W against "
            "the wall and slide them up into a Y, five times."
        )
    if nanmedian([s.hip_drop for s in slides]) > spec.threshold("standing_hip_drop_max"):
        raise MovementNotFound(
            "Your hips sank as your arms went up, as in a squat. A wall slide is done "
            "standing tall with your back against the wall: only the arms move."
        )
    elevation = nanmedian([s.elevation_deg for s in slides])
    departure = {
        "elbow": nanmedian([s.elbow_departure for s in slides]),
        "wrist": nanmedian([s.wrist_departure for s in slides]),
    }
    arch = nanmedian([s.trunk_arch_deg for s in slides])
    shrug = nanmedian([s.shrug for s in slides])

    flags: list[Flag] = []
    leave = severity_by(
        max(departure.values()),
        spec.threshold("arms_leave_wall_mild"),
        spec.threshold("arms_leave_wall_moderate"),
    )
    if leave:
        flags.append(Flag("arms_leave_wall", side, leave))
    severity = severity_by(
        arch, spec.threshold("lumbar_arch_mild_deg"), spec.threshold("lumbar_arch_moderate_deg")
    )
    if severity:
        flags.append(Flag("lumbar_arch", None, severity))
    severity = severity_by(shrug, spec.threshold("shrug_mild"), spec.threshold("shrug_moderate"))
    if severity:
        flags.append(Flag("shrug", side, severity))

    reaches = elevation >= spec.threshold("pass_elevation_deg")
    worst = worst_severity(flags)
    bucket = "pass" if reaches and worst in (None, "mild") else "needs-work"
    normalized = normalize_bucket(bucket)
    raw = float(
        np.interp(elevation, spec.threshold("score_angle_points"), spec.threshold("score_points"))
    )
    raw -= flag_penalty(flags)

    metrics = [
        Metric("reps", float(len(slides)), "count"),
        Metric("max_arm_elevation_deg", finite_or_none(elevation), "deg", side, estimated=True),
        Metric("elbow_departure", finite_or_none(departure["elbow"]), "torso lengths", side),
        Metric("wrist_departure", finite_or_none(departure["wrist"]), "torso lengths", side),
        Metric("trunk_arch_deg", finite_or_none(arch), "deg"),
        Metric("shrug", finite_or_none(shrug), "share of neck height", side),
    ]
    notes = [
        "We see your near arm; the far arm is hidden behind your body.",
        "How high the arms go is estimated, as they move across the camera's line of sight.",
    ]
    if few := too_few_reps_note(len(slides), spec.protocol_reps, "slides"):
        notes.append(few)
    required = [int(sided(n, side)) for n in ("shoulder", "elbow", "wrist", "hip")]
    confidence = visibility_confidence(track, required)
    confidence *= rep_count_factor(len(slides), spec.protocol_reps)
    confidence *= rep_agreement([s.elevation_deg for s in slides])
    confidence *= spec.threshold("estimated_confidence_factor")
    reps = tuple(
        Rep(
            i + 1,
            s.segment.start_s,
            s.segment.end_s,
            side,
            {
                "max_arm_elevation_deg": s.elevation_deg,
                "elbow_departure": s.elbow_departure,
                "wrist_departure": s.wrist_departure,
                "trunk_arch_deg": s.trunk_arch_deg,
                "shrug": s.shrug,
            },
        )
        for i, s in enumerate(slides)
    )
    return TestResult.build(
        bucket=bucket,
        normalized=normalized,
        raw_score=raw,
        confidence=confidence,
        side=side if flags and any(f.side for f in flags) else None,
        reps=len(slides),
        metrics=metrics,
        flags=flags,
        segments=reps,
        notes=notes,
    )
