"""Test 4 — Overhead Squat (CATALOG.md; NASM checkpoints in NORMS.md).

Front view: depth from pelvis drop (standing leg lengths), knee tracking against each
foot (valgus / varus), knee separation, pelvis shift, feet turning out.
Side view (near side): knee angle depth, hip below knee, trunk vs tibia lean, upper arm
vs trunk, heel lift, lower-back arch proxy.
Reps are segmented on the smoothed pelvis drop with hysteresis; only complete
down-and-up cycles count (partial ones are used only when there is nothing else, and
the result says so).
"""

from __future__ import annotations

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.angles import angle_at, angle_between, inclination_from_vertical
from flowlogic.geometry.body import distance, leg_length, midpoint
from flowlogic.geometry.segmentation import Segment, hysteresis_segments
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.pose.landmarks import SIDES, sided
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.common import (
    compensation_bucket,
    finite_or_none,
    nanmedian,
    near_side,
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
    clamp01,
    flag_penalty,
    normalize_bucket,
)


def find_reps(
    drop: np.ndarray, timestamps_s: np.ndarray, spec: TestSpec
) -> tuple[list[Segment], list[str]]:
    """Complete squat reps on the pelvis-drop signal, and notes on what was left out."""
    segments = hysteresis_segments(
        drop,
        timestamps_s,
        enter=spec.threshold("rep_enter_drop"),
        exit=spec.threshold("rep_exit_drop"),
        min_duration_s=spec.threshold("min_rep_s"),
    )
    complete = [s for s in segments if not s.partial]
    partial = len(segments) - len(complete)
    notes = []
    if partial and complete:
        notes.append(f"{partial} rep(s) cut off at the start or end of the clip were not counted.")
    if not complete and segments:
        notes.append("The clip starts or ends mid-squat; the partial rep was scored.")
        return segments, notes
    return complete, notes


def _bottom_index(drop: np.ndarray, segment: Segment) -> int:
    window = drop[segment.start : segment.end]
    if np.all(np.isnan(window)):
        return segment.start
    return segment.start + int(np.nanargmax(window))


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    xy = prepared_xy(track)
    t = track.timestamps_s
    leg = leg_length(xy)
    pelvis = midpoint(xy, L.LEFT_HIP, L.RIGHT_HIP)
    standing_y = np.nanpercentile(pelvis[:, 1], 5)
    drop = (pelvis[:, 1] - standing_y) / leg
    if not np.isfinite(drop).any():
        raise MovementNotFound("We could not follow your hips through the squat.")
    reps, notes = find_reps(drop, t, spec)
    if not reps:
        # Motion passed the gate but no squat crossed the rep threshold: one shallow
        # attempt around the deepest point.
        deepest = int(np.nanargmax(drop))
        reps = [Segment(deepest, deepest + 1, float(t[deepest]), float(t[deepest]), True)]
        notes.append("No full squat was found; the deepest point was scored.")
    bottoms = [_bottom_index(drop, r) for r in reps]
    standing = np.nan_to_num(drop, nan=np.inf) <= spec.threshold("rep_exit_drop")
    if not standing.any():
        standing = np.nan_to_num(drop, nan=np.inf) <= np.nanpercentile(drop, 20)

    if view == "side":
        metrics, flags, per_rep, confidence_parts = _side_view(xy, track, spec, bottoms, standing)
        notes.append(
            "From the side we cannot see knees moving inward or a weight shift; "
            "record a front view too to check them."
        )
    else:
        metrics, flags, per_rep, confidence_parts = _front_view(
            xy, track, spec, bottoms, reps, standing, drop, notes
        )
        notes.append(
            "From the front we cannot see forward lean, arm position or heel lift; "
            "record a side view too to check them."
        )

    complete_reps = sum(1 for r in reps if not r.partial)
    metrics.insert(0, Metric("reps", float(complete_reps), "count"))
    segments = tuple(Rep(i + 1, r.start_s, r.end_s, None, per_rep[i]) for i, r in enumerate(reps))
    bucket = compensation_bucket(flags)
    normalized = normalize_bucket(bucket)
    raw = 100.0 - flag_penalty(flags)
    visibility, depth_values = confidence_parts
    rep_factor = rep_count_factor(len(reps), spec.protocol_reps)
    confidence = clamp01(visibility * rep_factor * rep_agreement(depth_values))
    if any(r.partial for r in reps):
        confidence *= 0.8
    if few := too_few_reps_note(complete_reps, spec.protocol_reps, "squats"):
        notes.append(few)
    per_side = {}
    if view == "front":
        per_side = {
            s: (m.value or 0.0)
            for s in SIDES
            for m in metrics
            if m.name == "knee_valgus_shift" and m.side == s
        }
    return TestResult.build(
        bucket=bucket,
        normalized=normalized,
        raw_score=raw,
        confidence=confidence,
        side=worse_side_of(flags, per_side or None),
        reps=complete_reps,
        metrics=metrics,
        flags=flags,
        segments=segments,
        notes=notes,
    )


# -- front view --------------------------------------------------------------------------


def _medial_unit(xy: np.ndarray, side: str) -> np.ndarray:
    """(T, 2) unit vector from this side's hip toward the other hip (the midline)."""
    own = xy[:, sided("hip", side)]
    other = xy[:, sided("hip", "right" if side == "left" else "left")]
    vector = other - own
    norm = np.linalg.norm(vector, axis=1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return vector / norm


def body_yaw_deg(track: PoseTrack) -> float:
    """How far the hips are turned from facing the camera (0 = square on), from the world
    landmarks' hip axis: median over frames of atan(|dz| / |dx|)."""
    world = track.world.astype(np.float64)
    axis = world[:, L.LEFT_HIP] - world[:, L.RIGHT_HIP]
    return nanmedian(np.degrees(np.arctan2(np.abs(axis[:, 2]), np.abs(axis[:, 0]))))


def _front_view(xy, track, spec, bottoms, reps, standing, drop, notes):
    hip_w = nanmedian(distance(xy[standing, L.LEFT_HIP], xy[standing, L.RIGHT_HIP]))
    metrics: list[Metric] = []
    flags: list[Flag] = []
    per_rep: list[dict] = [{} for _ in bottoms]

    depth_values = [float(drop[b]) for b in bottoms]
    depth = nanmedian(depth_values)
    metrics.append(Metric("depth_pelvis_drop", finite_or_none(depth), "leg lengths"))
    for i, value in enumerate(depth_values):
        per_rep[i]["pelvis_drop"] = value
    severity = None
    if np.isfinite(depth):
        if depth < spec.threshold("depth_shallow_pelvis_drop"):
            severity = "moderate"
        elif depth < spec.threshold("depth_ok_pelvis_drop"):
            severity = "mild"
    if severity:
        flags.append(Flag("insufficient_depth", None, severity))

    knee_sep = distance(xy[:, L.LEFT_KNEE], xy[:, L.RIGHT_KNEE])
    ankle_sep = distance(xy[:, L.LEFT_ANKLE], xy[:, L.RIGHT_ANKLE])
    with np.errstate(invalid="ignore", divide="ignore"):
        sep_ratio = knee_sep / ankle_sep
    sep_bottom = nanmedian([sep_ratio[b] for b in bottoms])
    metrics.append(Metric("knee_ankle_separation_ratio", finite_or_none(sep_bottom), "ratio"))

    shifts = {}
    for side in SIDES:
        medial = _medial_unit(xy, side)
        knee, ankle, hip = (xy[:, sided(n, side)] for n in ("knee", "ankle", "hip"))
        offset = np.sum((knee - ankle) * medial, axis=1) / hip_w
        baseline = nanmedian(offset[standing])
        # inward travel: at the bottom, or at its peak on the way down and up
        shift = nanmedian(
            [
                max(offset[b], np.nanmax(offset[r.start : r.end])) - baseline
                for b, r in zip(bottoms, reps, strict=True)
            ]
        )
        shifts[side] = shift
        fppa = 180.0 - angle_at(hip, knee, ankle)
        direction = np.sign(np.sum((knee - (hip + ankle) / 2) * medial, axis=1))
        fppa_signed = nanmedian([fppa[b] * direction[b] for b in bottoms])
        knee_angle = nanmedian([angle_at(hip[b], knee[b], ankle[b]) for b in bottoms])
        metrics += [
            Metric("knee_valgus_shift", finite_or_none(shift), "hip widths", side),
            Metric(
                "knee_valgus_fppa_deg", finite_or_none(fppa_signed), "deg", side, estimated=True
            ),
            Metric("depth_knee_angle_deg", finite_or_none(knee_angle), "deg", side, estimated=True),
        ]
        for i, b in enumerate(bottoms):
            per_rep[i][f"knee_valgus_shift_{side}"] = float(offset[b] - baseline)
        severity = severity_by(
            shift,
            spec.threshold("knee_valgus_shift_mild"),
            spec.threshold("knee_valgus_shift_moderate"),
        )
        if severity == "moderate" and sep_bottom < spec.threshold(
            "knee_valgus_separation_ratio_severe"
        ):
            severity = "severe"
        if severity:
            flags.append(Flag("knee_valgus", side, severity))
        elif np.isfinite(shift) and -shift >= spec.threshold("knee_varus_shift"):
            flags.append(Flag("knee_varus", side, "mild"))

    # Pelvis shift: mid-hip against mid-ankle along the person's right->left hip axis, in
    # the image (2-D landmarks are the model's most reliable output and swap cleanly under
    # mirroring). A body turned away from the camera makes sitting back look like a
    # sideways shift, so then the shift is only estimated and never flagged.
    left_axis = xy[:, L.LEFT_HIP] - xy[:, L.RIGHT_HIP]
    with np.errstate(invalid="ignore", divide="ignore"):
        left_axis = left_axis / np.linalg.norm(left_axis, axis=1, keepdims=True)
    pelvis = midpoint(xy, L.LEFT_HIP, L.RIGHT_HIP)
    feet = midpoint(xy, L.LEFT_ANKLE, L.RIGHT_ANKLE)
    lateral = np.sum((pelvis - feet) * left_axis, axis=1) / hip_w
    shift = nanmedian([lateral[b] for b in bottoms]) - nanmedian(lateral[standing])
    yaw = body_yaw_deg(track)
    turned = bool(np.isfinite(yaw) and yaw > spec.threshold("max_yaw_for_shift_deg"))
    metrics.append(
        Metric(
            "pelvis_shift_pct",
            finite_or_none(shift * 100),
            "% hip width",
            "left" if shift > 0 else "right" if shift < 0 else None,
            estimated=turned,
        )
    )
    metrics.append(Metric("body_yaw_deg", finite_or_none(yaw), "deg", estimated=True))
    severity = (
        None
        if turned
        else severity_by(
            abs(shift), spec.threshold("pelvis_shift_mild"), spec.threshold("pelvis_shift_moderate")
        )
    )
    if turned:
        notes.append(
            f"You were turned about {yaw:.0f}° away from the camera, so we could not judge a "
            "sideways weight shift; face the camera squarely to check it."
        )
    if severity:
        flags.append(Flag("asymmetric_shift", "left" if shift > 0 else "right", severity))

    # Feet turning out: toes swinging away from the midline relative to the heel.
    for side in SIDES:
        medial = _medial_unit(xy, side)
        toe, heel = xy[:, sided("foot_index", side)], xy[:, sided("heel", side)]
        outward = -np.sum((toe - heel) * medial, axis=1) / hip_w
        turn = nanmedian([outward[b] for b in bottoms]) - nanmedian(outward[standing])
        metrics.append(
            Metric("foot_turn_out_shift", finite_or_none(turn), "hip widths", side, estimated=True)
        )
        if not turned and np.isfinite(turn) and turn >= spec.threshold("feet_turn_out_shift"):
            flags.append(Flag("feet_turn_out", side, "mild"))

    required = [
        int(x)
        for x in (
            L.LEFT_HIP,
            L.RIGHT_HIP,
            L.LEFT_KNEE,
            L.RIGHT_KNEE,
            L.LEFT_ANKLE,
            L.RIGHT_ANKLE,
            L.LEFT_SHOULDER,
            L.RIGHT_SHOULDER,
        )
    ]
    visibility = visibility_confidence(track, required)
    return metrics, flags, per_rep, (visibility, depth_values)


# -- side view ---------------------------------------------------------------------------


def _side_view(xy, track, spec, bottoms, standing):
    side = near_side(track)
    hip, knee, ankle, shoulder, heel, toe = (
        xy[:, sided(n, side)] for n in ("hip", "knee", "ankle", "shoulder", "heel", "foot_index")
    )
    leg = leg_length(xy, side)
    metrics: list[Metric] = []
    flags: list[Flag] = []
    per_rep: list[dict] = [{} for _ in bottoms]

    knee_angle = angle_at(hip, knee, ankle)
    depth_values = [float(knee_angle[b]) for b in bottoms]
    depth = nanmedian(depth_values)
    hip_below = nanmedian([1.0 if hip[b, 1] > knee[b, 1] else 0.0 for b in bottoms])
    metrics += [
        Metric("depth_knee_angle_deg", finite_or_none(depth), "deg", side),
        Metric("hip_below_knee", finite_or_none(hip_below), "share of reps", side),
    ]
    severity = None
    if np.isfinite(depth):
        if depth > spec.threshold("depth_shallow_knee_angle_deg"):
            severity = "moderate"
        elif depth > spec.threshold("depth_ok_knee_angle_deg"):
            severity = "mild"
    if severity:
        flags.append(Flag("insufficient_depth", None, severity))

    trunk = inclination_from_vertical(shoulder, hip)
    tibia = inclination_from_vertical(knee, ankle)
    lean = trunk - tibia
    lean_bottom = nanmedian([lean[b] for b in bottoms])
    metrics += [
        Metric(
            "trunk_lean_deg", finite_or_none(nanmedian([trunk[b] for b in bottoms])), "deg", side
        ),
        Metric(
            "tibia_angle_deg", finite_or_none(nanmedian([tibia[b] for b in bottoms])), "deg", side
        ),
        Metric("trunk_minus_tibia_deg", finite_or_none(lean_bottom), "deg", side),
    ]
    severity = severity_by(
        lean_bottom,
        spec.threshold("forward_lean_mild_deg"),
        spec.threshold("forward_lean_moderate_deg"),
    )
    if severity:
        flags.append(Flag("excessive_forward_lean", None, severity))

    # Arm line (shoulder -> wrist: straight arms, and wrists are seen when elbows hide
    # behind the head) against the trunk line, for both arms; the smaller angle counts, so
    # one arm hidden and misplaced by the model cannot raise a flag on its own.
    arm_by_side = {
        s: angle_between(
            xy[:, sided("wrist", s)] - xy[:, sided("shoulder", s)],
            xy[:, sided("shoulder", s)] - xy[:, sided("hip", s)],
        )
        for s in SIDES
    }
    arm = np.fmin(arm_by_side["left"], arm_by_side["right"])
    arm_bottom = nanmedian([arm[b] for b in bottoms])
    metrics.append(Metric("arm_angle_deg", finite_or_none(arm_bottom), "deg"))
    severity = severity_by(
        arm_bottom,
        spec.threshold("arms_forward_mild_deg"),
        spec.threshold("arms_forward_moderate_deg"),
    )
    if severity:
        flags.append(Flag("arms_fall_forward", None, severity))

    # Heel rising against the toes of the same foot (cancels a moving camera).
    heel_over_toe = (toe[:, 1] - heel[:, 1]) / leg
    heel_lift = nanmedian([heel_over_toe[b] for b in bottoms]) - nanmedian(heel_over_toe[standing])
    metrics.append(Metric("heel_lift", finite_or_none(heel_lift), "leg lengths", side))
    if np.isfinite(heel_lift) and heel_lift >= spec.threshold("heel_lift"):
        flags.append(
            Flag(
                "heel_lift",
                None,
                "mild" if heel_lift < 2 * spec.threshold("heel_lift") else "moderate",
            )
        )

    # Lower-back arch proxy: trunk leaning back (shoulders behind hips, against the way
    # the toes point) while standing with arms overhead.
    facing = np.sign(nanmedian(toe[:, 0] - heel[:, 0]))
    lean_back = np.degrees(
        np.arctan2(-(shoulder[:, 0] - hip[:, 0]) * facing, hip[:, 1] - shoulder[:, 1])
    )
    arch = nanmedian(lean_back[standing])
    metrics.append(Metric("trunk_lean_back_deg", finite_or_none(arch), "deg", side, estimated=True))
    if np.isfinite(arch) and arch >= spec.threshold("low_back_arch_deg"):
        flags.append(Flag("low_back_arch", None, "mild"))

    for i, b in enumerate(bottoms):
        per_rep[i].update(
            {
                "knee_angle_deg": float(knee_angle[b]),
                "trunk_minus_tibia_deg": float(lean[b]),
                "arm_angle_deg": float(arm[b]),
            }
        )
    required = [int(sided(n, side)) for n in ("hip", "knee", "ankle", "shoulder")]
    visibility = visibility_confidence(track, required)
    return metrics, flags, per_rep, (visibility, depth_values)
