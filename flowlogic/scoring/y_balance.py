"""Test 3 — Y-Balance (CATALOG.md; Plisky 2006 / 2009 in NORMS.md).

Front view (a diagonal is fine). The person stands on one leg and reaches the other
foot anterior, posteromedial and posterolateral, then swaps legs. A side is named after
the standing leg, the leg being tested (as in the Y-Balance Test).

Anterior and posterior reaches run mostly toward or away from the camera, which one
picture cannot measure, so reach distances come from MediaPipe's world landmarks
(metres, hip-centred, z = depth): the horizontal distance from the standing foot's toes
to the reaching foot's toes at the furthest point of each reach, in % of the standing
leg length (hip-knee-ankle, measured while standing). Every reach metric is therefore
marked estimated and the confidence says so.

Reaches are segmented with hysteresis on how far the toes are apart beyond their resting
distance; the standing foot is the one that stays put (in the picture and in 3-D), and
each reach is classified by its direction in the person's own frame (hips at rest):
forward = anterior; back and toward the reaching leg's own side = posteromedial; back
and across behind the standing leg = posterolateral. The best reach per direction counts.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.body import leg_length
from flowlogic.geometry.segmentation import Segment, hysteresis_segments
from flowlogic.geometry.smoothing import fill_short_gaps, moving_median, one_euro
from flowlogic.geometry.visibility import DEFAULT_MIN_VISIBILITY, prepared_xy
from flowlogic.pose.landmarks import SIDES, landmarks_for, sided
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.common import (
    finite_or_none,
    other_side,
    severity_by,
    visibility_confidence,
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

DIRECTIONS = ("anterior", "posteromedial", "posterolateral")
DOWN = np.array([0.0, 1.0, 0.0])  # world y grows downward


@dataclass(frozen=True)
class Reach:
    """One reach: which leg stood, where the foot went and how far."""

    stance: str
    direction: str | None  # None: too far from every line of the Y to count
    reach_pct: float  # % of leg length
    direction_deg: float  # 0 = straight ahead; positive toward the standing leg's side
    segment: Segment
    peak: int  # frame of the furthest point
    touch_down_s: float  # longest rest of the reaching foot on the floor, away from home
    foot_height_pct: float  # reaching toes above the standing toes at the peak
    in_air: bool  # the reaching foot stayed well above the floor (a kick, not a reach)

    @property
    def reach_side(self) -> str:
        return other_side(self.stance)

    @property
    def counted(self) -> bool:
        """A complete reach along the floor near one line of the Y."""
        return self.direction is not None and not self.in_air and not self.segment.partial


# -- landmarks ---------------------------------------------------------------------------


def prepared_world(
    track: PoseTrack, min_visibility: float = DEFAULT_MIN_VISIBILITY, max_gap_s: float = 0.25
) -> np.ndarray:
    """(T, 33, 3) world landmarks in metres: gated by visibility, short gaps filled and
    One-Euro smoothed (world depth jitters more than the picture)."""
    world = track.world.astype(np.float64)
    world[track.visibility < min_visibility] = np.nan
    if track.frames == 0:
        return world
    world = fill_short_gaps(world, max(1, round(max_gap_s * track.fps)))
    flat = world.reshape(track.frames, -1)
    out = np.empty_like(flat)
    for column in range(flat.shape[1]):
        out[:, column] = one_euro(flat[:, column], track.timestamps_s, min_cutoff_hz=1.5, beta=1.0)
    return out.reshape(world.shape)


def _horizontal(vectors: np.ndarray) -> np.ndarray:
    flat = np.array(vectors, dtype=np.float64, copy=True)
    flat[..., 1] = 0.0
    return flat


def _unit(vector: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vector, axis=-1, keepdims=True)
    with np.errstate(invalid="ignore", divide="ignore"):
        return vector / norm


def _foot(points: np.ndarray, side: str) -> np.ndarray:
    """(T, D) mean of a foot's ankle, heel and toes."""
    idx = [sided(n, side) for n in ("ankle", "heel", "foot_index")]
    return _nanmean_axis(points[:, idx], axis=1)


def _nanmean_axis(values: np.ndarray, axis: int) -> np.ndarray:
    finite = np.isfinite(values)
    counts = finite.sum(axis=axis)
    total = np.where(finite, values, 0.0).sum(axis=axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(counts > 0, total / np.maximum(counts, 1), np.nan)


# -- reaches -----------------------------------------------------------------------------


def _toe_gap(world: np.ndarray) -> np.ndarray:
    """(T,) horizontal distance between the two feet's toes, metres."""
    gap = _horizontal(world[:, L.LEFT_FOOT_INDEX] - world[:, L.RIGHT_FOOT_INDEX])
    return np.linalg.norm(gap, axis=1)


def _standing_leg_length(world: np.ndarray, excess_gap: np.ndarray, spec: TestSpec) -> float:
    """Hip-knee-ankle length (metres, both legs) in the frames where the feet are home,
    since the standing leg bends during a reach."""
    whole_clip = leg_length(world)
    home = np.nan_to_num(excess_gap / whole_clip, nan=np.inf) <= spec.threshold("reach_end")
    return leg_length(world[home]) if home.sum() >= 3 else whole_clip


def _stance_side(
    xy: np.ndarray, world: np.ndarray, segment: Segment, leg_px: float, leg_m: float
) -> str:
    """The foot that stays put over the reach, in the picture and in 3-D."""
    moved = {}
    for side in SIDES:
        shift = 0.0
        for points, scale in ((xy, leg_px), (world, leg_m)):
            foot = _foot(points, side)[segment.start : segment.end]
            home = foot[0] if np.all(np.isfinite(foot[0])) else np.nanmedian(foot, axis=0)
            travel = np.linalg.norm(foot - home, axis=1) / scale
            shift += float(np.nanmax(travel)) if np.isfinite(travel).any() else 0.0
        moved[side] = shift
    return min(SIDES, key=lambda s: moved[s])


def _body_axes(world: np.ndarray, segment: Segment, fps: float) -> tuple[np.ndarray, np.ndarray]:
    """(forward, toward the person's left) horizontal unit vectors from the hips just
    before the reach, so the pelvis turning during the reach does not tilt the frame."""
    before = max(0, segment.start - int(round(0.5 * fps)))
    window = slice(before, segment.start + 2)
    lateral = _horizontal(world[window, L.LEFT_HIP] - world[window, L.RIGHT_HIP])
    lateral = _unit(np.nanmedian(lateral, axis=0))
    forward = _unit(np.cross(DOWN, lateral))
    return forward, lateral


def classify_direction(
    displacement: np.ndarray,
    forward: np.ndarray,
    lateral_to_stance: np.ndarray,
    tolerance_deg: float = 180.0,
) -> tuple[str | None, float]:
    """The Y line closest to a horizontal reach vector (None when it is further than
    `tolerance_deg` from all three), and its angle from straight ahead (positive toward
    the standing leg's side, i.e. crossing behind it)."""
    ahead = float(np.dot(displacement, forward))
    across = float(np.dot(displacement, lateral_to_stance))
    angle = float(np.degrees(np.arctan2(across, ahead)))
    lines = {"anterior": 0.0, "posteromedial": -135.0, "posterolateral": 135.0}

    def gap(a: float, b: float) -> float:
        return abs((a - b + 180.0) % 360.0 - 180.0)

    nearest = min(lines, key=lambda name: gap(angle, lines[name]))
    return (nearest if gap(angle, lines[nearest]) <= tolerance_deg else None), angle


def _touch_down_s(
    world: np.ndarray, stance: str, segment: Segment, t: np.ndarray, leg_m: float, spec: TestSpec
) -> float:
    """Longest time the reaching foot rests on the floor (level with the standing toes,
    barely moving) while away from the standing foot."""
    reach = sided("foot_index", other_side(stance))
    home = sided("foot_index", stance)
    window = slice(segment.start, segment.end)
    height = (world[window, home, 1] - world[window, reach, 1]) / leg_m
    away = np.linalg.norm(_horizontal(world[window, reach] - world[window, home]), axis=1) / leg_m
    step = np.linalg.norm(np.diff(_horizontal(world[window, reach]), axis=0), axis=1) / leg_m
    times = t[window]
    speed = np.concatenate([[np.inf], step / np.maximum(np.diff(times), 1e-3)])
    resting = (
        (np.nan_to_num(height, nan=np.inf) <= spec.threshold("floor_tolerance"))
        & (np.nan_to_num(away, nan=0.0) >= spec.threshold("reach_start"))
        & (np.nan_to_num(speed, nan=np.inf) <= spec.threshold("rest_speed"))
    )
    longest = 0.0
    run_start = None
    for i, value in enumerate(resting):
        if value and run_start is None:
            run_start = i
        if run_start is not None and (not value or i == len(resting) - 1):
            end = i if value else i - 1
            longest = max(longest, float(times[end] - times[run_start]))
            run_start = None
    return longest


def find_reaches(track: PoseTrack, spec: TestSpec) -> tuple[list[Reach], float]:
    """Every reach in the clip in time order, and the standing leg length in metres."""
    world = prepared_world(track)
    xy = prepared_xy(track)
    t = track.timestamps_s
    gap = _toe_gap(world)
    finite = gap[np.isfinite(gap)]
    if finite.size < 3:
        return [], float("nan")
    resting_gap = float(np.percentile(finite, 10))
    leg_m = _standing_leg_length(world, gap - resting_gap, spec)
    leg_px = leg_length(xy)
    if not (np.isfinite(leg_m) and leg_m > 0 and np.isfinite(leg_px) and leg_px > 0):
        return [], float("nan")
    excursion = (gap - resting_gap) / leg_m
    segments = hysteresis_segments(
        excursion,
        t,
        enter=spec.threshold("reach_start"),
        exit=spec.threshold("reach_end"),
        min_duration_s=spec.threshold("min_reach_s"),
    )
    reaches = []
    for segment in segments:
        stance = _stance_side(xy, world, segment, leg_px, leg_m)
        reach_toe = world[:, sided("foot_index", other_side(stance))]
        home_toe = world[:, sided("foot_index", stance)]
        vector = _horizontal(reach_toe - home_toe)
        distance = moving_median(np.linalg.norm(vector, axis=1), 3)
        window = distance[segment.start : segment.end]
        if not np.isfinite(window).any():
            continue
        peak = segment.start + int(np.nanargmax(window))
        forward, lateral = _body_axes(world, segment, track.fps)
        toward_stance = lateral if stance == "left" else -lateral
        direction, angle = classify_direction(
            vector[peak], forward, toward_stance, spec.threshold("direction_tolerance_deg")
        )
        height = (home_toe[peak, 1] - reach_toe[peak, 1]) / leg_m
        reaches.append(
            Reach(
                stance=stance,
                direction=direction,
                reach_pct=100.0 * float(distance[peak]) / leg_m,
                direction_deg=angle,
                segment=segment,
                peak=peak,
                touch_down_s=_touch_down_s(world, stance, segment, t, leg_m, spec),
                foot_height_pct=100.0 * float(height),
                in_air=bool(height > spec.threshold("max_reach_height")),
            )
        )
    return reaches, leg_m


# -- result ------------------------------------------------------------------------------


def best_reaches(reaches: list[Reach]) -> dict[str, dict[str, float | None]]:
    """stance side -> direction -> best reach (% leg length) or None."""
    best: dict[str, dict[str, float | None]] = {s: dict.fromkeys(DIRECTIONS) for s in SIDES}
    for reach in reaches:
        if not reach.counted:
            continue
        current = best[reach.stance][reach.direction]
        if current is None or reach.reach_pct > current:
            best[reach.stance][reach.direction] = reach.reach_pct
    return best


def composite(per_direction: dict[str, float | None]) -> float | None:
    """Plisky: (A + PM + PL) / (3 x leg length) x 100, when all three were reached."""
    values = [per_direction[d] for d in DIRECTIONS]
    if any(v is None for v in values):
        return None
    return float(np.mean(values))


def composite_score(value: float | None, spec: TestSpec) -> float:
    """100 at or above the composite cut-off, then points off per % below it."""
    if value is None:
        return 100.0
    shortfall = max(0.0, spec.threshold("low_composite_pct") - value)
    return 100.0 - spec.threshold("points_per_composite_pct") * shortfall


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    found, leg_m = find_reaches(track, spec)
    reaches = [r for r in found if r.counted]
    if not reaches:
        # Nothing that counts as a Y-balance reach: not performed, so no score at all
        # (PRODUCT.md §2: no fallback score).
        seen = f"{len(found)} leg movement(s) were seen, " if found else "No leg reach was seen; "
        raise MovementNotFound(
            seen + "but none was a reach along the floor in one of the three directions. "
            "Stand on one leg and reach the other foot along the floor."
        )
    best = best_reaches(reaches)
    leg_cm = leg_m * 100.0 * spec.threshold("leg_length_factor") if np.isfinite(leg_m) else None
    recorded = [s for s in SIDES if any(r.stance == s for r in reaches)]
    notes = [
        "Sides are named after the standing leg, the leg being tested.",
        "Reach distances come from a 3-D estimate of your feet seen by one camera; "
        "treat them as estimates (a few % of leg length either way).",
    ]
    metrics: list[Metric] = [Metric("leg_length_cm", finite_or_none(leg_cm), "cm", None, True)]
    flags: list[Flag] = []
    composites: dict[str, float | None] = {}

    for stance in SIDES:
        for direction in DIRECTIONS:
            metrics.append(
                Metric(
                    f"reach_pct_leg_length_{direction}",
                    finite_or_none(best[stance][direction]),
                    "% leg length",
                    stance,
                    estimated=True,
                )
            )
        composites[stance] = composite(best[stance])
        metrics.append(
            Metric("composite_pct", composites[stance], "% leg length", stance, estimated=True)
        )
        touch_downs = sum(
            1
            for r in reaches
            if r.stance == stance and r.touch_down_s >= spec.threshold("touch_down_s")
        )
        count = float(touch_downs) if stance in recorded else None
        metrics.append(Metric("touch_downs", count, "count", stance))
        severity = severity_by(float(touch_downs), 1, 2)
        if severity:
            flags.append(Flag("touch_down", stance, severity))
        if composites[stance] is not None:
            shortfall = spec.threshold("low_composite_pct") - composites[stance]
            severity = severity_by(
                shortfall,
                1e-9,
                spec.threshold("low_composite_pct") - spec.threshold("low_composite_moderate_pct"),
                spec.threshold("low_composite_pct") - spec.threshold("low_composite_severe_pct"),
            )
            if severity:
                flags.append(Flag("low_composite", stance, severity))

    asymmetry_flag = _anterior_asymmetry(best, leg_cm, spec, metrics)
    if asymmetry_flag:
        flags.append(asymmetry_flag)
    notes += _coverage_notes(best, recorded)
    notes += _uncounted_notes(found)

    bucket = "asymmetric" if asymmetry_flag else "symmetric"
    normalized = normalize_bucket(
        bucket, severe=bool(asymmetry_flag and asymmetry_flag.severity == "severe")
    )
    known = [c for c in composites.values() if c is not None]
    worse_composite = min(known) if known else None
    base = composite_score(worse_composite, spec)
    raw = base - flag_penalty([f for f in flags if f.code != "low_composite"])
    side = _worse_side(asymmetry_flag, composites, recorded)
    confidence = _confidence(track, best, recorded)
    if not reaches:
        # Nothing measured: no symmetry can be claimed. The lowest result, with zero
        # confidence and no reps, so callers can tell it apart from a measured one.
        bucket, normalized, raw, confidence = "asymmetric", "significant", 0.0, 0.0

    segments = tuple(
        Rep(
            i + 1,
            r.segment.start_s,
            r.segment.end_s,
            r.stance,
            {
                "reach_pct_leg_length": r.reach_pct,
                "direction_deg": r.direction_deg,
                "counted": float(r.counted),
                "anterior": float(r.direction == "anterior"),
                "posteromedial": float(r.direction == "posteromedial"),
                "posterolateral": float(r.direction == "posterolateral"),
                "touch_down_s": r.touch_down_s,
                "foot_height_pct": r.foot_height_pct,
            },
        )
        for i, r in enumerate(found)
    )
    return TestResult.build(
        bucket=bucket,
        normalized=normalized,
        raw_score=raw,
        confidence=confidence,
        side=side,
        reps=len(reaches),
        metrics=metrics,
        flags=flags,
        segments=segments,
        notes=notes,
    )


def _anterior_asymmetry(
    best: dict[str, dict[str, float | None]],
    leg_cm: float | None,
    spec: TestSpec,
    metrics: list[Metric],
) -> Flag | None:
    """Plisky's anterior left/right difference, in % of leg length and estimated cm."""
    left, right = best["left"]["anterior"], best["right"]["anterior"]
    if left is None or right is None:
        metrics += [
            Metric("anterior_asymmetry_pct", None, "% leg length", None, True),
            Metric("anterior_asymmetry_cm", None, "cm", None, True),
        ]
        return None
    difference = abs(left - right)
    shorter = None if left == right else ("left" if left < right else "right")
    cm = difference / 100.0 * leg_cm if leg_cm else None
    metrics += [
        Metric("anterior_asymmetry_pct", difference, "% leg length", shorter, True),
        Metric("anterior_asymmetry_cm", finite_or_none(cm), "cm", shorter, True),
    ]
    if cm is None:
        return None
    severity = severity_by(
        cm,
        spec.threshold("anterior_asymmetry_cm") + 1e-9,
        None,
        spec.threshold("anterior_asymmetry_severe_cm") + 1e-9,
    )
    return Flag("anterior_asymmetry", shorter, severity) if severity else None


def _worse_side(
    asymmetry: Flag | None, composites: dict[str, float | None], recorded: list[str]
) -> str | None:
    if asymmetry is not None:
        return asymmetry.side
    if len(recorded) == 1:
        return recorded[0]
    left, right = composites["left"], composites["right"]
    if left is None or right is None or left == right:
        return None
    return "left" if left < right else "right"


def _coverage_notes(best: dict[str, dict[str, float | None]], recorded: list[str]) -> list[str]:
    notes = []
    if not recorded:
        return ["We did not see a reach in this clip, so nothing could be measured."]
    for stance in SIDES:
        if stance not in recorded:
            notes.append(
                f"No reach standing on the {stance} leg was recorded, so the two legs "
                "could not be compared; record both legs for a full result."
            )
            continue
        missing = [d for d in DIRECTIONS if best[stance][d] is None]
        if missing:
            notes.append(
                f"Standing on the {stance} leg we saw no {' or '.join(missing)} reach, "
                "so its composite could not be computed."
            )
    return notes


def _uncounted_notes(found: list[Reach]) -> list[str]:
    cut = sum(1 for r in found if r.segment.partial)
    in_air = sum(1 for r in found if r.in_air and not r.segment.partial)
    off_line = sum(
        1 for r in found if r.direction is None and not r.in_air and not r.segment.partial
    )
    notes = []
    if cut:
        notes.append(f"{cut} reach(es) cut off by the start or end of the clip were not counted.")
    if in_air:
        notes.append(
            f"{in_air} leg movement(s) stayed high above the floor and were not counted "
            "as reaches; reach along the floor and touch it lightly."
        )
    if off_line:
        notes.append(
            f"{off_line} reach(es) went sideways, between the lines of the Y, and were "
            "not counted; reach forward, back-and-in or back-and-across."
        )
    return notes


def _confidence(
    track: PoseTrack, best: dict[str, dict[str, float | None]], recorded: list[str]
) -> float:
    """Visibility x a depth factor (reaches are measured from an estimated 3-D pose)
    x how much of the protocol was recorded."""
    visibility = visibility_confidence(track, landmarks_for(["hips", "knees", "ankles", "feet"]))
    found = sum(1 for s in SIDES for d in DIRECTIONS if best[s][d] is not None)
    coverage = 0.5 + 0.5 * found / (len(SIDES) * len(DIRECTIONS))
    sides = {0: 0.2, 1: 0.6, 2: 1.0}[len(recorded)]
    return clamp01(visibility * 0.8 * coverage * sides)
