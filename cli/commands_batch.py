"""`flowlogic batch`: score folders or manifests of client videos in parallel."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import typer
from rich.markup import escape
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    TaskID,
    TextColumn,
    TimeElapsedColumn,
    TimeRemainingColumn,
)
from rich.table import Table

from flowlogic import consent
from flowlogic.batch.executors import DaskCluster, LocalPool
from flowlogic.batch.runner import plan_rows, rows_csv, run_batch, write_atomic
from flowlogic.cli.output import console, err_console, handle_errors
from flowlogic.errors import UsageError
from flowlogic.store import open_db

STATUS_STYLE = {
    "valid": "green",
    "invalid": "yellow",
    "refused": "magenta",
    "unreadable": "red",
    "skipped": "dim",
}


def register(app: typer.Typer) -> None:
    app.command("batch")(batch)


class ProgressView:
    """An overall bar (rate, ETA) and one line per worker.

    The bar counts a row when its work is done: workers take the longest clips first, so
    rows finish out of order while their results are committed in row order, and a bar
    that waited for the commits would stand still until the first row's turn."""

    def __init__(self, workers: int) -> None:
        self.progress = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[rate]}"),
            TimeElapsedColumn(),
            TimeRemainingColumn(),
            console=err_console,
        )
        self.overall: TaskID | None = None
        self.lines: dict[int, TaskID] = {}
        self.workers = workers
        self.counted: set[int] = set()  # rows already on the bar (work done)

    def __call__(self, kind: str, data: dict[str, Any]) -> None:
        if kind == "start":
            self.progress.start()
            self.overall = self.progress.add_task(
                "batch", total=data["total"], completed=data["done"], rate=""
            )
            for slot in range(self.workers):
                self.lines[slot] = self.progress.add_task(
                    f"  worker {slot + 1}", total=None, rate="idle"
                )
        elif kind == "dispatch" and data["slot"] in self.lines:
            self.progress.update(
                self.lines[data["slot"]], rate=escape(Path(data["row"].video).name)
            )
        elif kind == "computed":
            if data["slot"] in self.lines:
                self.progress.update(self.lines[data["slot"]], rate="idle")
            self._advance(data["row"].position)
        elif kind == "row":
            self._advance(data["row"].position)
        elif kind == "finish":
            self.progress.stop()

    def _advance(self, position: int) -> None:
        if self.overall is None or position in self.counted:
            return
        self.counted.add(position)
        task = self.progress.tasks[self.overall]
        elapsed = task.elapsed or 0
        rate = f"{(task.completed + 1) / elapsed * 60:.1f} rows/min" if elapsed else ""
        self.progress.update(self.overall, advance=1, rate=rate)


@handle_errors()
def batch(
    source: Path = typer.Argument(
        ...,
        help="A manifest CSV (video, profile, test, view, date) "
        "or a folder SOURCE/<profile>/<test-slug>/*.mp4.",
    ),
    workers: int = typer.Option(
        max(1, (os.cpu_count() or 2) - 0),
        "--workers",
        "-w",
        help="Local worker processes (each loads MediaPipe once).",
    ),
    scheduler: str = typer.Option(
        None, "--scheduler", help="A Dask scheduler, e.g. tcp://10.0.0.5:8786."
    ),
    csv_out: Path = typer.Option(None, "--csv", help="Write every row as CSV here."),
    json_out: Path = typer.Option(None, "--json", help="Write every row as JSON here."),
    reports: Path = typer.Option(
        None, "--reports", help="Write each client's full report into this folder (Pro, Pro+)."
    ),
    rescore: bool = typer.Option(
        False,
        "--rescore",
        help="Re-score already scored rows from "
        "cached landmarks only (no pose "
        "inference), e.g. after new "
        "thresholds.",
    ),
    dry_run: bool = typer.Option(
        False, "--dry-run", help="Check the input and list the rows; score nothing."
    ),
    quiet: bool = typer.Option(False, "--quiet", "-q", help="No progress display (scripts)."),
    accept_disclaimer: bool = typer.Option(
        False, "--accept-disclaimer", help="Accept the wellness disclaimer first."
    ),
) -> None:
    """Score many client videos: one bad file never stops the batch. Every row ends as
    valid, invalid (reason), refused (plan or cap), unreadable (reason) or skipped (already
    scored). Run the same command again after a crash to finish the job; nothing is
    counted twice. Exit 0 when the batch ran (row failures are data), 2 when the input is
    wrong, 4 without consent."""
    if workers < 1:
        raise UsageError(f"--workers must be at least 1, not {workers}")
    kind, rows = plan_rows(source)
    if dry_run:
        table = Table(
            "#",
            "profile",
            "test",
            "view",
            "date",
            "video",
            title=f"{len(rows)} row(s) from the {kind} — nothing scored",
        )
        for row in rows:
            table.add_row(
                str(row.position + 1),
                escape(row.profile),
                str(row.test_id),
                row.view or "auto",
                row.day.isoformat(),
                escape(str(row.video)),
            )
        console.print(table)
        return
    db = open_db()
    if accept_disclaimer:
        consent.accept(db)
    if scheduler:
        factory = lambda: DaskCluster(scheduler)  # noqa: E731
        slots = 1
    else:
        factory = lambda: LocalPool(workers)  # noqa: E731
        slots = workers
    view = None if quiet or not err_console.is_terminal else ProgressView(slots)
    report = run_batch(source, factory, db=db, rescore=rescore, on_event=view)
    if csv_out:
        write_atomic(csv_out, rows_csv(report.rows))
    if json_out:
        import json

        write_atomic(json_out, json.dumps(report.to_dict(), indent=2, default=str))
    if reports:
        _write_reports(db, report, reports)
    if quiet:
        return
    if report.created_profiles:
        console.print(f"Created profiles: {escape(', '.join(report.created_profiles))}")
    summary = Table(
        "status",
        "rows",
        title=f"Batch job {report.job_id}" + (" (resumed)" if report.resumed else ""),
    )
    for status, count in report.counts.items():
        summary.add_row(f"[{STATUS_STYLE[status]}]{status}[/]", str(count))
    console.print(summary)
    failed = [r for r in report.rows if r["status"] in ("invalid", "refused", "unreadable")]
    if failed:
        detail = Table("#", "profile", "test", "video", "status", "reason")
        for row in failed[:30]:
            detail.add_row(
                str(row["position"] + 1),
                escape(row["profile"]),
                row["test"],
                escape(Path(row["video"]).name),
                row["status"],
                escape(row["reason"] or ""),
            )
        console.print(detail)


def _write_reports(db, report, folder: Path) -> None:
    """Each client's full report, where the plan allows it (Pro, Pro+)."""
    from flowlogic import profiles, reports, tiers
    from flowlogic.outfiles import safe_name

    if not tiers.current_tier(db).has("report_full"):
        needed = tiers.feature_tier("report_full")
        err_console.print(f"Full reports are part of {needed.name}; no reports were written.")
        return
    for name in sorted({row["profile"] for row in report.rows}):
        person = profiles.find(db, name)
        for path in reports.full_report(db, person.id, folder / safe_name(person.name)):
            console.print(f"Report: {escape(str(path))}")
