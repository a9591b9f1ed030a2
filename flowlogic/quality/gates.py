"""Every quality check runs and reports its code, measured value and threshold.

The first failing check (in the order of `data/quality.toml`) gives the user copy.
Checks are pure functions of a `PoseTrack`, the test's spec and the view.
"""

from __future__ import annotations

import warnings
from dataclasses import dataclass, field, replace
from typing import Any

import numpy as np

from flowlogic.catalog import TestSpec, load_data_toml
from flowlogic.pose.landmarks import BODY_PART_WORDS, BODY_PARTS
from flowlogic.pose.landmarks import Landmark as L
from flowlogic.pose.track import PoseTrack
from flowlogic.quality import view as viewmod
from flowlogic.scoring.result import json_number

ORDER = (
    "INVALID_NO_PERSON",
    "MULTIPLE_PEOPLE",
    "BAD_LIGHTING",
    "OUT_OF_FRAME",
    "LOW_CONFIDENCE",
    "WRONG_VIEW",
    "WRONG_POSITION",
    "NO_MOTION",
    "NOT_STILL",
)


@dataclass(frozen=True)
class Feedback:
    header: str
    message: str
    action: str

    def to_dict(self) -> dict[str, str]:
        return {"header": self.header, "message": self.message, "action": self.action}


@dataclass(frozen=True)
class Check:
    code: str
    passed: bool
    value: float | None
    threshold: Any
    detail: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        value = json_number(self.value, 4)
        return {
            "code": self.code,
            "passed": self.passed,
            "value": value,
            "threshold": self.threshold,
            **({"detail": self.detail} if self.detail else {}),
        }


@dataclass(frozen=True)
class QualityReport:
    checks: tuple[Check, ...]
    score: float  # 0..1
    mean_confidence: float
    motion_level: float
    frames_analysed: int
    view: str  # the view the body was seen in
    feedback: Feedback | None

    @property
    def passed(self) -> bool:
        return all(c.passed for c in self.checks)

    @property
    def failed_codes(self) -> list[str]:
        return [c.code for c in self.checks if not c.passed]

    def check(self, code: str) -> Check | None:
        return next((c for c in self.checks if c.code == code), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "passed": self.passed,
            "score": json_number(self.score),
            "mean_confidence": json_number(self.mean_confidence),
            "motion_level": json_number(self.motion_level),
            "frames_analysed": self.frames_analysed,
            "view_seen": self.view,
            "checks": [c.to_dict() for c in self.checks],
            "feedback": self.feedback.to_dict() if self.feedback else None,
        }


def _cfg(code: str, spec: TestSpec, key: str) -> Any:
    """A gate number: the test's own override, else the default from data/quality.toml."""
    if key in spec.quality:
        return spec.quality[key]
    return load_data_toml("quality.toml")[code][key]


def _nanmean(values: np.ndarray) -> float:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", category=RuntimeWarning)
        return float(np.nanmean(values)) if np.size(values) else float("nan")


def _required_groups(spec: TestSpec, view: str) -> list[str]:
    return list(spec.required_for(view if view in ("front", "side") else spec.views[0]))


def group_visibility(track: PoseTrack, groups: list[str], view: str) -> np.ndarray:
    """(T, len(groups)) visibility per body-part group. Side-on, the far side is hidden
    by the body, so each left/right pair counts by its better (near) side."""
    vis = track.visibility
    columns = []
    for group in groups:
        members = [int(m) for m in BODY_PARTS[group]]
        if view == "side":
            left = [m for m in members if L(m).name.startswith("LEFT_")]
            right = [m for m in members if L(m).name.startswith("RIGHT_")]
            other = [m for m in members if m not in left and m not in right]
            parts = []
            if left and right:
                parts.append(np.maximum(vis[:, left].min(axis=1), vis[:, right].min(axis=1)))
            if other:
                parts.append(vis[:, other].min(axis=1))
            columns.append(np.minimum.reduce(parts) if len(parts) > 1 else parts[0])
        else:
            columns.append(vis[:, members].min(axis=1))
    return np.stack(columns, axis=1) if columns else np.ones((track.frames, 0))


def required_indices(spec: TestSpec, view: str, track: PoseTrack) -> list[int]:
    """Landmarks that must be seen; side-on only the near side of each pair."""
    groups = _required_groups(spec, view)
    indices: list[int] = []
    vis = track.visibility
    for group in groups:
        members = [int(m) for m in BODY_PARTS[group]]
        if view == "side":
            left = [m for m in members if L(m).name.startswith("LEFT_")]
            right = [m for m in members if L(m).name.startswith("RIGHT_")]
            if left and right:
                near = left if vis[:, left].mean() >= vis[:, right].mean() else right
                members = near + [m for m in members if m not in left + right]
        indices.extend(m for m in members if m not in indices)
    return indices


def _direction_for(track: PoseTrack, indices: list[int]) -> str:
    present = track.present
    if not present.any():
        return "back"
    xy = track.image[present][:, indices, :2]
    x, y = _nanmean(xy[..., 0]), _nanmean(xy[..., 1])
    if y > 0.6:
        return "lower"
    if y < 0.3:
        return "higher"
    if x < 0.25:
        return "to the left"
    if x > 0.75:
        return "to the right"
    return "back"


def body(xy: np.ndarray) -> viewmod.BodyFrame:
    """The body's size unit, view ratio and inclination (upper-body clips without hips
    are measured from the neck; see quality.view.BodyFrame)."""
    cfg = load_data_toml("quality.toml")["BODY"]
    return viewmod.body_frame(
        xy, hips_seen_ratio=cfg["hips_seen_ratio"], neck_to_torso=cfg["neck_to_torso"]
    )


def view_thresholds(spec: TestSpec, frame: viewmod.BodyFrame) -> tuple[float, float]:
    suffix = "" if frame.hips_seen else "_upper"
    return (
        _cfg("WRONG_VIEW", spec, f"front_min_width_ratio{suffix}"),
        _cfg("WRONG_VIEW", spec, f"side_max_width_ratio{suffix}"),
    )


def check_person(track: PoseTrack, spec: TestSpec) -> Check:
    threshold = _cfg("INVALID_NO_PERSON", spec, "min_person_ratio")
    ratio = float(track.present.mean()) if track.frames else 0.0
    return Check("INVALID_NO_PERSON", ratio >= threshold, ratio, threshold)


def other_person_share(xy: np.ndarray, max_jump: float) -> tuple[float, int]:
    """Share of pose frames that belong to someone else, judged by identity switches:
    the skeleton jumping more than `max_jump` torso lengths between consecutive frames,
    which no one body does in a frame. The longest run between switches is taken as the
    person being assessed. Returns (share, switches)."""
    frame = body(xy)
    torso, pelvis = frame.unit_px, frame.centre
    valid = np.flatnonzero(~np.isnan(pelvis).any(axis=1))
    if valid.size < 2 or not np.isfinite(torso) or torso <= 0:
        return 0.0, 0
    jumps = np.linalg.norm(np.diff(pelvis[valid], axis=0), axis=1) / torso
    cuts = np.flatnonzero(jumps > max_jump) + 1
    if cuts.size == 0:
        return 0.0, 0
    runs = np.diff(np.concatenate(([0], cuts, [valid.size])))
    return float(1.0 - runs.max() / valid.size), int(cuts.size)


def check_people(track: PoseTrack, spec: TestSpec, xy: np.ndarray) -> Check:
    """A second face in sampled frames, or the skeleton switching between people."""
    threshold = _cfg("MULTIPLE_PEOPLE", spec, "max_ratio")
    sampled = track.faces[track.faces >= 0]
    face_ratio = float((sampled > 1).mean()) if sampled.size else 0.0
    switch_share, switches = other_person_share(xy, _cfg("MULTIPLE_PEOPLE", spec, "max_jump"))
    ratio = max(face_ratio, switch_share)
    detail = {
        "face_ratio": round(face_ratio, 3),
        "identity_switches": switches,
        "faces_detectable": bool(sampled.size and (sampled > 0).any()),
    }
    return Check("MULTIPLE_PEOPLE", ratio <= threshold, ratio, threshold, detail)


def check_lighting(track: PoseTrack, spec: TestSpec) -> Check:
    low = _cfg("BAD_LIGHTING", spec, "min_brightness")
    high = _cfg("BAD_LIGHTING", spec, "max_brightness")
    brightness = _nanmean(track.brightness) if track.frames else float("nan")
    passed = bool(low <= brightness <= high)
    return Check("BAD_LIGHTING", passed, brightness, [low, high])


def check_in_frame(track: PoseTrack, spec: TestSpec, view: str) -> Check:
    threshold = _cfg("OUT_OF_FRAME", spec, "max_out_ratio")
    margin = _cfg("OUT_OF_FRAME", spec, "margin")
    words = load_data_toml("quality.toml")["words"]["framing"]
    detail = {"framing": words.get(spec.framing, "full body")}
    present = track.present
    if not present.any():
        return Check("OUT_OF_FRAME", False, 1.0, threshold, detail)
    points = track.image[present][:, required_indices(spec, view, track), :2]
    outside = np.any((points < -margin) | (points > 1 + margin), axis=(1, 2))
    ratio = float(outside.mean())
    return Check("OUT_OF_FRAME", ratio <= threshold, ratio, threshold, detail)


def check_confidence(track: PoseTrack, spec: TestSpec, view: str) -> tuple[Check, float]:
    min_mean = _cfg("LOW_CONFIDENCE", spec, "min_mean_visibility")
    visible_at = _cfg("LOW_CONFIDENCE", spec, "visible_threshold")
    min_ratio = _cfg("LOW_CONFIDENCE", spec, "min_visible_ratio")
    groups = _required_groups(spec, view)
    present = track.present
    if not present.any() or not groups:
        detail = {"body_part": "body", "direction": "back", "visible_ratio": 0.0}
        return Check("LOW_CONFIDENCE", False, 0.0, min_mean, detail), 0.0
    vis = group_visibility(track, groups, view)[present]
    per_group = vis.mean(axis=0)
    mean_vis = float(per_group.mean())
    visible_ratio = float(np.all(vis >= visible_at, axis=1).mean())
    worst = groups[int(np.argmin(per_group))]
    worst_indices = [int(m) for m in BODY_PARTS[worst]]
    detail = {
        "body_part": BODY_PART_WORDS[worst],
        "direction": _direction_for(track, worst_indices),
        "visible_ratio": round(visible_ratio, 3),
        "min_visible_ratio": min_ratio,
    }
    passed = mean_vis >= min_mean and visible_ratio >= min_ratio
    return Check("LOW_CONFIDENCE", passed, mean_vis, min_mean, detail), mean_vis


def check_view(track: PoseTrack, spec: TestSpec, view: str, xy: np.ndarray) -> tuple[Check, str]:
    frame = body(xy)
    front_min, side_max = view_thresholds(spec, frame)
    max_tilt = _cfg("WRONG_VIEW", spec, "max_line_tilt_deg")
    allow_diagonal = bool(spec.quality.get("allow_diagonal", False))
    ratio = frame.width_ratio
    seen = viewmod.classify_view(ratio, front_min, side_max)
    needed = view
    detail: dict[str, Any] = {"seen": seen, "needed": needed}
    if seen == "unknown":
        return Check(
            "WRONG_VIEW", False, None, None, {**detail, "turn": "to face the camera"}
        ), seen
    if needed == "front":
        ok = seen == "front" or (allow_diagonal and seen == "diagonal")
        threshold: Any = front_min
        tilt = viewmod.line_tilt_deg(xy)
        detail["line_tilt_deg"] = round(tilt, 1)
        if ok and tilt > max_tilt:
            ok = False
        detail["turn"] = "to face the camera"
    else:
        ok = seen == "side" or (allow_diagonal and seen == "diagonal")
        threshold = side_max
        detail["turn"] = "sideways"
    return Check("WRONG_VIEW", ok, ratio, threshold, detail), seen


def check_position(track: PoseTrack, spec: TestSpec, xy: np.ndarray) -> Check:
    limit = _cfg("WRONG_POSITION", spec, "upright_max_deg")
    words = load_data_toml("quality.toml")["words"]["position"]
    inclination = body(xy).inclination_deg
    upright_needed = spec.position in ("standing", "seated")
    detail = {"position": words.get(spec.position, spec.position)}
    if np.isnan(inclination):
        return Check("WRONG_POSITION", False, None, limit, detail)
    passed = inclination <= limit if upright_needed else inclination > limit
    return Check("WRONG_POSITION", bool(passed), inclination, limit, detail)


def motion_level(track: PoseTrack, indices: list[int], xy: np.ndarray) -> float:
    """How far the required landmarks travel: the largest 5-95 % range of any one
    landmark's path, in torso lengths (or their neck-based equivalent)."""
    torso = body(xy).unit_px
    if not indices or np.isnan(torso) or torso <= 0:
        return 0.0
    ranges = []
    for index in indices:
        path = xy[:, index, :]
        path = path[~np.isnan(path).any(axis=1)]
        if len(path) < 2:
            continue
        spread = np.percentile(path, 95, axis=0) - np.percentile(path, 5, axis=0)
        ranges.append(float(np.linalg.norm(spread)))
    return max(ranges) / torso if ranges else 0.0


def check_motion(spec: TestSpec, level: float) -> Check:
    threshold = spec.quality.get(
        "min_motion", load_data_toml("quality.toml")["NO_MOTION"]["default_min_motion"]
    )
    return Check("NO_MOTION", level >= threshold, level, threshold)


def longest_still_s(track: PoseTrack, xy: np.ndarray, max_speed: float) -> float:
    """Longest stretch with the pelvis (mid-shoulder without hips) moving slower than
    `max_speed` torso lengths per second."""
    frame = body(xy)
    torso = frame.unit_px
    if track.frames < 2 or np.isnan(torso) or torso <= 0:
        return 0.0
    pelvis = frame.centre / torso
    speed = np.linalg.norm(np.diff(pelvis, axis=0), axis=1) * track.fps
    still = np.nan_to_num(speed, nan=np.inf) <= max_speed
    best = run = 0
    for value in still:
        run = run + 1 if value else 0
        best = max(best, run)
    return best / track.fps


def check_still(track: PoseTrack, spec: TestSpec, xy: np.ndarray) -> Check:
    cfg = load_data_toml("quality.toml")["NOT_STILL"]
    needed = spec.quality.get("min_still_s", cfg["default_min_still_s"])
    seconds = longest_still_s(track, xy, spec.quality.get("max_speed", cfg["max_speed"]))
    return Check("NOT_STILL", seconds >= needed, seconds, needed)


def _feedback(check: Check) -> Feedback:
    copy = load_data_toml("quality.toml")[check.code]
    values = {
        "body_part": "body",
        "direction": "back",
        "framing": "full body",
        "turn": "to face the camera",
        "position": "as shown in the instructions",
    }
    values.update({k: v for k, v in check.detail.items() if isinstance(v, str)})
    return Feedback(copy["header"], copy["message"].format(**values), copy["action"])


def with_movement_missing(report: QualityReport, message: str) -> QualityReport:
    """The report of a recording whose scorer found none of the test's movement (e.g. a
    squat recorded for the lateral lunge): NO_MOTION fails with the scorer's reason."""
    failed = Check("NO_MOTION", False, report.motion_level, None, {"reason": message})
    checks = (*tuple(c for c in report.checks if c.code != "NO_MOTION"), failed)
    checks = tuple(sorted(checks, key=lambda c: ORDER.index(c.code)))
    return replace(report, checks=checks, score=min(report.score, 0.49), feedback=_feedback(failed))


def third_failure_feedback() -> Feedback:
    copy = load_data_toml("quality.toml")["third_failure"]
    return Feedback(copy["header"], copy["message"], copy["action"])


def run_quality_checks(track: PoseTrack, spec: TestSpec, view: str) -> QualityReport:
    """Run every gate for `spec` seen from `view` ("front" or "side")."""
    from flowlogic.geometry.visibility import gated_xy

    xy = gated_xy(track)
    checks: list[Check] = [
        check_person(track, spec),
        check_people(track, spec, xy),
        check_lighting(track, spec),
        check_in_frame(track, spec, view),
    ]
    confidence_check, mean_confidence = check_confidence(track, spec, view)
    checks.append(confidence_check)
    view_check, seen = check_view(track, spec, view, xy)
    checks.append(view_check)
    checks.append(check_position(track, spec, xy))
    level = motion_level(track, required_indices(spec, view, track), xy)
    checks.append(check_still(track, spec, xy) if spec.is_hold else check_motion(spec, level))
    checks.sort(key=lambda c: ORDER.index(c.code))
    failed = next((c for c in checks if not c.passed), None)
    return QualityReport(
        checks=tuple(checks),
        score=_quality_score(track, checks),
        mean_confidence=mean_confidence,
        motion_level=level,
        frames_analysed=track.frames,
        view=seen,
        feedback=_feedback(failed) if failed else None,
    )


def _quality_score(track: PoseTrack, checks: list[Check]) -> float:
    """0..1: share of frames with a person × share with the required landmarks visible
    × share in frame; zero when any gate fails outright."""
    by_code = {c.code: c for c in checks}
    presence = float(track.present.mean()) if track.frames else 0.0
    visible = by_code["LOW_CONFIDENCE"].detail.get("visible_ratio", 0.0)
    in_frame = 1.0 - (by_code["OUT_OF_FRAME"].value or 0.0)
    score = presence * float(visible) * in_frame
    if not all(c.passed for c in checks):
        score = min(score, 0.49)
    return float(np.clip(score, 0.0, 1.0))
