"""The rule-based plan generator (PRODUCT.md §7), pure: problem areas in, phases out.

The rules are written out at the top of data/plans.toml. Nothing here reads the database
or the clock, so the same inputs always give the same plan.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date, timedelta

from flowlogic.exercises import Exercise, load_library
from flowlogic.interpret import ProblemArea, area_spec
from flowlogic.plans.config import PlanConfig, plan_config
from flowlogic.plans.model import Phase, PlanExercise


def focus_order(area_keys: Sequence[str], phase: str) -> list[str]:
    """P1 first in the local and integration phases; P2 (patterns) first in function."""
    p1 = [k for k in area_keys if area_spec(k).priority == "P1"]
    p2 = [k for k in area_keys if area_spec(k).priority == "P2"]
    return p2 + p1 if phase == "function" else p1 + p2


def _share(total: int, parts: int) -> list[int]:
    """`total` exercises spread over `parts` areas, the first areas getting the extra."""
    return [total // parts + (1 if i < total % parts else 0) for i in range(parts)]


def pick_exercises(
    area: str,
    phase: str,
    count: int,
    *,
    taken: set[str],
    own_flags: set[str],
    library: Sequence[Exercise],
    config: PlanConfig,
) -> list[Exercise]:
    """Up to `count` exercises for an area in a phase: the ones addressing the person's own
    flags first, then library order; neighbouring phases lend when the phase has too few."""
    chosen: list[Exercise] = []
    for source in (phase, *config.borrow[phase]):
        candidates = [
            (index, e)
            for index, e in enumerate(library)
            if e.phase == source and area in e.areas and e.id not in taken
        ]
        candidates.sort(key=lambda item: (-len(own_flags & set(item[1].flags)), item[0]))
        for _, exercise in candidates:
            if len(chosen) == count:
                return chosen
            chosen.append(exercise)
            taken.add(exercise.id)
    return chosen


def build_phases(
    areas: Sequence[ProblemArea],
    *,
    kind: str,
    cycle_start: date,
    start_level: int = 1,
    paused: frozenset[str] = frozenset(),
    library: Sequence[Exercise] | None = None,
    config: PlanConfig | None = None,
) -> tuple[tuple[Phase, ...], bool]:
    """The plan's phases and whether it is a maintenance plan (no active problem area)."""
    config = config or plan_config()
    library = library if library is not None else load_library()
    spec = config.kinds[kind]
    active = [a for a in areas if a.key not in paused]
    maintenance = not active
    keys = [a.key for a in active] or list(config.maintenance_areas)
    own_flags = {flag for a in active for flag in a.flags}
    total = spec.focus_areas * spec.exercises_per_area
    level = min(max(start_level, 1), config.max_level)
    phases = []
    start = cycle_start
    for phase_spec in config.phases:
        end = start + timedelta(days=phase_spec.days - 1)
        if spec.focus_areas == 1:
            focus = [focus_order(keys, "local")[0]]  # one focus for the whole lite plan
        else:
            focus = focus_order(keys, phase_spec.key)[: spec.focus_areas]
        taken: set[str] = set()
        items: list[PlanExercise] = []
        for area, count in zip(focus, _share(total, len(focus)), strict=True):
            for exercise in pick_exercises(
                area,
                phase_spec.key,
                count,
                taken=taken,
                own_flags=own_flags,
                library=library,
                config=config,
            ):
                must = area == focus[0] and sum(i.role == "must" for i in items) < config.musts
                items.append(
                    PlanExercise(
                        exercise_id=exercise.id,
                        name=exercise.name,
                        area=area,
                        role="must" if must else "should",
                        level=level,
                        dosage=exercise.dosage(level),
                        minutes=exercise.minutes(level),
                    )
                )
        phases.append(
            Phase(
                key=phase_spec.key,
                name=phase_spec.name,
                focus=phase_spec.focus,
                start_date=start,
                end_date=end,
                focus_areas=tuple(focus),
                exercises=tuple(items),
                tasks_per_day=min(spec.max_tasks_per_day, len(items)),
            )
        )
        start = end + timedelta(days=1)
    return tuple(phases), maintenance


def select_for_day(phase: Phase, day: date, slots: int) -> list[PlanExercise]:
    """The exercises of one day: every must, then shoulds rotating day by day.

    The rotation starts from the phase's full number of should slots, so a day with one
    slot fewer (auto-adaptation) is the same list minus its last task."""
    musts = [e for e in phase.exercises if e.role == "must"]
    shoulds = [e for e in phase.exercises if e.role == "should"]
    chosen = musts[:slots]
    free = slots - len(chosen)
    if free <= 0 or not shoulds:
        return chosen
    base_free = max(phase.tasks_per_day - len(musts), 1)
    offset = ((day - phase.start_date).days * base_free) % len(shoulds)
    rotated = shoulds[offset:] + shoulds[:offset]
    return chosen + rotated[: min(free, len(shoulds))]
