"""Test 8 — Lateral Lunge (CATALOG.md). No published norms exist for it (NORMS.md): it is
scored by a compensation checklist and left/right symmetry.

Front view. In a lunge to one side the pelvis travels over that side's foot, so reps are
found with hysteresis on the pelvis's sideways shift from the midpoint of the ankles (in
leg lengths, toward each side in turn), and a rep counts only when, at its deepest point,
that side's knee is clearly more bent than the other. A squat keeps the pelvis centred
and bends both knees together: it gives no lateral reps at all, and the scorer says so
(`MovementNotFound`) rather than inventing sided lunges. The shift is not changed by a
knee caving inward, which a knee-angle signal would be.

At each rep's deepest frame (largest pelvis drop):
- depth_pelvis_drop: how far the pelvis sank below its standing height, in leg lengths.
  Depth is judged on it (CATALOG.md notes: depth from the front is pelvis drop, not a
  knee angle), and so is the side-to-side depth difference;
- depth_knee_angle_deg: 2-D hip-knee-ankle angle of the lunging leg, reported but
  estimated: from the front the thigh is foreshortened as the hips sit back, and a knee
  caving inward moves toward the hip-ankle line and looks straighter than it is;
- knee_over_foot: the lunging knee's offset from its ankle toward the midline, in hip
  widths (positive = knee inside the foot line), judged only on reps deep enough that a
  knee inside the ankle is not just the wide stance's geometry;
- trunk_lateral_lean_deg: hip-to-shoulder line from vertical, positive toward the
  lunging leg;
- trailing_knee_angle_deg: the other leg's knee angle (straight ≈ 180).
Per side the median over that side's reps is reported; sides are the person's own.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.angles import angle_at
from flowlogic.geometry.body import distance, leg_length, midpoint
from flowlogic.geometry.segmentation import Segment, hysteresis_segments
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.pose.landmarks import SIDES, landmarks_for, sided
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.common import (
    compensation_bucket,
    finite_or_none,
    nanmedian,
    other_side,
    rep_agreement,
    rep_count_factor,
    severity_by,
    too_few_reps_note,
    visibility_confidence,
    worse_side_of,
)
from flowlogic.scoring.result import (
    Flag,
    Metric,
    Rep,
    TestResult,
    flag_penalty,
    normalize_bucket,
)


@dataclass(frozen=True)
class LungeRep:
    """One lunge to `side`, measured at its deepest frame."""

    side: str
    segment: Segment
    bottom: int
    knee_angle_deg: float
    trailing_knee_angle_deg: float
    knee_over_foot: float
    trunk_lean_deg: float
    pelvis_drop: float


def knee_angles(xy: np.ndarray) -> dict[str, np.ndarray]:
    """(T,) 2-D hip-knee-ankle angle per side (straight = 180)."""
    return {
        side: angle_at(
            xy[:, sided("hip", side)], xy[:, sided("knee", side)], xy[:, sided("ankle", side)]
        )
        for side in SIDES
    }


def _unit(vectors: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)


def _outward(xy: np.ndarray, side: str) -> np.ndarray:
    """(T, 2) unit vector from the other hip toward this side's hip."""
    return _unit(xy[:, sided("hip", side)] - xy[:, sided("hip", other_side(side))])


def _lean_toward(xy: np.ndarray, side: str) -> np.ndarray:
    """(T,) trunk tilt from vertical in the image plane, positive toward `side`."""
    trunk = midpoint(xy, L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - midpoint(xy, L.LEFT_HIP, L.RIGHT_HIP)
    lateral = np.sum(trunk * _outward(xy, side), axis=1)
    return np.degrees(np.arctan2(lateral, -trunk[:, 1]))


def find_lunges(
    xy: np.ndarray, timestamps_s: np.ndarray, spec: TestSpec
) -> tuple[list[LungeRep], list[str]]:
    """Complete lunges to either side, in time order, and notes on what was left out."""
    angles = knee_angles(xy)
    pelvis = midpoint(xy, L.LEFT_HIP, L.RIGHT_HIP)
    leg = leg_length(xy)
    over_feet = pelvis - midpoint(xy, L.LEFT_ANKLE, L.RIGHT_ANKLE)
    found: list[tuple[str, Segment, int]] = []
    for side in SIDES:
        shift = np.sum(over_feet * _outward(xy, side), axis=1) / leg
        for segment in hysteresis_segments(
            shift,
            timestamps_s,
            enter=spec.threshold("rep_enter_shift"),
            exit=spec.threshold("rep_exit_shift"),
            min_duration_s=spec.threshold("min_rep_s"),
        ):
            bottom = _deepest(pelvis[:, 1], shift, segment)
            bend_difference = angles[other_side(side)][bottom] - angles[side][bottom]
            if bend_difference >= spec.threshold("min_bend_difference_deg"):
                found.append((side, segment, bottom))
    complete = [item for item in found if not item[1].partial]
    notes: list[str] = []
    if complete and len(complete) < len(found):
        cut = len(found) - len(complete)
        notes.append(f"{cut} lunge(s) cut off at the start or end of the clip were not counted.")
    elif found and not complete:
        notes.append("The clip starts or ends mid-lunge; the partial lunge was scored.")
        complete = found
    measure = _RepMeasure(xy, angles, pelvis[:, 1], leg)
    reps = [measure(side, segment, bottom) for side, segment, bottom in complete]
    return sorted(reps, key=lambda r: r.segment.start), notes


class _RepMeasure:
    """Measures one lunge at its deepest frame."""

    def __init__(
        self, xy: np.ndarray, angles: dict[str, np.ndarray], pelvis_y: np.ndarray, leg: float
    ) -> None:
        self.xy, self.angles, self.pelvis_y, self.leg = xy, angles, pelvis_y, leg
        self.hip_w = nanmedian(distance(xy[:, L.LEFT_HIP], xy[:, L.RIGHT_HIP]))
        finite = np.isfinite(pelvis_y).any()
        self.standing_y = float(np.nanpercentile(pelvis_y, 5)) if finite else float("nan")

    def __call__(self, side: str, segment: Segment, bottom: int) -> LungeRep:
        xy = self.xy[bottom : bottom + 1]
        knee_to_ankle = xy[0, sided("knee", side)] - xy[0, sided("ankle", side)]
        inward = -_outward(xy, side)[0]
        return LungeRep(
            side=side,
            segment=segment,
            bottom=bottom,
            knee_angle_deg=float(self.angles[side][bottom]),
            trailing_knee_angle_deg=float(self.angles[other_side(side)][bottom]),
            knee_over_foot=float(np.dot(knee_to_ankle, inward) / self.hip_w),
            trunk_lean_deg=float(_lean_toward(xy, side)[0]),
            pelvis_drop=float((self.pelvis_y[bottom] - self.standing_y) / self.leg),
        )


def _deepest(pelvis_y: np.ndarray, shift: np.ndarray, segment: Segment) -> int:
    """The frame of a segment where the pelvis is lowest (furthest shift without a pelvis)."""
    for signal in (pelvis_y, shift):
        window = signal[segment.start : segment.end]
        if np.isfinite(window).any():
            return segment.start + int(np.nanargmax(window))
    return segment.start


def _no_lunge_message(xy: np.ndarray) -> str:
    angles = knee_angles(xy)
    both_bent = np.fmax(angles["left"], angles["right"])
    squat_threshold = 140.0  # both knees bent past this at once: a squat, not a lunge
    if np.isfinite(both_bent).any() and np.nanmin(both_bent) < squat_threshold:
        return (
            "We saw both knees bend together, like a squat, but no step to one side. "
            "Step out to the side and bend that knee while the other leg stays straight."
        )
    return (
        "We didn't see a lunge to either side. Step out to the side and bend that knee "
        "while the other leg stays straight."
    )


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    xy = prepared_xy(track)
    reps, notes = find_lunges(xy, track.timestamps_s, spec)
    if not reps:
        raise MovementNotFound(_no_lunge_message(xy))

    metrics: list[Metric] = []
    flags: list[Flag] = []
    depth_by_side: dict[str, float] = {}
    for side in SIDES:
        mine = [r for r in reps if r.side == side]
        side_metrics, side_flags, side_notes = _side_summary(side, mine, spec)
        metrics += side_metrics
        flags += side_flags
        notes += side_notes
        if mine:
            depth_by_side[side] = nanmedian([r.pelvis_drop for r in mine])

    asymmetry = _depth_asymmetry_pct(depth_by_side)
    metrics.append(Metric("depth_asymmetry_pct", finite_or_none(asymmetry), "%"))
    missing = [s for s in SIDES if s not in depth_by_side]
    if missing:
        notes.append(
            f"Only lunges to the {other_side(missing[0])} were recorded; the {missing[0]} side "
            "was not, so the two sides could not be compared."
        )
    else:
        severity = severity_by(
            asymmetry,
            spec.threshold("asymmetry_mild_pct"),
            spec.threshold("asymmetry_moderate_pct"),
        )
        if severity:
            shallower = min(depth_by_side, key=depth_by_side.get)
            flags.append(Flag("asymmetry", shallower, severity))

    complete_reps = sum(1 for r in reps if not r.segment.partial)
    metrics.insert(0, Metric("reps", float(complete_reps), "count"))
    if few := too_few_reps_note(complete_reps, spec.protocol_reps, "lunges"):
        notes.append(few)
    bucket = compensation_bucket(flags)
    normalized = normalize_bucket(bucket)
    raw = 100.0 - flag_penalty(flags)
    required = landmarks_for(spec.required_for(view))
    rep_factor = rep_count_factor(len(reps), spec.protocol_reps)
    confidence = (
        visibility_confidence(track, required)
        * rep_factor
        * rep_agreement([r.pelvis_drop for r in reps])
    )
    if missing:
        confidence *= 0.85
    if any(r.segment.partial for r in reps):
        confidence *= 0.8
    segments = tuple(
        Rep(
            i + 1,
            r.segment.start_s,
            r.segment.end_s,
            r.side,
            {
                "knee_angle_deg": r.knee_angle_deg,
                "trailing_knee_angle_deg": r.trailing_knee_angle_deg,
                "knee_over_foot": r.knee_over_foot,
                "trunk_lateral_lean_deg": r.trunk_lean_deg,
                "pelvis_drop": r.pelvis_drop,
            },
        )
        for i, r in enumerate(reps)
    )
    return TestResult.build(
        bucket=bucket,
        normalized=normalized,
        raw_score=raw,
        confidence=confidence,
        side=worse_side_of(flags, depth_by_side, higher_is_worse=False) if flags else None,
        reps=complete_reps,
        metrics=metrics,
        flags=flags,
        segments=segments,
        notes=notes,
    )


def _side_summary(
    side: str, reps: list[LungeRep], spec: TestSpec
) -> tuple[list[Metric], list[Flag], list[str]]:
    """Metrics and flags of the lunges to one side (values None when none were seen)."""
    depth = nanmedian([r.knee_angle_deg for r in reps])
    trailing = nanmedian([r.trailing_knee_angle_deg for r in reps])
    lean = nanmedian([r.trunk_lean_deg for r in reps])
    drop = nanmedian([r.pelvis_drop for r in reps])
    tracking_min = spec.threshold("knee_tracking_min_drop")
    judged = [r for r in reps if r.pelvis_drop >= tracking_min]
    knee_over_foot = nanmedian([r.knee_over_foot for r in judged])
    straight_at = spec.threshold("trailing_knee_straight_deg")
    straight_share = (
        float(np.mean([r.trailing_knee_angle_deg >= straight_at for r in reps])) if reps else None
    )
    metrics = [
        Metric("reps", float(len(reps)), "count", side),
        Metric("depth_knee_angle_deg", finite_or_none(depth), "deg", side, estimated=True),
        Metric("depth_pelvis_drop", finite_or_none(drop), "leg lengths", side),
        Metric("knee_over_foot", finite_or_none(knee_over_foot), "hip widths", side),
        Metric("trunk_lateral_lean_deg", finite_or_none(lean), "deg", side),
        Metric("trailing_knee_angle_deg", finite_or_none(trailing), "deg", side, estimated=True),
        Metric("trailing_knee_straight", straight_share, "share of reps", side),
    ]
    flags: list[Flag] = []
    notes: list[str] = []
    if not reps:
        return metrics, flags, notes
    if drop < spec.threshold("depth_shallow_pelvis_drop"):
        flags.append(Flag("insufficient_depth", side, "moderate"))
    elif drop < spec.threshold("depth_ok_pelvis_drop"):
        flags.append(Flag("insufficient_depth", side, "mild"))
    if judged:
        severity = severity_by(
            knee_over_foot,
            spec.threshold("knee_valgus_mild"),
            spec.threshold("knee_valgus_moderate"),
        )
        if severity:
            flags.append(Flag("knee_valgus", side, severity))
    else:
        notes.append(
            f"The lunges to the {side} were too shallow to judge whether the knee stays "
            "over the foot."
        )
    severity = severity_by(
        abs(lean), spec.threshold("trunk_lean_mild_deg"), spec.threshold("trunk_lean_moderate_deg")
    )
    if severity:
        flags.append(Flag("trunk_lean", side, severity))
    if trailing < straight_at:
        flags.append(Flag("trailing_knee_bent", side, "mild"))
    return metrics, flags, notes


def _depth_asymmetry_pct(drop_by_side: dict[str, float]) -> float:
    """Difference in pelvis drop between the sides, % of the deeper side."""
    if len(drop_by_side) < 2:
        return float("nan")
    deeper = max(drop_by_side.values())
    if not np.isfinite(deeper) or deeper <= 0:
        return float("nan")
    return abs(drop_by_side["left"] - drop_by_side["right"]) / deeper * 100.0
