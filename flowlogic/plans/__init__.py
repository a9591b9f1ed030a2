"""Plans, calendar, streaks, retests, progress and Pro+ retention (PRODUCT.md §7).

- generator: the pure plan rules (problem areas -> phases and exercises)
- lifecycle: first plan, regeneration (after retests, on request, on a tier change)
- store: plan versions in SQLite (one active, older ones kept)
- calendar: daily tasks, completion, streaks, difficulty
- progress: retests due and progress per test
- retention: reflections, insight, badges, auto-adaptation (Pro+)

The functions here never check the tier: callers (CLI, TUI, reports) gate with
`flowlogic.tiers.require_feature`, so a downgrade hides data and never deletes it.
"""

from flowlogic.plans.calendar import (
    complete_task,
    completion_series,
    day_completion,
    day_points,
    effective_level,
    get_task,
    schedule,
    streak_series,
    streaks,
    tasks_for_day,
    undo_task,
    week_ahead,
)
from flowlogic.plans.generator import build_phases
from flowlogic.plans.lifecycle import (
    current_kind,
    ensure_current_plan,
    generate_plan,
    kind_for_tier,
    regenerate,
)
from flowlogic.plans.model import (
    Adaptation,
    Badge,
    Phase,
    Plan,
    PlanExercise,
    Reflection,
    Retest,
    Streaks,
    Task,
    TestProgress,
)
from flowlogic.plans.progress import progress, retest_schedule, retests_due
from flowlogic.plans.retention import (
    adaptations,
    all_badges,
    auto_adapt,
    award_badges,
    badges,
    insight,
    insights,
    reflect,
    reflections,
    undo_adaptation,
)
from flowlogic.plans.store import (
    active_plan,
    get_plan,
    plan_in_effect,
    plan_versions,
    problem_area_history,
)

__all__ = [
    "Adaptation",
    "Badge",
    "Phase",
    "Plan",
    "PlanExercise",
    "Reflection",
    "Retest",
    "Streaks",
    "Task",
    "TestProgress",
    "active_plan",
    "adaptations",
    "all_badges",
    "auto_adapt",
    "award_badges",
    "badges",
    "build_phases",
    "complete_task",
    "completion_series",
    "current_kind",
    "day_completion",
    "day_points",
    "effective_level",
    "ensure_current_plan",
    "generate_plan",
    "get_plan",
    "get_task",
    "insight",
    "insights",
    "kind_for_tier",
    "plan_in_effect",
    "plan_versions",
    "problem_area_history",
    "progress",
    "reflect",
    "reflections",
    "regenerate",
    "retest_schedule",
    "retests_due",
    "schedule",
    "streak_series",
    "streaks",
    "tasks_for_day",
    "undo_adaptation",
    "undo_task",
    "week_ahead",
]
