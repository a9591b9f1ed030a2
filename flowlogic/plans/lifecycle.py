"""Creating and renewing plans: first plan, regeneration after retests, tier changes.

The shape of a plan comes from `generator.build_phases` (pure); this module gathers its
inputs from the database (problem areas, progress, the previous version) and stores the
result as a new version (`store.save_plan`), keeping every older one.
"""

from __future__ import annotations

from datetime import date, timedelta

import sqlite_utils

from flowlogic import clock, tiers
from flowlogic.catalog import find_test
from flowlogic.errors import RefusedError, UsageError
from flowlogic.interpret import ProblemArea, area_spec, interpret, latest_valid_results, load_rules
from flowlogic.plans.calendar import day_stats, effective_level
from flowlogic.plans.config import plan_config
from flowlogic.plans.generator import build_phases
from flowlogic.plans.model import Plan
from flowlogic.plans.progress import progress, worse_areas
from flowlogic.plans.store import active_plan, save_plan


def kind_for_tier(tier: tiers.Tier) -> str | None:
    """The plan kind a tier allows: "full", "lite", or None."""
    kinds = plan_config().kinds
    for key in ("full", "lite"):  # the richer plan wins when a tier has both
        if tier.has(kinds[key].feature):
            return key
    return None


def current_kind(db: sqlite_utils.Database) -> str:
    """The plan kind the installation's tier allows; refused (exit 4) without a plan."""
    tier = tiers.current_tier(db)
    kind = kind_for_tier(tier)
    if kind is None:
        tiers.check_feature(tier, "plan")
        raise RefusedError("Plans are not part of your tier.", code="LOCKED_FEATURE")
    return kind


def _notes(kind: str, areas: list[ProblemArea], maintenance: bool) -> list[str]:
    config = plan_config()
    notes = []
    if maintenance:
        notes.append(config.maintenance_note)
    if kind == "lite" and len(areas) > 1:
        notes.append(
            f"Lite plan: one focus area ({areas[0].name}) of your {len(areas)}. The full plan "
            "(Pro) works on several at once."
        )
    for area in areas:
        if not area.confirmed and area.confirm_with:
            tests = ", ".join(find_test(t).name for t in area.confirm_with)
            notes.append(f"{area.name} is inferred from other tests; {tests} would confirm it.")
    return notes


def _completed_today(db: sqlite_utils.Database, profile_id: int, today: date) -> bool:
    done, _ = day_stats(db, profile_id, today, today).get(today, (0, 0))
    return done > 0


def generate_plan(
    db: sqlite_utils.Database,
    profile_id: int,
    *,
    today: date | None = None,
    kind: str | None = None,
    reason: str | None = None,
) -> Plan:
    """Build and store a new plan version from the latest valid results.

    `kind` defaults to the current tier's (refused without a plan feature). The new
    version starts today, or tomorrow if a task was already ticked off today. It keeps the
    previous version's cycle (phase dates, level) unless that cycle is 4 weeks or older."""
    today = today or clock.today()
    kind = kind or current_kind(db)
    config = plan_config()
    if kind not in config.kinds:
        raise UsageError(f"Unknown plan kind {kind!r}.")
    results = latest_valid_results(
        db, profile_id, today=today, within_days=load_rules().window_days
    )
    if not results:
        raise UsageError(
            "A plan is built from your results: take at least one test first "
            "(e.g. `flowlogic score VIDEO --test overhead-squat`)."
        )
    areas = interpret(results)
    previous = active_plan(db, profile_id)
    paused = worse_areas(progress(db, profile_id, today)) if previous else {}
    start = (
        today + timedelta(days=1) if previous and _completed_today(db, profile_id, today) else today
    )
    if previous and (start - previous.cycle_start).days < config.new_cycle_after_days:
        cycle_start, start_level = previous.cycle_start, previous.start_level
    else:
        cycle_start = start
        start_level = effective_level(db, previous, today) if previous else 1
    if reason is None:
        reason = "first" if previous is None else "update"
        if previous and cycle_start == start:
            reason = "new-cycle"
    phases, maintenance = build_phases(
        areas,
        kind=kind,
        cycle_start=cycle_start,
        start_level=start_level,
        paused=frozenset(paused),
    )
    active_areas = [a for a in areas if a.key not in paused]
    plan = Plan(
        id=None,
        profile_id=profile_id,
        version=0,
        created_at="",
        tier_kind=kind,
        status="active",
        reason=reason,
        cycle_start=cycle_start,
        start_date=start,
        end_date=phases[-1].end_date,
        start_level=start_level,
        phases=phases,
        problem_areas=tuple(a.to_dict() for a in areas),
        paused=tuple(
            {
                "area": key,
                "name": area_spec(key).name,
                "tests": list(tests),
                "advice": config.advice["worse"],
            }
            for key, tests in paused.items()
        ),
        maintenance=maintenance,
        notes=tuple(_notes(kind, active_areas, maintenance)),
        basis=tuple(
            {
                "assessment_id": r["assessment_id"],
                "test_id": r["test_id"],
                "score": r["score"],
                "normalized": r["normalized"],
                "local_date": r["local_date"],
            }
            for r in results
        ),
    )
    return save_plan(db, plan, areas, today=today)


def regenerate(
    db: sqlite_utils.Database,
    profile_id: int,
    *,
    today: date | None = None,
    kind: str | None = None,
) -> Plan:
    """A new version on request (`flowlogic plan regenerate`); the old one is kept."""
    return generate_plan(db, profile_id, today=today, kind=kind, reason="manual")


def has_new_results(db: sqlite_utils.Database, plan: Plan, today: date) -> bool:
    """A valid result newer than everything the plan was built from (a retest)."""
    known = max((int(b["assessment_id"]) for b in plan.basis), default=0)
    row = db.execute(
        "SELECT COUNT(*) FROM assessments WHERE profile_id = ? AND status = 'valid' "
        "AND id > ? AND local_date <= ?",
        [plan.profile_id, known, today.isoformat()],
    ).fetchone()
    return int(row[0]) > 0


def ensure_current_plan(
    db: sqlite_utils.Database,
    profile_id: int,
    *,
    today: date | None = None,
    kind: str | None = None,
) -> tuple[Plan, str | None]:
    """The active plan, created or renewed when needed: (plan, why it changed or None).

    Renewed when there is none yet ("first"), when the tier's plan kind differs from the
    plan's ("tier"), or when results newer than the plan exist ("retest")."""
    today = today or clock.today()
    kind = kind or current_kind(db)
    plan = active_plan(db, profile_id)
    if plan is None:
        return generate_plan(db, profile_id, today=today, kind=kind, reason="first"), "first"
    if plan.tier_kind != kind:
        return generate_plan(db, profile_id, today=today, kind=kind, reason="tier"), "tier"
    if has_new_results(db, plan, today):
        return generate_plan(db, profile_id, today=today, kind=kind, reason="retest"), "retest"
    return plan, None
