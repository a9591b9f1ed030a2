"""The daily calendar (PRODUCT.md §7): tasks from the plan, completion, streaks, difficulty.

Tasks are written for today and the week ahead when asked for (`tasks_for_day`,
`week_ahead`), from the plan version in effect on each day. Past days are never rewritten:
what was on the list then, and what was ticked off, stays. A task is completed at most once
(an UPDATE guarded by its status), and undo reopens it.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from typing import Any

import sqlite_utils

from flowlogic import clock
from flowlogic.audit import record_event
from flowlogic.errors import NotFound, UsageError
from flowlogic.exercises import find_exercise
from flowlogic.plans.config import plan_config
from flowlogic.plans.generator import select_for_day
from flowlogic.plans.model import Plan, Streaks, Task
from flowlogic.plans.store import get_plan, plan_in_effect
from flowlogic.store.tx import transaction

VISIBLE = ("open", "done")


def days(start: date, end: date) -> Iterator[date]:
    day = start
    while day <= end:
        yield day
        day += timedelta(days=1)


# --- completion statistics --------------------------------------------------------------


def day_stats(
    db: sqlite_utils.Database, profile_id: int, start: date, end: date
) -> dict[date, tuple[int, int]]:
    """(done, total) for each day in [start, end] that has tasks."""
    rows = db.query(
        "SELECT day, SUM(status = 'done') AS done, COUNT(*) AS total FROM calendar_tasks "
        "WHERE profile_id = ? AND status IN ('open', 'done') AND day BETWEEN ? AND ? "
        "GROUP BY day",
        [profile_id, start.isoformat(), end.isoformat()],
    )
    return {date.fromisoformat(r["day"]): (int(r["done"]), int(r["total"])) for r in rows}


def day_completion(db: sqlite_utils.Database, profile_id: int, day: date) -> float:
    """Share of the day's tasks that are done (0.0 when the day has no tasks)."""
    done, total = day_stats(db, profile_id, day, day).get(day, (0, 0))
    return done / total if total else 0.0


def completion_series(
    db: sqlite_utils.Database, profile_id: int, start: date, end: date
) -> list[tuple[date, float]]:
    """(day, completion 0–1) for every day in [start, end] that has tasks, oldest first.
    Days without tasks (before the plan, or while the calendar was hidden) are left out."""
    stats = day_stats(db, profile_id, start, end)
    return [(day, done / total) for day, (done, total) in sorted(stats.items())]


def day_points(completion: float) -> int:
    config = plan_config()
    if completion >= config.full_day:
        return config.full_day_points
    if completion >= config.good_day:
        return config.good_day_points
    return 0


def _first_task_day(db: sqlite_utils.Database, profile_id: int) -> date | None:
    row = db.execute(
        "SELECT MIN(day) FROM calendar_tasks WHERE profile_id = ? AND status IN ('open', 'done')",
        [profile_id],
    ).fetchone()
    return date.fromisoformat(row[0]) if row and row[0] else None


def streak_series(
    db: sqlite_utils.Database, profile_id: int, start: date, end: date
) -> list[tuple[date, int]]:
    """The streak length at the end of each day in [start, end] (for the streak chart)."""
    first = _first_task_day(db, profile_id)
    if first is None:
        return [(day, 0) for day in days(start, end)]
    stats = day_stats(db, profile_id, min(first, start), end)
    good = plan_config().good_day
    run, series = 0, []
    for day in days(min(first, start), end):
        done, total = stats.get(day, (0, 0))
        run = run + 1 if total and done / total >= good else 0
        if day >= start:
            series.append((day, run))
    return series


def streaks(db: sqlite_utils.Database, profile_id: int, today: date | None = None) -> Streaks:
    """Current streak (consecutive days ≥ 70 % up to today; while today is below 70 % it
    still counts up to yesterday), longest streak, and points (+2 / +1 / 0 per day)."""
    today = today or clock.today()
    first = _first_task_day(db, profile_id)
    if first is None or first > today:
        return Streaks(0, 0, 0)
    stats = day_stats(db, profile_id, first, today)
    good = plan_config().good_day
    run = longest = points = 0
    runs: dict[date, int] = {}
    for day in days(first, today):
        done, total = stats.get(day, (0, 0))
        completion = done / total if total else 0.0
        run = run + 1 if total and completion >= good else 0
        runs[day] = run
        longest = max(longest, run)
        points += day_points(completion) if total else 0
    current = runs[today] or runs.get(today - timedelta(days=1), 0)
    return Streaks(current=current, longest=longest, points=points)


# --- difficulty -------------------------------------------------------------------------


def level_bumps(db: sqlite_utils.Database, plan: Plan, day: date) -> int:
    """How many finished 2-week blocks of the cycle before `day` reached ≥ 90 %
    completion: each one raises the difficulty by a level."""
    config = plan_config()
    block = config.block_days
    finished = max((day - plan.cycle_start).days // block, 0)
    if not finished:
        return 0
    stats = day_stats(
        db,
        plan.profile_id,
        plan.cycle_start,
        plan.cycle_start + timedelta(days=finished * block - 1),
    )
    bumps = 0
    for k in range(finished):
        first = plan.cycle_start + timedelta(days=k * block)
        inside = [stats[d] for d in days(first, first + timedelta(days=block - 1)) if d in stats]
        done = sum(d for d, _ in inside)
        total = sum(t for _, t in inside)
        if total and done / total >= config.raise_at_completion:
            bumps += 1
    return bumps


def effective_level(db: sqlite_utils.Database, plan: Plan, day: date) -> int:
    return min(plan.start_level + level_bumps(db, plan, day), plan_config().max_level)


# --- writing the calendar ---------------------------------------------------------------


def active_adaptations(db: sqlite_utils.Database, profile_id: int, day: date) -> list[int]:
    """Ids of the adaptations (not undone) in force on `day`, newest first."""
    return [
        int(r["id"])
        for r in db.query(
            "SELECT id FROM adaptations WHERE profile_id = ? AND undone_at IS NULL "
            "AND start_day <= ? ORDER BY id DESC",
            [profile_id, day.isoformat()],
        )
    ]


def tasks_per_day(db: sqlite_utils.Database, plan: Plan, day: date) -> int:
    """The day's number of tasks: the phase's, one fewer for each adaptation in force,
    never below the minimum (or the phase's own count if that is smaller)."""
    phase = plan.phase_on(day)
    if phase is None:
        return 0
    base = phase.tasks_per_day
    floor = min(plan_config().min_tasks_per_day, base)
    return max(base - len(active_adaptations(db, plan.profile_id, day)), floor)


def ensure_day(db: sqlite_utils.Database, profile_id: int, day: date) -> None:
    """Bring one (present or future) day in line with the plan in effect."""
    plan = plan_in_effect(db, profile_id, day)
    existing = [
        dict(r)
        for r in db.query(
            "SELECT id, plan_id, plan_item_id, status FROM calendar_tasks "
            "WHERE profile_id = ? AND day = ?",
            [profile_id, day.isoformat()],
        )
    ]
    phase = plan.phase_on(day) if plan else None
    wanted = select_for_day(phase, day, tasks_per_day(db, plan, day)) if plan and phase else []
    wanted_ids = [int(item.item_id) for item in wanted if item.item_id is not None]
    adaptation = next(iter(active_adaptations(db, profile_id, day)), None)
    now = clock.iso(clock.now_utc())
    have = {row["plan_item_id"] for row in existing}
    with transaction(db):
        for row in existing:
            if row["status"] not in ("open", "dropped"):
                continue
            if plan is None or row["plan_id"] != plan.id:
                new_status, adapt = "superseded", None
            elif row["plan_item_id"] in wanted_ids:
                new_status, adapt = "open", None
            else:
                new_status, adapt = "dropped", adaptation
            if new_status != row["status"]:
                db.execute(
                    "UPDATE calendar_tasks SET status = ?, adaptation_id = ? WHERE id = ?",
                    [new_status, adapt, row["id"]],
                )
        rows = [
            {
                "profile_id": profile_id,
                "plan_id": plan.id,
                "plan_item_id": item.item_id,
                "day": day.isoformat(),
                "slot": slot,
                "role": item.role,
                "status": "open",
                "created_at": now,
            }
            for slot, item in enumerate(wanted)
            if plan and item.item_id not in have
        ]
        if rows:
            db["calendar_tasks"].insert_all(rows)


def schedule(db: sqlite_utils.Database, profile_id: int, start: date, end: date) -> None:
    """Write the tasks of [start, end] (only today and later days are ever touched)."""
    today = clock.today()
    for day in days(max(start, today), end):
        ensure_day(db, profile_id, day)


def _task_from_row(row: dict[str, Any], level: int) -> Task:
    """A task row joined with its plan item (exercise_id, area_key, phase)."""
    exercise = find_exercise(row["exercise_id"])
    return Task(
        id=int(row["id"]),
        profile_id=int(row["profile_id"]),
        plan_id=int(row["plan_id"]),
        plan_item_id=int(row["plan_item_id"]),
        day=date.fromisoformat(row["day"]),
        slot=int(row["slot"]),
        exercise_id=exercise.id,
        name=exercise.name,
        area=row["area_key"],
        phase=row["phase"],
        role=row["role"],
        level=level,
        dosage=exercise.dosage(level),
        minutes=exercise.minutes(level),
        status=row["status"],
        completed_at=row["completed_at"],
    )


def _load_tasks(
    db: sqlite_utils.Database, where: str, params: list[Any], statuses: tuple[str, ...] = VISIBLE
) -> list[Task]:
    marks = ", ".join("?" for _ in statuses)
    rows = [
        dict(r)
        for r in db.query(
            "SELECT t.*, i.exercise_id, i.area_key, i.level AS item_level, i.phase "
            "FROM calendar_tasks t JOIN plan_items i ON i.id = t.plan_item_id "
            f"WHERE {where} AND t.status IN ({marks}) ORDER BY t.day, t.slot, t.id",
            [*params, *statuses],
        )
    ]
    plans: dict[int, Plan] = {}
    bumps: dict[tuple[int, date], int] = {}
    tasks = []
    for row in rows:
        plan = plans.setdefault(row["plan_id"], get_plan(db, row["plan_id"]))
        day = date.fromisoformat(row["day"])
        if (plan.id, day) not in bumps:
            bumps[(plan.id, day)] = level_bumps(db, plan, day)
        level = min(int(row["item_level"]) + bumps[(plan.id, day)], plan_config().max_level)
        tasks.append(_task_from_row(row, level))
    return tasks


def tasks_for_day(
    db: sqlite_utils.Database, profile_id: int, day: date, *, today: date | None = None
) -> list[Task]:
    """The day's tasks (open and done), musts first. Asking for today also writes the week
    ahead, so the calendar and missed days are there even if the app is not opened."""
    today = today or clock.today()
    if day == today:
        for ahead in days(today, today + timedelta(days=plan_config().week_ahead_days - 1)):
            ensure_day(db, profile_id, ahead)
    elif today < day < today + timedelta(days=plan_config().week_ahead_days):
        ensure_day(db, profile_id, day)
    return _load_tasks(db, "t.profile_id = ? AND t.day = ?", [profile_id, day.isoformat()])


def week_ahead(
    db: sqlite_utils.Database, profile_id: int, today: date | None = None
) -> list[tuple[date, list[Task]]]:
    """Today and the next six days with their tasks."""
    today = today or clock.today()
    tasks_for_day(db, profile_id, today, today=today)  # writes the whole week
    span = days(today, today + timedelta(days=plan_config().week_ahead_days - 1))
    return [
        (day, _load_tasks(db, "t.profile_id = ? AND t.day = ?", [profile_id, day.isoformat()]))
        for day in span
    ]


def get_task(db: sqlite_utils.Database, task_id: int) -> Task:
    tasks = _load_tasks(db, "t.id = ?", [task_id], ("open", "done", "dropped", "superseded"))
    if not tasks:
        raise NotFound(f"No task {task_id}. See `flowlogic today`.")
    return tasks[0]


def _check_task(task: Task, profile_id: int | None, today: date) -> None:
    if profile_id is not None and task.profile_id != profile_id:
        raise NotFound(f"No task {task.id} for this profile. See `flowlogic today`.")
    if task.status in ("dropped", "superseded"):
        raise UsageError(f"Task {task.id} is no longer on your list (the plan changed).")
    if task.day > today:
        raise UsageError(f"Task {task.id} is for {task.day.isoformat()}; it can't be ticked yet.")
    late = plan_config().late_completion_days
    if task.day < today - timedelta(days=late):
        raise UsageError(
            f"Task {task.id} was for {task.day.isoformat()}; tasks can be changed for up to "
            f"{late} days afterwards."
        )


def complete_task(
    db: sqlite_utils.Database,
    task_id: int,
    *,
    profile_id: int | None = None,
    today: date | None = None,
) -> Task:
    """Tick a task off. Completing a task that is already done is refused."""
    today = today or clock.today()
    task = get_task(db, task_id)
    _check_task(task, profile_id, today)
    if task.done:
        raise UsageError(f"Task {task_id} is already done (at {task.completed_at}).")
    with transaction(db):
        cursor = db.execute(
            "UPDATE calendar_tasks SET status = 'done', completed_at = ? "
            "WHERE id = ? AND status = 'open'",
            [clock.iso(clock.now_utc()), task_id],
        )
        if cursor.rowcount != 1:
            raise UsageError(f"Task {task_id} is already done.")
        record_event(db, "task.completed", profile_id=task.profile_id, details={"task": task_id})
    return get_task(db, task_id)


def undo_task(
    db: sqlite_utils.Database,
    task_id: int,
    *,
    profile_id: int | None = None,
    today: date | None = None,
) -> Task:
    """Untick a done task."""
    today = today or clock.today()
    task = get_task(db, task_id)
    _check_task(task, profile_id, today)
    if not task.done:
        raise UsageError(f"Task {task_id} is not done, so there is nothing to undo.")
    with transaction(db):
        db.execute(
            "UPDATE calendar_tasks SET status = 'open', completed_at = NULL "
            "WHERE id = ? AND status = 'done'",
            [task_id],
        )
        record_event(db, "task.undone", profile_id=task.profile_id, details={"task": task_id})
    return get_task(db, task_id)


def tasks_done_count(db: sqlite_utils.Database, profile_id: int) -> int:
    row = db.execute(
        "SELECT COUNT(*) FROM calendar_tasks WHERE profile_id = ? AND status = 'done'",
        [profile_id],
    ).fetchone()
    return int(row[0])
