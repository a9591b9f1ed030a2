"""One result: bucket, score, confidence, flags in plain words and what they mean, the
problem areas it feeds; when not completed, the reason's copy, attempts left and one key
to record again. Used right after recording and for an assessment opened from history."""

from __future__ import annotations

from typing import Any, ClassVar

from rich.table import Table
from rich.text import Text
from textual.app import ComposeResult
from textual.binding import Binding, BindingType
from textual.containers import VerticalScroll
from textual.widgets import Static

from flowlogic import clock, interpret, paths
from flowlogic.catalog import find_test
from flowlogic.errors import FlowLogicError
from flowlogic.tui.screens.common import AppScreen, flag_words, score_text


class ResultScreen(AppScreen):
    SECTION = "Result"
    BINDINGS: ClassVar[list[BindingType]] = [
        Binding("r", "record_again", "Record again"),
        Binding("e", "export", "Export report"),
        Binding("escape", "back", "Back"),
    ]
    HELP = (
        ("r", "record this test again"),
        ("e", "write this assessment's report (PDF and HTML)"),
        ("Esc", "back"),
    )

    def __init__(self, outcome: dict[str, Any], *, recorded: bool = False) -> None:
        super().__init__()
        self.outcome = outcome
        self.recorded = recorded
        self.spec = find_test(outcome["test"]["id"])

    def compose(self) -> ComposeResult:
        yield from self.compose_frame()
        with VerticalScroll(id="result"):
            yield Static(self._title(), classes="title")
            if self.outcome["status"] == "valid":
                yield from self._valid()
            else:
                yield from self._invalid()
            yield Static(id="result-export", classes="muted")
        yield from self.compose_footer()

    def _title(self) -> Text:
        when = self.outcome.get("created_at")
        day = when[:10] if when else f"{clock.today()}"
        return Text.assemble(
            (self.spec.name, "bold"), f"  ·  {self.outcome.get('view') or ''} view  ·  {day}"
        )

    def _valid(self) -> ComposeResult:
        result = self.outcome["result"]
        headline = score_text(result)
        headline.append(f"  ·  confidence {result['confidence']:.0%}")
        yield Static(headline, id="result-score", classes=f"card wide {result['normalized']}")
        if result.get("reps") is not None:
            yield Static(Text(f"Reps counted: {result['reps']}", style="dim"))
        yield Static("What we saw", classes="subtitle")
        if result["flags"]:
            lines = Text()
            for flag in result["flags"]:
                words, meaning = flag_words(self.spec, flag)
                lines.append(f"• {words}\n", style="bold")
                if meaning:
                    lines.append(f"  {meaning}\n", style="dim")
            yield Static(lines)
        else:
            yield Static(Text("No compensations seen. Nicely done.", style="green"))
        yield Static("Problem areas", classes="subtitle")
        yield Static(self._areas())
        if self.flow.tier.has("results_extended") and result.get("metrics"):
            yield Static("Measurements", classes="subtitle")
            yield Static(self._metrics(result["metrics"]))
        for note in result.get("notes", []):
            yield Static(Text(f"Note: {note}", style="dim italic"))
        saved = self.outcome.get("assessment_id")
        if saved:
            yield Static(Text(f"Saved as assessment {saved}.", style="dim"))

    def _areas(self) -> Text:
        profile_id = self.flow.profile.id
        areas = [
            a for a in interpret.problem_areas(self.flow.db, profile_id) if self.spec.id in a.tests
        ]
        if not areas:
            return Text("None from this test.", style="dim")
        text = Text()
        for area in areas:
            text.append(f"{area.priority} {area.name}", style="bold")
            text.append(f" — {area.why}\n", style="dim")
        return text

    def _metrics(self, metrics: dict[str, Any]) -> Table:
        table = Table(box=None, show_header=True, header_style="bold", pad_edge=False)
        table.add_column("Measure")
        table.add_column("Value", justify="right")
        table.add_column("Side")
        for name, metric in metrics.items():
            value = metric.get("value")
            shown = "—" if value is None else f"{value:.2f} {metric.get('unit', '')}".strip()
            if metric.get("estimated"):
                shown += " (estimate)"
            table.add_row(name.replace("_", " "), shown, metric.get("side") or "")
        return table

    def _invalid(self) -> ComposeResult:
        feedback = self.outcome["quality"].get("feedback") or {}
        text = Text()
        text.append(
            f"{feedback.get('header', 'We could not score this recording')}\n", "bold yellow"
        )
        text.append(f"{feedback.get('message', '')}\n")
        text.append(f"→ {feedback.get('action', 'Try again')} (press r)", style="bold")
        yield Static(text, id="result-score", classes="card wide limited")
        left = self.outcome.get("attempts_left_today")
        if left is not None:
            yield Static(f"Attempts left today for this test: {left}")
        yield Static(Text("This attempt is saved, but the test is not completed.", style="dim"))

    # -- keys --------------------------------------------------------------------------
    def action_record_again(self) -> None:
        from flowlogic.tui.screens.recording import RecordingScreen

        if not self.flow.tier.allows(self.spec):
            self.notify(f"{self.spec.name} is not part of your plan now.", severity="warning")
            return
        if self.recorded:
            self.app.switch_screen(RecordingScreen(self.spec))
        else:
            self.app.push_screen(RecordingScreen(self.spec))

    def action_back(self) -> None:
        self.app.pop_screen()

    def action_export(self) -> None:
        assessment_id = self.outcome.get("assessment_id")
        if not assessment_id:
            self.notify("Only a saved assessment has a report.", severity="warning")
            return
        try:
            from flowlogic import reports

            folder = paths.home() / "reports"
            written = reports.assessment_report(self.flow.db, int(assessment_id), folder)
        except ImportError:
            self.notify("Reports come with the reports module.", severity="warning")
            return
        except FlowLogicError as error:
            self.notify(error.message, severity="error")
            return
        names = "\n".join(str(p) for p in written)
        self.query_one("#result-export", Static).update(f"Report written:\n{names}")
        self.notify("Report written.")
