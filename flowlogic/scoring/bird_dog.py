"""Test 14 — Bird Dog (CATALOG.md; no accepted angle norms, NORMS.md).

Side view, on hands and knees. Each leg is followed on its own landmarks: a rep is that leg
straightening back (hip-to-ankle reach over leg length, with hysteresis) and is named by
that leg; the opposite arm reaches with it. Over the hold (the plateau of full reach):

- leg_angle_deg / arm_angle_deg: hip->ankle and shoulder->wrist above horizontal (0 =
  level with the floor, negative = below);
- hip_drop: the hips sinking against the start, in torso lengths;
- trunk_rotation_deg: the hip axis tilting against the start, from world landmarks (model
  depth, so `estimated`);
- balance_drift: the body sliding forward or back against the start;
- hold_seconds: how long the position was held.
"""

from __future__ import annotations

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.body import distance, midpoint
from flowlogic.geometry.segmentation import Segment, hysteresis_segments
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.pose.landmarks import SIDES, sided
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.common import (
    finite_or_none,
    hip_axis_drop_deg,
    nanmedian,
    near_side,
    other_side,
    per_side_rep_verdict,
    renumbered,
    rep_agreement,
    rep_count_factor,
    require_body_size,
    severity_by,
    visibility_confidence,
    worse_side_of,
)
from flowlogic.scoring.result import (
    SEVERITIES,
    Flag,
    Metric,
    Rep,
    TestResult,
    normalize_bucket,
)


def elevation_deg(origin: np.ndarray, end: np.ndarray) -> np.ndarray:
    """Angle of origin->end above the horizontal, -90..90 (either way along the floor)."""
    d = np.asarray(end, dtype=np.float64) - np.asarray(origin, dtype=np.float64)
    return np.degrees(np.arctan2(-d[..., 1], np.abs(d[..., 0])))


def leg_reach(xy: np.ndarray, side: str) -> np.ndarray:
    """(T,) hip-to-ankle distance over the leg's length: about 0.7 with the knee bent at
    90°, 1 with the leg straight."""
    hip, knee, ankle = (xy[:, sided(n, side)] for n in ("hip", "knee", "ankle"))
    length = distance(hip, knee) + distance(knee, ankle)
    finite = length[np.isfinite(length)]
    if finite.size == 0:
        return np.full(len(xy), np.nan)
    return distance(hip, ankle) / float(np.percentile(finite, 90))


def _hold_frames(reach: np.ndarray, rep: Segment, spec: TestSpec) -> np.ndarray:
    """Frame indices of the hold: the leg within a few centimetres of its full reach."""
    window = reach[rep.start : rep.end]
    peak = np.nanmax(window)
    return rep.start + np.flatnonzero(
        np.nan_to_num(window, nan=-np.inf) >= peak - spec.threshold("hold_band_reach")
    )


def _arm_reached(arm_angle: np.ndarray, reach: np.ndarray, rep: Segment, spec: TestSpec) -> bool:
    """A bird-dog rep needs the opposite arm seen reaching forward during the hold; a leg
    straightening alone (or an arm out of sight) is not counted."""
    arm = nanmedian(arm_angle[_hold_frames(reach, rep, spec)])
    return bool(np.isfinite(arm) and arm >= spec.threshold("min_arm_reach_deg"))


def _longest_run_s(frames: np.ndarray, fps: float) -> float:
    if frames.size == 0:
        return 0.0
    breaks = np.flatnonzero(np.diff(frames) > 1)
    return float(np.diff(np.concatenate(([0], breaks + 1, [frames.size]))).max()) / fps


def _worse(*severities: str | None) -> str | None:
    found = [s for s in severities if s]
    return max(found, key=SEVERITIES.index) if found else None


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    xy = prepared_xy(track)
    t = track.timestamps_s
    near = near_side(track, ("shoulder", "hip", "ankle"))
    torso = require_body_size(
        nanmedian(distance(xy[:, sided("shoulder", near)], xy[:, sided("hip", near)]))
    )
    mid_hip = midpoint(xy, L.LEFT_HIP, L.RIGHT_HIP)
    # from the side the two hips overlap; where the far one is hidden use the near one
    mid_hip = np.where(np.isnan(mid_hip), xy[:, sided("hip", near)], mid_hip)
    tilt = hip_axis_drop_deg(track)

    reach = {s: leg_reach(xy, s) for s in SIDES}
    with np.errstate(invalid="ignore"):
        resting = np.all(
            [np.nan_to_num(reach[s], nan=0.0) <= spec.threshold("rep_exit_reach") for s in SIDES],
            axis=0,
        )
    if not resting.any():
        resting = np.ones(track.frames, dtype=bool)
    rest_hip = np.array([nanmedian(mid_hip[resting, 0]), nanmedian(mid_hip[resting, 1])])
    rest_tilt = nanmedian(tilt[resting])

    metrics: list[Metric] = []
    flags: list[Flag] = []
    segments: list[Rep] = []
    notes: list[str] = []
    lowest_limb: dict[str, float] = {}
    counts: dict[str, int] = {}
    agreement: list[float] = []
    for side in SIDES:
        arm_side = other_side(side)
        leg_angle = elevation_deg(xy[:, sided("hip", side)], xy[:, sided("ankle", side)])
        arm_angle = elevation_deg(
            xy[:, sided("shoulder", arm_side)], xy[:, sided("wrist", arm_side)]
        )
        reps = [
            r
            for r in hysteresis_segments(
                reach[side],
                t,
                enter=spec.threshold("rep_enter_reach"),
                exit=spec.threshold("rep_exit_reach"),
                min_duration_s=spec.threshold("min_rep_s"),
            )
            if not r.partial and _arm_reached(arm_angle, reach[side], r, spec)
        ]
        counts[side] = len(reps)
        values: dict[str, list[float]] = {
            k: [] for k in ("leg", "arm", "hold", "drop", "rotation", "drift")
        }
        for rep in reps:
            hold = _hold_frames(reach[side], rep, spec)
            values["leg"].append(nanmedian(leg_angle[hold]))
            values["arm"].append(nanmedian(arm_angle[hold]))
            values["hold"].append(_longest_run_s(hold, track.fps))
            values["drop"].append((nanmedian(mid_hip[hold, 1]) - rest_hip[1]) / torso)
            values["rotation"].append(abs(nanmedian(tilt[hold]) - rest_tilt))
            values["drift"].append(abs(nanmedian(mid_hip[hold, 0]) - rest_hip[0]) / torso)
            segments.append(
                Rep(
                    0,
                    rep.start_s,
                    rep.end_s,
                    side,
                    {
                        "leg_angle_deg": values["leg"][-1],
                        "arm_angle_deg": values["arm"][-1],
                        "hold_seconds": values["hold"][-1],
                        "hip_drop": values["drop"][-1],
                        "trunk_rotation_deg": values["rotation"][-1],
                        "balance_drift": values["drift"][-1],
                    },
                )
            )
        typical = {k: nanmedian(v) for k, v in values.items()}
        if values["leg"]:
            agreement.append(rep_agreement([v + 90.0 for v in values["leg"]]))
        lowest_limb[side] = min(typical["leg"], typical["arm"])
        metrics += [
            Metric("reps", float(len(reps)), "count", side),
            Metric("leg_angle_deg", finite_or_none(typical["leg"]), "deg", side),
            Metric("arm_angle_deg", finite_or_none(typical["arm"]), "deg", arm_side),
            Metric("hold_seconds", finite_or_none(typical["hold"]), "s", side),
            Metric("hip_drop", finite_or_none(typical["drop"]), "torso lengths", side),
            Metric(
                "trunk_rotation_deg",
                finite_or_none(typical["rotation"]),
                "deg",
                side,
                estimated=True,
            ),
            Metric("balance_drift", finite_or_none(typical["drift"]), "torso lengths", side),
        ]
        if not reps:
            notes.append(
                f"We did not see your {side} leg reach back with the {arm_side} arm forward; "
                "record them in full view."
            )
            continue
        checks = {
            "limb_below_level": severity_by(
                -lowest_limb[side],
                spec.threshold("below_level_mild_deg"),
                spec.threshold("below_level_moderate_deg"),
            ),
            "hip_drop": severity_by(
                typical["drop"],
                spec.threshold("hip_drop_mild"),
                spec.threshold("hip_drop_moderate"),
            ),
            "trunk_rotation": severity_by(
                typical["rotation"],
                spec.threshold("trunk_rotation_mild_deg"),
                spec.threshold("trunk_rotation_moderate_deg"),
            ),
            "balance_drift": severity_by(
                typical["drift"],
                spec.threshold("balance_drift_mild"),
                spec.threshold("balance_drift_moderate"),
            ),
        }
        flags += [Flag(code, side, severity) for code, severity in checks.items() if severity]
        if typical["hold"] < spec.threshold("target_hold_s") - spec.threshold("hold_grace_s"):
            notes.append(
                f"With the {side} leg back you held about {typical['hold']:.1f} s; "
                f"aim for {spec.threshold('target_hold_s'):.0f} s."
            )

    if not segments:
        raise MovementNotFound(
            "We did not see a leg reach back. Kneel on hands and knees side-on to the camera "
            "and straighten one leg back, level with your back, as the opposite arm reaches."
        )
    segments = renumbered(segments)
    needed = spec.threshold("pass_min_reps_per_side")
    bucket, raw, missing = per_side_rep_verdict(counts, SIDES, flags, spec)
    enough = missing == 0
    if not enough:
        notes.append(
            f"Reps seen: left leg {counts['left']}, right leg {counts['right']}; "
            f"a pass needs {needed} each side ({spec.protocol_reps // 2} asked)."
        )
    far = other_side(near)
    vis_near = visibility_confidence(
        track, [int(sided(n, near)) for n in ("shoulder", "hip", "wrist", "ankle")]
    )
    vis_far = visibility_confidence(track, [int(sided(n, far)) for n in ("wrist", "ankle")])
    total = sum(counts.values())
    rep_factor = rep_count_factor(total, spec.protocol_reps)
    agreement_factor = float(np.mean(agreement)) if agreement else 0.5
    confidence = (0.6 * vis_near + 0.4 * vis_far) * rep_factor * agreement_factor
    if vis_far < 0.5:
        notes.append(f"Your {far} arm and leg were hard to see from this side.")
    return TestResult.build(
        bucket=bucket,
        normalized=normalize_bucket(bucket),
        raw_score=raw,
        confidence=confidence,
        side=worse_side_of(
            flags,
            lowest_limb,
            higher_is_worse=False,
            min_difference=spec.threshold("side_difference_deg"),
        ),
        reps=total,
        metrics=metrics,
        flags=flags,
        segments=segments,
        notes=notes,
    )
