"""Test 1 — Neck Flexion/Extension (CATALOG.md; cervical norms in NORMS.md).

Head pitch relative to the neutral start (the first second), from Face Mesh when it saw
the face, else from pose landmarks (see `flowlogic.geometry.head_pose`). Side-on the nod
is in the picture's plane; facing the camera it is read from the model's depth, so the
angles are marked estimated and confidence is lowered.

flexion_deg is the largest pitch toward the chest, extension_deg the largest pitch
toward the ceiling. Cycles are excursions past an enter angle and back below an exit
angle (hysteresis), so small wobbles are not counted. Turning or tipping the head
sideways barely changes the pitch; a clip with no nod at all is refused with a message
saying what was seen instead (`MovementNotFound`).

trunk_compensation: the shoulders moving away from where they were at the neutral start,
at the deepest nods, in neck heights (the ear-to-shoulder height at the start). A clear
(moderate or worse) compensation keeps the result out of `pass`: the range was not shown
by the neck alone.
"""

from __future__ import annotations

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.head_pose import HeadPitch, head_pitch, near_ear, neutral_frames
from flowlogic.geometry.segmentation import Segment, hysteresis_segments
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.landmarks import sided
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


def _peak(values: np.ndarray, segment: Segment) -> tuple[int, float]:
    window = values[segment.start : segment.end]
    if np.all(np.isnan(window)):
        return segment.start, float("nan")
    index = segment.start + int(np.nanargmax(window))
    return index, float(values[index])


def _largest(values: np.ndarray | None) -> float:
    if values is None or not np.isfinite(values).any():
        return float("nan")
    return float(np.nanmax(np.abs(values)))


def _no_nod_message(pitch: HeadPitch, spec: TestSpec) -> str:
    turned = _largest(pitch.yaw_deg) >= spec.threshold("side_motion_note_deg")
    tilted = _largest(pitch.roll_deg) >= spec.threshold("side_motion_note_deg")
    if turned and tilted:
        seen = "We saw your head turn and tip to the side, but not nod forward and back."
    elif turned:
        seen = "We saw your head turn from side to side, but not nod forward and back."
    elif tilted:
        seen = "We saw your head tip toward your shoulders, but not nod forward and back."
    else:
        seen = "We did not see your head nod forward and back."
    return f"{seen} Bring your chin toward your chest, then look up toward the ceiling."


def _shoulder_point(xy: np.ndarray, view: str, side: str) -> tuple[np.ndarray, np.ndarray]:
    """(T, 2) shoulder and ear points used for trunk motion: the near side side-on,
    the midpoints facing the camera."""
    if view == "side":
        return xy[:, sided("shoulder", side)], xy[:, sided("ear", side)]
    shoulders = (xy[:, L.LEFT_SHOULDER] + xy[:, L.RIGHT_SHOULDER]) / 2
    ears = (xy[:, L.LEFT_EAR] + xy[:, L.RIGHT_EAR]) / 2
    return shoulders, ears


def trunk_shift(
    xy: np.ndarray, view: str, side: str, neutral: np.ndarray, peaks: list[int]
) -> float:
    """Largest shoulder displacement from its neutral position at the nod peaks, in neck
    heights (vertical ear-to-shoulder distance at the neutral start)."""
    shoulder, ear = _shoulder_point(xy, view, side)
    neck = nanmedian(shoulder[neutral, 1] - ear[neutral, 1])
    if not peaks or not np.isfinite(neck) or neck <= 0:
        return float("nan")
    home = np.array([nanmedian(shoulder[neutral, 0]), nanmedian(shoulder[neutral, 1])])
    shifts = np.linalg.norm(shoulder[peaks] - home, axis=1) / neck
    return float(np.nanmax(shifts)) if np.isfinite(shifts).any() else float("nan")


def _bucket(flexion: float, extension: float, spec: TestSpec) -> tuple[str, float]:
    """Native bucket and how far the weaker direction reaches against its pass value."""
    ratio = min(
        flexion / spec.threshold("flexion_pass_deg"),
        extension / spec.threshold("extension_pass_deg"),
    )
    if ratio >= 1.0:
        return "pass", ratio
    if ratio < spec.threshold("significant_fraction"):
        return "significant", ratio
    return "limited", ratio


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    xy = prepared_xy(track)
    t = track.timestamps_s
    neutral = neutral_frames(track, spec.threshold("neutral_s"))
    pitch = head_pitch(
        track, xy, view, neutral, min_face_coverage=spec.threshold("min_face_coverage")
    )
    signal = pitch.pitch_deg
    enter, exit_ = spec.threshold("rep_enter_deg"), spec.threshold("rep_exit_deg")
    min_s = spec.threshold("min_excursion_s")
    flexions = hysteresis_segments(signal, t, enter=enter, exit=exit_, min_duration_s=min_s)
    extensions = hysteresis_segments(-signal, t, enter=enter, exit=exit_, min_duration_s=min_s)
    if not flexions and not extensions:
        raise MovementNotFound(_no_nod_message(pitch, spec))

    flexion = max(float(np.nanmax(signal)), 0.0)
    extension = max(float(np.nanmax(-signal)), 0.0)
    excursions = sorted(
        [(s, "flexion_deg", _peak(signal, s)) for s in flexions]
        + [(s, "extension_deg", _peak(-signal, s)) for s in extensions],
        key=lambda item: item[0].start,
    )
    segments = tuple(
        Rep(i + 1, s.start_s, s.end_s, None, {name: value})
        for i, (s, name, (_, value)) in enumerate(excursions)
    )
    cycles = min(len(flexions), len(extensions))

    side = near_ear(track)
    peaks = [index for _, _, (index, _) in excursions]
    shift = trunk_shift(xy, view, side, neutral, peaks)
    flags: list[Flag] = []
    severity = severity_by(
        shift, spec.threshold("trunk_shift_mild"), spec.threshold("trunk_shift_moderate")
    )
    if severity:
        flags.append(Flag("trunk_compensation", None, severity))

    bucket, ratio = _bucket(flexion, extension, spec)
    capped = bucket == "pass" and severity in ("moderate", "severe")
    if capped:
        # the range was reached with the trunk's help: not credited to the neck alone
        bucket = "limited"
    normalized = normalize_bucket(bucket)
    raw = float(
        np.interp(ratio, spec.threshold("score_ratio_points"), spec.threshold("score_points"))
    )
    raw -= flag_penalty(flags)

    estimated = pitch.estimated
    metrics = [
        Metric("flexion_deg", flexion, "deg", estimated=estimated),
        Metric("extension_deg", extension, "deg", estimated=estimated),
        Metric("cycles", float(cycles), "count"),
        Metric("trunk_shift", finite_or_none(shift), "neck heights"),
    ]
    if pitch.yaw_deg is not None and pitch.roll_deg is not None:
        metrics += [
            Metric("head_turn_deg", finite_or_none(_largest(pitch.yaw_deg)), "deg", None, True),
            Metric("head_tilt_deg", finite_or_none(_largest(pitch.roll_deg)), "deg", None, True),
        ]

    notes = _notes(pitch, cycles, spec)
    if capped:
        notes.append(
            "Your shoulders moved a lot with your head, so we cannot credit the full range "
            "to your neck; sit tall and let only the head move."
        )
    required = [int(L.NOSE), int(sided("ear", side)), int(sided("shoulder", side))]
    if view == "front":
        required = [int(L.NOSE), int(L.LEFT_EAR), int(L.RIGHT_EAR)]
        required += [int(L.LEFT_SHOULDER), int(L.RIGHT_SHOULDER)]
    seen_share = float(pitch.seen[track.present].mean()) if track.present.any() else 0.0
    confidence = visibility_confidence(track, required) * seen_share
    confidence *= rep_count_factor(cycles, spec.protocol_reps)
    confidence *= rep_agreement([v for _, name, (_, v) in excursions if name == "flexion_deg"])
    if estimated:
        confidence *= spec.threshold("estimated_confidence_factor")
    return TestResult.build(
        bucket=bucket,
        normalized=normalized,
        raw_score=raw,
        confidence=confidence,
        side=None,
        reps=cycles,
        metrics=metrics,
        flags=flags,
        segments=segments,
        notes=notes,
    )


def _notes(pitch: HeadPitch, cycles: int, spec: TestSpec) -> list[str]:
    notes = []
    if pitch.estimated:
        notes.append(
            "Facing the camera, we estimate how far your head tips forward and back; "
            "record side-on for a more precise reading."
        )
    if pitch.source != "face_mesh":
        notes.append("We read the head angle from the ear and nose, as the face was not clear.")
    side_motion = max(_largest(pitch.yaw_deg), _largest(pitch.roll_deg))
    if np.isfinite(side_motion) and side_motion >= spec.threshold("side_motion_note_deg"):
        notes.append(
            "Your head also turned or tipped sideways; only the forward and back nod is measured."
        )
    if cycles < spec.protocol_reps:
        notes.append(
            f"{cycles} of the {spec.protocol_reps} full down-and-up cycles the protocol asks "
            "for were recorded; confidence is lowered accordingly."
        )
    return notes
