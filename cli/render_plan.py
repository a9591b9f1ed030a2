"""Rich renderings of results, problem areas, exercises, plans and the calendar."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from flowlogic.catalog import find_test
from flowlogic.cli.render import BUCKET_STYLE
from flowlogic.exercises import Exercise
from flowlogic.interpret import ProblemArea, area_spec
from flowlogic.plans import Plan, Retest, Streaks, Task

PRIORITY_STYLE = {"P1": "bold magenta", "P2": "bold cyan"}


def completion_style(completion: float | None) -> str:
    """Chart colours (PRODUCT.md §7): green 100 %, yellow 70–99 %, red below."""
    if completion is None:
        return "dim"
    if completion >= 1.0:
        return "green"
    return "yellow" if completion >= 0.7 else "red"


def results_table(results: list[dict[str, Any]], overall: int | None) -> Table:
    title = "Latest results (last 6 weeks)"
    if overall is not None:
        title += f" — overall score {overall}"
    table = Table(title=title, title_justify="left")
    for column in ("Test", "Date", "Score", "Band", "Result", "What we saw"):
        table.add_column(column, justify="right" if column == "Score" else "left")
    for r in results:
        spec = find_test(r["test_id"])
        seen = []
        for flag in r["flags"]:
            text = spec.flags.get(flag["code"])
            side = f" ({flag['side']})" if flag.get("side") else ""
            seen.append((text.words if text else flag["code"]) + side)
        style = BUCKET_STYLE[r["normalized"]]
        table.add_row(
            f"{r['test_id']}. {escape(r['test_name'])}",
            r["local_date"],
            f"[{style}]{r['score']}[/]",
            r.get("band") or "",
            f"[{style}]{r['bucket']}[/]",
            escape("; ".join(seen)) or "[green]—[/]",
        )
    return table


def problem_areas_panel(areas: list[ProblemArea] | list[dict[str, Any]]) -> Panel:
    items = [a.to_dict() if isinstance(a, ProblemArea) else a for a in areas]
    if not items:
        return Panel(
            Text("No problem areas in your latest results. Nicely done.", style="green"),
            title="Problem areas",
            expand=False,
        )
    parts: list[Any] = []
    for area in items:
        tests = ", ".join(f"{t}. {find_test(t).name}" for t in area["tests"])
        head = Text.assemble(
            (f"{area['priority']} ", PRIORITY_STYLE[area["priority"]]),
            (area["name"], "bold"),
            ("" if area.get("confirmed", True) else "  (likely — not measured directly)", "dim"),
        )
        parts.append(head)
        parts.append(Text(f"  {area['why']}"))
        parts.append(Text(f"  From: {tests}", style="dim"))
        if area.get("confirm_with"):
            names = ", ".join(find_test(t).name for t in area["confirm_with"])
            parts.append(Text(f"  To confirm: {names}", style="dim"))
    return Panel(Group(*parts), title="Problem areas (P1 first)", expand=False)


def exercises_table(exercises: list[Exercise], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("ID", "Name", "Trains", "Phase", "Equipment", "Level 1"):
        table.add_column(column, no_wrap=column == "ID")
    for e in exercises:
        table.add_row(
            e.id,
            escape(e.name),
            ", ".join(t.replace("_", " ") for t in e.targets),
            e.phase,
            ", ".join(e.equipment),
            f"{e.dosage(1)} · {e.minutes(1):g} min",
        )
    return table


def exercise_panel(e: Exercise) -> Panel:
    parts: list[Any] = [
        Text(
            f"Trains: {', '.join(t.replace('_', ' ') for t in e.targets)} · phase: {e.phase} · "
            f"equipment: {', '.join(e.equipment)} · {e.position}",
            style="dim",
        ),
        Text("\nHow to do it", style="bold"),
    ]
    parts += [Text(f"  {n}. {line}") for n, line in enumerate(e.instructions, 1)]
    parts.append(Text("\nCues", style="bold"))
    parts += [Text(f"  • {line}") for line in e.cues]
    parts.append(Text("\nCommon mistakes", style="bold"))
    parts += [Text(f"  • {line}") for line in e.mistakes]
    table = Table("Level", "Dosage", "Time", "What changes", box=None)
    for lv in e.levels:
        table.add_row(str(lv.level), lv.dosage(e.per_side), f"{lv.minutes:g} min", lv.note)
    parts += [Text("\nLevels", style="bold"), table]
    areas = ", ".join(area_spec(a).name for a in e.areas)
    parts.append(Text(f"\nHelps with: {areas}", style="dim"))
    parts.append(Text("Stop if you feel pain.", style="dim italic"))
    return Panel(Group(*parts), title=f"{escape(e.name)} ({e.id})", expand=False)


def plan_panel(plan: Plan, today: date, level: int) -> Group:
    header = Text.assemble(
        (f"Plan v{plan.version}", "bold"),
        f" · {'full' if plan.tier_kind == 'full' else 'lite'} plan",
        f" · from {plan.start_date.isoformat()} · level {level} of 3",
    )
    parts: list[Any] = [header]
    for note in plan.notes:
        parts.append(Text(note, style="dim"))
    for paused in plan.paused:
        parts.append(Text(f"Paused: {paused['name']}. {paused['advice']}", style="yellow"))
    current = plan.phase_on(today)
    for number, phase in enumerate(plan.phases, 1):
        marker = "  ← now" if current and current.key == phase.key else ""
        until = ", then on until the plan is renewed" if number == len(plan.phases) else ""
        title = f"Phase {number} · {phase.name}{marker}"
        dates = f"{phase.start_date.isoformat()} → {phase.end_date.isoformat()}{until}"
        focus = ", ".join(area_spec(k).name for k in phase.focus_areas)
        table = Table("Exercise", "For", "", "Dosage", "Min", box=None, title_justify="left")
        for item in phase.exercises:
            table.add_row(
                escape(item.name),
                area_spec(item.area).name,
                "must" if item.role == "must" else "[dim]should[/]",
                item.dosage,
                f"{item.minutes:g}",
            )
        parts.append(
            Panel(
                Group(
                    Text(f"{phase.focus.capitalize()} · {dates}", style="dim"),
                    Text(f"Focus: {focus} · {phase.tasks_per_day} tasks a day", style="dim"),
                    table,
                ),
                title=title,
                title_align="left",
                border_style="cyan" if marker else "dim",
                expand=False,
            )
        )
    return Group(*parts)


def tasks_table(tasks: list[Task], title: str) -> Table:
    table = Table(title=title, title_justify="left")
    for column in ("ID", "", "Exercise", "Dosage", "Min", ""):
        table.add_column(column, justify="right" if column in ("ID", "Min") else "left")
    for task in tasks:
        box = "[green]☑[/]" if task.done else "☐"
        table.add_row(
            str(task.id),
            box,
            escape(task.name),
            f"{task.dosage} (level {task.level})",
            f"{task.minutes:g}",
            "must" if task.role == "must" else "[dim]should[/]",
        )
    return table


def streak_text(s: Streaks, completion: float) -> Text:
    style = completion_style(completion)
    return Text.assemble(
        "Today ",
        (f"{completion:.0%}", style),
        f" · streak {s.current} day{'s' if s.current != 1 else ''}",
        f" (longest {s.longest}) · {s.points} points",
    )


def retest_lines(retests: list[Retest]) -> list[Text]:
    """One line per kind and due date: 'Full reassessment due 2025-04-26: A, B, C'."""
    groups: dict[tuple[str, date, str], list[Retest]] = {}
    for r in retests:
        groups.setdefault((r.kind, r.due_on, r.status), []).append(r)
    lines = []
    for (kind, due, status), items in groups.items():
        label = "Quick re-check" if kind == "quick" else "Full reassessment"
        style = {"overdue": "red", "due": "yellow"}.get(status, "dim")
        names = ", ".join(f"{r.test_name} ({r.test_slug})" for r in items)
        lines.append(Text(f"{label} {status}, due {due.isoformat()}: {names}", style=style))
    return lines


def calendar_grid(
    start: date,
    end: date,
    today: date,
    stats: dict[date, tuple[int, int]],
    retest_days: set[date],
) -> Table:
    table = Table(title="Calendar (R = retest due)", title_justify="left")
    for name in ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"):
        table.add_column(name, justify="center")
    day = start
    while day <= end:
        cells = []
        for offset in range(7):
            current = day + timedelta(days=offset)
            done, total = stats.get(current, (0, 0))
            mark = " R" if current in retest_days else ""
            label = f"{current.day:>2}"
            if current > today:
                text = f"[dim]{label} ·{total}[/]{mark}" if total else f"[dim]{label}[/]{mark}"
            elif total:
                style = completion_style(done / total)
                text = f"{label} [{style}]{done / total:.0%}[/]{mark}"
            else:
                text = f"[dim]{label} —[/]{mark}"
            if current == today:
                text = f"[bold underline]{text}[/]"
            cells.append(text)
        table.add_row(*cells)
        day += timedelta(days=7)
    return table
