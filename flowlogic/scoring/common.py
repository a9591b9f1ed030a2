"""Helpers shared by the scorers: near side, baselines, confidence, buckets."""

from __future__ import annotations

import warnings

import numpy as np

from flowlogic.errors import MovementNotFound
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.landmarks import sided
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.result import Flag, Rep, clamp01, flag_penalty, worst_severity


def nanmedian(values) -> float:
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return float(np.nanmedian(values))


def nanmean(values) -> float:
    values = np.asarray(values, dtype=np.float64)
    if values.size == 0:
        return float("nan")
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return float(np.nanmean(values))


def finite_or_none(value: float) -> float | None:
    return None if value is None or not np.isfinite(value) else float(value)


def near_side(track: PoseTrack, names: tuple[str, ...] = ("hip", "knee", "ankle")) -> str:
    """The side facing the camera in a side view: the one MediaPipe sees better."""
    vis = track.visibility
    left = vis[:, [sided(n, "left") for n in names]].mean()
    right = vis[:, [sided(n, "right") for n in names]].mean()
    return "left" if left >= right else "right"


def visibility_confidence(track: PoseTrack, indices: list[int]) -> float:
    """Mean visibility of `indices` over frames with a pose."""
    present = track.present
    if not present.any() or not indices:
        return 0.0
    return float(track.visibility[present][:, indices].mean())


def rep_agreement(values: list[float]) -> float:
    """1 when reps agree, lower when they scatter (coefficient of variation, capped)."""
    finite = [v for v in values if v is not None and np.isfinite(v)]
    if len(finite) < 2:
        return 0.9 if finite else 0.5
    mean = abs(float(np.mean(finite)))
    if mean < 1e-6:
        return 0.9
    cv = float(np.std(finite)) / mean
    return clamp01(1.0 - min(cv, 0.5))


def rep_count_factor(done: float, expected: int) -> float:
    """Confidence share for how much of the protocol was recorded: 0.7 with no complete
    rep, rising to 1.0 once the protocol's reps (`expected`) are all there."""
    return 0.7 + 0.3 * min(1.0, done / max(expected, 1))


def too_few_reps_note(done: int, expected: int, what: str) -> str | None:
    """The note shown when fewer reps were recorded than the protocol asks for."""
    if done >= expected:
        return None
    return (
        f"{done} of the {expected} {what} the protocol asks for were recorded; "
        "confidence is lowered accordingly."
    )


def severity_by(
    value: float, mild: float, moderate: float | None = None, severe: float | None = None
) -> str | None:
    """The severity a measured value reaches against ascending thresholds."""
    if value is None or not np.isfinite(value):
        return None
    if severe is not None and value >= severe:
        return "severe"
    if moderate is not None and value >= moderate:
        return "moderate"
    if value >= mild:
        return "mild"
    return None


def other_side(side: str) -> str:
    return "right" if side == "left" else "left"


def compensation_bucket(flags: list[Flag]) -> str:
    """good / compensation / significant from flags (CATALOG.md buckets, design rule:
    any severe flag or three clear ones = significant; only slight ones, at most one = good)."""
    worst = worst_severity(flags)
    moderate = sum(1 for f in flags if f.severity == "moderate")
    if worst == "severe" or moderate >= 3:
        return "significant"
    if worst is None or (worst == "mild" and len(flags) <= 1):
        return "good"
    return "compensation"


def worse_side_of(
    flags: list[Flag],
    per_side: dict[str, float] | None = None,
    higher_is_worse: bool = True,
    min_difference: float = 0.0,
) -> str | None:
    """The side with the heavier flags; ties broken by a per-side measure when the sides
    differ by more than `min_difference` (below it they count as even: None)."""
    weight = {"left": 0.0, "right": 0.0}
    for flag in flags:
        if flag.side in weight:
            weight[flag.side] += 1 + ("mild", "moderate", "severe").index(flag.severity)
    if weight["left"] != weight["right"]:
        return max(weight, key=weight.get)
    if per_side and all(np.isfinite(v) for v in per_side.values()) and len(per_side) == 2:
        left, right = per_side["left"], per_side["right"]
        if left == right or abs(left - right) < min_difference:
            return None
        return (
            ("left" if left > right else "right")
            if higher_is_worse
            else ("left" if left < right else "right")
        )
    return None


def hip_axis_drop_deg(track: PoseTrack) -> np.ndarray:
    """(T,) tilt of the right->left hip axis from level, in world landmarks (metres):
    positive when the left hip is lower than the right. From a side view this is the one
    way to see the pelvis dropping on one side; the depth it rests on is the model's
    estimate, so metrics built on it are `estimated`."""
    world = track.world.astype(np.float64)
    axis = world[:, L.LEFT_HIP] - world[:, L.RIGHT_HIP]
    length = np.linalg.norm(axis, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        # world y points down: a larger y on the left hip means the left side is lower
        return np.degrees(np.arcsin(np.clip(axis[:, 1] / length, -1.0, 1.0)))


def renumbered(reps: list[Rep]) -> list[Rep]:
    """Reps in time order, numbered from 1."""
    ordered = sorted(reps, key=lambda r: r.start_s)
    return [Rep(i + 1, r.start_s, r.end_s, r.side, r.values) for i, r in enumerate(ordered)]


def per_side_rep_verdict(
    counts: dict[str, int], sides: list[str] | tuple[str, ...], flags: list[Flag], spec
) -> tuple[str, float, int]:
    """pass / needs-work for the floor tests that count reps per side: a pass needs
    `pass_min_reps_per_side` reps on each of `sides` and at most one flag, a slight one.
    Returns (bucket, raw score before fitting, reps missing)."""
    needed = spec.threshold("pass_min_reps_per_side")
    enough = all(counts[s] >= needed for s in sides)
    serious = any(f.severity != "mild" for f in flags) or len(flags) > 1
    missing = sum(max(0, needed - counts[s]) for s in sides)
    raw = 100.0 - flag_penalty(flags) - spec.threshold("missing_rep_points") * missing
    return ("pass" if enough and not serious else "needs-work"), raw, missing


def require_body_size(length_px: float) -> float:
    """A body measure (torso, leg) to divide by; when the landmarks give none (all in one
    point, or never seen) the movement cannot be measured at all."""
    if not np.isfinite(length_px) or length_px <= 1e-6:
        raise MovementNotFound(
            "We could not see your body clearly enough to measure the movement; make sure "
            "your whole body is in the picture."
        )
    return float(length_px)
