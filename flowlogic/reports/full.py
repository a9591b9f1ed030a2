"""The full report (PRODUCT.md §8, Pro and Pro+): where a profile stands and where it is
going. Overview, latest results, limitations grouped P1 / P2, the plan's phases, a
progress table, charts per key test and of the daily work, and the retest dates.
"""

from __future__ import annotations

from datetime import date

import sqlite_utils

from flowlogic import charts, clock, interpret, plans, profiles, tiers
from flowlogic.outfiles import safe_name
from flowlogic.plans.model import Plan
from flowlogic.reports import words
from flowlogic.reports.assessment import problem_area_item
from flowlogic.reports.document import (
    Block,
    Bullets,
    Figure,
    Figures,
    Image,
    Paragraph,
    Report,
    Section,
    Table,
)
from flowlogic.scoring.result import score_band

TREND_DAYS = 90  # score trends look back further than the daily charts: retests are weeks apart
MAX_TREND_CHARTS = 6
VERDICT_TONES = {"good": "good", "on_track": "good", "adjust": "warn", "worse": "bad"}


def file_stem(profile_name: str, profile_id: int, day: date) -> str:
    return f"full-report-{safe_name(profile_name, fallback=f'profile-{profile_id}')}-{day}"


def build(
    db: sqlite_utils.Database,
    profile_id: int,
    *,
    initials: bool = False,
    days: int | None = None,
    today: date | None = None,
) -> Report:
    """The full report of a profile. Callers check the tier (`report_full`) first."""
    today = today or clock.today()
    person = profiles.get(db, profile_id)
    text = words.copy()["full"]
    window = charts.chart_window(days, today=today)
    trend_window = charts.chart_window(days or TREND_DAYS, today=today)
    results = interpret.latest_valid_results(db, profile_id, today=today)
    areas = interpret.problem_areas(db, profile_id, today=today)
    plan = plans.active_plan(db, profile_id)
    meta = (
        ("Profile", words.display_name(person.name, initials=initials)),
        ("Date", words.long_date(today)),
        ("Plan", tiers.current_tier(db).name),
        ("Charts", f"daily work over the last {window.days} days, scores over {trend_window.days}"),
    )
    sections = [
        Section("Overview", (_overview(db, profile_id, today, results),)),
        Section("Latest results", _results_blocks(results, text["no_results"])),
        Section("Limitations", _limitation_blocks(areas, text)),
        Section("Your plan", _plan_blocks(plan, text["no_plan"])),
        Section("Progress", _progress_blocks(db, profile_id, today, text["no_progress"])),
        Section(
            "Charts: scores per key test",
            _trend_blocks(db, profile_id, today, trend_window),
        ),
        Section("Charts: daily work", _daily_blocks(db, profile_id, today, window.days)),
        Section("Retests", _retest_blocks(db, profile_id, today, text["no_retests"])),
    ]
    return Report(
        title=f"{words.copy()['brand']} · {text['title']}",
        meta=meta,
        sections=tuple(sections),
        footer=words.copy()["footer"],
        file_stem=file_stem(person.name, person.id, today),
        generated=f"Generated {clock.now_local():%Y-%m-%d %H:%M}",
    )


def _overview(db: sqlite_utils.Database, profile_id: int, today: date, results: list) -> Figures:
    overall = interpret.overall_score(db, profile_id, today=today)
    streak = plans.streaks(db, profile_id, today)
    band = score_band(overall) if overall is not None else ""
    tone = {"Excellent": "good", "Good": "good", "Limited": "warn", "Significant": "bad"}
    return Figures(
        (
            Figure(
                "Overall score",
                "—" if overall is None else f"{overall} / 100",
                band or "no results yet",
                tone.get(band, "plain"),
            ),
            Figure("Tests (6 weeks)", str(len(results)), "latest valid result each"),
            Figure("Streak", f"{streak.current} days", f"longest {streak.longest}"),
            Figure("Points", str(streak.points), "from daily work"),
        )
    )


def _results_blocks(results: list, empty: str) -> tuple[Block, ...]:
    if not results:
        return (Paragraph(empty, tone="muted"),)
    rows = tuple(
        (
            f"{r['test_name']} ({r['test_id']})",
            words.long_date(date.fromisoformat(r["local_date"])),
            f"{r['score']}",
            r.get("band") or score_band(r["score"]),
            r["bucket"],
            words.percent(r["confidence"]),
        )
        for r in results
    )
    return (
        Table(
            ("Test", "Date", "Score", "Band", "Result", "Confidence"),
            rows,
            widths=(3.2, 2.2, 1, 1.4, 1.8, 1.4),
            numeric=(2, 5),
        ),
    )


def _limitation_blocks(areas: list, text: dict) -> tuple[Block, ...]:
    if not areas:
        return (Paragraph(text["no_problem_areas"], tone="good"),)
    blocks: list[Block] = []
    for priority in ("P1", "P2"):
        group = [a for a in areas if a.priority == priority]
        key = priority.lower()
        blocks.append(Paragraph(text[f"{key}_heading"], bold=True))
        if not group:
            blocks.append(Paragraph(text["none_in_group"], tone="muted"))
            continue
        blocks.append(Paragraph(text[f"{key}_intro"], tone="muted"))
        blocks.append(Bullets(tuple(problem_area_item(area) for area in group)))
    return tuple(blocks)


def _plan_blocks(plan: Plan | None, empty: str) -> tuple[Block, ...]:
    if plan is None:
        return (Paragraph(empty, tone="muted"),)
    kind = "Lite" if plan.tier_kind == "lite" else "Full"
    blocks: list[Block] = [
        Paragraph(
            f"{kind} plan, version {plan.version}, in effect since "
            f"{words.long_date(plan.start_date)}. This cycle started "
            f"{words.long_date(plan.cycle_start)} and runs to {words.long_date(plan.end_date)}; "
            f"exercises started at level {plan.start_level} of 3."
        )
    ]
    for number, phase in enumerate(plan.phases, start=1):
        blocks.append(
            Paragraph(
                f"Phase {number} · {phase.name} "
                f"({words.long_date(phase.start_date)} – {words.long_date(phase.end_date)})",
                bold=True,
            )
        )
        areas = ", ".join(interpret.area_spec(k).name for k in phase.focus_areas)
        blocks.append(
            Paragraph(
                f"Works on {phase.focus}. Focus areas: {areas}. "
                f"Up to {phase.tasks_per_day} tasks a day.",
                tone="muted",
            )
        )
        if phase.exercises:
            blocks.append(
                Table(
                    ("Exercise", "For", "Role", "Dose", "Min"),
                    tuple(
                        (
                            e.name,
                            interpret.area_spec(e.area).name,
                            e.role,
                            e.dosage,
                            f"{e.minutes:g}",
                        )
                        for e in phase.exercises
                    ),
                    widths=(3.4, 3, 1, 2, 0.8),
                    numeric=(4,),
                )
            )
    for paused in plan.paused:
        blocks.append(Paragraph(_paused_text(paused), tone="warn"))
    blocks += [Paragraph(note, tone="muted") for note in plan.notes]
    return tuple(blocks)


def _paused_text(paused: dict) -> str:
    name = paused.get("name") or paused.get("area") or "An exercise line"
    reason = paused.get("reason") or paused.get("advice") or ""
    return f"Paused: {name}. {reason}".strip()


def _progress_blocks(
    db: sqlite_utils.Database, profile_id: int, today: date, empty: str
) -> tuple[Block, ...]:
    rows = [p for p in plans.progress(db, profile_id, today) if p.verdict != "baseline"]
    if not rows:
        return (Paragraph(empty, tone="muted"),)
    table = Table(
        ("Test", "Baseline", "Latest", "Change", "Verdict"),
        tuple(
            (
                p.test_name,
                f"{p.baseline_score} ({p.baseline_date:%d %b})",
                f"{p.latest_score} ({p.latest_date:%d %b})",
                f"{p.change_pct:+.0f}% in {p.days} d",
                p.verdict.replace("_", " "),
            )
            for p in rows
        ),
        widths=(3, 2, 2, 2, 1.6),
        numeric=(3,),
    )
    advice = Bullets(tuple((p.test_name, p.advice) for p in rows if p.advice))
    return (table, advice) if advice.items else (table,)


def _trend_blocks(
    db: sqlite_utils.Database, profile_id: int, today: date, window: charts.Window
) -> tuple[Block, ...]:
    wanted = charts.key_tests(db, profile_id, today=today)
    trends = charts.score_trends(db, profile_id, days=window.days, today=today, tests=wanted)
    if not trends:
        return (Paragraph("No valid scores in this period.", tone="muted"),)
    return tuple(
        Image(
            charts.trend_png(trend, window),
            f"{trend.name} (test {trend.test_id}): {len(trend.points)} result(s) in "
            f"{window.days} days; the shaded bands are Excellent, Good, Limited, Significant.",
        )
        for trend in trends[:MAX_TREND_CHARTS]
    )


def _daily_blocks(
    db: sqlite_utils.Database, profile_id: int, today: date, days: int
) -> tuple[Block, ...]:
    bars = charts.completion_bars(db, profile_id, days=days, today=today)
    if all(bar.fraction is None for bar in bars):
        return (Paragraph("No plan tasks in this period yet.", tone="muted"),)
    streak = charts.streak_series(db, profile_id, days=days, today=today)
    return (
        Image(
            charts.completion_png(bars),
            "Share of the day's tasks done: green 100 %, yellow 70–99 %, red below 70 %, "
            "grey = no tasks.",
        ),
        Image(charts.streak_png(streak), "Streak: consecutive days with at least 70 % done."),
    )


def _retest_blocks(
    db: sqlite_utils.Database, profile_id: int, today: date, empty: str
) -> tuple[Block, ...]:
    due = plans.retest_schedule(db, profile_id, today)
    if not due:
        return (Paragraph(empty, tone="muted"),)
    kinds = {"quick": "quick re-check", "full": "full reassessment"}
    return (
        Table(
            ("Test", "Kind", "Due", "Status", "Last taken"),
            tuple(
                (
                    f"{r.test_name} ({r.test_id})",
                    kinds.get(r.kind, r.kind),
                    words.long_date(r.due_on),
                    r.status,
                    words.long_date(r.last_taken) if r.last_taken else "—",
                )
                for r in due
            ),
            widths=(3, 2, 2.2, 1.3, 2.2),
        ),
    )


__all__ = ["build", "file_stem"]
