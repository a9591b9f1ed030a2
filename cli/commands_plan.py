"""Results, exercises, the plan, the daily calendar and Pro+ retention commands.

Every paid command checks the tier first (`tiers.require_feature`, exit 4 when locked);
a downgrade hides plans, tasks and badges but never deletes them.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import typer
from rich.markup import escape
from rich.table import Table
from rich.text import Text

from flowlogic import clock, interpret, plans, profiles, tiers
from flowlogic.cli.output import console, emit_json, handle_errors
from flowlogic.cli.render_plan import (
    calendar_grid,
    exercise_panel,
    exercises_table,
    plan_panel,
    problem_areas_panel,
    results_table,
    retest_lines,
    streak_text,
    tasks_table,
)
from flowlogic.errors import UsageError
from flowlogic.exercises import categories, find_exercise, for_area, load_library
from flowlogic.plans.calendar import day_stats, days
from flowlogic.store import open_db

JSON = typer.Option(False, "--json", help="Print JSON for scripts.")
PROFILE = typer.Option(None, "--profile", "-p", help="Profile (default: active).")


def register(app: typer.Typer) -> None:
    app.command("results")(results)
    exercises_app = typer.Typer(
        help="The exercise library: list exercises, or read one.",
        invoke_without_command=True,
        rich_markup_mode=None,
    )
    exercises_app.callback()(exercises_list)
    exercises_app.command("show")(exercises_show)
    app.add_typer(exercises_app, name="exercises")
    plan_app = typer.Typer(
        help="Your corrective plan (Basic: lite, Pro/Pro+: full).",
        invoke_without_command=True,
        rich_markup_mode=None,
    )
    plan_app.callback()(plan_show)
    plan_app.command("regenerate")(plan_regenerate)
    plan_app.command("undo-adapt")(plan_undo_adapt)
    app.add_typer(plan_app, name="plan")
    app.command("today")(today)
    app.command("done")(done)
    app.command("undo")(undo)
    app.command("calendar")(calendar)
    app.command("reflect")(reflect)
    app.command("badges")(badges)


# --- results (all tiers) ----------------------------------------------------------------


@handle_errors()
def results(profile: str = PROFILE, json_output: bool = JSON) -> None:
    """Your overall score, the latest result of each test and your problem areas."""
    db = open_db()
    who = profiles.resolve(db, profile)
    day = clock.today()
    latest = interpret.latest_valid_results(db, who.id, today=day)
    if not tiers.current_tier(db).has("results_extended"):  # metrics are Pro and up (§2)
        latest = [{k: v for k, v in r.items() if k != "metrics"} for r in latest]
    overall = interpret.overall_score(db, who.id, today=day)
    areas = interpret.problem_areas(db, who.id, today=day)
    if json_output:
        emit_json(
            {
                "schema_version": 1,
                "profile": who.name,
                "date": day.isoformat(),
                "overall_score": overall,
                "results": latest,
                "problem_areas": [a.to_dict() for a in areas],
            }
        )
        return
    if not latest:
        console.print(
            f"No valid results in the last 6 weeks for {escape(who.name)}. Start with "
            "[bold]flowlogic score VIDEO --test overhead-squat[/]."
        )
        return
    console.print(results_table(latest, overall))
    console.print(problem_areas_panel(areas))


# --- exercises (Basic+) -----------------------------------------------------------------


@handle_errors()
def exercises_list(
    ctx: typer.Context,
    area: str = typer.Option(
        None, "--area", help="Only exercises for this target or problem area (e.g. balance)."
    ),
    json_output: bool = JSON,
) -> None:
    """The exercise library."""
    if ctx.invoked_subcommand:
        return
    tiers.require_feature(open_db(), "exercises")
    if area:
        key = area.strip().lower().replace("-", "_").replace(" ", "_")
        known = {c.key for c in categories()} | set(interpret.load_rules().areas)
        if key not in known:
            raise UsageError(f"Unknown area '{area}'. Areas: {', '.join(sorted(known))}.")
        items = list(for_area(key))
    else:
        items = list(load_library())
    if json_output:
        emit_json({"schema_version": 1, "area": area, "exercises": [e.to_dict() for e in items]})
        return
    title = f"Exercises for {area}" if area else f"Exercise library ({len(items)})"
    console.print(exercises_table(items, title))
    console.print("Read one: [bold]flowlogic exercises show ID[/]")


@handle_errors()
def exercises_show(
    exercise_id: str = typer.Argument(..., help="Exercise id, e.g. clamshell."),
    json_output: bool = JSON,
) -> None:
    """How to do one exercise: steps, cues, common mistakes, levels."""
    tiers.require_feature(open_db(), "exercises")
    exercise = find_exercise(exercise_id.strip().lower())
    if json_output:
        emit_json(exercise.to_dict())
        return
    console.print(exercise_panel(exercise))


# --- plan (Basic+) ----------------------------------------------------------------------

CHANGE_WORDS = {
    "first": "Your first plan is ready.",
    "tier": "Your plan was rebuilt for your current tier (the previous version is kept).",
    "retest": "New results: your plan was updated (the previous version is kept).",
}


def _plan_payload(db, plan: plans.Plan, day: date) -> dict[str, Any]:
    current = plan.phase_on(day)
    return {
        **plan.to_dict(),
        "current_phase": current.key if current else None,
        "current_level": plans.effective_level(db, plan, day),
        "retests": [r.to_dict() for r in plans.retest_schedule(db, plan.profile_id, day)],
        "progress": [p.to_dict() for p in plans.progress(db, plan.profile_id, day)],
    }


def _print_plan(db, plan: plans.Plan, day: date) -> None:
    console.print(problem_areas_panel(list(plan.problem_areas)))
    console.print(plan_panel(plan, day, plans.effective_level(db, plan, day)))
    for line in retest_lines(plans.retest_schedule(db, plan.profile_id, day)):
        console.print(line)


@handle_errors()
def plan_show(ctx: typer.Context, profile: str = PROFILE, json_output: bool = JSON) -> None:
    """Show your plan (it is created from your results the first time)."""
    if ctx.invoked_subcommand:
        return
    db = open_db()
    tiers.require_feature(db, "plan")
    who = profiles.resolve(db, profile)
    day = clock.today()
    plan, changed = plans.ensure_current_plan(db, who.id, today=day)
    if json_output:
        emit_json({"schema_version": 1, "changed": changed, "plan": _plan_payload(db, plan, day)})
        return
    if changed:
        console.print(f"[green]{CHANGE_WORDS[changed]}[/]")
    _print_plan(db, plan, day)


@handle_errors()
def plan_regenerate(profile: str = PROFILE, json_output: bool = JSON) -> None:
    """Build a new version of your plan from your latest results (the old one is kept)."""
    db = open_db()
    tiers.require_feature(db, "plan")
    who = profiles.resolve(db, profile)
    day = clock.today()
    plan = plans.regenerate(db, who.id, today=day)
    if json_output:
        emit_json({"schema_version": 1, "plan": _plan_payload(db, plan, day)})
        return
    console.print(f"[green]Plan version {plan.version} created; older versions are kept.[/]")
    _print_plan(db, plan, day)


@handle_errors()
def plan_undo_adapt(profile: str = PROFILE, json_output: bool = JSON) -> None:
    """Undo the latest automatic lightening of your days (Pro+)."""
    db = open_db()
    tiers.require_feature(db, "retention")
    who = profiles.resolve(db, profile)
    undone = plans.undo_adaptation(db, who.id, clock.today())
    if json_output:
        emit_json({"schema_version": 1, "undone": undone.to_dict() if undone else None})
        return
    if undone is None:
        console.print("Nothing to undo: your days have not been adapted.")
    else:
        console.print(
            f"Done: back to {undone.tasks_before} tasks a day from today "
            f"(was {undone.tasks_after} since {undone.start_day.isoformat()})."
        )


# --- calendar (Basic+) ------------------------------------------------------------------


@handle_errors()
def today(profile: str = PROFILE, json_output: bool = JSON) -> None:
    """Today's tasks, your streak and anything due."""
    db = open_db()
    tier = tiers.require_feature(db, "calendar")
    who = profiles.resolve(db, profile)
    day = clock.today()
    plan, changed = plans.ensure_current_plan(db, who.id, today=day)
    retention = tier.has("retention")
    adapted = plans.auto_adapt(db, who.id, day) if retention else None
    tasks = plans.tasks_for_day(db, who.id, day, today=day)
    completion = plans.day_completion(db, who.id, day)
    streak = plans.streaks(db, who.id, day) if tier.has("streaks") else None
    due = plans.retests_due(db, who.id, day)
    in_force = next((a for a in plans.adaptations(db, who.id) if a.undone_at is None), None)
    tip = plans.insight(db, who.id, day) if retention else None
    phase = plan.phase_on(day)
    if json_output:
        emit_json(
            {
                "schema_version": 1,
                "profile": who.name,
                "date": day.isoformat(),
                "plan": {"id": plan.id, "version": plan.version, "kind": plan.tier_kind},
                "plan_changed": changed,
                "phase": phase.key if phase else None,
                "tasks": [t.to_dict() for t in tasks],
                "completion": round(completion, 3),
                "points_today": plans.day_points(completion) if tasks else 0,
                "streaks": streak.to_dict() if streak else None,
                "retests_due": [r.to_dict() for r in due],
                "adapted": adapted.to_dict() if adapted else None,
                "adaptation_in_force": in_force.to_dict() if in_force else None,
                "insight": tip,
            }
        )
        return
    if changed:
        console.print(f"[green]{CHANGE_WORDS[changed]}[/]")
    if adapted:
        console.print(f"[yellow]{escape(adapted.message)}[/]", soft_wrap=True)
    phase_words = ""
    if phase:
        number = (day - phase.start_date).days + 1
        phase_words = f" · {phase.name}, day {number}"
    title = f"Today, {day.strftime('%a %d %b')}{phase_words}"
    if tasks:
        console.print(tasks_table(tasks, title))
        console.print(
            "Tick one off: [bold]flowlogic done ID[/]  ·  how to: "
            "[bold]flowlogic exercises show EXERCISE[/]"
        )
    else:
        console.print(f"{title}: no tasks today.")
    if streak:
        console.print(streak_text(streak, completion))
    for line in retest_lines(due):
        console.print(line)
    if in_force and not adapted:
        console.print(
            f"[dim]Lighter days in force since {in_force.start_day.isoformat()}: "
            "`flowlogic plan undo-adapt` to go back.[/]"
        )
    if tip:
        console.print(Text(f"💡 {tip}", style="italic"), soft_wrap=True)


def _tick(task_id: int, profile: str | None, json_output: bool, undo_it: bool) -> None:
    db = open_db()
    tier = tiers.require_feature(db, "calendar")
    who = profiles.resolve(db, profile)
    day = clock.today()
    change = plans.undo_task if undo_it else plans.complete_task
    task = change(db, task_id, profile_id=who.id, today=day)
    completion = plans.day_completion(db, who.id, task.day)
    new_badges = plans.award_badges(db, who.id, day) if tier.has("retention") else []
    if json_output:
        emit_json(
            {
                "schema_version": 1,
                "task": task.to_dict(),
                "day_completion": round(completion, 3),
                "new_badges": [b.to_dict() for b in new_badges],
            }
        )
        return
    verb = "reopened" if undo_it else "done"
    console.print(
        f"{'☐' if undo_it else '[green]☑[/]'} {escape(task.name)} {verb}. "
        f"{task.day.isoformat()}: {completion:.0%} of the day's tasks done."
    )
    for badge in new_badges:
        console.print(f"[bold yellow]New badge: {escape(badge.name)}[/] — {badge.description}")
    if not undo_it and completion >= 1.0 and tier.has("retention"):
        console.print("All done for the day. How did it feel? [bold]flowlogic reflect 0-10[/]")


@handle_errors()
def done(
    task_id: int = typer.Argument(..., help="Task id (see `flowlogic today`)."),
    profile: str = PROFILE,
    json_output: bool = JSON,
) -> None:
    """Tick a task off."""
    _tick(task_id, profile, json_output, undo_it=False)


@handle_errors()
def undo(
    task_id: int = typer.Argument(..., help="Task id (see `flowlogic today`)."),
    profile: str = PROFILE,
    json_output: bool = JSON,
) -> None:
    """Untick a task."""
    _tick(task_id, profile, json_output, undo_it=True)


@handle_errors()
def calendar(
    week: bool = typer.Option(False, "--week", help="The week ahead, task by task."),
    profile: str = PROFILE,
    json_output: bool = JSON,
) -> None:
    """The last weeks and the week ahead: completion per day and retests due."""
    db = open_db()
    tiers.require_feature(db, "calendar")
    who = profiles.resolve(db, profile)
    day = clock.today()
    plans.ensure_current_plan(db, who.id, today=day)
    ahead = plans.week_ahead(db, who.id, day)
    schedule = plans.retest_schedule(db, who.id, day)
    if week:
        if json_output:
            emit_json(
                {
                    "schema_version": 1,
                    "days": [
                        {"date": d.isoformat(), "tasks": [t.to_dict() for t in tasks]}
                        for d, tasks in ahead
                    ],
                    "retests": [r.to_dict() for r in schedule],
                }
            )
            return
        for d, tasks in ahead:
            console.print(tasks_table(tasks, d.strftime("%a %d %b")))
        for line in retest_lines([r for r in schedule if r.due_on <= ahead[-1][0]]):
            console.print(line)
        return
    start = day - timedelta(days=day.weekday() + 21)
    end = day + timedelta(days=6 - day.weekday())
    end = max(end, ahead[-1][0] + timedelta(days=6 - ahead[-1][0].weekday()))
    stats = day_stats(db, who.id, start, end)
    retest_days = {r.due_on for r in schedule}
    if json_output:
        emit_json(
            {
                "schema_version": 1,
                "days": [
                    {
                        "date": d.isoformat(),
                        "done": stats.get(d, (0, 0))[0],
                        "tasks": stats.get(d, (0, 0))[1],
                        "retest": d in retest_days,
                    }
                    for d in days(start, end)
                ],
                "streaks": plans.streaks(db, who.id, day).to_dict(),
                "retests": [r.to_dict() for r in schedule],
            }
        )
        return
    console.print(calendar_grid(start, end, day, stats, retest_days))
    console.print(
        streak_text(plans.streaks(db, who.id, day), plans.day_completion(db, who.id, day))
    )


# --- retention (Pro+) -------------------------------------------------------------------


@handle_errors()
def reflect(
    rating: int = typer.Argument(..., help="How did today's session feel, 0 (awful) to 10."),
    note: str = typer.Option(None, "--note", help="A short note (optional)."),
    profile: str = PROFILE,
    json_output: bool = JSON,
) -> None:
    """A one-line reflection on today's session (Pro+)."""
    db = open_db()
    tiers.require_feature(db, "retention")
    who = profiles.resolve(db, profile)
    saved = plans.reflect(db, who.id, clock.today(), rating, note)
    new_badges = plans.award_badges(db, who.id, clock.today())
    if json_output:
        emit_json(
            {
                "schema_version": 1,
                "reflection": saved.to_dict(),
                "new_badges": [b.to_dict() for b in new_badges],
            }
        )
        return
    console.print(f"Saved: {saved.rating}/10 for {saved.day.isoformat()}. Thanks.")
    for badge in new_badges:
        console.print(f"[bold yellow]New badge: {escape(badge.name)}[/] — {badge.description}")


@handle_errors()
def badges(profile: str = PROFILE, json_output: bool = JSON) -> None:
    """Your badges, earned and still to earn (Pro+)."""
    db = open_db()
    tiers.require_feature(db, "retention")
    who = profiles.resolve(db, profile)
    board = plans.all_badges(db, who.id, clock.today())
    if json_output:
        emit_json({"schema_version": 1, "badges": [b.to_dict() for b in board]})
        return
    table = Table("", "Badge", "What it takes", "Earned", title="Badges", title_justify="left")
    for badge in board:
        table.add_row(
            "🏅" if badge.earned else "·",
            escape(badge.name) if badge.earned else f"[dim]{escape(badge.name)}[/]",
            badge.description,
            badge.earned_on.isoformat() if badge.earned_on else "",
        )
    console.print(table)
