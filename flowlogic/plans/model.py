"""What the plans package hands out: plain frozen dataclasses with `to_dict()`."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import date
from typing import Any


def _iso(value: date | None) -> str | None:
    return value.isoformat() if value else None


@dataclass(frozen=True)
class PlanExercise:
    exercise_id: str
    name: str
    area: str  # the problem area it is in the plan for
    role: str  # "must" | "should"
    level: int  # 1..3 at the start of the phase
    dosage: str  # "2 × 10 each side"
    minutes: float
    item_id: int | None = None  # plan_items.id once stored

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Phase:
    key: str  # local | integration | function
    name: str
    focus: str  # what the phase works on, in words
    start_date: date
    end_date: date  # the function phase carries on after this until regeneration
    focus_areas: tuple[str, ...]  # problem-area keys, most important first
    exercises: tuple[PlanExercise, ...]
    tasks_per_day: int

    def to_dict(self) -> dict[str, Any]:
        from flowlogic.interpret import area_spec

        return {
            "key": self.key,
            "name": self.name,
            "focus": self.focus,
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "focus_areas": [
                {"key": k, "name": area_spec(k).name, "priority": area_spec(k).priority}
                for k in self.focus_areas
            ],
            "exercises": [e.to_dict() for e in self.exercises],
            "tasks_per_day": self.tasks_per_day,
        }


@dataclass(frozen=True)
class Plan:
    id: int | None
    profile_id: int
    version: int
    created_at: str
    tier_kind: str  # lite | full
    status: str  # active | superseded
    reason: str  # first | retest | manual | tier | new-cycle
    cycle_start: date
    start_date: date
    end_date: date
    start_level: int
    phases: tuple[Phase, ...]
    problem_areas: tuple[dict[str, Any], ...]  # snapshot the plan was built from
    paused: tuple[dict[str, Any], ...] = ()  # areas stopped because a test got worse
    maintenance: bool = False
    notes: tuple[str, ...] = ()
    basis: tuple[dict[str, Any], ...] = ()  # the results it was built from

    def phase(self, key: str) -> Phase:
        return next(p for p in self.phases if p.key == key)

    def phase_on(self, day: date) -> Phase | None:
        """The phase a day falls in (the function phase continues after the end date)."""
        if day < self.start_date:
            return None
        for phase in self.phases:
            if phase.start_date <= day <= phase.end_date:
                return phase
        return self.phases[-1] if day > self.phases[-1].end_date else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "version": self.version,
            "created_at": self.created_at,
            "tier_kind": self.tier_kind,
            "status": self.status,
            "reason": self.reason,
            "cycle_start": self.cycle_start.isoformat(),
            "start_date": self.start_date.isoformat(),
            "end_date": self.end_date.isoformat(),
            "start_level": self.start_level,
            "maintenance": self.maintenance,
            "notes": list(self.notes),
            "problem_areas": list(self.problem_areas),
            "paused": list(self.paused),
            "phases": [p.to_dict() for p in self.phases],
            "basis": list(self.basis),
        }


@dataclass(frozen=True)
class Task:
    id: int
    profile_id: int
    plan_id: int
    plan_item_id: int
    day: date
    slot: int
    exercise_id: str
    name: str
    area: str
    phase: str
    role: str  # must | should
    level: int  # effective level on that day (difficulty rises with completion)
    dosage: str
    minutes: float
    status: str  # open | done | dropped | superseded
    completed_at: str | None

    @property
    def done(self) -> bool:
        return self.status == "done"

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        data["done"] = self.done
        return data


@dataclass(frozen=True)
class Streaks:
    current: int  # consecutive days ≥ 70 % up to today (yesterday while today is open)
    longest: int
    points: int  # +2 for 100 % days, +1 for 70–99 %, 0 below

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@dataclass(frozen=True)
class Retest:
    kind: str  # quick | full
    test_id: int
    test_slug: str
    test_name: str
    due_on: date
    until: date  # after this it is overdue
    status: str  # upcoming | due | overdue
    last_taken: date | None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["due_on"] = self.due_on.isoformat()
        data["until"] = self.until.isoformat()
        data["last_taken"] = _iso(self.last_taken)
        return data


@dataclass(frozen=True)
class TestProgress:
    test_id: int
    test_slug: str
    test_name: str
    baseline_score: int
    baseline_date: date
    latest_score: int
    latest_date: date
    change_pct: float  # against the baseline score
    days: int  # between baseline and latest
    verdict: str  # baseline | good | on_track | adjust | worse
    advice: str
    areas: tuple[str, ...] = field(default=())  # problem areas measured by this test

    __test__ = False

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["baseline_date"] = self.baseline_date.isoformat()
        data["latest_date"] = self.latest_date.isoformat()
        data["areas"] = list(self.areas)
        return data


@dataclass(frozen=True)
class Badge:
    key: str
    name: str
    description: str
    earned_at: str | None  # None: not earned yet
    earned_on: date | None = None

    @property
    def earned(self) -> bool:
        return self.earned_at is not None

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["earned_on"] = _iso(self.earned_on)
        data["earned"] = self.earned
        return data


@dataclass(frozen=True)
class Adaptation:
    id: int
    plan_id: int
    start_day: date
    tasks_before: int
    tasks_after: int
    red_days: tuple[date, ...]
    created_at: str
    undone_at: str | None
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["start_day"] = self.start_day.isoformat()
        data["red_days"] = [d.isoformat() for d in self.red_days]
        return data


@dataclass(frozen=True)
class Reflection:
    day: date
    rating: int
    note: str | None
    created_at: str

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["day"] = self.day.isoformat()
        return data
