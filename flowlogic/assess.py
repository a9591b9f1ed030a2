"""Score one video for one test, end to end (the foundation every interface calls).

consent -> profile -> tier and caps -> input probe -> pose (cached) -> view ->
quality gates -> scorer -> store. Each refusal is a `FlowLogicError` with its exit code.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlite_utils

from flowlogic import clock, consent, profiles, tiers
from flowlogic.capture.probe import Limits, VideoInfo, probe
from flowlogic.catalog import TestSpec, find_test, load_data_toml
from flowlogic.errors import UsageError
from flowlogic.geometry.visibility import gated_xy
from flowlogic.pose.pipeline import AnalysisOptions, analyse
from flowlogic.pose.track import PoseTrack
from flowlogic.quality import view as viewmod
from flowlogic.quality.gates import QualityReport, run_quality_checks, third_failure_feedback
from flowlogic.scoring.registry import scorer_for
from flowlogic.scoring.result import TestResult
from flowlogic.store import assessments, open_db

SCHEMA_VERSION = 1
MAX_SIZE_MB = 50.0


@dataclass(frozen=True)
class Outcome:
    spec: TestSpec
    view: str
    video: VideoInfo
    track: PoseTrack
    from_cache: bool
    quality: QualityReport
    result: TestResult | None
    profile: profiles.Profile | None
    assessment_id: int | None = None
    attempts_left_today: int | None = None
    third_failure: bool = False

    @property
    def status(self) -> str:
        return "valid" if self.result is not None else "invalid"

    @property
    def exit_code(self) -> int:
        return 0 if self.status == "valid" else 3

    def to_dict(self) -> dict[str, Any]:
        quality = self.quality.to_dict()
        if self.third_failure:
            quality["feedback"] = third_failure_feedback().to_dict()
        return {
            "schema_version": SCHEMA_VERSION,
            "status": self.status,
            "test": {"id": self.spec.id, "slug": self.spec.slug, "name": self.spec.name},
            "view": self.view,
            "profile": self.profile.name if self.profile else None,
            "video": {
                "path": self.video.path,
                "sha256": self.video.sha256,
                "fps": round(self.video.fps, 3),
                "frames": self.video.frames,
                "frames_analysed": self.track.frames,
                "duration_s": self.video.duration_s,
                "width": self.video.width,
                "height": self.video.height,
                "landmarks_from_cache": self.from_cache,
            },
            "quality": quality,
            "result": self.result.to_dict() if self.result else None,
            "attempts_left_today": self.attempts_left_today,
            "assessment_id": self.assessment_id,
        }


def resolve_view(requested: str | None, spec: TestSpec, track: PoseTrack) -> str:
    """The view to score: the one asked for, the test's only view, or the one seen."""
    if requested:
        requested = requested.lower()
        if requested not in spec.views:
            raise UsageError(
                f"{spec.name} is recorded from the {spec.view_label}; --view {requested} "
                "is not possible for it."
            )
        return requested
    if len(spec.views) == 1:
        return spec.views[0]
    cfg = load_data_toml("quality.toml")["WRONG_VIEW"]
    ratio = viewmod.width_ratio(gated_xy(track))
    seen = viewmod.classify_view(ratio, cfg["front_min_width_ratio"], cfg["side_max_width_ratio"])
    if seen in spec.views:
        return seen
    if seen == "diagonal":
        middle = (cfg["front_min_width_ratio"] + cfg["side_max_width_ratio"]) / 2
        guess = "front" if ratio >= middle else "side"
        if guess in spec.views:
            return guess
    return spec.views[0]


def score_video(
    video: Path | str,
    test: str | int,
    *,
    view: str | None = None,
    profile: str | None = None,
    save: bool = True,
    use_cache: bool = True,
    source: str = "score",
    db: sqlite_utils.Database | None = None,
    options: AnalysisOptions | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> Outcome:
    spec = find_test(test)
    if view is not None:
        if view.lower() not in ("front", "side"):
            raise UsageError(f"--view must be 'front' or 'side', not {view!r}")
        if view.lower() not in spec.views:
            raise UsageError(
                f"{spec.name} is recorded from the {spec.view_label}; --view {view} "
                "is not possible for it."
            )
    db = db or open_db()
    consent.require(db)
    who = profiles.resolve(db, profile)
    current = tiers.current_tier(db)
    tiers.check_unlocked(current, spec)
    scorer = scorer_for(spec)
    if scorer is None:
        raise UsageError(f"{spec.name} cannot be scored by this version of Flow Logic yet.")
    day = clock.today()
    used = tiers.check_attempt_allowed(db, who.id, spec, current, day) if save else None

    info = probe(Path(video), Limits(max_duration_s=spec.duration_limit_s, max_size_mb=MAX_SIZE_MB))
    options = options or AnalysisOptions(face_mesh=spec.face_mesh)
    track, from_cache = analyse(info, options=options, use_cache=use_cache, progress=progress)
    chosen_view = resolve_view(view, spec, track)
    quality = run_quality_checks(track, spec, chosen_view)
    result = scorer(track, spec, chosen_view) if quality.passed else None

    outcome = Outcome(spec, chosen_view, info, track, from_cache, quality, result, who)
    if not save:
        return outcome
    attempts_before = used.attempts_today.get(spec.id, 0) if used else 0
    left = max(0, tiers.attempts_per_day() - attempts_before - 1)
    third = False
    if result is None:
        failures = assessments.invalid_attempts_on(db, who.id, spec.id, day.isoformat()) + 1
        third = failures >= 3
    outcome = Outcome(
        spec,
        chosen_view,
        info,
        track,
        from_cache,
        quality,
        result,
        who,
        attempts_left_today=left,
        third_failure=third,
    )
    assessment_id = assessments.save(
        db,
        profile_id=who.id,
        outcome=outcome.to_dict(),
        created_at=clock.iso(clock.now_utc()),
        local_date=day.isoformat(),
        source=source,
        model=track.model,
    )
    return Outcome(
        spec,
        chosen_view,
        info,
        track,
        from_cache,
        quality,
        result,
        who,
        assessment_id=assessment_id,
        attempts_left_today=left,
        third_failure=third,
    )
