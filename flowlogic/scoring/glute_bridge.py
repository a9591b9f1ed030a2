"""Test 12 — Glute Bridge (CATALOG.md; no accepted angle norms, NORMS.md).

Side view, near side. Reps are segmented with hysteresis on the hip lifting off the
floor (hip height above its resting height, in torso lengths); only complete up-and-down
cycles count. At the top of each rep (the plateau near its highest hip point):

- hip_extension_deg: shoulder-hip-knee, 180 = straight, above 180 = hips pushed past the
  line (an arching lower back);
- hold_seconds: how long the hips stay at the top;
- pelvis_drop_deg per side: the hip axis tilting at the top against its level at rest,
  from world landmarks (model depth, so `estimated`).
"""

from __future__ import annotations

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.angles import bend_above_line_deg
from flowlogic.geometry.body import distance
from flowlogic.geometry.segmentation import Segment, hysteresis_segments
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.pose.landmarks import SIDES, sided
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.common import (
    finite_or_none,
    hip_axis_drop_deg,
    nanmedian,
    near_side,
    other_side,
    rep_agreement,
    rep_count_factor,
    require_body_size,
    severity_by,
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


def find_reps(
    lift: np.ndarray, timestamps_s: np.ndarray, spec: TestSpec
) -> tuple[list[Segment], list[str]]:
    """Complete bridges on the hip-lift signal, and notes on what was left out."""
    segments = hysteresis_segments(
        lift,
        timestamps_s,
        enter=spec.threshold("rep_enter_lift"),
        exit=spec.threshold("rep_exit_lift"),
        min_duration_s=spec.threshold("min_rep_s"),
    )
    complete = [s for s in segments if not s.partial]
    notes = []
    if len(complete) < len(segments):
        notes.append(
            f"{len(segments) - len(complete)} bridge(s) cut off at the start or end of the "
            "clip were not counted."
        )
    return complete, notes


def top_frames(lift: np.ndarray, rep: Segment, band: float) -> np.ndarray:
    """Frame indices of the rep's top plateau: hips within `band` of their highest point."""
    window = lift[rep.start : rep.end]
    peak = np.nanmax(window)
    return rep.start + np.flatnonzero(np.nan_to_num(window, nan=-np.inf) >= peak - band)


def _plateau_seconds(frames: np.ndarray, fps: float) -> float:
    """Length of the longest run of consecutive frames, in seconds."""
    if frames.size == 0:
        return 0.0
    breaks = np.flatnonzero(np.diff(frames) > 1)
    runs = np.diff(np.concatenate(([0], breaks + 1, [frames.size])))
    return float(runs.max()) / fps


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    xy = prepared_xy(track)
    t = track.timestamps_s
    side = near_side(track, ("shoulder", "hip", "knee"))
    shoulder, hip, knee = (xy[:, sided(n, side)] for n in ("shoulder", "hip", "knee"))
    torso = require_body_size(nanmedian(distance(shoulder, hip)))
    if not nanmedian((hip[:, 1] - knee[:, 1]) / torso) >= spec.threshold("min_knee_above_hip"):
        raise MovementNotFound(
            "We did not see your knees bent and pointing up. Lie on your back side-on to the "
            "camera with your knees bent and feet flat, then lift your hips."
        )
    extension = 180.0 + bend_above_line_deg(shoulder, hip, knee)
    rest_y = np.nanpercentile(hip[:, 1], 95) if np.isfinite(hip[:, 1]).any() else np.nan
    lift = (rest_y - hip[:, 1]) / torso
    reps, notes = find_reps(lift, t, spec)
    if not reps:
        raise MovementNotFound(
            "We did not see your hips lift off the mat and come back down. Lie on your back "
            "side-on to the camera, knees bent, and lift your hips until shoulders, hips and "
            "knees line up."
        )
    band = spec.threshold("top_band_lift")
    tops = [top_frames(lift, r, band) for r in reps]

    top_angles = [nanmedian(extension[f]) for f in tops]
    holds = [_plateau_seconds(f, track.fps) for f in tops]
    good = spec.threshold("good_extension_deg")
    good_reps = sum(1 for a in top_angles if np.isfinite(a) and a >= good)
    median_top = nanmedian(top_angles)
    metrics = [
        Metric("reps", float(len(reps)), "count"),
        Metric("good_reps", float(good_reps), "count"),
        Metric("hip_extension_deg", finite_or_none(median_top), "deg", side),
        Metric("hold_seconds", finite_or_none(nanmedian(holds)), "s"),
    ]
    flags: list[Flag] = []

    short = [a for a in top_angles if np.isfinite(a) and a < good]
    if short:
        if np.isfinite(median_top) and median_top < spec.threshold("incomplete_severe_deg"):
            severity = "severe"
        elif len(short) > spec.threshold("incomplete_mild_max_share") * len(top_angles):
            severity = "moderate"
        else:
            severity = "mild"
        flags.append(Flag("incomplete_extension", None, severity))

    arch = median_top - 180.0 if np.isfinite(median_top) else np.nan
    severity = severity_by(
        arch,
        spec.threshold("hyperextension_mild_deg"),
        spec.threshold("hyperextension_moderate_deg"),
    )
    if severity:
        flags.append(Flag("lumbar_hyperextension", None, severity))

    drops, drop_notes = _pelvis_drop(track, lift, tops, spec, side)
    notes += drop_notes
    per_side = {}
    for s in SIDES:
        value = drops.get(s)
        per_side[s] = value if value is not None else np.nan
        metrics.append(Metric("pelvis_drop_deg", value, "deg", s, estimated=True))
        severity = severity_by(
            value if value is not None else np.nan,
            spec.threshold("pelvis_drop_mild_deg"),
            spec.threshold("pelvis_drop_moderate_deg"),
        )
        if severity:
            flags.append(Flag("pelvis_drop", s, severity))

    segments = tuple(
        Rep(
            i + 1,
            r.start_s,
            r.end_s,
            None,
            {
                "hip_extension_deg": top_angles[i],
                "hold_seconds": holds[i],
                "lift": float(np.nanmax(lift[r.start : r.end])),
            },
        )
        for i, r in enumerate(reps)
    )
    needed = spec.threshold("pass_min_good_reps")
    serious = any(f.severity != "mild" for f in flags)
    bucket = "pass" if good_reps >= needed and not serious else "needs-work"
    normalized = normalize_bucket(bucket)
    missing = max(0, needed - good_reps)
    raw = 100.0 - flag_penalty(flags) - spec.threshold("missing_rep_points") * missing
    if good_reps < needed:
        notes.append(
            f"{good_reps} of {len(reps)} bridges reached a straight line (at least {good:.0f}°); "
            f"a pass needs {needed} of the {spec.protocol_reps} asked."
        )
    target_hold = spec.threshold("target_hold_s")
    if holds and nanmedian(holds) < target_hold - spec.threshold("hold_grace_s"):
        notes.append(
            f"Your hips stayed at the top for about {nanmedian(holds):.1f} s; "
            f"aim for {target_hold:.0f} s."
        )

    visibility = visibility_confidence(
        track, [int(sided(n, side)) for n in ("shoulder", "hip", "knee")]
    )
    rep_factor = rep_count_factor(len(reps), spec.protocol_reps)
    confidence = visibility * rep_factor * rep_agreement(top_angles)
    return TestResult.build(
        bucket=bucket,
        normalized=normalized,
        raw_score=raw,
        confidence=confidence,
        side=worse_side_of(flags, per_side, min_difference=spec.threshold("pelvis_drop_mild_deg")),
        reps=len(reps),
        metrics=metrics,
        flags=flags,
        segments=segments,
        notes=notes,
    )


def _pelvis_drop(
    track: PoseTrack, lift: np.ndarray, tops: list[np.ndarray], spec: TestSpec, near: str
) -> tuple[dict[str, float | None], list[str]]:
    """How far each side of the pelvis drops at the top, against its level at rest."""
    far_hip = sided("hip", other_side(near))
    if not tops or track.visibility[:, far_hip].mean() < spec.threshold("far_hip_min_visibility"):
        return {}, ["We could not see your far hip well enough to check the pelvis stays level."]
    tilt = hip_axis_drop_deg(track)
    with np.errstate(invalid="ignore"):
        resting = np.nan_to_num(lift, nan=np.inf) <= spec.threshold("rep_exit_lift")
    baseline = nanmedian(tilt[resting]) if resting.any() else nanmedian(tilt)
    change = nanmedian([nanmedian(tilt[f]) for f in tops]) - baseline
    if not np.isfinite(change):
        return {}, []
    # positive change: the left hip went lower than the right
    return {"left": max(0.0, change), "right": max(0.0, -change)}, []
