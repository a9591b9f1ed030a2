"""`flowlogic tui`: the terminal app (Textual), a thin shell over the same core."""

from __future__ import annotations

import typer

from flowlogic.cli.output import handle_errors
from flowlogic.recording import CameraChoice


def register(app: typer.Typer) -> None:
    app.command("tui")(tui)


@handle_errors()
def tui(
    camera: str = typer.Option(
        None,
        "--camera",
        "-c",
        help="Camera number (0, 1, …) or a video file replayed as a camera "
        "(default: the one chosen in Settings, else 0).",
    ),
    profile: str = typer.Option(None, "--profile", "-p", help="Profile (default: active)."),
) -> None:
    """Open the Flow Logic terminal app: take tests with your camera, see results, history,
    your plan and today's tasks. Keys are shown at the bottom; press ? for help."""
    from flowlogic.tui.app import run

    choice = CameraChoice.parse(camera) if camera is not None else None
    run(camera=choice, profile=profile)
