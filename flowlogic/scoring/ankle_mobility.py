"""Test 6 — Ankle Mobility, knee-to-wall (weight-bearing lunge test; CATALOG.md, NORMS.md).

Side view. The tested leg is the front foot that is flat on the floor: in each frame the
planted foot further forward (toward where the toes point) is the tested one, and the
clip is split into stretches with the same tested side, so one clip may hold both legs
(the person turns around, or switches legs) or only one.

Dorsiflexion is the shank's angle from vertical (ankle -> knee), positive when the knee is
ahead of the ankle, at the peak of each knee drive. Reps are found with hysteresis on that
angle above the stretch's resting angle. A rep whose heel and ankle both rise at the peak
(the foot rolling onto the toes) is not valid and is flagged `heel_lift`; each side keeps
its best valid rep, as the test's protocol takes the best of three trials. The distance to
the wall is estimated from the angle (1 cm ≈ 3.6°, Bennell 1998).

When a frame's labels disagree with its stretch (MediaPipe swapping left and right for a
moment, which side-on views do), that frame is ignored rather than read from the wrong leg.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.body import leg_length
from flowlogic.geometry.segmentation import Segment, hysteresis_segments
from flowlogic.geometry.smoothing import moving_median
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.pose.landmarks import SIDES, sided
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.common import (
    finite_or_none,
    nanmedian,
    other_side,
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

LEG_POINTS = ("knee", "ankle", "heel", "foot_index")
_SIDE_CODE = {"left": 1.0, "right": -1.0}


@dataclass(frozen=True)
class KneeDrive:
    """One drive of the knee toward the wall, measured at its peak."""

    side: str
    segment: Segment
    peak: int
    dorsiflexion_deg: float
    heel_rise: float  # foot lengths above the resting heel
    ankle_rise: float  # foot lengths above the resting ankle
    heel_lifted: bool


@dataclass(frozen=True)
class SideStretch:
    """Frames [start, end) in which `side` is the tested (front, planted) leg."""

    side: str
    start: int
    end: int


def facing_sign(xy: np.ndarray, fps: float) -> np.ndarray:
    """(T,) +1 where the toes point toward image right, -1 toward image left."""
    toes = sum(xy[:, sided("foot_index", s), 0] - xy[:, sided("heel", s), 0] for s in SIDES)
    window = max(3, round(0.5 * fps) | 1)
    return np.sign(moving_median(toes, window))


def shank_forward_angle(xy: np.ndarray, side: str, facing: np.ndarray) -> np.ndarray:
    """(T,) ankle->knee line from vertical in degrees, positive with the knee ahead."""
    knee, ankle = xy[:, sided("knee", side)], xy[:, sided("ankle", side)]
    forward = (knee[:, 0] - ankle[:, 0]) * facing
    return np.degrees(np.arctan2(forward, ankle[:, 1] - knee[:, 1]))


def front_planted_side(
    xy: np.ndarray, facing: np.ndarray, planted_tolerance_px: float
) -> np.ndarray:
    """(T,) +1 where the left foot is the front planted foot, -1 the right, 0 unknown."""
    lowest = {
        s: np.fmax(xy[:, sided("heel", s), 1], xy[:, sided("foot_index", s), 1]) for s in SIDES
    }
    floor = np.fmax(lowest["left"], lowest["right"])
    ahead = {s: xy[:, sided("ankle", s), 0] * facing for s in SIDES}
    planted = {s: lowest[s] >= floor - planted_tolerance_px for s in SIDES}
    code = np.zeros(len(xy))
    both = planted["left"] & planted["right"]
    left_ahead = ahead["left"] > ahead["right"]
    code[both & left_ahead] = _SIDE_CODE["left"]
    code[both & ~left_ahead] = _SIDE_CODE["right"]
    code[planted["left"] & ~planted["right"]] = _SIDE_CODE["left"]
    code[planted["right"] & ~planted["left"]] = _SIDE_CODE["right"]
    code[~np.isfinite(floor) | ~np.isfinite(ahead["left"]) | ~np.isfinite(ahead["right"])] = 0
    return code


def side_stretches(code: np.ndarray, fps: float, min_stretch_s: float) -> list[SideStretch]:
    """Runs of one tested side after a running majority vote (brief label swaps and
    foot shuffles do not split a stretch)."""
    window = max(3, round(min_stretch_s * fps) | 1)
    voted = np.sign(moving_median(code, window))
    stretches: list[SideStretch] = []
    start = 0
    for i in range(1, len(voted) + 1):
        if i == len(voted) or voted[i] != voted[start]:
            if voted[start] != 0 and (i - start) >= min_stretch_s * fps:
                side = "left" if voted[start] > 0 else "right"
                stretches.append(SideStretch(side, start, i))
            start = i
    return stretches


def find_knee_drives(
    xy: np.ndarray, timestamps_s: np.ndarray, fps: float, spec: TestSpec
) -> tuple[list[KneeDrive], list[SideStretch], list[str]]:
    """Knee drives of every stretch, in time order, plus the stretches and notes."""
    facing = facing_sign(xy, fps)
    leg = leg_length(xy)
    code = front_planted_side(xy, facing, spec.threshold("planted_tolerance_legs") * leg)
    stretches = side_stretches(code, fps, spec.threshold("min_side_stretch_s"))
    drives: list[KneeDrive] = []
    notes: list[str] = []
    partial_seen = 0
    for stretch in stretches:
        found, cut = _drives_in(stretch, xy, code, facing, timestamps_s, fps, spec)
        drives += found
        partial_seen += cut
    if partial_seen:
        notes.append(
            f"{partial_seen} knee drive(s) cut off at the start or end of a side were not counted."
        )
    return sorted(drives, key=lambda d: d.peak), stretches, notes


def _drives_in(
    stretch: SideStretch,
    xy: np.ndarray,
    code: np.ndarray,
    facing: np.ndarray,
    timestamps_s: np.ndarray,
    fps: float,
    spec: TestSpec,
) -> tuple[list[KneeDrive], int]:
    side = stretch.side
    inside = np.zeros(len(xy), dtype=bool)
    inside[stretch.start : stretch.end] = True
    heel, ankle, toe = (xy[:, sided(n, side)] for n in ("heel", "ankle", "foot_index"))
    # Frames whose labels put the other foot in front, or move the tested foot off its
    # spot on the floor, are label swaps or merged legs: skip them.
    trusted = inside & (code == _SIDE_CODE[side])
    if not trusted.any():
        return [], 0
    foot = nanmedian(np.linalg.norm(toe[trusted] - heel[trusted], axis=1))
    # Horizontal only: a heel lift raises the ankle but hardly moves it along the floor.
    away = np.abs(ankle[:, 0] - nanmedian(ankle[trusted, 0])) / foot
    trusted &= np.nan_to_num(away, nan=np.inf) <= spec.threshold("foot_still_tolerance")
    raw_angle = np.where(trusted, shank_forward_angle(xy, side, facing), np.nan)
    window = max(3, round(spec.threshold("angle_median_s") * fps) | 1)
    angle = np.where(trusted, moving_median(raw_angle, window), np.nan)
    if not np.isfinite(angle).any():
        return [], 0
    rest = float(np.nanpercentile(angle, 10))
    rise = angle - rest
    segments = hysteresis_segments(
        rise,
        timestamps_s,
        enter=spec.threshold("rep_enter_rise_deg"),
        exit=spec.threshold("rep_exit_rise_deg"),
        min_duration_s=spec.threshold("min_rep_s"),
    )
    complete = [s for s in segments if not s.partial]
    cut = len(segments) - len(complete)
    if not complete:
        complete, cut = segments, 0
    resting = trusted & (np.nan_to_num(rise, nan=np.inf) <= spec.threshold("rep_exit_rise_deg"))
    rest_heights = (nanmedian(heel[resting, 1]), nanmedian(ankle[resting, 1]))
    drives = [
        _measure_drive(side, segment, angle, heel, ankle, rest_heights, foot, spec)
        for segment in complete
    ]
    return drives, cut


def _measure_drive(
    side: str,
    segment: Segment,
    angle: np.ndarray,
    heel: np.ndarray,
    ankle: np.ndarray,
    rest_heights: tuple[float, float],
    foot: float,
    spec: TestSpec,
) -> KneeDrive:
    """The peak angle of one drive, and whether heel and ankle rose (in foot lengths above
    their resting height, read over the frames at the top of the drive, not one frame)."""
    window = angle[segment.start : segment.end]
    peak = segment.start + int(np.nanargmax(window))
    top = segment.start + np.flatnonzero(window >= angle[peak] - spec.threshold("near_peak_deg"))
    heel_rise = (rest_heights[0] - nanmedian(heel[top, 1])) / foot
    ankle_rise = (rest_heights[1] - nanmedian(ankle[top, 1])) / foot
    lifted = bool(
        heel_rise >= spec.threshold("heel_lift_heel_rise")
        and ankle_rise >= spec.threshold("heel_lift_ankle_rise")
    )
    return KneeDrive(
        side, segment, peak, float(angle[peak]), float(heel_rise), float(ankle_rise), lifted
    )


def native_bucket(dorsiflexion_deg: float, spec: TestSpec) -> str:
    if dorsiflexion_deg >= spec.threshold("pass_deg"):
        return "pass"
    if dorsiflexion_deg >= spec.threshold("limited_deg"):
        return "limited"
    return "significant"


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    # Unsmoothed (gaps filled): smoothing would smear label swaps over several frames;
    # the shank angle gets a running median instead.
    xy = prepared_xy(track, smooth=False)
    drives, stretches, notes = find_knee_drives(xy, track.timestamps_s, track.fps, spec)
    if not drives:
        raise MovementNotFound(
            "We didn't see your knee move toward the wall. Stand side-on, front foot flat, "
            "and bend the front knee forward as far as you can, three times."
        )
    best: dict[str, float] = {}
    metrics: list[Metric] = []
    flags: list[Flag] = []
    per_cm = spec.threshold("degrees_per_cm")
    for side in SIDES:
        mine = [d for d in drives if d.side == side]
        valid = [d for d in mine if not d.heel_lifted]
        lifted = len(mine) - len(valid)
        value = max((d.dorsiflexion_deg for d in valid), default=float("nan"))
        if valid:
            best[side] = value
        metrics += [
            Metric("dorsiflexion_deg", finite_or_none(value), "deg", side),
            Metric("distance_cm", finite_or_none(value / per_cm), "cm", side, estimated=True),
            Metric("reps", float(len(valid)), "count", side),
            Metric("heel_lift_reps", float(lifted), "count", side),
        ]
        if lifted:
            flags.append(Flag("heel_lift", side, "moderate" if not valid else "mild"))
            notes.append(
                f"Your {side} heel lifted on {lifted} of {len(mine)} knee drive(s); "
                "those were not counted."
            )
    if not best:
        raise MovementNotFound(
            "Your heel lifted every time, so we couldn't measure your ankle. Move the foot "
            "a little closer to the wall and keep the heel pressed down."
        )
    measured = [s for s in SIDES if s in best]
    asymmetry = abs(best["left"] - best["right"]) if len(best) == 2 else float("nan")
    metrics.append(Metric("asymmetry_deg", finite_or_none(asymmetry), "deg"))
    if len(best) == 2:
        severity = severity_by(
            asymmetry,
            spec.threshold("asymmetry_mild_deg"),
            spec.threshold("asymmetry_moderate_deg"),
        )
        if severity:
            flags.append(Flag("asymmetry", min(best, key=best.get), severity))
    else:
        missing = other_side(measured[0])
        recorded = {s.side for s in stretches} | {d.side for d in drives}
        why = "lifted its heel on every rep" if missing in recorded else "was not recorded"
        notes.append(
            f"Your {missing} ankle {why}, so the sides could not be compared. "
            "Record the other leg too (turn around so it faces the camera)."
        )

    worse_side = min(best, key=best.get)
    worse = best[worse_side]
    bucket = native_bucket(worse, spec)
    normalized = normalize_bucket(bucket)
    anchors_deg = [
        spec.threshold(name)
        for name in ("score_floor_deg", "limited_deg", "pass_deg", "score_full_deg")
    ]
    raw = float(np.interp(worse, anchors_deg, [20.0, 60.0, 75.0, 100.0]))
    raw -= flag_penalty(flags)

    valid_drives = [d for d in drives if not d.heel_lifted]
    required = [int(sided(n, s)) for s in measured for n in LEG_POINTS]
    rep_factor = rep_count_factor(len(valid_drives), spec.protocol_reps)
    agreement = nanmedian(
        [rep_agreement([d.dorsiflexion_deg for d in valid_drives if d.side == s]) for s in measured]
    )
    confidence = visibility_confidence(track, required) * rep_factor * agreement
    if len(best) < 2:
        confidence *= 0.85
    far = [s for s in measured if _is_far_leg(track, s, stretches)]
    if far:
        confidence *= 0.85
        notes.append(
            f"The tested {far[0]} leg was the one further from the camera; turn so the "
            "tested leg is nearer the camera for a more reliable reading."
        )
    segments = tuple(
        Rep(
            i + 1,
            d.segment.start_s,
            d.segment.end_s,
            d.side,
            {
                "dorsiflexion_deg": d.dorsiflexion_deg,
                "heel_rise": d.heel_rise,
                "ankle_rise": d.ankle_rise,
                "valid": 0.0 if d.heel_lifted else 1.0,
            },
        )
        for i, d in enumerate(drives)
    )
    return TestResult.build(
        bucket=bucket,
        normalized=normalized,
        raw_score=raw,
        confidence=confidence,
        side=_result_side(best, asymmetry),
        reps=len(valid_drives),
        metrics=metrics,
        flags=flags,
        segments=segments,
        notes=notes,
    )


def _result_side(best: dict[str, float], asymmetry: float) -> str | None:
    """The side the result is about: the only one measured, or the stiffer one."""
    if len(best) == 1:
        return next(iter(best))
    return min(best, key=best.get) if asymmetry > 0 else None


def _is_far_leg(track: PoseTrack, side: str, stretches: list[SideStretch]) -> bool:
    """True when, over its stretches, the tested leg was seen less well than the other."""
    frames = np.zeros(track.frames, dtype=bool)
    for stretch in stretches:
        if stretch.side == side:
            frames[stretch.start : stretch.end] = True
    if not frames.any():
        return False
    vis = track.visibility[frames]
    mine = vis[:, [int(sided(n, side)) for n in LEG_POINTS]].mean()
    other = vis[:, [int(sided(n, other_side(side))) for n in LEG_POINTS]].mean()
    return bool(mine < other)
