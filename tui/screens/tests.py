"""The tests: the tier's tests with their last result and attempts left today (locked ones
greyed with the plan that unlocks them), and one test's set-up and instructions."""

from __future__ import annotations

from datetime import date
from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import DataTable, Static

from flowlogic import clock, tiers
from flowlogic.catalog import TestSpec, find_test, load_catalog
from flowlogic.scoring.registry import has_scorer
from flowlogic.store import assessments
from flowlogic.tui.screens.common import AppScreen

VIEW_WORDS = {"front": "facing the camera", "side": "side-on to the camera"}
FRAMING_WORDS = {"full": "whole body in the picture", "upper": "head to hips in the picture"}


def _day(row: dict) -> str:
    return date.fromisoformat(row["local_date"]).strftime("%d %b")


class TestsScreen(AppScreen):
    SECTION = "Tests"
    BINDINGS: ClassVar[list[BindingType]] = [Binding("enter", "open", "Open", show=True)]
    HELP = (
        ("↑ ↓", "choose a test"),
        ("Enter", "read how to do it, then record it"),
    )

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(id="tests-summary", classes="title")
        yield DataTable(id="tests-table", cursor_type="row", zebra_stripes=True)
        yield Static(
            "Locked tests show the plan that unlocks them (Settings → licence).",
            classes="muted",
        )
        yield from self.compose_footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("#", "Test", "View", "Last result", "Left today", "Plan")
        self.refresh_data()
        table.focus()

    def refresh_data(self) -> None:
        db = self.flow.db
        who = self.flow.profile
        overview = tiers.limits(db, who.name)
        last = {}
        for row in assessments.history(db, who.id):
            last.setdefault(row["test_id"], row)
        table = self.query_one(DataTable)
        cursor = table.cursor_row
        table.clear()
        pairs = list(zip(load_catalog(), overview.tests, strict=True))
        order = list(overview.tier.tests)  # the plan's own order first, then the locked ones
        pairs.sort(key=lambda p: (order.index(p[0].id) if p[0].id in order else 99, p[0].id))
        for spec, allowance in pairs:
            locked = not allowance.unlocked
            style = "dim" if locked else ""
            row = last.get(spec.id)
            if row is None:
                result = Text("not taken", style="dim")
            elif row["status"] == "valid":
                result = Text(f"{row['score']} · {row['bucket']} · {_day(row)}")
            else:
                result = Text(f"not completed · {_day(row)}", style="yellow")
            if locked:
                attempts = Text("—", style="dim")
                plan = Text(f"{allowance.unlocked_from} and up", style="dim")
            else:
                attempts = Text(f"{allowance.attempts_left_today} of {overview.attempts_per_day}")
                if allowance.blocked_by == "MONTHLY_TEST_CAP":
                    attempts = Text("monthly limit reached", style="yellow")
                plan = Text("✓ yours", style="green")
            table.add_row(
                Text(str(spec.id), style=style),
                Text(spec.name, style=style or "bold"),
                Text(spec.view_label, style=style),
                result if not locked else Text(result.plain, style="dim"),
                attempts,
                plan,
                key=str(spec.id),
            )
        if cursor:
            table.move_cursor(row=min(cursor, table.row_count - 1))
        used = len(overview.month_tests)
        self.query_one("#tests-summary", Static).update(
            f"{overview.tier.name} plan · {used} of {overview.month_cap} different tests this "
            f"month · {clock.today():%d %b}"
        )

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(int(str(event.row_key.value)))

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            key = table.coordinate_to_cell_key(table.cursor_coordinate).row_key
            self._open(int(str(key.value)))

    def _open(self, test_id: int) -> None:
        spec = find_test(test_id)
        if not self.flow.tier.allows(spec):
            needed = tiers.unlocking_tier(spec)
            self.notify(
                f"{spec.name} is part of {needed.name}. See Settings (s) to upgrade.",
                severity="warning",
            )
            return
        self.app.push_screen(TestDetailScreen(spec))


class TestDetailScreen(AppScreen):
    """How to set up and what to do, as a person reads it; Enter records."""

    SECTION = "Tests"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter,r", "record", "Record"),
        Binding("escape", "app.pop_screen", "Back"),
    ]
    HELP = (("Enter / r", "start the camera for this test"), ("Esc", "back to the tests"))

    def __init__(self, spec: TestSpec) -> None:
        super().__init__()
        self.spec = spec

    def compose(self) -> ComposeResult:
        spec = self.spec
        yield from self.compose_frame()
        with VerticalScroll(id="detail"):
            yield Static(f"{spec.name}", classes="title")
            yield Static(spec.summary, classes="muted")
            facts = Text()
            views = " or ".join(VIEW_WORDS[v] for v in spec.views)
            facts.append("Camera: ", style="bold")
            facts.append(f"{views}; {FRAMING_WORDS.get(spec.framing, spec.framing)}\n")
            facts.append("Position: ", style="bold")
            facts.append(f"{spec.position}\n")
            facts.append("Equipment: ", style="bold")
            facts.append(", ".join(spec.equipment) + "\n")
            facts.append("Time limit: ", style="bold")
            facts.append(f"{spec.duration_limit_s:.0f} s")
            yield Static(facts, classes="card wide")
            yield Static("Set up", classes="subtitle")
            yield Static("\n".join(f"• {line}" for line in spec.setup) or "—")
            yield Static("What to do", classes="subtitle")
            yield Static("\n".join(f"{n}. {line}" for n, line in enumerate(spec.instructions, 1)))
            yield Static(id="detail-camera", classes="muted")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        camera = self.flow.camera
        scorable = "" if has_scorer(self.spec) else " (this test cannot be scored yet)"
        self.query_one("#detail-camera", Static).update(
            f"Recording from {camera.label}{scorable}. Press Enter when you are ready to set "
            "up in front of the camera; recording starts only after you press Enter again."
        )

    def action_record(self) -> None:
        from flowlogic.tui.screens.recording import RecordingScreen

        self.app.push_screen(RecordingScreen(self.spec))
