"""The numbers of data/plans.toml, read once and checked."""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import Any

from flowlogic.catalog import load_data_toml
from flowlogic.exercises import PHASES


def _value(entry: Any) -> Any:
    return entry["value"] if isinstance(entry, dict) else entry


@dataclass(frozen=True)
class PhaseSpec:
    key: str
    name: str
    focus: str
    days: int


@dataclass(frozen=True)
class KindSpec:
    key: str  # "lite" | "full"
    feature: str
    focus_areas: int
    exercises_per_area: int
    max_tasks_per_day: int


@dataclass(frozen=True)
class PlanConfig:
    phases: tuple[PhaseSpec, ...]
    borrow: dict[str, tuple[str, ...]]
    kinds: dict[str, KindSpec]
    min_tasks_per_day: int
    musts: int
    week_ahead_days: int
    late_completion_days: int
    block_days: int
    raise_at_completion: float
    max_level: int
    new_cycle_after_days: int
    full_day: float
    good_day: float
    full_day_points: int
    good_day_points: int
    quick_every_days: int
    quick_grace_days: int
    full_after_days: int
    full_until_days: int
    good_pct: float
    adjust_below_pct: float
    worse_below_pct: float
    advice: dict[str, str]
    maintenance_areas: tuple[str, ...]
    maintenance_note: str

    def phase(self, key: str) -> PhaseSpec:
        return next(p for p in self.phases if p.key == key)


@cache
def plan_config() -> PlanConfig:
    raw = load_data_toml("plans.toml")
    phases = tuple(
        PhaseSpec(p["key"], p["name"], p["focus"], int(_value(p["days"]))) for p in raw["phases"]
    )
    if tuple(p.key for p in phases) != PHASES:
        raise ValueError(f"plans.toml: phases must be {PHASES} in this order")
    kinds = {
        key: KindSpec(
            key,
            entry["feature"],
            int(_value(entry["focus_areas"])),
            int(_value(entry["exercises_per_area"])),
            int(_value(entry["max_tasks_per_day"])),
        )
        for key, entry in raw["kinds"].items()
    }
    cal, diff, streaks = raw["calendar"], raw["difficulty"], raw["streaks"]
    retests, progress = raw["retests"], raw["progress"]
    config = PlanConfig(
        phases=phases,
        borrow={k: tuple(v) for k, v in raw["borrow"].items()},
        kinds=kinds,
        min_tasks_per_day=int(_value(cal["min_tasks_per_day"])),
        musts=int(_value(cal["musts"])),
        week_ahead_days=int(_value(cal["week_ahead_days"])),
        late_completion_days=int(_value(cal["late_completion_days"])),
        block_days=int(_value(diff["block_days"])),
        raise_at_completion=float(_value(diff["raise_at_completion"])),
        max_level=int(_value(diff["max_level"])),
        new_cycle_after_days=int(_value(raw["cycle"]["new_cycle_after_days"])),
        full_day=float(_value(streaks["full_day"])),
        good_day=float(_value(streaks["good_day"])),
        full_day_points=int(streaks["full_day_points"]),
        good_day_points=int(streaks["good_day_points"]),
        quick_every_days=int(_value(retests["quick_every_days"])),
        quick_grace_days=int(_value(retests["quick_grace_days"])),
        full_after_days=int(_value(retests["full_after_days"])),
        full_until_days=int(_value(retests["full_until_days"])),
        good_pct=float(_value(progress["good_pct"])),
        adjust_below_pct=float(_value(progress["adjust_below_pct"])),
        worse_below_pct=float(_value(progress["worse_below_pct"])),
        advice=dict(progress["advice"]),
        maintenance_areas=tuple(raw["maintenance"]["areas"]),
        maintenance_note=str(raw["maintenance"]["note"]),
    )
    for kind in config.kinds.values():
        if not config.min_tasks_per_day <= kind.max_tasks_per_day <= 4:
            raise ValueError(f"plans.toml: {kind.key} max_tasks_per_day must be 2..4")
    return config


@cache
def retention_config() -> dict[str, Any]:
    return load_data_toml("retention.toml")


def value(entry: Any) -> Any:
    """A threshold's value (tables with value/unit/source) or the plain value."""
    return _value(entry)
