"""Rich renderings of core results for people at a terminal."""

from __future__ import annotations

from typing import Any

from rich.console import Group
from rich.markup import escape
from rich.panel import Panel
from rich.table import Table
from rich.text import Text

from flowlogic.catalog import TestSpec, find_test, load_data_toml

BUCKET_STYLE = {"pass": "green", "limited": "yellow", "significant": "red"}


def flag_words(spec: TestSpec, flag: dict[str, Any]) -> tuple[str, str]:
    """A flag in plain words, and what it means."""
    text = spec.flags.get(flag["code"])
    severity = load_data_toml("results.toml")["words"]["severity"][flag["severity"]]
    words = text.words if text else flag["code"].replace("_", " ").capitalize()
    side = f" ({flag['side']} side)" if flag.get("side") else ""
    return f"{words}{side} — {severity}", (text.meaning if text else "")


def score_panel(outcome: dict[str, Any]) -> Panel:
    spec = find_test(outcome["test"]["id"])
    title = f"{spec.name} · {outcome['view']} view"
    if outcome["status"] != "valid":
        return _invalid_panel(outcome, title)
    result = outcome["result"]
    style = BUCKET_STYLE[result["normalized"]]
    headline = Text.assemble(
        (f"{result['score']}", f"bold {style}"),
        " / 100  ",
        (f"{result['band']}", style),
        "  ·  ",
        (result["bucket"], "bold"),
        f"  ·  confidence {result['confidence']:.0%}",
    )
    parts: list[Any] = [headline]
    reps = result.get("reps")
    if reps is not None:
        parts.append(Text(f"Reps counted: {reps}", style="dim"))
    if result["flags"]:
        parts.append(Text("\nWhat we saw", style="bold"))
        for flag in result["flags"]:
            words, meaning = flag_words(spec, flag)
            parts.append(Text.from_markup(f"• [bold]{escape(words)}[/]"))
            if meaning:
                parts.append(Text(f"  {meaning}", style="dim"))
    else:
        parts.append(Text("\nNo compensations seen. Nicely done.", style="green"))
    parts.append(Text("\nNext", style="bold"))
    parts.append(Text(_next_step(outcome)))
    for note in result.get("notes", []):
        parts.append(Text(f"Note: {note}", style="dim italic"))
    if outcome.get("assessment_id"):
        parts.append(Text(f"\nSaved as assessment {outcome['assessment_id']}.", style="dim"))
    return Panel(Group(*parts), title=title, border_style=style, expand=False)


def _next_step(outcome: dict[str, Any]) -> str:
    result = outcome["result"]
    if result["normalized"] == "pass":
        return "Keep it up. Take the other tests of your plan to complete the picture."
    return (
        "Your problem areas and exercises build on this: see `flowlogic history`, "
        "and retest in two weeks to see progress."
    )


def _invalid_panel(outcome: dict[str, Any], title: str) -> Panel:
    feedback = outcome["quality"]["feedback"] or {}
    parts: list[Any] = [
        Text(feedback.get("header", "We couldn't score this recording"), style="bold yellow"),
        Text(feedback.get("message", "")),
        Text(f"→ {feedback.get('action', 'Try again')}", style="bold"),
    ]
    left = outcome.get("attempts_left_today")
    if left is not None:
        parts.append(Text(f"\nAttempts left today for this test: {left}", style="dim"))
    failed = [c["code"] for c in outcome["quality"]["checks"] if not c["passed"]]
    parts.append(Text("This attempt is saved but the test is not completed.", style="dim"))
    if failed:
        parts.append(Text(f"({len(failed)} check(s) not met)", style="dim"))
    return Panel(Group(*parts), title=title, border_style="yellow", expand=False)


def checks_table(outcome: dict[str, Any]) -> Table:
    table = Table(title="Recording checks", show_header=True, header_style="bold", expand=False)
    table.add_column("Check")
    table.add_column("OK")
    table.add_column("Measured", justify="right")
    table.add_column("Limit", justify="right")
    for check in outcome["quality"]["checks"]:
        table.add_row(
            check["code"],
            "✓" if check["passed"] else "✗",
            "—" if check["value"] is None else f"{check['value']:.2f}",
            str(check["threshold"]),
        )
    return table
