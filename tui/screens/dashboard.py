"""Dashboard: who, which plan, this month's tests, overall score, streak, today's tasks,
retests due, the Pro+ insight — and what the locked parts need."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Grid, VerticalScroll
from textual.widgets import Static

from flowlogic import clock, interpret, plans, tiers
from flowlogic.errors import FlowLogicError
from flowlogic.tui.screens.common import AppScreen


def locked_line(feature: str) -> Text:
    needed = tiers.feature_tier(feature)
    return Text(f"{tiers.feature_name(feature)}: part of {needed.name}", style="dim")


class DashboardScreen(AppScreen):
    SECTION = "Dashboard"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "app.section('tests')", "Take a test", show=False)
    ]
    HELP = (
        ("t", "the tests: pick one and record it"),
        ("p", "your plan and today's tasks (Basic and up)"),
        ("h", "your history and trends"),
    )

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        with VerticalScroll():
            yield Static(id="dash-who", classes="title")
            with Grid(id="dash-grid"):
                yield Static(id="dash-month", classes="card")
                yield Static(id="dash-score", classes="card")
                yield Static(id="dash-streak", classes="card")
                yield Static(id="dash-today", classes="card")
            yield Static(id="dash-areas", classes="card wide")
            yield Static(id="dash-retests", classes="card wide")
            yield Static(id="dash-insight", classes="card wide")
            yield Static(id="dash-next", classes="muted")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        self.refresh_data()

    def refresh_data(self) -> None:
        if not self.flow.ready:
            return  # first run: no profile yet (none is made behind the person's back)
        db = self.flow.db
        who = self.flow.profile
        tier = self.flow.tier
        day = clock.today()
        self.query_one("#dash-who", Static).update(
            Text.assemble((who.name, "bold"), f"  ·  {tier.name} plan  ·  {day:%A %d %B}")
        )
        used = tiers.usage(db, who.id, day)
        cap = tier.distinct_tests_per_month
        month = Text.assemble(("Tests this month\n", "bold"), f"{len(used.month_tests)} of {cap}")
        month.append(f"\n{len(tier.tests)} tests in your plan", style="dim")
        self.query_one("#dash-month", Static).update(month)

        overall = interpret.overall_score(db, who.id, today=day)
        score = Text("Overall score\n", style="bold")
        if overall is None:
            score.append("—\nTake a test to get your first score", style="dim")
        else:
            score.append(f"{overall} / 100", style="bold")
            score.append("\nmean of your latest results (6 weeks)", style="dim")
        self.query_one("#dash-score", Static).update(score)

        self.query_one("#dash-streak", Static).update(self._streak(tier, who.id, day))
        self.query_one("#dash-today", Static).update(self._today(tier, who.id, day))
        self.query_one("#dash-areas", Static).update(self._areas(who.id, day))
        self.query_one("#dash-retests", Static).update(self._retests(tier, who.id, day))
        self.query_one("#dash-insight", Static).update(self._insight(tier, who.id, day))
        self.query_one("#dash-next", Static).update(
            "Press t to take a test, p for your plan, h for your history, ? for help."
        )

    def _streak(self, tier: tiers.Tier, profile_id: int, day) -> Text:
        text = Text("Streak\n", style="bold")
        if not tier.has("streaks"):
            return text + locked_line("streaks")
        streak = plans.streaks(self.flow.db, profile_id, day)
        text.append(f"{streak.current} day{'s' if streak.current != 1 else ''}")
        text.append(f"\nlongest {streak.longest} · {streak.points} points", style="dim")
        return text

    def _today(self, tier: tiers.Tier, profile_id: int, day) -> Text:
        text = Text("Today's tasks\n", style="bold")
        if not tier.has("calendar"):
            return text + locked_line("calendar")
        try:
            plans.ensure_current_plan(self.flow.db, profile_id, today=day)
            tasks = plans.tasks_for_day(self.flow.db, profile_id, day, today=day)
        except FlowLogicError as error:
            return text + Text(error.message, style="dim")
        done = sum(1 for t in tasks if t.done)
        if not tasks:
            return text + Text("No tasks today", style="dim")
        text.append(f"{done} of {len(tasks)} done")
        text.append("\npress p to tick them off", style="dim")
        return text

    def _areas(self, profile_id: int, day) -> Text:
        areas = interpret.problem_areas(self.flow.db, profile_id, today=day)
        text = Text("Problem areas\n", style="bold")
        if not areas:
            return text + Text("None found so far.", style="dim")
        for area in areas[:4]:
            text.append(f"{area.priority} ", style="bold yellow" if area.priority == "P1" else "")
            text.append(f"{area.name}", style="bold")
            text.append(f" — {area.why}\n", style="dim")
        text.rstrip()
        return text

    def _retests(self, tier: tiers.Tier, profile_id: int, day) -> Text:
        text = Text("Retests\n", style="bold")
        if not tier.has("plan"):
            return text + locked_line("plan")
        due = plans.retests_due(self.flow.db, profile_id, day)
        if not due:
            return text + Text("Nothing due.", style="dim")
        for retest in due:
            label = "Quick re-check" if retest.kind == "quick" else "Full reassessment"
            style = "red" if retest.status == "overdue" else "yellow"
            text.append(f"{label} of {retest.test_name} {retest.status} ({retest.due_on})\n", style)
        return text

    def _insight(self, tier: tiers.Tier, profile_id: int, day) -> Text:
        text = Text("Insight\n", style="bold")
        if not tier.has("retention"):
            return text + locked_line("retention")
        tip = plans.insight(self.flow.db, profile_id, day)
        return text + Text(tip or "Keep going: insights appear after a few days of data.")
