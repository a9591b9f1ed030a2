"""`flowlogic doctor`: check the installation and say how to fix what is wrong."""

from __future__ import annotations

import typer
from rich.markup import escape
from rich.table import Table

from flowlogic import doctor as doctor_mod
from flowlogic.cli.output import console, emit_json, handle_errors

STYLE = {"ok": "green", "warn": "yellow", "fail": "bold red"}


def register(app: typer.Typer) -> None:
    app.command("doctor")(doctor)


@handle_errors()
def doctor(
    camera: bool = typer.Option(
        True, "--camera/--no-camera", help="Probe webcam 0 (never fatal; skip on servers)."
    ),
    stripe: bool = typer.Option(
        True, "--stripe/--no-stripe", help="Contact Stripe when a key is set (short timeout)."
    ),
    json_output: bool = typer.Option(False, "--json", help="Print JSON for scripts."),
) -> None:
    """Check this installation: Python and packages, the bundled pose and face models, the
    data folder, database integrity and schema, disk space, the landmark cache, the keyring,
    a camera and (when a key is set) Stripe. Each check is ok, warn or fail, with a fix.
    Exit 0 when nothing failed (warnings allowed), 1 when a check failed."""
    checks = doctor_mod.run_checks(camera=camera, stripe=stripe)
    code = doctor_mod.exit_code(checks)
    if json_output:
        emit_json(
            {
                "schema_version": 1,
                "status": "fail" if code else "ok",
                "checks": [c.to_dict() for c in checks],
            }
        )
        raise typer.Exit(code)
    table = Table("Check", "Status", "Details", title="Flow Logic doctor")
    for check in checks:
        detail = escape(check.detail)
        if check.fix:
            detail += f"\n[dim]Fix: {escape(check.fix)}[/]"
        style = STYLE[check.status]
        table.add_row(check.name, f"[{style}]{check.status}[/]", detail)
    console.print(table)
    failed = sum(c.status == "fail" for c in checks)
    warned = sum(c.status == "warn" for c in checks)
    console.print(f"{failed} failed, {warned} warning(s).")
    raise typer.Exit(code)
