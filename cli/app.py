"""The root of the `flowlogic` command."""

from __future__ import annotations

import os

import typer

from flowlogic import __version__
from flowlogic.cli import (
    commands_assess,
    commands_batch,
    commands_data,
    commands_doctor,
    commands_eval,
    commands_licence,
    commands_plan,
    commands_record,
    commands_report,
    commands_setup,
    commands_tui,
)
from flowlogic.cli.output import EXIT_CODES_HELP

app = typer.Typer(
    name="flowlogic",
    help=(
        "Flow Logic — a local-first movement-assessment coach. Score movement tests from "
        "video, keep your history, find your problem areas. A wellness product, not a "
        f"medical device.\n\n{EXIT_CODES_HELP}\n\nData lives in FLOWLOGIC_HOME "
        "(default: your user data folder)."
    ),
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
    rich_markup_mode=None,
)


def _version(value: bool) -> None:
    if value:
        typer.echo(f"flowlogic {__version__}")
        raise typer.Exit()


@app.callback()
def root(
    ctx: typer.Context,
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
    log_json: bool = typer.Option(
        False,
        "--log-json",
        help="Write structured JSON logs (no personal data) to FLOWLOGIC_HOME/logs/flowlogic.log.",
    ),
) -> None:
    """Flow Logic command line."""
    commands_data.start_command(ctx, log_json)


commands_setup.register(app)
commands_assess.register(app)
commands_batch.register(app)
commands_eval.register(app)
commands_licence.register(app)
commands_plan.register(app)
commands_record.register(app)
commands_report.register(app)
commands_tui.register(app)
commands_data.register(app)
commands_doctor.register(app)


def main() -> None:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    app()


if __name__ == "__main__":
    main()
