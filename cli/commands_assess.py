"""Scoring and history commands."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from flowlogic import consent, profiles
from flowlogic.assess import score_video
from flowlogic.catalog import find_test
from flowlogic.cli.output import console, emit_json, err_console, handle_errors
from flowlogic.cli.render import checks_table, score_panel
from flowlogic.errors import ConsentRequired
from flowlogic.store import assessments, open_db

JSON = typer.Option(False, "--json", help="Print JSON for scripts.")


def register(app: typer.Typer) -> None:
    app.command("score")(score)
    app.command("history")(history)
    app.command("show")(show)


def _ensure_consent(db, accept_disclaimer: bool, json_output: bool) -> None:
    if accept_disclaimer:
        consent.accept(db)
        return
    if consent.accepted(db):
        return
    if sys.stdin.isatty() and not json_output:
        text = consent.disclaimer().text
        console.print(f"[bold]Before we start[/]\n{escape(text)}\n", soft_wrap=True)
        if typer.confirm("Do you accept?", default=False):
            consent.accept(db)
            return
    consent.require(db)  # raises with how to accept


@handle_errors()
def score(
    video: Path = typer.Argument(
        ...,
        help="Video file (mp4, mov, avi, mkv, webm, gif) or a folder of images.",
        show_default=False,
    ),
    test: str = typer.Option(
        ..., "--test", "-t", help="Test id or slug, e.g. 4 or overhead-squat."
    ),
    view: str = typer.Option(
        None, "--view", help="front or side (default: the test's view, or the one we see)."
    ),
    profile: str = typer.Option(None, "--profile", "-p", help="Profile (default: active)."),
    json_output: bool = JSON,
    no_save: bool = typer.Option(False, "--no-save", help="Score without storing the attempt."),
    no_cache: bool = typer.Option(
        False, "--no-cache", help="Run pose estimation again even if landmarks are cached."
    ),
    accept_disclaimer: bool = typer.Option(
        False, "--accept-disclaimer", help="Accept the wellness disclaimer first."
    ),
    checks: bool = typer.Option(False, "--checks", help="Also print every recording check."),
) -> None:
    """Score one movement test from a video.

    Exit code 0 = valid result, 3 = the recording did not pass the quality checks,
    4 = refused (consent, plan, daily or monthly cap), 5 = the file cannot be analysed.
    """
    db = open_db()
    _ensure_consent(db, accept_disclaimer, json_output)
    show_progress = not json_output and err_console.is_terminal
    if show_progress:
        with Progress(
            TextColumn("Analysing video"),
            BarColumn(),
            MofNCompleteColumn(),
            TimeElapsedColumn(),
            console=err_console,
            transient=True,
        ) as bar:
            task = bar.add_task("pose", total=None)

            def progress(done: int, total: int) -> None:
                bar.update(task, completed=done, total=total)

            outcome = score_video(
                video,
                test,
                view=view,
                profile=profile,
                save=not no_save,
                use_cache=not no_cache,
                db=db,
                progress=progress,
            )
    else:
        outcome = score_video(
            video, test, view=view, profile=profile, save=not no_save, use_cache=not no_cache, db=db
        )
    payload = outcome.to_dict()
    if json_output:
        emit_json(payload)
    else:
        console.print(score_panel(payload))
        if checks or outcome.status != "valid":
            console.print(checks_table(payload))
    raise typer.Exit(outcome.exit_code)


@handle_errors()
def history(
    profile: str = typer.Option(None, "--profile", "-p", help="Profile (default: active)."),
    test: str = typer.Option(None, "--test", "-t", help="Only this test (id or slug)."),
    limit: int = typer.Option(50, "--limit", help="At most this many rows."),
    json_output: bool = JSON,
) -> None:
    """Your assessments, newest first."""
    db = open_db()
    who = profiles.resolve(db, profile)
    spec = find_test(test) if test else None
    rows = assessments.history(db, who.id, spec.id if spec else None, limit)
    if json_output:
        emit_json({"schema_version": 1, "profile": who.name, "assessments": rows})
        return
    if not rows:
        console.print(
            f"No assessments yet for {escape(who.name)}. Score one with "
            "[bold]flowlogic score VIDEO --test overhead-squat[/]."
        )
        return
    table = Table(title=f"History — {escape(who.name)}")
    table.add_column("ID", justify="right")
    table.add_column("Date", no_wrap=True)
    table.add_column("Test", no_wrap=True)
    for name in ("View", "Status", "Score", "Bucket", "Confidence"):
        table.add_column(name, justify="right" if name in ("Score", "Confidence") else "left")
    for row in rows:
        valid = row["status"] == "valid"
        table.add_row(
            str(row["id"]),
            row["created_at"][:10],
            row["test_slug"],
            row["view"] or "",
            "valid" if valid else f"[yellow]invalid[/] {', '.join(row['reasons'])}",
            str(row["score"]) if valid else "—",
            row["bucket"] or "—",
            f"{row['confidence']:.0%}" if valid else "—",
        )
    console.print(table)


@handle_errors()
def show(
    assessment_id: int = typer.Argument(..., help="Assessment id (see `flowlogic history`)."),
    json_output: bool = JSON,
) -> None:
    """One stored assessment, in full."""
    outcome = assessments.get(open_db(), assessment_id)
    if json_output:
        emit_json(outcome)
        return
    console.print(
        f"Profile: {escape(outcome.get('profile') or '')} · {outcome.get('created_at', '')}"
    )
    console.print(score_panel(outcome))
    console.print(checks_table(outcome))


__all__ = ["ConsentRequired", "register"]
