"""The root of the `flowlogic` command."""

from __future__ import annotations

import os

import typer
from flowlogic.cli import commands_assess, commands_setup
from flowlogic.cli.output import EXIT_CODES_HELP

from flowlogic import __version__

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
    version: bool = typer.Option(
        False, "--version", callback=_version, is_eager=True, help="Print the version and exit."
    ),
) -> None:
    """Flow Logic command line."""


commands_setup.register(app)
commands_assess.register(app)


def main() -> None:
    os.environ.setdefault("GLOG_minloglevel", "2")
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    app()


if __name__ == "__main__":
    main()
