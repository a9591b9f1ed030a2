"""Test 9 — Shoulder Flexion (CATALOG.md; norms in NORMS.md).

shoulder_flexion_deg is the angle between the upper arm (shoulder -> elbow) and the
trunk line (shoulder -> hip): 0 with the arm hanging, 180 straight overhead. Each rep is
a raise past an enter angle and back below an exit angle (hysteresis); the rep's value
is its largest angle, and each side keeps its best complete rep (range of motion is how
far the joint can go).

- Side view (preferred): the arm nearer the camera, in the picture's plane. The near
  side is decided frame by frame, so one clip may show one arm, then (after turning
  round) the other; a side never shown side-on has no value and the result says so.
- Front view (allowed, lower confidence): the raise goes toward the camera, so the angle
  comes from world landmarks (the model's depth) and is marked estimated; a 2-D angle
  would read almost any raise as overhead. The lower back cannot be seen from the front.

Flags, per rep at its highest point: scapular_elevation (the shoulder rising toward the
ear: the ear-to-shoulder height shrinking against its resting value), lumbar_extension
(side view: the trunk leaning back against its resting angle), elbow_bend (the elbow
angle at the top). The shrug, lean and facing helpers are shared with the wall slide.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.angles import angle_at, angle_between
from flowlogic.geometry.segmentation import Segment, hysteresis_segments
from flowlogic.geometry.smoothing import moving_median
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.pose.landmarks import SIDES, sided
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.common import (
    finite_or_none,
    nanmedian,
    rep_agreement,
    rep_count_factor,
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

ARM = ("shoulder", "elbow", "wrist")


# -- shared upper-body helpers (also used by the wall slide) -----------------------------


def near_side_series(track: PoseTrack, window_s: float = 1.0) -> np.ndarray:
    """(T,) "left" / "right": the arm MediaPipe sees better, frame by frame (a running
    median over `window_s`, so a moment of swapped labels does not switch sides)."""
    vis = track.visibility
    left = vis[:, [sided(n, "left") for n in ARM]].mean(axis=1)
    right = vis[:, [sided(n, "right") for n in ARM]].mean(axis=1)
    window = max(1, int(round(window_s * track.fps)) | 1)
    difference = moving_median(left - right, window)
    return np.where(difference >= 0, "left", "right")


def facing_series(xy: np.ndarray, fps: float, window_s: float = 1.0) -> np.ndarray:
    """(T,) +1 where the person faces the picture's right (nose ahead of the ears),
    -1 where they face left; running median against jitter, NaN-free."""
    ears = (xy[:, L.LEFT_EAR, 0] + xy[:, L.RIGHT_EAR, 0]) / 2
    ahead = moving_median(xy[:, L.NOSE, 0] - ears, max(1, int(round(window_s * fps)) | 1))
    return np.where(np.nan_to_num(ahead, nan=1.0) >= 0, 1.0, -1.0)


def trunk_down_2d(xy: np.ndarray, side: str) -> np.ndarray:
    """(T, 2) the trunk line from shoulder toward hip on `side`; straight down in the
    picture where the hip is not seen (upper-body framing)."""
    line = xy[:, sided("hip", side)] - xy[:, sided("shoulder", side)]
    missing = ~np.isfinite(line).all(axis=1)
    line[missing] = (0.0, 1.0)
    return line


def lean_back_deg(xy: np.ndarray, side: str, facing: np.ndarray) -> np.ndarray:
    """(T,) the trunk's tilt from vertical (hip -> shoulder), positive when the
    shoulders are behind the hips (leaning back against the way the person faces)."""
    shoulder, hip = xy[:, sided("shoulder", side)], xy[:, sided("hip", side)]
    return np.degrees(
        np.arctan2(-(shoulder[:, 0] - hip[:, 0]) * facing, hip[:, 1] - shoulder[:, 1])
    )


def shrug_series(xy: np.ndarray, side: str, rest: np.ndarray) -> np.ndarray:
    """(T,) how much the ear-to-shoulder height shrank against its resting value
    (0 = same, 0.3 = a third shorter): the shoulder rising toward the ear."""
    height = xy[:, sided("shoulder", side), 1] - xy[:, sided("ear", side), 1]
    resting = nanmedian(height[rest])
    if not np.isfinite(resting) or resting <= 0:
        return np.full(len(height), np.nan)
    return 1.0 - height / resting


def rest_frames(angle: np.ndarray, exit_deg: float) -> np.ndarray:
    """(T,) frames with the arm down: below the rep exit angle, or else the lowest fifth."""
    finite = np.isfinite(angle)
    rest = finite & (angle <= exit_deg)
    if rest.sum() < 3 and finite.any():
        rest = finite & (angle <= np.nanpercentile(angle, 20))
    return rest


def peak_index(values: np.ndarray, segment: Segment) -> int:
    window = values[segment.start : segment.end]
    if np.all(np.isnan(window)):
        return segment.start
    return segment.start + int(np.nanargmax(window))


# -- this test --------------------------------------------------------------------------------


@dataclass(frozen=True)
class Raise:
    side: str
    segment: Segment
    flexion_deg: float
    elbow_deg: float
    shrug: float
    lean_back_deg: float


def elevation_series(xy: np.ndarray, track: PoseTrack, side: str, view: str) -> np.ndarray:
    """(T,) the humerus-vs-trunk angle of `side`: 2-D side-on, world 3-D from the front."""
    shoulder, elbow = sided("shoulder", side), sided("elbow", side)
    if view == "side":
        return angle_between(xy[:, elbow] - xy[:, shoulder], trunk_down_2d(xy, side))
    world = track.world.astype(np.float64)
    hips = (world[:, L.LEFT_HIP] + world[:, L.RIGHT_HIP]) / 2
    shoulders = (world[:, L.LEFT_SHOULDER] + world[:, L.RIGHT_SHOULDER]) / 2
    return angle_between(world[:, elbow] - world[:, shoulder], hips - shoulders)


def find_raises(
    track: PoseTrack, xy: np.ndarray, spec: TestSpec, view: str
) -> tuple[dict[str, list[Raise]], dict[str, np.ndarray]]:
    """Per side: the raises found, and the side's elevation series (NaN where the side
    was not the one seen side-on)."""
    t = track.timestamps_s
    enter, exit_ = spec.threshold("rep_enter_deg"), spec.threshold("rep_exit_deg")
    near = near_side_series(track) if view == "side" else None
    facing = facing_series(xy, track.fps)
    raises: dict[str, list[Raise]] = {}
    elevations: dict[str, np.ndarray] = {}
    for side in SIDES:
        elevation = elevation_series(xy, track, side, view)
        if near is not None:
            elevation = np.where(near == side, elevation, np.nan)
        elevations[side] = elevation
        if not np.isfinite(elevation).any():
            raises[side] = []
            continue
        rest = rest_frames(elevation, exit_)
        shrug = shrug_series(xy, side, rest)
        lean = lean_back_deg(xy, side, facing)
        lean_rest = nanmedian(lean[rest])
        elbow = angle_at(*(xy[:, sided(n, side)] for n in ARM))
        segments = hysteresis_segments(
            elevation, t, enter=enter, exit=exit_, min_duration_s=spec.threshold("min_rep_s")
        )
        found = []
        for segment in segments:
            top = peak_index(elevation, segment)
            found.append(
                Raise(
                    side,
                    segment,
                    float(elevation[top]),
                    float(elbow[top]),
                    float(shrug[top]),
                    float(lean[top] - lean_rest) if view == "side" else float("nan"),
                )
            )
        raises[side] = found
    return raises, elevations


def _side_summary(found: list[Raise]) -> list[Raise]:
    """The raises that count: complete ones, or the partial ones when nothing else."""
    complete = [r for r in found if not r.segment.partial]
    return complete or found


def _best(found: list[Raise]) -> Raise | None:
    counted = _side_summary(found)
    return max(counted, key=lambda r: r.flexion_deg) if counted else None


def _flags_for(side: str, counted: list[Raise], spec: TestSpec) -> list[Flag]:
    flags = []
    shrug = nanmedian([r.shrug for r in counted])
    severity = severity_by(shrug, spec.threshold("shrug_mild"), spec.threshold("shrug_moderate"))
    if severity:
        flags.append(Flag("scapular_elevation", side, severity))
    bend = 180.0 - nanmedian([r.elbow_deg for r in counted])
    severity = severity_by(
        bend, spec.threshold("elbow_bend_mild_deg"), spec.threshold("elbow_bend_moderate_deg")
    )
    if severity:
        flags.append(Flag("elbow_bend", side, severity))
    return flags


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    xy = prepared_xy(track)
    raises, elevations = find_raises(track, xy, spec, view)
    notes: list[str] = []
    if not any(raises.values()):
        highest = max(
            (float(np.nanmax(e)) for e in elevations.values() if np.isfinite(e).any()),
            default=float("nan"),
        )
        if not np.isfinite(highest) or highest < spec.threshold("min_raise_deg"):
            raise MovementNotFound(
                "We did not see your arms rise. Raise your straight arms forward and up "
                "overhead as far as they go, three times."
            )
        notes.append("No full raise was found; the highest point was scored.")
        raises = _highest_point_only(elevations, xy, track, view)

    estimated = view != "side"
    metrics: list[Metric] = []
    flags: list[Flag] = []
    per_side: dict[str, float] = {}
    lean_values: list[float] = []
    for side in SIDES:
        best = _best(raises[side])
        counted = _side_summary(raises[side])
        value = best.flexion_deg if best else float("nan")
        metrics.append(
            Metric("shoulder_flexion_deg", finite_or_none(value), "deg", side, estimated)
        )
        metrics.append(Metric("reps", float(len(counted)), "count", side))
        if not counted:
            continue
        per_side[side] = value
        metrics.append(
            Metric(
                "shrug",
                finite_or_none(nanmedian([r.shrug for r in counted])),
                "share of neck height",
                side,
            )
        )
        metrics.append(
            Metric(
                "elbow_angle_deg",
                finite_or_none(nanmedian([r.elbow_deg for r in counted])),
                "deg",
                side,
                estimated,
            )
        )
        flags += _flags_for(side, counted, spec)
        lean_values += [r.lean_back_deg for r in counted]

    if view == "side":
        lean = nanmedian(lean_values)
        metrics.append(Metric("trunk_lean_back_deg", finite_or_none(lean), "deg"))
        severity = severity_by(
            lean,
            spec.threshold("lumbar_extension_deg"),
            spec.threshold("lumbar_extension_moderate_deg"),
        )
        if severity:
            flags.append(Flag("lumbar_extension", None, severity))
    else:
        notes.append(
            "From the front we estimate how far your arms go forward and up, and cannot see "
            "your lower back arching; record side-on for a precise reading."
        )
    missing = [s for s in SIDES if s not in per_side]
    if missing and view == "side":
        notes.append(
            f"We saw only your {'left' if 'left' in per_side else 'right'} arm side-on; turn "
            f"round so the camera sees your {missing[0]} arm too."
        )

    worse_value = min(per_side.values()) if per_side else float("nan")
    bucket = "pass" if worse_value >= spec.threshold("pass_deg") else "limited"
    normalized = normalize_bucket(bucket)
    raw = float(
        np.interp(worse_value, spec.threshold("score_angle_points"), spec.threshold("score_points"))
    )
    raw -= flag_penalty(flags)
    side = _worse_side(per_side)
    counted_all = [r for s in SIDES for r in _side_summary(raises[s])]
    confidence = _confidence(track, view, per_side, counted_all, spec)
    segments = tuple(
        Rep(
            i + 1,
            r.segment.start_s,
            r.segment.end_s,
            r.side,
            {
                "shoulder_flexion_deg": r.flexion_deg,
                "elbow_angle_deg": r.elbow_deg,
                "shrug": r.shrug,
                "trunk_lean_back_deg": r.lean_back_deg if view == "side" else None,
            },
        )
        for i, r in enumerate(sorted(counted_all, key=lambda r: r.segment.start))
    )
    if estimated:
        confidence *= spec.threshold("front_confidence_factor")
    return TestResult.build(
        bucket=bucket,
        normalized=normalized,
        raw_score=raw,
        confidence=confidence,
        side=side,
        reps=len(counted_all),
        metrics=metrics,
        flags=flags,
        segments=segments,
        notes=notes,
    )


def _worse_side(per_side: dict[str, float]) -> str | None:
    """The side with the smaller range (the only side measured, when only one was)."""
    if not per_side:
        return None
    if len(per_side) == 2 and per_side["left"] == per_side["right"]:
        return None
    return min(per_side, key=per_side.get)


def _confidence(
    track: PoseTrack,
    view: str,
    per_side: dict[str, float],
    counted: list[Raise],
    spec: TestSpec,
) -> float:
    required = [int(sided(n, s)) for s in per_side for n in ("shoulder", "elbow")]
    confidence = visibility_confidence(track, required)
    expected = spec.protocol_reps * (2 if view == "front" else len(per_side))
    confidence *= rep_count_factor(len(counted), expected)
    agreement = [rep_agreement([r.flexion_deg for r in counted if r.side == s]) for s in per_side]
    confidence *= float(np.mean(agreement)) if agreement else 0.5
    if len(per_side) < 2:
        confidence *= 0.8
    if any(r.segment.partial for r in counted):
        confidence *= 0.8
    return confidence


def _highest_point_only(
    elevations: dict[str, np.ndarray], xy: np.ndarray, track: PoseTrack, view: str
) -> dict[str, list[Raise]]:
    """One partial 'raise' per side at its highest point (no rep crossed the enter angle)."""
    t = track.timestamps_s
    facing = facing_series(xy, track.fps)
    out: dict[str, list[Raise]] = {}
    for side, elevation in elevations.items():
        if not np.isfinite(elevation).any():
            out[side] = []
            continue
        top = int(np.nanargmax(elevation))
        rest = rest_frames(elevation, float(np.nanpercentile(elevation, 20)))
        lean = lean_back_deg(xy, side, facing)
        elbow = angle_at(*(xy[top, sided(n, side)] for n in ARM))
        out[side] = [
            Raise(
                side,
                Segment(top, top + 1, float(t[top]), float(t[top]), partial=True),
                float(elevation[top]),
                float(elbow),
                float(shrug_series(xy, side, rest)[top]),
                float(lean[top] - nanmedian(lean[rest])) if view == "side" else float("nan"),
            )
        ]
    return out
