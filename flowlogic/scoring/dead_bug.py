"""Test 11 — Dead Bug (CATALOG.md; no accepted angle norms, NORMS.md).

Side view, lying on the back. Each leg is followed on its own landmarks; its rep signal
is the smaller of its hip angle (near trunk line to its thigh: 90 at the start, 180 in
line with the trunk) and knee angle (90 bent, 180 straight), segmented with hysteresis:
a leg extends only when both open, so a bridge (hips up, knees bent) is no rep. A rep
is named by the leg that extends (the opposite arm lowers with it). At the furthest point
of each rep:

- leg_extension_deg: the hip angle, how far the thigh lowered toward the trunk line;
- knee_extension_deg: how straight the knee is;
- trunk stability: the near hip's rise and the shoulder-hip line's tilt against rest;
- tempo: how long the rep took out and back.

Seen side-on, the far leg is partly hidden: its reps count only where the model saw it,
and confidence drops with its visibility.
"""

from __future__ import annotations

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.angles import angle_at, angle_between, signed_tilt_from_horizontal
from flowlogic.geometry.body import distance
from flowlogic.geometry.segmentation import Segment, hysteresis_segments
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.pose.landmarks import SIDES, sided
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.common import (
    finite_or_none,
    nanmedian,
    near_side,
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

LEG = ("hip", "knee", "ankle")


def leg_angles(xy: np.ndarray, near: str, side: str) -> tuple[np.ndarray, np.ndarray]:
    """(hip angle, knee angle) of one leg per frame; the trunk line is the near side's."""
    trunk = xy[:, sided("shoulder", near)] - xy[:, sided("hip", near)]
    hip, knee, ankle = (xy[:, sided(n, side)] for n in LEG)
    return angle_between(trunk, knee - hip), angle_at(hip, knee, ankle)


def find_reps(signal: np.ndarray, t: np.ndarray, spec: TestSpec) -> list[Segment]:
    segments = hysteresis_segments(
        signal,
        t,
        enter=spec.threshold("rep_enter_deg"),
        exit=spec.threshold("rep_exit_deg"),
        min_duration_s=spec.threshold("min_rep_s"),
    )
    return [s for s in segments if not s.partial]


def _worse(*severities: str | None) -> str | None:
    found = [s for s in severities if s]
    return max(found, key=SEVERITIES.index) if found else None


def _peak(signal: np.ndarray, rep: Segment) -> int:
    window = signal[rep.start : rep.end]
    return rep.start + int(np.nanargmax(window))


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    xy = prepared_xy(track)
    t = track.timestamps_s
    near = near_side(track, ("shoulder", "hip", "knee"))
    shoulder, hip = xy[:, sided("shoulder", near)], xy[:, sided("hip", near)]
    torso = require_body_size(nanmedian(distance(shoulder, hip)))
    trunk_tilt = signed_tilt_from_horizontal(shoulder, hip)

    per_side: dict[str, dict] = {}
    for side in SIDES:
        hip_deg, knee_deg = leg_angles(xy, near, side)
        per_side[side] = {
            "hip": hip_deg,
            "knee": knee_deg,
            "signal": np.fmin(hip_deg, knee_deg),
        }
    # rest: both legs back in the start position (a leg out of sight does not veto it)
    with np.errstate(invalid="ignore"):
        resting = np.all(
            [
                np.nan_to_num(per_side[s]["signal"], nan=0.0) <= spec.threshold("rep_exit_deg")
                for s in SIDES
            ],
            axis=0,
        )
    if not resting.any():
        resting = np.ones(track.frames, dtype=bool)
    rest_hip_y = nanmedian(hip[resting, 1])
    rest_tilt = nanmedian(trunk_tilt[resting])

    metrics: list[Metric] = []
    flags: list[Flag] = []
    segments: list[Rep] = []
    notes: list[str] = []
    extension_by_side: dict[str, float] = {}
    durations: list[float] = []
    agreement: list[float] = []
    for side in SIDES:
        data = per_side[side]
        reps = find_reps(data["signal"], t, spec)
        hip_at, knee_at, rises, tilts = [], [], [], []
        for rep in reps:
            peak = _peak(data["signal"], rep)
            hip_at.append(float(data["hip"][peak]))
            knee_at.append(float(data["knee"][peak]))
            window = slice(rep.start, rep.end)
            rises.append(float(np.nanmax(np.abs(rest_hip_y - hip[window, 1]))) / torso)
            tilts.append(float(np.nanmax(np.abs(trunk_tilt[window] - rest_tilt))))
            durations.append(rep.duration_s)
            segments.append(
                Rep(
                    0,
                    rep.start_s,
                    rep.end_s,
                    side,
                    {
                        "leg_extension_deg": hip_at[-1],
                        "knee_extension_deg": knee_at[-1],
                        "hip_rise": rises[-1],
                        "trunk_tilt_change_deg": tilts[-1],
                    },
                )
            )
        extension = nanmedian(hip_at)
        knee = nanmedian(knee_at)
        rise = nanmedian(rises)
        tilt = nanmedian(tilts)
        extension_by_side[side] = extension
        if hip_at:
            agreement.append(rep_agreement(hip_at))
        metrics += [
            Metric("reps", float(len(reps)), "count", side),
            Metric("leg_extension_deg", finite_or_none(extension), "deg", side),
            Metric("knee_extension_deg", finite_or_none(knee), "deg", side),
            Metric("hip_rise", finite_or_none(rise), "torso lengths", side),
            Metric("trunk_tilt_change_deg", finite_or_none(tilt), "deg", side),
        ]
        if not reps:
            notes.append(f"We did not see your {side} leg extend; record it in full view.")
            continue
        short = min(
            extension - spec.threshold("full_leg_extension_deg"),
            knee - spec.threshold("full_knee_extension_deg"),
        )
        severity = severity_by(
            -short, spec.threshold("incomplete_mild_deg"), spec.threshold("incomplete_moderate_deg")
        )
        if severity:
            flags.append(Flag("incomplete_extension", side, severity))
        severity = _worse(
            severity_by(rise, spec.threshold("hip_rise_mild"), spec.threshold("hip_rise_moderate")),
            severity_by(
                tilt,
                spec.threshold("trunk_tilt_mild_deg"),
                spec.threshold("trunk_tilt_moderate_deg"),
            ),
        )
        if severity:
            flags.append(Flag("trunk_instability", side, severity))

    tempo = nanmedian(durations)
    metrics.append(Metric("rep_seconds", finite_or_none(tempo), "s"))
    if np.isfinite(tempo):
        if tempo < spec.threshold("too_fast_moderate_s"):
            flags.append(Flag("too_fast", None, "moderate"))
        elif tempo < spec.threshold("too_fast_mild_s"):
            flags.append(Flag("too_fast", None, "mild"))

    counts = {s: sum(1 for r in segments if r.side == s) for s in SIDES}
    if not segments:
        raise MovementNotFound(
            "We did not see a leg straighten out. Lie on your back side-on to the camera, "
            "legs up with hips and knees at 90°, and slowly reach one leg out toward the floor."
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

    far = "right" if near == "left" else "left"
    vis_near = visibility_confidence(track, [int(sided(n, near)) for n in ("shoulder", *LEG)])
    vis_far = visibility_confidence(track, [int(sided(n, far)) for n in LEG])
    rep_factor = rep_count_factor(sum(counts.values()), spec.protocol_reps)
    agreement_factor = float(np.mean(agreement)) if agreement else 0.5
    confidence = (0.6 * vis_near + 0.4 * vis_far) * rep_factor * agreement_factor
    if vis_far < 0.5:
        notes.append(f"Your {far} leg was hard to see from this side, so its reps are uncertain.")
    total = sum(counts.values())
    return TestResult.build(
        bucket=bucket,
        normalized=normalize_bucket(bucket),
        raw_score=raw,
        confidence=confidence,
        side=worse_side_of(
            flags,
            extension_by_side,
            higher_is_worse=False,
            min_difference=spec.threshold("side_difference_deg"),
        ),
        reps=total,
        metrics=metrics,
        flags=flags,
        segments=segments,
        notes=notes,
    )
