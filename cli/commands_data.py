"""Your data: backup, restore, import, delete, settings (video retention), cleanup."""

from __future__ import annotations

import sys
from pathlib import Path

import typer
from rich.markup import escape
from rich.table import Table

from flowlogic import backup as backup_mod
from flowlogic import lifecycle, logs, profile_import, profiles
from flowlogic.cli.output import console, emit_json, handle_errors
from flowlogic.errors import UsageError
from flowlogic.store import open_db

JSON = typer.Option(False, "--json", help="Print JSON for scripts.")


def register(app: typer.Typer) -> None:
    app.command("backup")(backup)
    app.command("restore")(restore)
    app.command("import")(import_command)
    app.command("delete")(delete)
    app.command("cleanup")(cleanup)
    settings_app = typer.Typer(
        help="Show or change installation settings (video retention).",
        invoke_without_command=True,
        rich_markup_mode=None,
    )
    settings_app.callback()(settings_show)
    settings_app.command("retention")(settings_retention)
    app.add_typer(settings_app, name="settings")


@handle_errors()
def backup(
    file: Path = typer.Argument(..., help="The backup file to write (e.g. flowlogic-backup.db)."),
    force: bool = typer.Option(False, "--force", help="Replace FILE if it exists."),
    json_output: bool = JSON,
) -> None:
    """Copy the whole database to FILE (consistent even while Flow Logic is in use).
    Recorded videos and cached landmarks are not included. Exit 2 if FILE exists
    without --force."""
    result = backup_mod.backup(file, force=force)
    logs.log_event("data.backup", schema_version=result.schema_version, bytes=result.size_bytes)
    payload = {
        "schema_version": 1,
        "status": "ok",
        "file": str(result.path),
        "bytes": result.size_bytes,
        "database_schema": result.schema_version,
        "profiles": result.profiles,
        "assessments": result.assessments,
    }
    if json_output:
        emit_json(payload)
        return
    console.print(
        f"Backed up {result.profiles} profile(s) and {result.assessments} assessment(s) to "
        f"{escape(str(result.path))} ({result.size_bytes / 1024:.0f} KB).",
        soft_wrap=True,
    )


@handle_errors()
def restore(
    file: Path = typer.Argument(..., help="A file written by `flowlogic backup`."),
    json_output: bool = JSON,
) -> None:
    """Replace the database with a backup. The file is checked first (integrity, a schema
    this version knows); the current database is kept under FLOWLOGIC_HOME/backups/, and
    the restored one is upgraded to the latest schema. Exit 5 if the file is refused."""
    result = backup_mod.restore(file)
    logs.log_event(
        "data.restored",
        schema_before=result.schema_version_before,
        migrations_applied=result.migrations_applied,
    )
    previous = str(result.previous_copy) if result.previous_copy else None
    if json_output:
        emit_json(
            {
                "schema_version": 1,
                "status": "ok",
                "database_schema_before": result.schema_version_before,
                "database_schema": result.schema_version_after,
                "migrations_applied": result.migrations_applied,
                "previous_copy": previous,
                "profiles": result.profiles,
                "assessments": result.assessments,
            }
        )
        return
    console.print(
        f"Restored {result.profiles} profile(s) and {result.assessments} assessment(s) "
        f"from {escape(str(result.source))}.",
        soft_wrap=True,
    )
    if result.migrations_applied:
        applied = ", ".join(map(str, result.migrations_applied))
        console.print(f"Upgraded the schema (migrations {applied}).")
    if previous:
        console.print(f"Your previous database is kept at {escape(previous)}.", soft_wrap=True)


@handle_errors()
def import_command(
    file: Path = typer.Argument(..., help="The .json file written by `flowlogic export`."),
    as_name: str = typer.Option(None, "--as", help="Import under another profile name."),
    json_output: bool = JSON,
) -> None:
    """Rebuild a profile's history (assessments, results, plans, tasks...) from a
    `flowlogic export` JSON file. Exit 5 if the file is refused, 2 if the profile exists."""
    payload = profile_import.read_export(file)
    report = profile_import.import_profile(open_db(), payload, rename=as_name)
    if json_output:
        emit_json({"schema_version": 1, "status": "ok", **report.to_dict()})
        return
    console.print(
        f"Imported profile [bold]{escape(report.profile)}[/] "
        f"({sum(report.rows.values())} rows: {report.rows.get('assessments', 0)} assessments).",
        soft_wrap=True,
    )
    if report.skipped_tables:
        console.print(f"[dim]Not imported (batch bookkeeping): {', '.join(report.skipped_tables)}")


def _interactive() -> bool:
    try:
        return sys.stdin.isatty()
    except (AttributeError, ValueError):
        return False


def _confirm_delete(name: str, yes: bool) -> None:
    if yes:
        return
    if not _interactive():
        raise UsageError(
            f"Deleting '{name}' cannot be undone: add --yes to confirm when not running "
            "interactively."
        )
    if not typer.confirm(
        f"Delete profile '{name}' with all its history, plans, recordings and reports "
        "under the data folder? This cannot be undone.",
        default=False,
    ):
        console.print("Nothing was deleted.")
        raise typer.Exit(0)


@handle_errors()
def delete(
    profile: str = typer.Option(..., "--profile", "-p", help="The profile to delete."),
    yes: bool = typer.Option(False, "--yes", "-y", help="Do not ask for confirmation."),
    json_output: bool = JSON,
) -> None:
    """Delete a profile and everything of it: every database row, its cached landmarks
    (unless another profile used the same video), its recorded videos, and its reports
    and exports under FLOWLOGIC_HOME. Asks first; without a terminal it needs --yes
    (exit 2 otherwise). Files you saved elsewhere are not touched."""
    db = open_db()
    who = profiles.find(db, profile)
    assert who is not None
    _confirm_delete(who.name, yes)
    report = lifecycle.delete_profile(db, who.name)
    if json_output:
        emit_json({"schema_version": 1, "status": "ok", "profile": who.name, **report.to_dict()})
        return
    console.print(
        f"Deleted profile [bold]{escape(who.name)}[/]: {sum(report.rows.values())} database "
        f"rows, {report.landmark_files} cached landmark file(s), {report.videos} recording(s), "
        f"{len(report.files)} report/export file(s) or folder(s).",
        soft_wrap=True,
    )
    if report.landmark_files_kept:
        console.print(
            f"Kept {report.landmark_files_kept} cached landmark file(s) another profile also uses."
        )
    if report.backups_scrubbed:
        console.print(f"Removed it from {report.backups_scrubbed} kept backup(s).")
    for warning in report.warnings:
        console.print(f"[yellow]{escape(warning)}[/]", soft_wrap=True)


@handle_errors()
def cleanup(
    landmarks: bool = typer.Option(
        False, "--landmarks", help="Also remove cached landmarks of videos not in any history."
    ),
    json_output: bool = JSON,
) -> None:
    """Delete recordings older than the retention period (landmarks, results and history
    stay) and files a crash left half-written. This also runs by itself at the start of
    each command when recordings are kept."""
    db = open_db()
    report = lifecycle.cleanup(db, landmarks=landmarks)
    if json_output:
        emit_json({"schema_version": 1, "status": "ok", **report.to_dict()})
        return
    keep = (
        "recordings are not kept"
        if report.retention_days == 0
        else f"recordings are kept {report.retention_days} days"
    )
    console.print(
        f"Deleted {report.videos_deleted} expired recording(s) ({keep}) and "
        f"{report.temp_files} leftover temporary file(s)."
        + (f" Removed {report.landmark_files} unused landmark file(s)." if landmarks else "")
    )


def _settings_payload(db) -> dict:
    from flowlogic import paths
    from flowlogic.recording import retention_days

    return {
        "schema_version": 1,
        "video_retention_days": retention_days(db),
        "active_profile": profiles.active(db).name,
        "data_folder": str(paths.home()),
        "database": str(paths.database_path()),
        "json_logs": logs.enabled(),
    }


@handle_errors()
def settings_show(ctx: typer.Context, json_output: bool = JSON) -> None:
    """Show the installation's settings."""
    if ctx.invoked_subcommand:
        return
    payload = _settings_payload(open_db())
    if json_output:
        emit_json(payload)
        return
    table = Table("Setting", "Value", show_header=False)
    days = payload["video_retention_days"]
    table.add_row("Video retention", "not kept (0)" if days == 0 else f"{days} days")
    table.add_row("Active profile", escape(payload["active_profile"]))
    table.add_row("Data folder", escape(payload["data_folder"]))
    console.print(table)
    console.print("Change the retention with [bold]flowlogic settings retention DAYS[/].")


@handle_errors()
def settings_retention(
    days: int = typer.Argument(
        None, help="Days to keep recorded videos (0 = delete right after scoring)."
    ),
    json_output: bool = JSON,
) -> None:
    """Show or set how long recorded videos are kept (default 90 days; 0 = never keep).
    Landmarks, results and history are always kept. Expired videos are deleted now."""
    from flowlogic.recording import retention_days, set_retention_days

    db = open_db()
    purged = 0
    if days is not None:
        set_retention_days(db, days)
        purged = lifecycle.cleanup(db).videos_deleted
    current = retention_days(db)
    if json_output:
        emit_json({"schema_version": 1, "video_retention_days": current, "deleted": purged})
        return
    words = "not kept after scoring" if current == 0 else f"kept for {current} days"
    console.print(f"Recorded videos are {words}.")
    if purged:
        console.print(f"Deleted {purged} recording(s) older than that.")


# --- at the start of every command --------------------------------------------------------


def _exit_code_now() -> int:
    """The exit code of the command that is ending (read while its exception unwinds)."""
    error = sys.exc_info()[1]
    if error is None:
        return 0
    code = getattr(error, "exit_code", None)
    if code is None:
        code = getattr(error, "code", 1)
    return code if isinstance(code, int) else 1


def start_command(ctx: typer.Context, log_json: bool) -> None:
    """Run by the root callback before any command: switch on JSON logs when asked, log the
    command's start and end (name, exit code, duration; no arguments, which may hold names
    or paths), and purge expired recordings (cheap when none are kept)."""
    import time

    if log_json:
        logs.enable()
    command = ctx.invoked_subcommand or ""
    started = time.monotonic()
    logs.log_event("command.start", command=command)

    def finished() -> None:
        logs.log_event(
            "command.end",
            command=command,
            exit_code=_exit_code_now(),
            duration_ms=round((time.monotonic() - started) * 1000),
        )
        logs.enable(False)  # the switch lasts one command (tests run many in one process)

    ctx.call_on_close(finished)
    if command not in ("restore", "doctor", "backup"):
        lifecycle.purge_on_start()
