"""Score one video for one test, end to end (the foundation every interface calls).

consent -> profile -> tier and caps -> input probe -> pose (cached) -> view ->
quality gates -> scorer -> store. Each refusal is a `FlowLogicError` with its exit code.
`score_video` is `prepare_attempt` (the checks before any video) + pose + `score_track`
(gates, scorer, store); live recording (`flowlogic.recording`) builds the track while
the person moves and calls the same two steps.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import date
from pathlib import Path
from typing import Any

import sqlite_utils

from flowlogic import clock, consent, profiles, tiers
from flowlogic.capture.probe import Limits, VideoInfo, probe
from flowlogic.catalog import TestSpec, find_test
from flowlogic.errors import MovementNotFound, UsageError
from flowlogic.geometry.visibility import gated_xy
from flowlogic.pose.pipeline import AnalysisOptions, analyse
from flowlogic.pose.track import PoseTrack
from flowlogic.quality import view as viewmod
from flowlogic.quality.gates import (
    QualityReport,
    run_quality_checks,
    third_failure_feedback,
    view_thresholds,
    with_movement_missing,
)
from flowlogic.quality.gates import (
    body as quality_body,
)
from flowlogic.scoring.registry import scorer_for
from flowlogic.scoring.result import TestResult
from flowlogic.store import assessments, open_db
from flowlogic.store.tx import transaction

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
    frame = quality_body(gated_xy(track))
    front_min, side_max = view_thresholds(spec, frame)
    ratio = frame.width_ratio
    seen = viewmod.classify_view(ratio, front_min, side_max)
    if seen in spec.views:
        return seen
    if seen == "diagonal":
        guess = "front" if ratio >= (front_min + side_max) / 2 else "side"
        if guess in spec.views:
            return guess
    return spec.views[0]


@dataclass(frozen=True)
class Permit:
    """Who may attempt which test today, after consent, tier and caps were checked."""

    spec: TestSpec
    profile: profiles.Profile
    day: date
    attempts_before: int
    #: set when the attempt counts: `store_outcome` checks the caps again with it, under
    #: the write lock (a batch or the TUI may have stored attempts meanwhile)
    tier: tiers.Tier | None = None
    view: str | None = None  # the view asked for, if any


def validate_view(spec: TestSpec, view: str | None) -> str | None:
    if view is None:
        return None
    view = view.lower()
    if view not in ("front", "side"):
        raise UsageError(f"--view must be 'front' or 'side', not {view!r}")
    if view not in spec.views:
        raise UsageError(
            f"{spec.name} is recorded from the {spec.view_label}; --view {view} "
            "is not possible for it."
        )
    return view


def permit_attempt(
    db: sqlite_utils.Database,
    spec: TestSpec,
    profile: str | None,
    *,
    count_attempt: bool = True,
    day: date | None = None,
) -> Permit:
    """Consent, profile, tier and (when the attempt will count) the daily and monthly
    caps. Raises RefusedError (exit 4) or NotFound."""
    consent.require(db)
    who = profiles.resolve(db, profile)
    current = tiers.current_tier(db)
    tiers.check_unlocked(current, spec)
    if scorer_for(spec) is None:
        raise UsageError(f"{spec.name} cannot be scored by this version of Flow Logic yet.")
    day = day or clock.today()
    before = 0
    if count_attempt:
        used = tiers.check_attempt_allowed(db, who.id, spec, current, day)
        before = used.attempts_today.get(spec.id, 0)
    return Permit(spec, who, day, before, current if count_attempt else None)


@dataclass(frozen=True)
class Judgement:
    view: str
    quality: QualityReport
    result: TestResult | None


def judge_track(track: PoseTrack, spec: TestSpec, view: str | None = None) -> Judgement:
    """Quality gates, then the scorer: pure, no storage (used by score, record and batch)."""
    chosen = resolve_view(view, spec, track)
    quality = run_quality_checks(track, spec, chosen)
    if not quality.passed:
        return Judgement(chosen, quality, None)
    scorer = scorer_for(spec)
    if scorer is None:
        raise UsageError(f"{spec.name} cannot be scored by this version of Flow Logic yet.")
    try:
        return Judgement(chosen, quality, scorer(track, spec, chosen))
    except MovementNotFound as missing:
        return Judgement(chosen, with_movement_missing(quality, missing.message), None)


def store_outcome(
    db: sqlite_utils.Database, permit: Permit, outcome: Outcome, *, source: str = "score"
) -> Outcome:
    """Save the attempt (valid or invalid) and return the outcome with its id."""
    with transaction(db):
        # the caps again, under the write lock: another process (a batch, the TUI) may have
        # stored attempts of this profile while this video was being analysed
        if permit.tier is not None:
            used = tiers.check_attempt_allowed(
                db, permit.profile.id, permit.spec, permit.tier, permit.day
            )
            permit = replace(permit, attempts_before=used.attempts_today.get(permit.spec.id, 0))
        left = max(0, tiers.attempts_per_day() - permit.attempts_before - 1)
        third = False
        if outcome.result is None:
            failures = assessments.invalid_attempts_on(
                db, permit.profile.id, permit.spec.id, permit.day.isoformat()
            )
            third = failures + 1 >= 3
        counted = replace(outcome, attempts_left_today=left, third_failure=third)
        assessment_id = assessments.save(
            db,
            profile_id=permit.profile.id,
            outcome=counted.to_dict(),
            created_at=clock.iso(clock.now_utc()),
            local_date=permit.day.isoformat(),
            source=source,
            model=outcome.track.model,
        )
    return replace(counted, assessment_id=assessment_id)


def prepare_attempt(
    db: sqlite_utils.Database,
    test: str | int,
    *,
    view: str | None = None,
    profile: str | None = None,
    save: bool = True,
) -> Permit:
    """Everything checked before any video is looked at (the test, the view asked for,
    consent, profile, tier, caps); each refusal raises (exit 2 or 4)."""
    spec = find_test(test)
    chosen = validate_view(spec, view)
    return replace(permit_attempt(db, spec, profile, count_attempt=save), view=chosen)


def score_track(
    db: sqlite_utils.Database,
    permit: Permit,
    info: VideoInfo,
    track: PoseTrack,
    *,
    from_cache: bool = False,
    save: bool = True,
    source: str = "score",
) -> Outcome:
    """Judge a track already built (from a file, or live while recording) and store the
    attempt unless `save` is off."""
    judged = judge_track(track, permit.spec, permit.view)
    outcome = Outcome(
        permit.spec,
        judged.view,
        info,
        track,
        from_cache,
        judged.quality,
        judged.result,
        permit.profile,
    )
    return store_outcome(db, permit, outcome, source=source) if save else outcome


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
    db = db or open_db()
    attempt = prepare_attempt(db, test, view=view, profile=profile, save=save)
    spec = attempt.spec
    info = probe(Path(video), Limits(max_duration_s=spec.duration_limit_s, max_size_mb=MAX_SIZE_MB))
    options = options or AnalysisOptions(face_mesh=spec.face_mesh)
    track, from_cache = analyse(info, options=options, use_cache=use_cache, progress=progress)
    return score_track(db, attempt, info, track, from_cache=from_cache, save=save, source=source)
