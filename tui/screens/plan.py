"""Plan and Today (Basic and up): today's tasks as checkboxes, the plan's phases and
exercises with their instructions, streak and completion charts, and (Pro+) a short
reflection once the day is done."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import Horizontal, VerticalScroll
from textual.widgets import Input, SelectionList, Static
from textual.widgets.selection_list import Selection

from flowlogic import charts, clock, interpret, plans, tiers
from flowlogic.errors import FlowLogicError
from flowlogic.exercises import find_exercise
from flowlogic.plans.model import Plan, Task
from flowlogic.tui.screens.common import AppScreen
from flowlogic.tui.widgets.charts import Chart, draw_completion, draw_streak


class PlanScreen(AppScreen):
    SECTION = "Plan & today"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("space,enter", "toggle", "Tick / untick", show=True)
    ]
    HELP = (
        ("↑ ↓", "choose one of today's tasks (its instructions show on the right)"),
        ("Space / Enter", "tick it off, or untick it"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.tasks: list[Task] = []
        self.plan: Plan | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(id="plan-title", classes="title")
        yield Static(id="plan-locked")
        with Horizontal(id="plan-body"):
            with VerticalScroll(id="plan-left"):
                yield Static("Today", classes="subtitle")
                yield SelectionList[int](id="today-tasks")
                yield Static(id="today-summary", classes="muted")
                yield Static(id="reflect-prompt")
                yield Input(placeholder="0–10, then a short note if you like", id="reflect-input")
                yield Static(id="plan-phases")
            with VerticalScroll(id="plan-right"):
                yield Static(id="exercise-detail")
        with Horizontal(id="plan-charts"):
            yield Chart(id="streak-chart")
            yield Chart(id="completion-chart")
        yield from self.compose_footer()

    def check_action(self, action: str, parameters: tuple[object, ...]) -> bool | None:
        if action == "toggle":
            return bool(self.tasks)
        return True

    def on_mount(self) -> None:
        self.refresh_data()
        if self.flow.tier.has("plan"):
            self.query_one("#today-tasks", SelectionList).focus()

    def refresh_data(self) -> None:
        tier = self.flow.tier
        locked = not tier.has("plan")
        for selector in ("#plan-body", "#plan-charts"):
            self.query_one(selector).display = not locked
        note = self.query_one("#plan-locked", Static)
        note.display = locked
        who = self.flow.profile
        day = clock.today()
        self.query_one("#plan-title", Static).update(
            Text.assemble(("Plan & today", "bold"), f" — {who.name} · {day:%A %d %B}")
        )
        if locked:
            needed = tiers.feature_tier("plan")
            note.update(
                f"A corrective plan, daily tasks, streaks and charts are part of "
                f"{needed.name} and up (your plan: {tier.name}). See Settings (s) to upgrade. "
                "Nothing you recorded is lost when a plan changes."
            )
            return
        try:
            self.plan, _ = plans.ensure_current_plan(self.flow.db, who.id, today=day)
            if tier.has("retention"):
                plans.auto_adapt(self.flow.db, who.id, day)
            self.tasks = plans.tasks_for_day(self.flow.db, who.id, day, today=day)
        except FlowLogicError as error:
            note.display = True
            note.update(error.message)
            return
        self._fill_tasks()
        self._fill_phases(day)
        self._fill_charts(tier, who.id)
        self._fill_reflection(tier)

    def _fill_tasks(self) -> None:
        selection = self.query_one("#today-tasks", SelectionList)
        highlighted = selection.highlighted
        selection.clear_options()
        for task in self.tasks:
            label = Text.assemble(
                (task.name, "bold" if task.role == "must" else ""),
                f"  {task.dosage}  ~{task.minutes:.0f} min",
                ("  (must)" if task.role == "must" else "  (should)", "dim"),
            )
            selection.add_option(Selection(label, task.id, task.done))
        if self.tasks:
            selection.highlighted = min(highlighted or 0, len(self.tasks) - 1)
        done = sum(1 for t in self.tasks if t.done)
        summary = f"{done} of {len(self.tasks)} done today" if self.tasks else "No tasks today."
        self.query_one("#today-summary", Static).update(summary)
        if self.tasks:
            self._show_exercise(self.tasks[selection.highlighted or 0])

    def _fill_phases(self, day) -> None:
        assert self.plan is not None
        text = Text("\nYour plan", style="bold")
        text.append(f" ({self.plan.tier_kind}, version {self.plan.version})\n", style="dim")
        current = self.plan.phase_on(day)
        for phase in self.plan.phases:
            marker = "▶ " if current and phase.key == current.key else "  "
            text.append(f"{marker}{phase.name}", style="bold" if marker.strip() else "")
            text.append(f"  {phase.start_date:%d %b} – {phase.end_date:%d %b}\n", style="dim")
            areas = ", ".join(interpret.area_spec(k).name for k in phase.focus_areas)
            if areas:
                text.append(f"    focus: {areas}\n", style="dim")
            for exercise in phase.exercises:
                text.append(f"    • {exercise.name} — {exercise.dosage}\n")
        for note in self.plan.notes:
            text.append(f"{note}\n", style="italic dim")
        self.query_one("#plan-phases", Static).update(text)

    def _fill_charts(self, tier: tiers.Tier, profile_id: int) -> None:
        show = tier.has("charts")
        self.query_one("#plan-charts").display = show
        if not show:
            return
        points = charts.streak_series(self.flow.db, profile_id)
        bars = charts.completion_bars(self.flow.db, profile_id)
        self.query_one("#streak-chart", Chart).paint(lambda chart: draw_streak(chart, points))
        self.query_one("#completion-chart", Chart).paint(lambda chart: draw_completion(chart, bars))

    def _fill_reflection(self, tier: tiers.Tier) -> None:
        prompt = self.query_one("#reflect-prompt", Static)
        field = self.query_one("#reflect-input", Input)
        day_done = bool(self.tasks) and all(t.done for t in self.tasks)
        show = tier.has("retention") and day_done
        prompt.display = field.display = show
        if show:
            prompt.update(
                Text("All done today. How did the session feel, 0 to 10?", style="bold green")
            )

    def _show_exercise(self, task: Task) -> None:
        try:
            exercise = find_exercise(task.exercise_id)
        except FlowLogicError:
            self.query_one("#exercise-detail", Static).update(task.name)
            return
        text = Text(f"{exercise.name}\n", style="bold")
        text.append(f"{task.dosage} · level {task.level} · about {task.minutes:.0f} min\n\n")
        for number, line in enumerate(exercise.instructions, 1):
            text.append(f"{number}. {line}\n")
        if exercise.cues:
            text.append("\nCues\n", style="bold")
            for cue in exercise.cues:
                text.append(f"• {cue}\n")
        if exercise.mistakes:
            text.append("\nCommon mistakes\n", style="bold")
            for mistake in exercise.mistakes:
                text.append(f"• {mistake}\n")
        self.query_one("#exercise-detail", Static).update(text)

    # -- events ------------------------------------------------------------------------
    def on_selection_list_selection_highlighted(
        self, event: SelectionList.SelectionHighlighted
    ) -> None:
        index = event.selection_index
        if 0 <= index < len(self.tasks):
            self._show_exercise(self.tasks[index])

    def on_selection_list_selection_toggled(self, event: SelectionList.SelectionToggled) -> None:
        event.stop()
        self._toggle(int(event.selection.value))

    def action_toggle(self) -> None:
        selection = self.query_one("#today-tasks", SelectionList)
        if selection.has_focus or not self.tasks:
            return  # the list toggles itself (SelectionToggled)
        self._toggle(self.tasks[selection.highlighted or 0].id)

    def _toggle(self, task_id: int) -> None:
        task = next((t for t in self.tasks if t.id == task_id), None)
        if task is None:
            return
        change = plans.undo_task if task.done else plans.complete_task
        try:
            change(self.flow.db, task_id, profile_id=self.flow.profile.id, today=clock.today())
            if self.flow.tier.has("retention"):
                for badge in plans.award_badges(self.flow.db, self.flow.profile.id, clock.today()):
                    self.notify(f"New badge: {badge.name}")
        except FlowLogicError as error:
            self.notify(error.message, severity="error")
        self.refresh_data()

    def on_input_submitted(self, event: Input.Submitted) -> None:
        if event.input.id != "reflect-input":
            return
        words = event.value.strip().split(maxsplit=1)
        try:
            rating = int(words[0]) if words else -1
            note = words[1] if len(words) > 1 else None
            plans.reflect(self.flow.db, self.flow.profile.id, clock.today(), rating, note)
        except (ValueError, FlowLogicError) as error:
            message = getattr(error, "message", "Type a number from 0 to 10 first.")
            self.notify(message, severity="error")
            return
        event.input.value = ""
        self.notify("Thanks — reflection saved.")
