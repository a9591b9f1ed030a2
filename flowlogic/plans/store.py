"""Plan versions in SQLite: one active plan per profile, older versions kept (superseded).

Tables from migration 3: plans, plan_items, problem_areas (snapshot per plan).
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

import sqlite_utils

from flowlogic import clock
from flowlogic.audit import record_event
from flowlogic.errors import NotFound
from flowlogic.interpret import ProblemArea
from flowlogic.plans.model import Phase, Plan, PlanExercise
from flowlogic.store.tx import transaction


def _phase_from_dict(data: dict[str, Any], item_ids: dict[tuple[str, int], int]) -> Phase:
    exercises = tuple(
        PlanExercise(
            exercise_id=e["exercise_id"],
            name=e["name"],
            area=e["area"],
            role=e["role"],
            level=int(e["level"]),
            dosage=e["dosage"],
            minutes=float(e["minutes"]),
            item_id=item_ids.get((data["key"], position)),
        )
        for position, e in enumerate(data["exercises"])
    )
    return Phase(
        key=data["key"],
        name=data["name"],
        focus=data["focus"],
        start_date=date.fromisoformat(data["start_date"]),
        end_date=date.fromisoformat(data["end_date"]),
        focus_areas=tuple(a["key"] for a in data["focus_areas"]),
        exercises=exercises,
        tasks_per_day=int(data["tasks_per_day"]),
    )


def _plan_from_row(db: sqlite_utils.Database, row: dict[str, Any]) -> Plan:
    body = json.loads(row["plan_json"])
    item_ids = {
        (r["phase"], int(r["position"])): int(r["id"])
        for r in db.query(
            "SELECT id, phase, position FROM plan_items WHERE plan_id = ?", [row["id"]]
        )
    }
    return Plan(
        id=int(row["id"]),
        profile_id=int(row["profile_id"]),
        version=int(row["version"]),
        created_at=row["created_at"],
        tier_kind=row["kind"],
        status=row["status"],
        reason=row["reason"],
        cycle_start=date.fromisoformat(row["cycle_start"]),
        start_date=date.fromisoformat(row["start_date"]),
        end_date=date.fromisoformat(row["end_date"]),
        start_level=int(row["start_level"]),
        phases=tuple(_phase_from_dict(p, item_ids) for p in body["phases"]),
        problem_areas=tuple(body["problem_areas"]),
        paused=tuple(body.get("paused", [])),
        maintenance=bool(body.get("maintenance", False)),
        notes=tuple(body.get("notes", [])),
        basis=tuple(json.loads(row["basis_json"])),
    )


def get_plan(db: sqlite_utils.Database, plan_id: int) -> Plan:
    rows = list(db.query("SELECT * FROM plans WHERE id = ?", [plan_id]))
    if not rows:
        raise NotFound(f"No plan with id {plan_id}.")
    return _plan_from_row(db, rows[0])


def active_plan(db: sqlite_utils.Database, profile_id: int) -> Plan | None:
    """The profile's active plan (whatever the tier: callers decide what to show)."""
    rows = list(
        db.query("SELECT * FROM plans WHERE profile_id = ? AND status = 'active'", [profile_id])
    )
    return _plan_from_row(db, rows[0]) if rows else None


def plan_versions(db: sqlite_utils.Database, profile_id: int) -> list[Plan]:
    """Every version of the profile's plan, newest first."""
    return [
        _plan_from_row(db, row)
        for row in db.query(
            "SELECT * FROM plans WHERE profile_id = ? ORDER BY version DESC", [profile_id]
        )
    ]


def plan_in_effect(db: sqlite_utils.Database, profile_id: int, day: date) -> Plan | None:
    """The version that governs a day: the newest one that had started by then."""
    rows = list(
        db.query(
            "SELECT * FROM plans WHERE profile_id = ? AND start_date <= ? "
            "ORDER BY version DESC LIMIT 1",
            [profile_id, day.isoformat()],
        )
    )
    return _plan_from_row(db, rows[0]) if rows else None


def save_plan(
    db: sqlite_utils.Database,
    plan: Plan,
    areas: list[ProblemArea],
    *,
    today: date,
) -> Plan:
    """Store `plan` as the profile's new active version; the previous one is superseded
    (kept), and its open tasks from the new start date on are set aside."""
    now = clock.iso(clock.now_utc())
    with transaction(db):
        row = db.execute(
            "SELECT COALESCE(MAX(version), 0) FROM plans WHERE profile_id = ?", [plan.profile_id]
        ).fetchone()
        version = int(row[0]) + 1
        db.execute(
            "UPDATE plans SET status = 'superseded', superseded_at = ? "
            "WHERE profile_id = ? AND status = 'active'",
            [now, plan.profile_id],
        )
        db.execute(
            "UPDATE calendar_tasks SET status = 'superseded' "
            "WHERE profile_id = ? AND status IN ('open', 'dropped') AND day >= ?",
            [plan.profile_id, plan.start_date.isoformat()],
        )
        body = plan.to_dict()
        table = db["plans"]
        table.insert(
            {
                "profile_id": plan.profile_id,
                "version": version,
                "kind": plan.tier_kind,
                "status": "active",
                "created_at": now,
                "reason": plan.reason,
                "cycle_start": plan.cycle_start.isoformat(),
                "start_date": plan.start_date.isoformat(),
                "end_date": plan.end_date.isoformat(),
                "start_level": plan.start_level,
                "basis_json": json.dumps(list(plan.basis)),
                "plan_json": json.dumps(
                    {
                        "phases": body["phases"],
                        "problem_areas": body["problem_areas"],
                        "paused": body["paused"],
                        "maintenance": plan.maintenance,
                        "notes": body["notes"],
                    }
                ),
            }
        )
        plan_id = int(table.last_pk)
        db["plan_items"].insert_all(
            [
                {
                    "plan_id": plan_id,
                    "phase": phase.key,
                    "position": position,
                    "exercise_id": item.exercise_id,
                    "area_key": item.area,
                    "role": item.role,
                    "level": item.level,
                }
                for phase in plan.phases
                for position, item in enumerate(phase.exercises)
            ]
        )
        snapshot_problem_areas(db, plan.profile_id, areas, today=today, plan_id=plan_id)
        record_event(
            db,
            "plan.created",
            profile_id=plan.profile_id,
            details={"version": version, "kind": plan.tier_kind, "reason": plan.reason},
        )
    return get_plan(db, plan_id)


def snapshot_problem_areas(
    db: sqlite_utils.Database,
    profile_id: int,
    areas: list[ProblemArea],
    *,
    today: date,
    plan_id: int | None = None,
) -> None:
    """Keep the problem areas as they were on `today` (history for reports)."""
    now = clock.iso(clock.now_utc())
    db["problem_areas"].insert_all(
        [
            {
                "profile_id": profile_id,
                "plan_id": plan_id,
                "taken_at": now,
                "local_date": today.isoformat(),
                "rank": rank,
                "area_key": area.key,
                "name": area.name,
                "priority": area.priority,
                "why": area.why,
                "tests_json": json.dumps(list(area.tests)),
                "flags_json": json.dumps(list(area.flags)),
                "rule": area.rule,
                "confirmed": int(area.confirmed),
            }
            for rank, area in enumerate(areas, 1)
        ]
    )


def problem_area_history(db: sqlite_utils.Database, profile_id: int) -> list[dict[str, Any]]:
    """Every stored snapshot row, oldest first."""
    rows = []
    for row in db.query(
        "SELECT * FROM problem_areas WHERE profile_id = ? ORDER BY local_date, id", [profile_id]
    ):
        item = dict(row)
        item["tests"] = json.loads(item.pop("tests_json"))
        item["flags"] = json.loads(item.pop("flags_json"))
        item["confirmed"] = bool(item["confirmed"])
        rows.append(item)
    return rows
