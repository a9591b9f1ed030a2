"""Pro+ retention (PRODUCT.md §7): micro-reflection, one micro-coaching insight, badges,
auto-adaptation after red days (with undo). Thresholds and texts: data/retention.toml and
data/badges.toml. Tier checks are the caller's (`tiers.require_feature(db, "retention")`);
nothing here deletes data, so a downgrade only hides it.
"""

from __future__ import annotations

import json
from collections import Counter, defaultdict
from datetime import date, timedelta
from functools import cache
from typing import Any

import sqlite_utils

from flowlogic import clock, tiers
from flowlogic.audit import record_event
from flowlogic.catalog import load_data_toml
from flowlogic.errors import UsageError
from flowlogic.exercises import find_exercise
from flowlogic.interpret import latest_valid_results
from flowlogic.plans.calendar import (
    day_stats,
    days,
    ensure_day,
    streaks,
    tasks_done_count,
    tasks_per_day,
)
from flowlogic.plans.config import plan_config, retention_config, value
from flowlogic.plans.model import Adaptation, Badge, Reflection
from flowlogic.plans.progress import progress
from flowlogic.plans.store import plan_in_effect
from flowlogic.store.tx import transaction

WEEKDAYS = ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday")

# --- reflection -------------------------------------------------------------------------


def reflect(
    db: sqlite_utils.Database,
    profile_id: int,
    day: date,
    rating: int,
    note: str | None = None,
) -> Reflection:
    """Record how the session felt (0–10, optional short note). One per day: a second
    reflection on the same day replaces the first."""
    cfg = retention_config()["reflection"]
    low, high = int(cfg["min_rating"]), int(cfg["max_rating"])
    if isinstance(rating, bool) or not isinstance(rating, int) or not low <= rating <= high:
        raise UsageError(f"The rating must be a whole number from {low} to {high}.")
    note = (note or "").strip() or None
    limit = int(value(cfg["note_max_chars"]))
    if note and len(note) > limit:
        raise UsageError(f"Keep the note to {limit} characters (it has {len(note)}).")
    now = clock.iso(clock.now_utc())
    with transaction(db):
        db.execute(
            "INSERT INTO reflections (profile_id, day, rating, note, created_at) "
            "VALUES (?, ?, ?, ?, ?) ON CONFLICT (profile_id, day) DO UPDATE SET "
            "rating = excluded.rating, note = excluded.note, created_at = excluded.created_at",
            [profile_id, day.isoformat(), rating, note, now],
        )
        record_event(db, "reflection.saved", profile_id=profile_id, details={"rating": rating})
    return Reflection(day, rating, note, now)


def reflections(
    db: sqlite_utils.Database,
    profile_id: int,
    start: date | None = None,
    end: date | None = None,
) -> list[Reflection]:
    rows = db.query(
        "SELECT day, rating, note, created_at FROM reflections WHERE profile_id = ? "
        "AND day BETWEEN ? AND ? ORDER BY day",
        [profile_id, (start or date.min).isoformat(), (end or date.max).isoformat()],
    )
    return [
        Reflection(date.fromisoformat(r["day"]), int(r["rating"]), r["note"], r["created_at"])
        for r in rows
    ]


# --- auto-adaptation --------------------------------------------------------------------


def _adaptation(row: dict[str, Any]) -> Adaptation:
    start = date.fromisoformat(row["start_day"])
    message = retention_config()["adaptation"]["message"].format(
        days=len(json.loads(row["red_days_json"])),
        before=row["tasks_before"],
        after=row["tasks_after"],
        start=start.isoformat(),
    )
    return Adaptation(
        id=int(row["id"]),
        plan_id=int(row["plan_id"]),
        start_day=start,
        tasks_before=int(row["tasks_before"]),
        tasks_after=int(row["tasks_after"]),
        red_days=tuple(date.fromisoformat(d) for d in json.loads(row["red_days_json"])),
        created_at=row["created_at"],
        undone_at=row["undone_at"],
        message=message,
    )


def adaptations(db: sqlite_utils.Database, profile_id: int) -> list[Adaptation]:
    """Every adaptation, newest first (undone ones included)."""
    return [
        _adaptation(dict(r))
        for r in db.query(
            "SELECT * FROM adaptations WHERE profile_id = ? ORDER BY id DESC", [profile_id]
        )
    ]


def _refresh_week(db: sqlite_utils.Database, profile_id: int, today: date) -> None:
    for day in days(today, today + timedelta(days=plan_config().week_ahead_days - 1)):
        ensure_day(db, profile_id, day)


def auto_adapt(
    db: sqlite_utils.Database, profile_id: int, today: date | None = None
) -> Adaptation | None:
    """After N red days in a row (default 3 days below 70 %) drop one task a day from today
    on, never below 2. Returns the new adaptation (its `message` tells the user), or None.
    The red days must all fall on or after the previous adaptation's start, so one bad
    stretch adapts once."""
    today = today or clock.today()
    cfg = retention_config()["adaptation"]
    count, red_below = int(value(cfg["red_days"])), float(value(cfg["red_below"]))
    window = [today - timedelta(days=n) for n in range(count, 0, -1)]
    stats = day_stats(db, profile_id, window[0], window[-1])
    if any(d not in stats or stats[d][0] / stats[d][1] >= red_below for d in window):
        return None
    history = adaptations(db, profile_id)
    if history and history[0].start_day > window[0]:
        return None
    plan = plan_in_effect(db, profile_id, today)
    if plan is None:
        return None
    before = tasks_per_day(db, plan, today)
    phase = plan.phase_on(today)
    floor = min(plan_config().min_tasks_per_day, phase.tasks_per_day if phase else 0)
    if before <= floor:
        return None
    now = clock.iso(clock.now_utc())
    with transaction(db):
        table = db["adaptations"]
        table.insert(
            {
                "profile_id": profile_id,
                "plan_id": plan.id,
                "start_day": today.isoformat(),
                "tasks_before": before,
                "tasks_after": before - 1,
                "red_days_json": json.dumps([d.isoformat() for d in window]),
                "created_at": now,
                "undone_at": None,
            }
        )
        adaptation_id = int(table.last_pk)
        record_event(
            db,
            "plan.adapted",
            profile_id=profile_id,
            details={"before": before, "after": before - 1},
        )
        _refresh_week(db, profile_id, today)
    rows = list(db.query("SELECT * FROM adaptations WHERE id = ?", [adaptation_id]))
    return _adaptation(dict(rows[0]))


def undo_adaptation(
    db: sqlite_utils.Database, profile_id: int, today: date | None = None
) -> Adaptation | None:
    """Undo the latest adaptation still in force: the dropped tasks come back from today
    on (past days stay as they were). None when there is nothing to undo."""
    today = today or clock.today()
    current = next((a for a in adaptations(db, profile_id) if a.undone_at is None), None)
    if current is None:
        return None
    with transaction(db):
        db.execute(
            "UPDATE adaptations SET undone_at = ? WHERE id = ?",
            [clock.iso(clock.now_utc()), current.id],
        )
        record_event(db, "plan.adaptation_undone", profile_id=profile_id)
        _refresh_week(db, profile_id, today)
    return next(a for a in adaptations(db, profile_id) if a.id == current.id)


# --- micro-coaching ---------------------------------------------------------------------


def _best_weekday(db: sqlite_utils.Database, profile_id: int, today: date) -> str | None:
    cfg = retention_config()["insights"]["best_weekday"]
    start = today - timedelta(days=int(value(cfg["lookback_days"])))
    stats = day_stats(db, profile_id, start, today - timedelta(days=1))
    if len(stats) < int(value(cfg["min_days"])):
        return None
    by_weekday: dict[int, list[float]] = defaultdict(list)
    for day, (done, total) in stats.items():
        by_weekday[day.weekday()].append(done / total)
    overall = sum(done / total for done, total in stats.values()) / len(stats)
    means = {wd: sum(v) / len(v) for wd, v in by_weekday.items()}
    best = max(sorted(means), key=lambda wd: means[wd])
    if (means[best] - overall) * 100 < float(value(cfg["min_lead_pct"])):
        return None
    return cfg["text"].format(weekday=WEEKDAYS[best], pct=round(means[best] * 100))


def _most_skipped(db: sqlite_utils.Database, profile_id: int, today: date) -> str | None:
    cfg = retention_config()["insights"]["most_skipped"]
    start = today - timedelta(days=int(value(cfg["lookback_days"])))
    skipped = Counter(
        r["exercise_id"]
        for r in db.query(
            "SELECT i.exercise_id FROM calendar_tasks t JOIN plan_items i "
            "ON i.id = t.plan_item_id WHERE t.profile_id = ? AND t.status = 'open' "
            "AND t.day >= ? AND t.day < ?",
            [profile_id, start.isoformat(), today.isoformat()],
        )
    )
    if not skipped:
        return None
    exercise_id, skips = min(skipped.items(), key=lambda kv: (-kv[1], kv[0]))
    if skips < int(value(cfg["min_skips"])):
        return None
    return cfg["text"].format(exercise=find_exercise(exercise_id).name, skips=skips)


def _near_record(db: sqlite_utils.Database, profile_id: int, today: date) -> str | None:
    cfg = retention_config()["insights"]["near_record"]
    s = streaks(db, profile_id, today)
    gap = s.longest - s.current
    if s.current < int(value(cfg["min_current"])) or not 0 < gap <= int(value(cfg["max_gap"])):
        return None
    return cfg["text"].format(gap=gap, longest=s.longest)


def _rating_up(db: sqlite_utils.Database, profile_id: int, today: date) -> str | None:
    cfg = retention_config()["insights"]["rating_up"]
    this_week = reflections(db, profile_id, today - timedelta(days=6), today)
    last_week = reflections(db, profile_id, today - timedelta(days=13), today - timedelta(days=7))
    if not this_week or not last_week:
        return None
    before = sum(r.rating for r in last_week) / len(last_week)
    after = sum(r.rating for r in this_week) / len(this_week)
    if after - before < float(value(cfg["min_rise"])):
        return None
    return cfg["text"].format(before=f"{before:.1f}", after=f"{after:.1f}")


def _improvement(db: sqlite_utils.Database, profile_id: int, today: date) -> str | None:
    cfg = retention_config()["insights"]["improvement"]
    good = [p for p in progress(db, profile_id, today) if p.change_pct >= plan_config().good_pct]
    if not good:
        return None
    best = max(good, key=lambda p: (p.change_pct, -p.test_id))
    return cfg["text"].format(test=best.test_name, pct=round(best.change_pct))


INSIGHTS = (_best_weekday, _most_skipped, _near_record, _rating_up, _improvement)


def insights(db: sqlite_utils.Database, profile_id: int, today: date | None = None) -> list[str]:
    """Every insight the data supports today, in a fixed order."""
    today = today or clock.today()
    found = (make(db, profile_id, today) for make in INSIGHTS)
    return [text for text in found if text]


def insight(db: sqlite_utils.Database, profile_id: int, today: date | None = None) -> str | None:
    """One insight for the dashboard: the day picks one of the candidates in turn."""
    today = today or clock.today()
    found = insights(db, profile_id, today)
    return found[today.toordinal() % len(found)] if found else None


# --- badges -----------------------------------------------------------------------------


@cache
def badge_specs() -> tuple[dict[str, Any], ...]:
    specs = tuple(load_data_toml("badges.toml")["badges"])
    known = {
        "valid_tests",
        "full_battery",
        "longest_streak",
        "perfect_run",
        "tasks_done",
        "improvement_pct",
        "reflections",
    }
    keys = [s["key"] for s in specs]
    if len(set(keys)) != len(keys) or any(s["kind"] not in known for s in specs):
        raise ValueError("badges.toml: duplicate key or unknown kind")
    return specs


def _perfect_run(db: sqlite_utils.Database, profile_id: int, today: date) -> int:
    stats = day_stats(db, profile_id, date.min, today)
    run = best = 0
    if not stats:
        return 0
    for day in days(min(stats), today):
        done, total = stats.get(day, (0, 0))
        run = run + 1 if total and done == total else 0
        best = max(best, run)
    return best


def badge_measures(db: sqlite_utils.Database, profile_id: int, today: date) -> dict[str, float]:
    """The number each badge kind compares with its threshold."""
    valid = db.execute(
        "SELECT COUNT(*) FROM assessments WHERE profile_id = ? AND status = 'valid' "
        "AND local_date <= ?",
        [profile_id, today.isoformat()],
    ).fetchone()[0]
    battery = set(tiers.current_tier(db).tests)
    recent = {r["test_id"] for r in latest_valid_results(db, profile_id, today=today)}
    changes = [p.change_pct for p in progress(db, profile_id, today) if p.verdict != "baseline"]
    count = db.execute(
        "SELECT COUNT(*) FROM reflections WHERE profile_id = ?", [profile_id]
    ).fetchone()[0]
    return {
        "valid_tests": float(valid),
        "full_battery": len(recent & battery) / len(battery) if battery else 0.0,
        "longest_streak": float(streaks(db, profile_id, today).longest),
        "perfect_run": float(_perfect_run(db, profile_id, today)),
        "tasks_done": float(tasks_done_count(db, profile_id)),
        "improvement_pct": max(changes, default=0.0),
        "reflections": float(count),
    }


def _earned(db: sqlite_utils.Database, profile_id: int) -> dict[str, dict[str, Any]]:
    return {
        r["badge_key"]: dict(r)
        for r in db.query("SELECT * FROM badges WHERE profile_id = ?", [profile_id])
    }


def award_badges(
    db: sqlite_utils.Database, profile_id: int, today: date | None = None
) -> list[Badge]:
    """Store the badges newly earned; returns only those (to announce them)."""
    today = today or clock.today()
    measures = badge_measures(db, profile_id, today)
    have = _earned(db, profile_id)
    now = clock.iso(clock.now_utc())
    new = []
    with transaction(db):
        for spec in badge_specs():
            if spec["key"] in have:
                continue
            measured = measures[spec["kind"]]
            if measured >= float(value(spec["threshold"])):
                db.execute(
                    "INSERT OR IGNORE INTO badges (profile_id, badge_key, earned_at, earned_on, "
                    "details_json) VALUES (?, ?, ?, ?, ?)",
                    [
                        profile_id,
                        spec["key"],
                        now,
                        today.isoformat(),
                        json.dumps({"value": measured}),
                    ],
                )
                new.append(Badge(spec["key"], spec["name"], spec["description"], now, today))
        if new:
            record_event(
                db,
                "badge.earned",
                profile_id=profile_id,
                details={"badges": [b.key for b in new]},
            )
    return new


def all_badges(
    db: sqlite_utils.Database, profile_id: int, today: date | None = None
) -> list[Badge]:
    """Every badge in data order, earned ones with their date (after awarding new ones)."""
    award_badges(db, profile_id, today)
    have = _earned(db, profile_id)
    return [
        Badge(
            spec["key"],
            spec["name"],
            spec["description"],
            have[spec["key"]]["earned_at"] if spec["key"] in have else None,
            date.fromisoformat(have[spec["key"]]["earned_on"]) if spec["key"] in have else None,
        )
        for spec in badge_specs()
    ]


def badges(db: sqlite_utils.Database, profile_id: int, *, today: date | None = None) -> list[Badge]:
    """The badges earned so far (newly earned ones are stored first), in data order."""
    return [b for b in all_badges(db, profile_id, today) if b.earned]
