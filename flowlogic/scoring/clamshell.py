"""Test 15 — Clamshell (CATALOG.md; no accepted angle norms, NORMS.md).

Front view: the person lies on one side facing the camera, knees toward it. The top
side is the one whose hip is higher in the picture. Reps are the top knee rising away
from the bottom knee in the image (torso lengths, with hysteresis); a rep is named by
the top leg. The catalog's knee-hip-knee angle opens mostly toward the camera, which a
picture cannot measure, so at the top of each rep it comes from world landmarks (model
depth, `estimated`):

- opening_deg: the angle between the two thighs (hip->knee), against the closed start;
- pelvis_roll_deg: the hip axis turning backward about the spine, against the start.
"""

from __future__ import annotations

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.angles import angle_between
from flowlogic.geometry.body import midpoint, torso_length
from flowlogic.geometry.segmentation import hysteresis_segments
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.pose.landmarks import SIDES, sided
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.common import (
    finite_or_none,
    nanmedian,
    other_side,
    per_side_rep_verdict,
    renumbered,
    rep_agreement,
    require_body_size,
    visibility_confidence,
    worse_side_of,
)
from flowlogic.scoring.result import (
    Flag,
    Metric,
    Rep,
    TestResult,
    normalize_bucket,
)


def thigh_opening_deg(world: np.ndarray) -> np.ndarray:
    """(T,) angle between the left and right thighs (hip->knee), in world landmarks."""
    return angle_between(
        world[:, L.LEFT_KNEE] - world[:, L.LEFT_HIP], world[:, L.RIGHT_KNEE] - world[:, L.RIGHT_HIP]
    )


def pelvis_roll_deg(world: np.ndarray, top: str, rest: np.ndarray) -> np.ndarray:
    """(T,) turn of the bottom->top hip axis about the spine against its `rest` frames,
    positive when the top hip rolls back (away from the camera, +z)."""
    bottom = other_side(top)
    axis = world[:, sided("hip", top)] - world[:, sided("hip", bottom)]
    spine = midpoint(world, L.LEFT_SHOULDER, L.RIGHT_SHOULDER) - midpoint(
        world, L.LEFT_HIP, L.RIGHT_HIP
    )
    with np.errstate(invalid="ignore", divide="ignore"):
        spine = spine / np.linalg.norm(spine, axis=1, keepdims=True)
        across = axis - np.sum(axis * spine, axis=1, keepdims=True) * spine
        across = across / np.linalg.norm(across, axis=1, keepdims=True)
    reference = np.nanmedian(across[rest], axis=0) if rest.any() else np.full(3, np.nan)
    turn = angle_between(across, reference)
    return np.where(across[:, 2] >= reference[2], turn, -turn)


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    xy = prepared_xy(track)
    world = track.world.astype(np.float64)
    t = track.timestamps_s
    torso = require_body_size(torso_length(xy))
    hip_y = {s: xy[:, sided("hip", s), 1] for s in SIDES}
    knee_y = {s: xy[:, sided("knee", s), 1] for s in SIDES}
    opening = thigh_opening_deg(world)

    metrics: list[Metric] = []
    flags: list[Flag] = []
    segments: list[Rep] = []
    notes: list[str] = []
    counts: dict[str, int] = {}
    openings: dict[str, float] = {}
    agreement: list[float] = []
    for side in SIDES:
        bottom = other_side(side)
        with np.errstate(invalid="ignore"):
            on_top = hip_y[side] < hip_y[bottom]
        gap = np.where(on_top, (knee_y[bottom] - knee_y[side]) / torso, np.nan)
        closed = np.nanpercentile(gap, 10) if np.isfinite(gap).sum() >= 2 else np.nan
        lift = gap - closed
        reps = [
            r
            for r in hysteresis_segments(
                lift,
                t,
                enter=spec.threshold("rep_enter_lift"),
                exit=spec.threshold("rep_exit_lift"),
                min_duration_s=spec.threshold("min_rep_s"),
            )
            if not r.partial
        ]
        counts[side] = len(reps)
        with np.errstate(invalid="ignore"):
            rest = on_top & (np.nan_to_num(lift, nan=np.inf) <= spec.threshold("rep_exit_lift"))
        rest_opening = nanmedian(opening[rest])
        roll = pelvis_roll_deg(world, side, rest)
        per_rep_open, per_rep_roll = [], []
        for rep in reps:
            window = lift[rep.start : rep.end]
            top = rep.start + np.flatnonzero(
                np.nan_to_num(window, nan=-np.inf)
                >= np.nanmax(window) - spec.threshold("top_band_lift")
            )
            per_rep_open.append(nanmedian(opening[top]) - rest_opening)
            per_rep_roll.append(nanmedian(roll[top]))
            segments.append(
                Rep(
                    0,
                    rep.start_s,
                    rep.end_s,
                    side,
                    {"opening_deg": per_rep_open[-1], "pelvis_roll_deg": per_rep_roll[-1]},
                )
            )
        open_deg, roll_deg = nanmedian(per_rep_open), nanmedian(per_rep_roll)
        openings[side] = open_deg
        metrics += [
            Metric("reps", float(len(reps)), "count", side),
            Metric("opening_deg", finite_or_none(open_deg), "deg", side, estimated=True),
            Metric("pelvis_roll_deg", finite_or_none(roll_deg), "deg", side, estimated=True),
        ]
        if not reps:
            continue
        agreement.append(rep_agreement(per_rep_open))
        if open_deg < spec.threshold("small_range_moderate_deg"):
            flags.append(Flag("small_range", side, "moderate"))
        elif open_deg < spec.threshold("small_range_mild_deg"):
            flags.append(Flag("small_range", side, "mild"))
        if roll_deg >= spec.threshold("pelvis_roll_moderate_deg"):
            flags.append(Flag("pelvis_roll_back", side, "moderate"))
        elif roll_deg >= spec.threshold("pelvis_roll_mild_deg"):
            flags.append(Flag("pelvis_roll_back", side, "mild"))

    recorded = [s for s in SIDES if counts[s]]
    if not recorded:
        raise MovementNotFound(
            "We did not see your top knee open and close. Lie on your side facing the camera, "
            "knees bent, and lift the top knee while your feet stay together."
        )
    segments = renumbered(segments)
    needed = spec.threshold("pass_min_reps_per_side")
    bucket, raw, missing = per_side_rep_verdict(counts, recorded, flags, spec)
    enough = missing == 0
    if len(recorded) == 1:
        notes.append(
            f"Only your {recorded[0]} side was recorded; record the other side too to compare."
        )
    if not enough:
        seen = ", ".join(f"{s} {counts[s]}" for s in recorded)
        notes.append(f"Reps seen: {seen}; a pass needs {needed} each side.")
    notes.append(
        "The opening angle comes from the model's depth estimate, so it is approximate "
        f"(about ±{spec.threshold('depth_error_deg'):.0f}°)."
    )

    parts = [int(sided(n, s)) for n in ("hip", "knee") for s in SIDES]
    confidence = visibility_confidence(track, parts) * spec.threshold("depth_confidence")
    confidence *= float(np.mean(agreement)) if agreement else 0.5
    if len(recorded) == 1:
        confidence *= 0.9
    return TestResult.build(
        bucket=bucket,
        normalized=normalize_bucket(bucket),
        raw_score=raw,
        confidence=confidence,
        side=worse_side_of(
            flags,
            openings if len(recorded) == 2 else None,
            higher_is_worse=False,
            min_difference=spec.threshold("side_difference_deg"),
        ),
        reps=sum(counts.values()),
        metrics=metrics,
        flags=flags,
        segments=segments,
        notes=notes,
    )
