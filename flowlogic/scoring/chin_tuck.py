"""Test 13 — Chin Tuck (CATALOG.md; deep neck flexor endurance norms in NORMS.md).

Side view, a hold test. Retraction is the near ear moving back over the near shoulder
(horizontally, against the way the person faces) from where it was at the neutral start,
in head lengths (ear to nose tip at the start), so it reads the same at any distance and
ignores the whole body leaning. Each tuck is a stretch where retraction rises past an
enter level and falls back below an exit level (hysteresis); its hold is the longest run
past `hold_fraction` of the tuck's furthest point (its 90th percentile, so one noisy
frame does not set it) and past the enter level,
bridging jitter shorter than a grace window; its retraction is the median over the hold.

nod_deg is the largest head pitch change during the tuck against the head's pitch in the
second before it (Face Mesh when it saw the face, else the ear -> nose line; see
`flowlogic.geometry.head_pose`). A good rep: retraction present, nod under the limit,
hold at least the minimum. Pass: at least `pass_good_reps` good reps.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from flowlogic.catalog import TestSpec
from flowlogic.errors import MovementNotFound
from flowlogic.geometry.head_pose import facing_sign, head_pitch, near_ear, neutral_frames
from flowlogic.geometry.segmentation import Segment, hold_segments, hysteresis_segments
from flowlogic.geometry.visibility import prepared_xy
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.landmarks import sided
from flowlogic.pose.track import PoseTrack
from flowlogic.scoring.common import (
    finite_or_none,
    nanmedian,
    rep_agreement,
    rep_count_factor,
    too_few_reps_note,
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


@dataclass(frozen=True)
class Tuck:
    segment: Segment
    retraction: float  # median over the hold, head lengths
    hold_s: float
    nod_deg: float
    good: bool


def retraction_series(xy: np.ndarray, side: str, neutral: np.ndarray) -> np.ndarray:
    """(T,) how far the ear moved back over the shoulder since the neutral start, in head
    lengths (ear to nose tip at the start)."""
    ear, shoulder = xy[:, sided("ear", side)], xy[:, sided("shoulder", side)]
    facing = facing_sign(ear[:, 0], xy[:, L.NOSE, 0])
    head = nanmedian(np.linalg.norm(xy[neutral, L.NOSE] - ear[neutral], axis=1))
    ahead = (ear[:, 0] - shoulder[:, 0]) * facing
    return (nanmedian(ahead[neutral]) - ahead) / head


def _measure(
    segment: Segment,
    retraction: np.ndarray,
    pitch: np.ndarray,
    t: np.ndarray,
    spec: TestSpec,
) -> Tuck:
    inside = slice(segment.start, segment.end)
    window = retraction[inside]
    peak = float(np.nanpercentile(window, 90))
    level = max(spec.threshold("retraction_enter"), spec.threshold("hold_fraction") * peak)
    holds = hold_segments(
        np.nan_to_num(window, nan=-np.inf) >= level, t[inside], grace_s=spec.threshold("grace_s")
    )
    longest = max(holds, key=lambda h: h.duration_s, default=None)
    hold = longest.duration_s if longest else 0.0
    held = window[longest.start : longest.end] if longest else window
    before = (t >= segment.start_s - spec.threshold("nod_baseline_s")) & (t <= segment.start_s)
    baseline = nanmedian(pitch[before])
    if not np.isfinite(baseline):
        baseline = 0.0
    change = np.abs(pitch[inside] - baseline)
    nod = float(np.nanmax(change)) if np.isfinite(change).any() else float("nan")
    nodded = bool(np.isfinite(nod) and nod >= spec.threshold("nod_limit_deg"))
    good = bool(hold >= spec.threshold("min_hold_s") and not nodded)
    return Tuck(segment, nanmedian(held), hold, nod, good)


def _count_flag(code: str, count: int) -> Flag | None:
    if count <= 0:
        return None
    return Flag(code, None, "mild" if count == 1 else "moderate")


def score(track: PoseTrack, spec: TestSpec, view: str) -> TestResult:
    xy = prepared_xy(track)
    t = track.timestamps_s
    neutral = neutral_frames(track, spec.threshold("neutral_s"))
    side = near_ear(track)
    retraction = retraction_series(xy, side, neutral)
    pitch = head_pitch(
        track, xy, view, neutral, min_face_coverage=spec.threshold("min_face_coverage")
    )
    segments = hysteresis_segments(
        retraction,
        t,
        enter=spec.threshold("retraction_enter"),
        exit=spec.threshold("retraction_exit"),
        min_duration_s=spec.threshold("min_tuck_s"),
    )
    if not segments:
        raise MovementNotFound(
            "We did not see your chin slide back. Sit side-on to the camera and slide your "
            "chin straight back, as if making a double chin, then hold."
        )
    tucks = [_measure(s, retraction, pitch.pitch_deg, t, spec) for s in segments]
    good = sum(1 for k in tucks if k.good)
    nodding = sum(1 for k in tucks if k.nod_deg >= spec.threshold("nod_limit_deg"))
    short = sum(1 for k in tucks if k.hold_s < spec.threshold("min_hold_s"))
    flags = [f for f in (_count_flag("nodding", nodding), _count_flag("short_hold", short)) if f]

    bucket = "pass" if good >= spec.threshold("pass_good_reps") else "needs-work"
    normalized = normalize_bucket(bucket)
    raw = float(np.interp(good, spec.threshold("score_good_reps"), spec.threshold("score_points")))
    raw -= flag_penalty(flags)

    metrics = [
        Metric("reps", float(len(tucks)), "count"),
        Metric("good_reps", float(good), "count"),
        Metric(
            "retraction", finite_or_none(nanmedian([k.retraction for k in tucks])), "head lengths"
        ),
        Metric(
            "nod_deg",
            finite_or_none(max((k.nod_deg for k in tucks), default=float("nan"))),
            "deg",
            estimated=pitch.estimated,
        ),
        Metric("hold_seconds", finite_or_none(nanmedian([k.hold_s for k in tucks])), "s"),
    ]
    reps = tuple(
        Rep(
            i + 1,
            k.segment.start_s,
            k.segment.end_s,
            None,
            {
                "retraction": k.retraction,
                "hold_seconds": k.hold_s,
                "nod_deg": k.nod_deg,
                "good": 1.0 if k.good else 0.0,
            },
        )
        for i, k in enumerate(tucks)
    )
    notes = []
    if few := too_few_reps_note(len(tucks), spec.protocol_reps, "tucks"):
        notes.append(few)
    if any(k.segment.partial for k in tucks):
        notes.append("A tuck cut off at the start or end of the clip was measured as far as seen.")
    if pitch.source != "face_mesh":
        notes.append("We read the head angle from the ear and nose, as the face was not clear.")
    required = [int(L.NOSE), int(sided("ear", side)), int(sided("shoulder", side))]
    confidence = visibility_confidence(track, required)
    confidence *= rep_count_factor(len(tucks), spec.protocol_reps)
    confidence *= rep_agreement([k.hold_s for k in tucks])
    if pitch.estimated:
        confidence *= spec.threshold("estimated_confidence_factor")
    return TestResult.build(
        bucket=bucket,
        normalized=normalized,
        raw_score=raw,
        confidence=confidence,
        side=None,
        reps=len(tucks),
        metrics=metrics,
        flags=flags,
        segments=reps,
        notes=notes,
    )
