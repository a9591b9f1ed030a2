"""`flowlogic eval`: agreement with a coach's own ratings."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from flowlogic.cli.output import console, emit_json, err_console, handle_errors
from flowlogic.evaluation import evaluate


def register(app: typer.Typer) -> None:
    app.command("eval")(eval_command)


def _pct(value: float | None) -> str:
    return "—" if value is None else f"{value:.0%}"


@handle_errors()
def eval_command(
    labels: Path = typer.Argument(
        ...,
        help="CSV: video, test, view, expected_bucket and/or "
        "expected_flags and/or expected_metrics.",
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
    no_cache: bool = typer.Option(False, "--no-cache", help="Run pose estimation again."),
) -> None:
    """Score each labelled video (nothing is stored) and report agreement with the labels:
    bucket agreement, Cohen's kappa, a confusion table, flag precision/recall and metric
    mean absolute error, per test."""

    def progress(index: int, total: int, label) -> None:
        if not json_output:
            err_console.print(f"[dim]{index}/{total} {escape(label.video.name)}[/]")

    report = evaluate(labels, use_cache=not no_cache, progress=progress)
    if json_output:
        emit_json(report)
        return
    for test in report["tests"]:
        flags = test["flags"]
        console.print(
            f"\n[bold]{escape(test['test']['name'])}[/]: {test['scored']} of {test['rows']} "
            f"scored · bucket agreement {_pct(test['bucket_agreement'])} "
            f"(n={test['bucket_rows']}) · kappa "
            f"{'—' if test['cohens_kappa'] is None else format(test['cohens_kappa'], '.2f')} · "
            f"flags precision {_pct(flags['precision'])} recall {_pct(flags['recall'])}"
        )
        confusion = test["confusion"]
        predicted = sorted({p for row in confusion.values() for p in row})
        table = Table(title="expected (rows) × scored (columns)")
        table.add_column("")
        for name in predicted:
            table.add_column(name, justify="right")
        for expected, row in sorted(confusion.items()):
            table.add_row(expected, *[str(row.get(p, 0)) for p in predicted])
        console.print(table)
        for name, stats in test["metrics"].items():
            console.print(f"  {name}: mean absolute error {stats['mae']:.2f} (n={stats['n']})")
    rows = Table(
        "line", "video", "status", "expected", "scored", "expected flags", "flags", title="Rows"
    )
    for row in report["rows"]:
        rows.add_row(
            str(row["line"]),
            Path(row["video"]).name,
            row["status"],
            row["expected_bucket"] or "",
            row["bucket"] or row["reason"],
            ", ".join(row["expected_flags"]),
            ", ".join(row["flags"]),
        )
    console.print(rows)
