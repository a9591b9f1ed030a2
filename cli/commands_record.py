"""`flowlogic record TEST`: record one test from a camera (or a video replayed as one)."""

from __future__ import annotations

import sys
import threading

import typer
from rich.live import Live
from rich.markup import escape
from rich.text import Text

from flowlogic.assess import prepare_attempt
from flowlogic.cli.commands_assess import _ensure_consent
from flowlogic.cli.output import console, emit_json, err_console, handle_errors
from flowlogic.cli.render import checks_table, score_panel
from flowlogic.recording import CameraChoice, LiveState, Phase, Recorder, purge_expired_videos
from flowlogic.recording import record as run_recording
from flowlogic.recording import settings as recording_settings
from flowlogic.store import open_db


def register(app: typer.Typer) -> None:
    app.command("record")(record)


def _status_line(state: LiveState) -> Text:
    if state.phase is Phase.COUNTDOWN and state.countdown_left_s is not None:
        return Text(f"Starting in {state.countdown_left_s:.0f}…", style="bold")
    if state.phase is Phase.RECORDING:
        line = Text.assemble(
            ("● REC ", "bold red"),
            f"{state.elapsed_s:4.1f} s  ·  {state.remaining_s:4.1f} s left",
        )
        if state.almost_up:
            line.append(f"  ·  {recording_settings()['messages']['almost_up']}", "bold yellow")
        if sys.stdin.isatty():
            line.append("  ·  Enter stops, Ctrl+C cancels", "dim")
        return line
    if state.phase is Phase.SCORING:
        return Text("Scoring…", style="bold")
    return Text(state.phase.value)


def _stop_on_enter(recorder: Recorder) -> None:
    def wait_for_enter() -> None:
        try:
            sys.stdin.readline()
        except (OSError, ValueError):
            return
        recorder.stop()

    threading.Thread(target=wait_for_enter, name="flowlogic-enter", daemon=True).start()


@handle_errors()
def record(
    test: str = typer.Argument(..., help="Test id or slug, e.g. 4 or overhead-squat."),
    camera: str = typer.Option(
        "0", "--camera", "-c", help="Camera number (0, 1, …) or a video file replayed as a camera."
    ),
    view: str = typer.Option(
        None, "--view", help="front or side (default: the test's view, or the one we see)."
    ),
    profile: str = typer.Option(None, "--profile", "-p", help="Profile (default: active)."),
    json_output: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
    accept_disclaimer: bool = typer.Option(
        False, "--accept-disclaimer", help="Accept the wellness disclaimer first."
    ),
) -> None:
    """Record one movement test and score it.

    Shows the instructions, counts down 3 s, records until the test's time limit (or Enter;
    Ctrl+C cancels and saves nothing) and scores while you move. Exit codes as for
    `flowlogic score`: 0 valid, 3 quality checks not met, 4 refused, 5 camera or input refused.
    """
    db = open_db()
    _ensure_consent(db, accept_disclaimer, json_output)
    attempt = prepare_attempt(db, test, view=view, profile=profile)
    choice = CameraChoice.parse(camera)
    purge_expired_videos(db)
    spec = attempt.spec
    recorder = Recorder(attempt, choice)
    if json_output:
        outcome = run_recording(recorder)
        emit_json(outcome.to_dict())
        raise typer.Exit(outcome.exit_code)

    console.print(f"[bold]{escape(spec.name)}[/] — {escape(choice.label)}")
    for line in spec.setup:
        console.print(f"  · {escape(line)}", soft_wrap=True)
    console.print("[bold]What to do[/]")
    for number, line in enumerate(spec.instructions, 1):
        console.print(f"  {number}. {escape(line)}", soft_wrap=True)
    console.print(f"Time limit: {spec.duration_limit_s:.0f} s.\n")
    if sys.stdin.isatty():
        _stop_on_enter(recorder)
    try:
        with Live(console=err_console, transient=True, refresh_per_second=8) as live:
            outcome = run_recording(recorder, on_state=lambda s: live.update(_status_line(s)))
    except KeyboardInterrupt:
        recorder.close()
        err_console.print(recording_settings()["messages"]["cancelled"])
        raise typer.Exit(130) from None
    payload = outcome.to_dict()
    console.print(score_panel(payload))
    if outcome.status != "valid":
        console.print(checks_table(payload))
    console.print(f"[dim]Video: {escape(outcome.video.path)}[/]")
    raise typer.Exit(outcome.exit_code)
