"""Reports, exports, charts and the share card."""

from __future__ import annotations

from pathlib import Path

import typer
from rich.markup import escape

from flowlogic import charts, clock, export, profiles, reports, share_card, tiers
from flowlogic.catalog import find_test
from flowlogic.cli.output import console, emit_json, handle_errors
from flowlogic.errors import NotFound, UsageError
from flowlogic.store import open_db

JSON = typer.Option(False, "--json", help="Print JSON for scripts.")
PROFILE = typer.Option(None, "--profile", "-p", help="Profile (default: active).")


def register(app: typer.Typer) -> None:
    app.command("report")(report)
    app.command("export")(export_command)
    app.command("share-card")(share_card_command)
    app.command("chart")(chart)


def _done(files: list[Path], json_output: bool, **extra: object) -> None:
    if json_output:
        emit_json({"schema_version": 1, "status": "ok", "files": [str(f) for f in files], **extra})
        return
    for path in files:
        console.print(f"Wrote {escape(str(path))}", soft_wrap=True)


def _latest_assessment(db, profile_id: int) -> int:
    row = db.execute(
        "SELECT id FROM assessments WHERE profile_id = ? ORDER BY created_at DESC, id DESC LIMIT 1",
        [profile_id],
    ).fetchone()
    if row is None:
        raise NotFound("No assessments yet for this profile. Score one with `flowlogic score`.")
    return int(row[0])


@handle_errors()
def report(
    assessment_id: int = typer.Argument(
        None, help="Assessment id (see `flowlogic history`); default: the latest one."
    ),
    full: bool = typer.Option(False, "--full", help="The full report (Pro and Pro+)."),
    all_profiles: bool = typer.Option(
        False, "--all-profiles", help="With --full: one full report per profile (coaches)."
    ),
    profile: str = PROFILE,
    out: Path = typer.Option(Path("."), "--out", "-o", help="Folder to write into."),
    fmt: str = typer.Option("both", "--format", "-f", help="pdf, html or both."),
    initials: bool = typer.Option(
        False, "--initials", help="Show the profile's initials instead of the name."
    ),
    days: int = typer.Option(None, "--days", help="Chart period of the full report (7-90)."),
    json_output: bool = JSON,
) -> None:
    """Write a report as PDF and HTML: one assessment (all plans), or --full (Pro, Pro+)."""
    db = open_db()
    formats = reports.parse_formats(fmt)
    if full:
        if assessment_id is not None:
            raise UsageError("Give an assessment id or --full, not both.")
        tiers.require_feature(db, "report_full")
        who = profiles.list_all(db) if all_profiles else [profiles.resolve(db, profile)]
        files: list[Path] = []
        for person in who:
            files += reports.full_report(db, person.id, out, formats, initials=initials, days=days)
        _done(files, json_output)
        return
    if all_profiles:
        raise UsageError("--all-profiles goes with --full.")
    tiers.require_feature(db, "report_assessment")
    if assessment_id is None:
        assessment_id = _latest_assessment(db, profiles.resolve(db, profile).id)
    elif profile:
        owner = profiles.resolve(db, profile)
        row = db.execute("SELECT profile_id FROM assessments WHERE id = ?", [assessment_id])
        found = row.fetchone()
        if found and int(found[0]) != owner.id:
            raise UsageError(f"Assessment {assessment_id} belongs to another profile.")
    files = reports.assessment_report(db, assessment_id, out, formats, initials=initials)
    _done(files, json_output, assessment_id=assessment_id)


@handle_errors()
def export_command(
    profile: str = PROFILE,
    fmt: str = typer.Option("both", "--format", "-f", help="json, csv or both."),
    out: Path = typer.Option(Path("."), "--out", "-o", help="Folder to write into."),
    videos: bool = typer.Option(
        False, "--videos", help="Also copy the recordings still kept on this machine."
    ),
    json_output: bool = JSON,
) -> None:
    """Export a profile's history (assessments, results, plans...) as JSON and CSV."""
    db = open_db()
    result = export.export_profile(
        db, profile, out, formats=export.parse_formats(fmt), videos=videos
    )
    _done(
        result.paths,
        json_output,
        profile=result.profile,
        rows=result.counts,
        videos_copied=result.videos_copied,
        videos_missing=result.videos_missing,
    )
    if not json_output and videos and result.videos_missing:
        console.print(f"{result.videos_missing} recording(s) are no longer on this machine.")


@handle_errors()
def share_card_command(
    profile: str = PROFILE,
    with_name: bool = typer.Option(
        False, "--with-name", help="Print the profile's name on the card (off by default)."
    ),
    out: Path = typer.Option(
        None, "--out", "-o", help="PNG file (default: ./share-card-DATE.png)."
    ),
    json_output: bool = JSON,
) -> None:
    """A PNG card with your streak, completion and improvements (Pro+). No personal data
    unless you add --with-name."""
    db = open_db()
    tiers.require_feature(db, "retention")
    who = profiles.resolve(db, profile)
    path = share_card.write_share_card(db, who.id, out, with_name=with_name)
    _done([path], json_output)


@handle_errors()
def chart(
    kind: str = typer.Argument(..., help="streak, completion or scores."),
    days: int = typer.Option(None, "--days", "-d", help="Period in days (7-90, default 30)."),
    test: str = typer.Option(None, "--test", "-t", help="With scores: the test (id or slug)."),
    profile: str = PROFILE,
    out: Path = typer.Option(None, "--out", "-o", help="PNG file (default: ./chart-KIND.png)."),
    json_output: bool = JSON,
) -> None:
    """Draw a chart as PNG (Basic and above); with --json, print its data instead."""
    db = open_db()
    tiers.require_feature(db, "charts")
    who = profiles.resolve(db, profile)
    kind = kind.strip().lower()
    test_id = find_test(test).id if test else None
    if json_output:
        emit_json(
            {
                "schema_version": 1,
                "kind": kind,
                "profile": who.name,
                "points": charts.chart_data(db, who.id, kind, days=days, test=test_id),
            }
        )
        return
    png = charts.chart_png(db, who.id, kind, days=days, test=test_id)
    target = out or Path(f"chart-{kind}-{clock.today().isoformat()}.png")
    _done([charts.write_png(target, png)], json_output=False)
