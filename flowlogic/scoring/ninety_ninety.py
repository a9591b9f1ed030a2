"""Test 5 — 90-90 Hip/Shoulder rotation (CATALOG.md; NORMS.md: Wilson 2014, Kouyoumdjian
2012 for the hips, AAOS for the shoulders).

Front view, one clip with two parts, found from the pose itself rather than from time:

- Hips, seated: frames where the model's 3-D knee angle is bent (sitting). With the thigh
  pointing at the camera, rotating the hip swings the shin sideways in the picture, so
  the shin's angle from vertical in the image is the rotation itself: the foot moving
  out (away from the other leg) is internal rotation, in (across) is external rotation.
- Shoulders: frames where the upper arm is out to the side near shoulder height. The
  forearm then turns in the body's forward/up plane, which a front camera sees edge-on:
  its rise comes from the picture, its reach toward the camera from the model's depth
  estimate, so the shoulder angles are marked estimated. Forearm forward = 0°, up = ER,
  down = IR.

Each angle is the furthest reached (after a short running median against single-frame
jitter). A limb that barely moved is reported as not tested rather than as stiff.
"""

from __future__ import annotations

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.angles import angle_at
from flowlogic.geometry.smoothing import moving_median
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.pose.landmarks import SIDES, landmarks_for, sided
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.common import (
    finite_or_none,
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
    flag_penalty,
    normalize_bucket,
)

#: measure -> (norm threshold name, limited flag code, part)
MEASURES = {
    "hip_ir_deg": ("hip_ir_min_deg", "limited_hip_ir", "hips"),
    "hip_er_deg": ("hip_er_min_deg", "limited_hip_er", "hips"),
    "shoulder_er_deg": ("shoulder_er_min_deg", "limited_shoulder_er", "shoulders"),
    "shoulder_ir_deg": ("shoulder_ir_min_deg", "limited_shoulder_ir", "shoulders"),
}


def _outward_sign(xy: np.ndarray, side: str) -> np.ndarray:
    """(T,) +1 where this side's hip is to the image right of the other hip, else -1."""
    return np.sign(xy[:, sided("hip", side), 0] - xy[:, sided("hip", other_side(side)), 0])


def seated_frames(track: PoseTrack, spec: TestSpec) -> np.ndarray:
    """(T,) True where both knees are bent like sitting (3-D knee angle from the model's
    world landmarks, which do not depend on where the camera is). One bent knee with the
    other straight is a lunge, not sitting."""
    world = track.world.astype(np.float64)
    limit = spec.threshold("seated_knee_max_deg")
    seated = np.ones(track.frames, dtype=bool)
    for s in SIDES:
        hip, knee, ankle = (world[:, sided(n, s)] for n in ("hip", "knee", "ankle"))
        seated &= np.nan_to_num(angle_at(hip, knee, ankle), nan=180.0) <= limit
    return seated


def shin_rotation_deg(xy: np.ndarray, side: str) -> np.ndarray:
    """(T,) knee->ankle line from the image vertical, positive with the foot out
    (internal hip rotation), negative with the foot in (external)."""
    shin = xy[:, sided("ankle", side)] - xy[:, sided("knee", side)]
    return np.degrees(np.arctan2(shin[:, 0] * _outward_sign(xy, side), shin[:, 1]))


def arm_out_frames(xy: np.ndarray, side: str, spec: TestSpec) -> np.ndarray:
    """(T,) True where the upper arm is out to the side near shoulder height and the
    forearm is not simply continuing it sideways."""
    shoulder, elbow, wrist = (xy[:, sided(n, side)] for n in ("shoulder", "elbow", "wrist"))
    upper = elbow - shoulder
    outward = upper[:, 0] * _outward_sign(xy, side)
    tilt = np.degrees(np.arctan2(np.abs(upper[:, 1]), np.abs(upper[:, 0])))
    forearm = wrist - elbow
    sideways = np.abs(forearm[:, 0]) / np.linalg.norm(upper, axis=1)
    return (
        (np.nan_to_num(outward, nan=-1.0) > 0)
        & (np.nan_to_num(tilt, nan=90.0) <= spec.threshold("arm_out_max_tilt_deg"))
        & (np.nan_to_num(sideways, nan=1.0) <= spec.threshold("forearm_max_sideways"))
    )


def forearm_rotation_deg(track: PoseTrack, xy: np.ndarray, side: str) -> np.ndarray:
    """(T,) forearm angle in the forward/up plane: 0 pointing at the camera, +90 straight
    up (external rotation), -90 straight down (internal). Rise from the picture, reach
    toward the camera from the model's relative depth (same scale as x)."""
    elbow, wrist = xy[:, sided("elbow", side)], xy[:, sided("wrist", side)]
    rise = elbow[:, 1] - wrist[:, 1]
    z = track.image[:, :, 2].astype(np.float64)
    toward_camera = (z[:, sided("elbow", side)] - z[:, sided("wrist", side)]) * track.frame_width
    return np.degrees(np.arctan2(rise, toward_camera))


def _furthest(values: np.ndarray, mask: np.ndarray, window: int) -> tuple[float, float]:
    """(highest, lowest) of a running median over the masked frames."""
    masked = np.where(mask, values, np.nan)
    if not np.isfinite(masked).any():
        return float("nan"), float("nan")
    smooth = np.where(mask, moving_median(masked, window), np.nan)
    return float(np.nanmax(smooth)), float(np.nanmin(smooth))


def measure(track: PoseTrack, spec: TestSpec) -> tuple[dict[str, dict[str, float]], dict]:
    """Angles per measure and side (NaN when that limb was not tested), and the frames of
    each part for the result's segments."""
    xy = prepared_xy(track)
    window = max(3, round(spec.threshold("median_window_s") * track.fps) | 1)
    seated = seated_frames(track, spec)
    values: dict[str, dict[str, float]] = {name: {} for name in MEASURES}
    part_frames = {"hips": seated.copy(), "shoulders": np.zeros(track.frames, dtype=bool)}
    for side in SIDES:
        high, low = _furthest(shin_rotation_deg(xy, side), seated, window)
        tested = np.isfinite(high) and high - low >= spec.threshold("min_hip_sweep_deg")
        values["hip_ir_deg"][side] = max(high, 0.0) if tested else float("nan")
        values["hip_er_deg"][side] = max(-low, 0.0) if tested else float("nan")

        arm_out = arm_out_frames(xy, side, spec)
        part_frames["shoulders"] |= arm_out
        high, low = _furthest(forearm_rotation_deg(track, xy, side), arm_out, window)
        tested = np.isfinite(high) and high - low >= spec.threshold("min_shoulder_sweep_deg")
        values["shoulder_er_deg"][side] = max(high, 0.0) if tested else float("nan")
        values["shoulder_ir_deg"][side] = max(-low, 0.0) if tested else float("nan")
    return values, part_frames


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    values, part_frames = measure(track, spec)
    measured = {
        part: any(
            np.isfinite(values[name][s])
            for name, m in MEASURES.items()
            if m[2] == part
            for s in SIDES
        )
        for part in ("hips", "shoulders")
    }
    if not any(measured.values()):
        raise MovementNotFound(
            "We didn't see the hip or shoulder rotations. Sit at the edge of a chair and swing "
            "each shin out and in, then stand with your arms out at shoulder height and turn "
            "the forearms up and down."
        )

    metrics: list[Metric] = []
    flags: list[Flag] = []
    notes: list[str] = []
    worst_asymmetry: tuple[float, str, str] | None = None
    for name, (norm_name, flag_code, part) in MEASURES.items():
        norm = spec.threshold(norm_name)
        estimated = part == "shoulders"
        for side in SIDES:
            value = values[name][side]
            metrics.append(Metric(name, finite_or_none(value), "deg", side, estimated=estimated))
            if np.isfinite(value) and value < norm:
                severe_below = spec.threshold("clearly_limited_share") * norm
                flags.append(Flag(flag_code, side, "moderate" if value < severe_below else "mild"))
        left, right = values[name]["left"], values[name]["right"]
        difference = abs(left - right)
        metrics.append(
            Metric(name.replace("_deg", "_asymmetry_deg"), finite_or_none(difference), "deg")
        )
        if np.isfinite(difference) and (worst_asymmetry is None or difference > worst_asymmetry[0]):
            worst_asymmetry = (difference, "left" if left < right else "right", name)
    if worst_asymmetry is not None:
        severity = severity_by(
            worst_asymmetry[0],
            spec.threshold("asymmetry_mild_deg"),
            spec.threshold("asymmetry_moderate_deg"),
        )
        if severity:
            flags.append(Flag("asymmetry", worst_asymmetry[1], severity))

    for part, words in (("hips", "hip rotation (seated)"), ("shoulders", "shoulder rotation")):
        if not measured[part]:
            notes.append(f"The {words} part was not recorded, so it is not in this result.")
    for name, (_, _, part) in MEASURES.items():
        missing = [s for s in SIDES if not np.isfinite(values[name][s])]
        if measured[part] and len(missing) == 1:
            limb = "leg" if part == "hips" else "arm"
            notes.append(
                f"The {missing[0]} {limb} barely moved in the {part} part, so it was not measured."
            )
    notes = list(dict.fromkeys(notes))
    if measured["shoulders"]:
        notes.append(
            "Shoulder rotation is seen edge-on from the front, so its angles are estimates."
        )

    limited = any(f.code.startswith("limited_") for f in flags)
    bucket = "limited" if limited else "within-range"
    normalized = normalize_bucket(bucket)
    raw = 100.0 - flag_penalty(flags)
    required = landmarks_for(spec.required_for(view))
    completeness = 1.0 if all(measured.values()) else 0.75
    confidence = visibility_confidence(track, required) * completeness
    segments = tuple(
        Rep(i + 1, *_span(track, part_frames[part]), None, _part_values(values, part))
        for i, part in enumerate(p for p in ("hips", "shoulders") if measured[p])
    )
    return TestResult.build(
        bucket=bucket,
        normalized=normalized,
        raw_score=raw,
        confidence=confidence,
        side=worse_side_of(flags),
        reps=None,
        metrics=metrics,
        flags=flags,
        segments=segments,
        notes=notes,
    )


def _span(track: PoseTrack, frames: np.ndarray) -> tuple[float, float]:
    index = np.flatnonzero(frames)
    if index.size == 0:
        return 0.0, 0.0
    return float(track.timestamps_s[index[0]]), float(track.timestamps_s[index[-1]])


def _part_values(values: dict[str, dict[str, float]], part: str) -> dict[str, float | None]:
    return {
        f"{name}_{side}": finite_or_none(values[name][side])
        for name, (_, _, p) in MEASURES.items()
        if p == part
        for side in SIDES
    }
