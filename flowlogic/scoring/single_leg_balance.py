"""Test 7 — Single-Leg Balance (CATALOG.md; Springer 2007 norms in NORMS.md).

Front view. A side is named after the standing leg (the leg being tested): lifting the
left foot tests the right leg. A foot counts as lifted when its ankle sits clearly above
the other ankle (hysteresis on the height difference, in standing leg lengths); a hold
runs while one foot stays lifted and the standing foot stays where it was, bridging
breaks shorter than the grace window (landmark jitter). Per side we keep the longest
hold (best attempt, as in Springer's best of three), the sway of the pelvis during it,
the pelvis tilting down on the lifted side (hip drop) and the touch-downs: times the
lifted foot came down before the target time and was lifted again.
"""

from __future__ import annotations

from dataclasses import dataclass
from itertools import pairwise

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.geometry.body import leg_length, midpoint
from flowlogic.geometry.segmentation import Segment, hold_segments, hysteresis_segments
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.pose.landmarks import SIDES, landmarks_for, sided
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.common import (
    finite_or_none,
    nanmedian,
    other_side,
    severity_by,
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

BUCKET_RANK = {"good": 0, "limited": 1, "significant": 2}


@dataclass(frozen=True)
class Hold:
    """One hold on one standing leg."""

    stance: str  # the standing leg
    segment: Segment
    sway: float  # pelvis path, leg lengths per second
    hip_drop_deg: float  # pelvis tilt toward the lifted side, against standing
    open_start: bool  # no standing frame before it: the clip starts mid-hold
    open_end: bool  # no standing frame after it: the clip ends (or we lose sight) mid-hold
    down_after: int | None  # first frame with both feet down after the hold

    @property
    def seconds(self) -> float:
        return self.segment.duration_s


@dataclass(frozen=True)
class SideSummary:
    stance: str
    hold_seconds: float
    touchdowns: int
    best: Hold | None

    @property
    def recorded(self) -> bool:
        return self.best is not None


# -- signals -----------------------------------------------------------------------------


def _lift_signals(xy: np.ndarray, leg: float, spec: TestSpec) -> dict[str, np.ndarray]:
    """How far each foot is lifted above the other, in leg lengths, keyed by the
    *standing* leg. The offset both ankles show while standing (a foot a little nearer
    the camera sits lower in the picture) is taken out."""
    left_above = (xy[:, L.RIGHT_ANKLE, 1] - xy[:, L.LEFT_ANKLE, 1]) / leg
    level = np.abs(left_above) < spec.threshold("lift_exit")
    baseline = nanmedian(left_above[level]) if level.sum() >= 3 else 0.0
    if not np.isfinite(baseline):
        baseline = 0.0
    relative = left_above - baseline
    # left foot lifted -> the right leg stands, and the other way round
    return {"right": relative, "left": -relative}


def _standing_frames(lifts: dict[str, np.ndarray], spec: TestSpec) -> np.ndarray:
    """Frames with both feet down (neither lifted past the exit threshold)."""
    exit_ = spec.threshold("lift_exit")
    return np.nan_to_num(np.abs(lifts["left"]), nan=np.inf) < exit_


def _hold_mask(
    lift: np.ndarray, stance_ankle: np.ndarray, track: PoseTrack, leg: float, spec: TestSpec
) -> np.ndarray:
    """(T,) True while the foot is lifted and the standing foot has not moved from where
    it was when the foot went up."""
    mask = np.zeros(len(lift), dtype=bool)
    lifts = hysteresis_segments(
        lift,
        track.timestamps_s,
        enter=spec.threshold("lift_enter"),
        exit=spec.threshold("lift_exit"),
    )
    settle = max(1, int(round(0.2 * track.fps)))
    for lifted in lifts:
        start, end = lifted.start, lifted.end
        # hysteresis starts a segment at the last rest frame; the hold starts on the lift
        above = np.flatnonzero(np.nan_to_num(lift[start:end], nan=0) >= spec.threshold("lift_exit"))
        if above.size == 0:
            continue
        start += int(above[0])
        seen = stance_ankle[start:end][np.isfinite(stance_ankle[start:end]).all(axis=1)]
        if len(seen) == 0:
            continue
        anchor = np.median(seen[:settle], axis=0)
        moved = np.linalg.norm(stance_ankle[start:end] - anchor, axis=1) / leg
        moved_beyond = np.flatnonzero(np.nan_to_num(moved, nan=0) > spec.threshold("stance_move"))
        stop = start + int(moved_beyond[0]) if moved_beyond.size else end
        inside = np.nan_to_num(lift[start:stop], nan=-np.inf) >= spec.threshold("lift_exit")
        mask[start:stop] = inside
    return mask


def _settled(segment: Segment, t: np.ndarray, spec: TestSpec) -> slice:
    """The part of a hold after the first settling moments (the weight shift onto the
    standing leg), when there is enough of it."""
    skip = spec.threshold("settle_s")
    start = segment.start
    if segment.duration_s > 3 * skip:
        start = int(np.searchsorted(t, t[segment.start] + skip))
    return slice(start, segment.end)


def _sway(pelvis: np.ndarray, t: np.ndarray, window: slice, leg: float) -> float:
    """Path travelled by the mid-hip point, in leg lengths per second."""
    path = pelvis[window]
    times = t[window]
    steps = np.linalg.norm(np.diff(path, axis=0), axis=1)
    finite = np.isfinite(steps)
    if finite.sum() < 2:
        return float("nan")
    duration = float(np.sum(np.diff(times)[finite]))
    return float(np.sum(steps[finite]) / leg / duration) if duration > 0 else float("nan")


def _pelvis_tilt_toward(xy: np.ndarray, lifted: str) -> np.ndarray:
    """(T,) degrees the pelvis tilts down on the `lifted` side (image y grows down)."""
    low = xy[:, sided("hip", lifted)]
    high = xy[:, sided("hip", other_side(lifted))]
    return np.degrees(np.arctan2(low[:, 1] - high[:, 1], np.abs(low[:, 0] - high[:, 0])))


# -- holds per side ----------------------------------------------------------------------


def find_holds(track: PoseTrack, xy: np.ndarray, spec: TestSpec) -> list[Hold]:
    """Every hold in the clip (both standing legs), in time order."""
    t = track.timestamps_s
    leg = leg_length(xy)
    if not np.isfinite(leg) or leg <= 0:
        return []
    lifts = _lift_signals(xy, leg, spec)
    standing = _standing_frames(lifts, spec)
    pelvis = midpoint(xy, L.LEFT_HIP, L.RIGHT_HIP)
    holds: list[Hold] = []
    for stance in SIDES:
        lifted = other_side(stance)
        mask = _hold_mask(lifts[stance], xy[:, sided("ankle", stance)], track, leg, spec)
        segments = hold_segments(
            mask, t, grace_s=spec.threshold("grace_s"), min_duration_s=spec.threshold("min_hold_s")
        )
        tilt = _pelvis_tilt_toward(xy, lifted)
        level = nanmedian(tilt[standing]) if standing.sum() >= 3 else 0.0
        level = level if np.isfinite(level) else 0.0
        for segment in segments:
            window = _settled(segment, t, spec)
            after = np.flatnonzero(standing[segment.end :])
            holds.append(
                Hold(
                    stance=stance,
                    segment=segment,
                    sway=_sway(pelvis, t, window, leg),
                    hip_drop_deg=nanmedian(tilt[window]) - level,
                    open_start=not standing[: segment.start].any(),
                    open_end=after.size == 0,
                    down_after=segment.end + int(after[0]) if after.size else None,
                )
            )
    holds.sort(key=lambda h: h.segment.start)
    return holds


def summarise(holds: list[Hold], spec: TestSpec) -> dict[str, SideSummary]:
    good = spec.threshold("good_hold_s")
    summaries = {}
    for stance in SIDES:
        own = [h for h in holds if h.stance == stance]
        best = max(own, key=lambda h: h.seconds, default=None)
        # the foot came down (both feet seen on the floor) before the target time and
        # went up again: a touch-down within the attempt; a gap in sight is not one
        touchdowns = sum(
            1
            for hold, following in pairwise(own)
            if hold.seconds < good
            and hold.down_after is not None
            and hold.down_after < following.segment.start
        )
        summaries[stance] = SideSummary(stance, best.seconds if best else 0.0, touchdowns, best)
    return summaries


# -- flags, buckets, score ---------------------------------------------------------------


def side_flags(summary: SideSummary, spec: TestSpec) -> list[Flag]:
    if not summary.recorded:
        return []
    best = summary.best
    flags = []
    limit = spec.threshold("sway_limit")
    severity = severity_by(best.sway, limit, 2 * limit, 4 * limit)
    if severity:
        flags.append(Flag("excessive_sway", summary.stance, severity))
    severity = severity_by(
        best.hip_drop_deg, spec.threshold("hip_drop_deg"), spec.threshold("hip_drop_moderate_deg")
    )
    if severity:
        flags.append(Flag("hip_drop", summary.stance, severity))
    severity = severity_by(float(summary.touchdowns), 1, spec.threshold("several_touchdowns"), 3)
    if severity:
        flags.append(Flag("touchdown", summary.stance, severity))
    return flags


def side_bucket(summary: SideSummary, flags: list[Flag], spec: TestSpec) -> str:
    hold = summary.hold_seconds
    if hold < spec.threshold("limited_hold_s") or summary.touchdowns >= spec.threshold(
        "several_touchdowns"
    ):
        return "significant"
    unsteady = any(f.code == "excessive_sway" for f in flags) or summary.touchdowns > 0
    if hold < spec.threshold("good_hold_s") or unsteady:
        return "limited"
    return "good"


def hold_score(seconds: float, spec: TestSpec) -> float:
    """0-100 from a hold time: the good time and above = 100; the limited band spans
    60-89 and the shorter holds 0-59, linearly, so the score follows the buckets."""
    good, limited = spec.threshold("good_hold_s"), spec.threshold("limited_hold_s")
    if seconds >= good:
        return 100.0
    if seconds >= limited:
        return 60.0 + 29.0 * (seconds - limited) / (good - limited)
    return 59.0 * max(seconds, 0.0) / limited


def asymmetry_flag(summaries: dict[str, SideSummary], spec: TestSpec) -> tuple[float, Flag | None]:
    """Hold difference in % of the longer hold, both capped at the target time (both
    sides reaching it is symmetric)."""
    good = spec.threshold("good_hold_s")
    capped = {s: min(summaries[s].hold_seconds, good) for s in SIDES}
    longer = max(capped.values())
    if longer <= 0:
        return float("nan"), None
    difference = 100.0 * abs(capped["left"] - capped["right"]) / longer
    limit = spec.threshold("asymmetry_pct")
    severity = severity_by(difference, limit, 2 * limit)
    if not severity:
        return difference, None
    weaker = min(SIDES, key=lambda s: capped[s])
    return difference, Flag("asymmetry", weaker, severity)


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    xy = prepared_xy(track)
    holds = find_holds(track, xy, spec)
    summaries = summarise(holds, spec)
    recorded = [s for s in SIDES if summaries[s].recorded]
    notes: list[str] = [
        "Sides are named after the standing leg: lifting the left foot tests the right leg."
    ]
    metrics: list[Metric] = []
    flags: list[Flag] = []
    buckets: dict[str, str] = {}
    for stance in SIDES:
        summary = summaries[stance]
        best = summary.best
        metrics += [
            Metric(
                "hold_seconds",
                round(summary.hold_seconds, 2) if summary.recorded else None,
                "s",
                stance,
            ),
            Metric("sway", finite_or_none(best.sway) if best else None, "leg lengths/s", stance),
            Metric(
                "hip_drop_deg",
                finite_or_none(best.hip_drop_deg) if best else None,
                "deg",
                stance,
                estimated=True,
            ),
            Metric("touchdowns", float(summary.touchdowns) if best else None, "count", stance),
        ]
        own = side_flags(summary, spec)
        flags += own
        if summary.recorded:
            buckets[stance] = side_bucket(summary, own, spec)

    if len(recorded) == 2:
        difference, flag = asymmetry_flag(summaries, spec)
        metrics.append(Metric("hold_asymmetry_pct", finite_or_none(difference), "%"))
        if flag:
            flags.append(flag)
    elif len(recorded) == 1:
        missing = other_side(recorded[0])
        notes.append(
            f"Only the {recorded[0]} leg was recorded; the {missing} leg was not, so the "
            "two sides could not be compared. Record the other leg too for a full result."
        )
    else:
        notes.append(
            f"We did not see either foot held off the floor for at least "
            f"{spec.threshold('min_hold_s'):g} s, so no hold could be timed."
        )

    worse = _worse_side(buckets, summaries, flags)
    bucket = buckets[worse] if worse else "significant"
    normalized = normalize_bucket(bucket)
    base = hold_score(summaries[worse].hold_seconds, spec) if worse else 0.0
    raw = base - flag_penalty(flags)

    segments = tuple(
        Rep(
            i + 1,
            h.segment.start_s,
            h.segment.end_s,
            h.stance,
            {
                "hold_seconds": h.seconds,
                "sway": finite_or_none(h.sway),
                "hip_drop_deg": finite_or_none(h.hip_drop_deg),
            },
        )
        for i, h in enumerate(holds)
    )
    notes += _hold_notes(summaries, spec)
    confidence = _confidence(track, summaries, recorded, spec)
    return TestResult.build(
        bucket=bucket,
        normalized=normalized,
        raw_score=raw,
        confidence=confidence,
        side=worse,
        reps=len(holds),
        metrics=metrics,
        flags=flags,
        segments=segments,
        notes=notes,
    )


def _worse_side(
    buckets: dict[str, str], summaries: dict[str, SideSummary], flags: list[Flag]
) -> str | None:
    """The recorded side with the worse bucket, then the shorter hold, then the heavier
    flags (the only recorded side when there is one; None when nothing tells them apart,
    so a mirrored clip stays the mirror image)."""
    if not buckets:
        return None
    if len(buckets) == 1:
        return next(iter(buckets))

    def rank(side: str) -> tuple[int, float]:
        return BUCKET_RANK[buckets[side]], -summaries[side].hold_seconds

    if rank("left") != rank("right"):
        return max(SIDES, key=rank)
    return worse_side_of(flags)


def _hold_notes(summaries: dict[str, SideSummary], spec: TestSpec) -> list[str]:
    notes = []
    good = spec.threshold("good_hold_s")
    for stance, summary in summaries.items():
        best = summary.best
        if best is None:
            continue
        if (best.open_start or best.open_end) and best.seconds < good:
            notes.append(
                f"The {stance}-leg hold was already running when the clip started or was "
                "still running when it ended, so it may be longer than measured."
            )
    notes.append("Hip drop is read from the hip landmarks in the picture; treat it as an estimate.")
    return notes


def _confidence(
    track: PoseTrack, summaries: dict[str, SideSummary], recorded: list[str], spec: TestSpec
) -> float:
    """Landmark visibility, lowered when a side is missing or a short hold was cut off."""
    visibility = visibility_confidence(track, landmarks_for(["hips", "knees", "ankles"]))
    factor = {0: 0.3, 1: 0.75, 2: 1.0}[len(recorded)]
    cut = any(
        s.best is not None
        and (s.best.open_start or s.best.open_end)
        and s.best.seconds < spec.threshold("good_hold_s")
        for s in summaries.values()
    )
    return clamp01(visibility * factor * (0.85 if cut else 1.0))
