"""History: every attempt, per test; a trend chart of the chosen test's scores; open an
assessment to see its detail and export its report."""

from __future__ import annotations

from typing import ClassVar

from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.widgets import DataTable, Static

from flowlogic import charts, tiers
from flowlogic.catalog import find_test
from flowlogic.store import assessments
from flowlogic.tui.screens.common import AppScreen
from flowlogic.tui.widgets.charts import Chart, draw_trend


class HistoryScreen(AppScreen):
    SECTION = "History"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("enter", "open", "Open"),
        Binding("f", "next_test", "Next test"),
        Binding("a", "all_tests", "All tests"),
    ]
    HELP = (
        ("↑ ↓", "choose an assessment"),
        ("Enter", "open it (then e writes its report)"),
        ("f / a", "show one test at a time / all tests"),
    )

    def __init__(self) -> None:
        super().__init__()
        self.test_id: int | None = None

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        yield Static(id="history-title", classes="title")
        yield DataTable(id="history-table", cursor_type="row", zebra_stripes=True)
        yield Static(id="history-chart-note", classes="muted")
        yield Chart(id="history-chart")
        yield from self.compose_footer()

    def on_mount(self) -> None:
        table = self.query_one(DataTable)
        table.add_columns("ID", "Date", "Test", "View", "Status", "Score", "Bucket", "Confidence")
        self.refresh_data()
        table.focus()

    def _taken(self) -> list[int]:
        rows = assessments.history(self.flow.db, self.flow.profile.id)
        return sorted({r["test_id"] for r in rows})

    def refresh_data(self) -> None:
        who = self.flow.profile
        rows = assessments.history(self.flow.db, who.id, self.test_id)
        shown = find_test(self.test_id).name if self.test_id else "all tests"
        self.query_one("#history-title", Static).update(
            Text.assemble(("History", "bold"), f" — {who.name} · {shown} · {len(rows)} attempts")
        )
        table = self.query_one(DataTable)
        table.clear()
        for row in rows:
            valid = row["status"] == "valid"
            table.add_row(
                str(row["id"]),
                row["created_at"][:16].replace("T", " "),
                find_test(row["test_id"]).name,
                row["view"] or "",
                Text("valid", style="green") if valid else Text("not completed", style="yellow"),
                str(row["score"]) if valid else "—",
                row["bucket"] or "—",
                f"{row['confidence']:.0%}" if valid else "—",
                key=str(row["id"]),
            )
        if not rows:
            table.add_row("", "No assessments yet — press t to take a test.", *[""] * 6)
        self._draw_chart(rows)

    def _draw_chart(self, rows: list[dict]) -> None:
        note = self.query_one("#history-chart-note", Static)
        chart = self.query_one(Chart)
        if not self.flow.tier.has("charts"):
            needed = tiers.feature_tier("charts")
            note.update(f"Trend charts are part of {needed.name}.")
            chart.display = False
            return
        chart.display = True
        test_id = self.test_id or next((r["test_id"] for r in rows if r["status"] == "valid"), None)
        window = charts.chart_window()
        trend = None
        if test_id is not None:
            found = charts.score_trends(self.flow.db, self.flow.profile.id, tests=[test_id])
            trend = found[0] if found else None
        note.update("Trend of " + (find_test(test_id).name if test_id else "your scores"))
        chart.paint(lambda plot: draw_trend(plot, trend, window))

    def action_next_test(self) -> None:
        taken = self._taken()
        if not taken:
            return
        if self.test_id not in taken:
            self.test_id = taken[0]
        else:
            self.test_id = taken[(taken.index(self.test_id) + 1) % len(taken)]
        self.refresh_data()

    def action_all_tests(self) -> None:
        self.test_id = None
        self.refresh_data()

    def on_data_table_row_selected(self, event: DataTable.RowSelected) -> None:
        self._open(event.row_key.value)

    def action_open(self) -> None:
        table = self.query_one(DataTable)
        if table.row_count:
            self._open(table.coordinate_to_cell_key(table.cursor_coordinate).row_key.value)

    def _open(self, key: str | None) -> None:
        if not key:
            return
        from flowlogic.tui.screens.result import ResultScreen

        outcome = assessments.get(self.flow.db, int(key))
        self.app.push_screen(ResultScreen(outcome))
