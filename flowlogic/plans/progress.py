"""Retests and progress (PRODUCT.md §7).

- Quick retests: each test behind a problem area of the active plan, 2 weeks after it was
  last taken. Full reassessment: every test of the tier, 4 weeks after the cycle start,
  overdue after 6 weeks. Only tests the current tier unlocks are listed.
- Progress: per test, the latest score against the baseline (the latest result on or
  before the cycle start, or else the first one after it): ≥ 20 % good, < 10 % adjust,
  a drop beyond the noise margin is "worse" and pauses that area's exercises.
"""

from __future__ import annotations

from collections import defaultdict
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from flowlogic import clock, tiers
from flowlogic.catalog import find_test
from flowlogic.interpret import load_rules
from flowlogic.plans.config import plan_config
from flowlogic.plans.model import Retest, TestProgress
from flowlogic.plans.store import active_plan


def _valid_history(
    db: sqlite_utils.Database, profile_id: int, today: date
) -> dict[int, list[dict[str, Any]]]:
    by_test: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for row in db.query(
        "SELECT a.id, a.test_id, a.test_slug, a.local_date, r.score, r.normalized "
        "FROM assessments a JOIN results r ON r.assessment_id = a.id "
        "WHERE a.profile_id = ? AND a.status = 'valid' AND a.local_date <= ? "
        "ORDER BY a.test_id, a.local_date, a.created_at, a.id",
        [profile_id, today.isoformat()],
    ):
        by_test[int(row["test_id"])].append(dict(row))
    return by_test


def areas_of_test(test_id: int) -> tuple[str, ...]:
    return tuple(key for key, spec in load_rules().areas.items() if test_id in spec.tests)


def verdict(change_pct: float, latest_normalized: str) -> tuple[str, str]:
    """(verdict, advice key) for a change against the baseline."""
    config = plan_config()
    if change_pct < config.worse_below_pct:
        return "worse", "worse"
    if change_pct >= config.good_pct:
        return "good", "good"
    if latest_normalized == "pass":
        return "good", "passing"
    if change_pct < config.adjust_below_pct:
        return "adjust", "adjust"
    return "on_track", "on_track"


def progress(
    db: sqlite_utils.Database, profile_id: int, today: date | None = None
) -> list[TestProgress]:
    """Per test taken (valid): baseline, latest, change %, verdict and advice."""
    today = today or clock.today()
    plan = active_plan(db, profile_id)
    config = plan_config()
    items = []
    for test_id, rows in sorted(_valid_history(db, profile_id, today).items()):
        baseline = rows[0]
        if plan is not None:
            before = [r for r in rows if date.fromisoformat(r["local_date"]) <= plan.cycle_start]
            baseline = before[-1] if before else rows[0]
        latest = rows[-1]
        spec = find_test(test_id)
        if latest["id"] == baseline["id"]:
            change, name, key = 0.0, "baseline", "baseline"
        else:
            change = (latest["score"] - baseline["score"]) / max(baseline["score"], 1) * 100
            name, key = verdict(change, latest["normalized"])
        items.append(
            TestProgress(
                test_id=test_id,
                test_slug=spec.slug,
                test_name=spec.name,
                baseline_score=int(baseline["score"]),
                baseline_date=date.fromisoformat(baseline["local_date"]),
                latest_score=int(latest["score"]),
                latest_date=date.fromisoformat(latest["local_date"]),
                change_pct=round(change, 1),
                days=(
                    date.fromisoformat(latest["local_date"])
                    - date.fromisoformat(baseline["local_date"])
                ).days,
                verdict=name,
                advice=config.advice[key],
                areas=areas_of_test(test_id),
            )
        )
    return items


def worse_areas(items: list[TestProgress]) -> dict[str, tuple[int, ...]]:
    """Problem areas to pause: area key -> the tests that got worse."""
    paused: dict[str, set[int]] = defaultdict(set)
    for item in items:
        if item.verdict == "worse":
            for area in item.areas:
                paused[area].add(item.test_id)
    return {area: tuple(sorted(tests)) for area, tests in sorted(paused.items())}


def _status(today: date, due: date, until: date) -> str:
    if today < due:
        return "upcoming"
    return "due" if today <= until else "overdue"


def retest_schedule(
    db: sqlite_utils.Database,
    profile_id: int,
    today: date | None = None,
    *,
    horizon_days: int = 42,
) -> list[Retest]:
    """Every retest of the active plan due by `today + horizon_days`, soonest first."""
    today = today or clock.today()
    plan = active_plan(db, profile_id)
    if plan is None:
        return []
    config = plan_config()
    battery = tiers.current_tier(db).tests
    history = _valid_history(db, profile_id, today)
    last = {t: date.fromisoformat(rows[-1]["local_date"]) for t, rows in history.items()}
    horizon = today + timedelta(days=horizon_days)
    full_due = plan.cycle_start + timedelta(days=config.full_after_days)
    full_until = plan.cycle_start + timedelta(days=config.full_until_days)
    found: list[Retest] = []
    for test_id in sorted(battery):
        if test_id in last and last[test_id] >= full_due:
            continue  # already retaken for this reassessment
        if full_due <= horizon:
            found.append(_retest("full", test_id, full_due, full_until, last, today))
    key_tests = sorted({t for area in plan.problem_areas for t in area["tests"]} & set(battery))
    for test_id in key_tests:
        if test_id not in last:
            continue
        due = last[test_id] + timedelta(days=config.quick_every_days)
        if last[test_id] < full_due <= due:
            continue  # the full reassessment covers it
        if due <= horizon:
            until = due + timedelta(days=config.quick_grace_days)
            found.append(_retest("quick", test_id, due, until, last, today))
    found.sort(key=lambda r: (r.due_on, r.kind != "quick", r.test_id))
    return found


def _retest(
    kind: str, test_id: int, due: date, until: date, last: dict[int, date], today: date
) -> Retest:
    spec = find_test(test_id)
    return Retest(
        kind=kind,
        test_id=test_id,
        test_slug=spec.slug,
        test_name=spec.name,
        due_on=due,
        until=until,
        status=_status(today, due, until),
        last_taken=last.get(test_id),
    )


def retests_due(
    db: sqlite_utils.Database, profile_id: int, today: date | None = None
) -> list[Retest]:
    """Retests due now or overdue (for the dashboard and today's calendar)."""
    return [r for r in retest_schedule(db, profile_id, today) if r.status != "upcoming"]
