"""Set-up commands: consent, profiles, the test catalog."""

from __future__ import annotations

import shlex

import typer
from rich.markup import escape
from rich.table import Table

from flowlogic import consent as consent_mod
from flowlogic import profiles, tiers
from flowlogic.catalog import TIER_NAMES, find_test, load_catalog, load_data_toml
from flowlogic.cli.output import console, emit_json, handle_errors
from flowlogic.scoring.registry import has_scorer
from flowlogic.store import open_db

JSON = typer.Option(False, "--json", help="Print JSON for scripts.")


def position_words(position: str) -> str:
    """ "prone" -> "lying face down" (the words the recording checks use)."""
    return load_data_toml("quality.toml")["words"]["position"].get(position, position)


def register(app: typer.Typer) -> None:
    app.command("consent")(consent)
    profile_app = typer.Typer(
        help="Manage profiles (a person, or a coach's clients).",
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    profile_app.command("add")(profile_add)
    profile_app.command("list")(profile_list)
    profile_app.command("use")(profile_use)
    profile_app.command("show")(profile_show)
    app.add_typer(profile_app, name="profile")
    tests_app = typer.Typer(
        help="The movement tests: list them, or read one's instructions.",
        invoke_without_command=True,
        rich_markup_mode=None,
    )
    tests_app.callback()(tests_list)
    tests_app.command("show")(tests_show)
    app.add_typer(tests_app, name="tests")


@handle_errors()
def consent(
    accept: bool = typer.Option(False, "--accept", help="Accept the wellness disclaimer."),
    json_output: bool = JSON,
) -> None:
    """Show the wellness disclaimer and whether it is accepted (accept with --accept)."""
    db = open_db()
    text = consent_mod.disclaimer()
    state = consent_mod.accept(db) if accept else consent_mod.accepted(db)
    if json_output:
        emit_json(
            {
                "schema_version": 1,
                "version": text.version,
                "text": text.text,
                "accepted": bool(state),
                "accepted_at": state["accepted_at"] if state else None,
            }
        )
        return
    console.print(text.text, soft_wrap=True)
    if state:
        console.print(f"\n[green]Accepted[/] on {state['accepted_at']} (version {text.version}).")
    else:
        console.print("\nNot accepted yet. Run [bold]flowlogic consent --accept[/] to accept.")


@handle_errors()
def profile_add(
    name: str = typer.Argument(..., help="Profile name (letters, digits, spaces, . - _)."),
    email: str = typer.Option(None, "--email", help="Optional e-mail."),
    birth_year: int = typer.Option(None, "--birth-year", help="For age norms."),
    dominant_side: str = typer.Option(None, "--dominant-side", help="left or right."),
    use: bool = typer.Option(False, "--use", help="Make it the active profile."),
    json_output: bool = JSON,
) -> None:
    """Add a profile."""
    db = open_db()
    profile = profiles.add(
        db, name, email=email, birth_year=birth_year, dominant_side=dominant_side
    )
    if use:
        profiles.use(db, profile.name)
    if json_output:
        emit_json(profile.to_dict())
    else:
        console.print(f"Added profile [bold]{escape(profile.name)}[/].")
        active = profiles.active(db)
        if active.id != profile.id:
            console.print(
                f"The active profile is still {escape(active.name)}: "
                f"`flowlogic profile use {escape(shlex.quote(profile.name))}` to switch "
                "(or add with --use)."
            )


@handle_errors()
def profile_list(json_output: bool = JSON) -> None:
    """List profiles; the active one is marked."""
    db = open_db()
    active = profiles.active(db)
    rows = profiles.list_all(db)
    if json_output:
        emit_json([{**p.to_dict(), "active": p.id == active.id} for p in rows])
        return
    table = Table("", "Name", "Birth year", "Dominant side", "Created")
    for p in rows:
        table.add_row(
            "*" if p.id == active.id else "",
            escape(p.name),
            str(p.birth_year or ""),
            p.dominant_side or "",
            p.created_at[:10],
        )
    console.print(table)


@handle_errors()
def profile_use(
    name: str = typer.Argument(..., help="Profile to make active."), json_output: bool = JSON
) -> None:
    """Make a profile the active one."""
    profile = profiles.use(open_db(), name)
    if json_output:
        emit_json(profile.to_dict())
    else:
        console.print(f"Active profile: [bold]{escape(profile.name)}[/].")


@handle_errors()
def profile_show(
    name: str = typer.Argument(None, help="Profile (default: the active one)."),
    json_output: bool = JSON,
) -> None:
    """Show a profile."""
    profile = profiles.resolve(open_db(), name)
    if json_output:
        emit_json(profile.to_dict())
        return
    for key, value in profile.to_dict().items():
        console.print(f"[bold]{key}[/]: {escape(str(value if value is not None else ''))}")


@handle_errors()
def tests_list(ctx: typer.Context, json_output: bool = JSON) -> None:
    """List all 15 tests with their view, what they need, and whether your plan unlocks them."""
    if ctx.invoked_subcommand:
        return
    current = tiers.current_tier(open_db())
    items = []
    for spec in load_catalog():
        unlocked = current.allows(spec)
        items.append(
            {
                "id": spec.id,
                "slug": spec.slug,
                "name": spec.name,
                "view": list(spec.views),
                "framing": spec.framing,
                "position": spec.position,
                "kind": spec.kind,
                "duration_limit_s": spec.duration_limit_s,
                "equipment": list(spec.equipment),
                "summary": spec.summary,
                "unlocked": unlocked,
                "unlocked_from": TIER_NAMES[tiers.unlocking_tier(spec).key],
                "available": has_scorer(spec),
                "instructions": list(spec.instructions),
            }
        )
    if json_output:
        emit_json({"schema_version": 1, "tier": current.name, "tests": items})
        return
    table = Table(title=f"Movement tests — your plan: {current.name}")
    table.add_column("ID", justify="right")
    table.add_column("Slug", no_wrap=True)
    table.add_column("Name")
    table.add_column("View")
    table.add_column("Position")
    table.add_column("Max s", justify="right")
    table.add_column("Your plan", no_wrap=True)
    for item in items:
        status = "[green]unlocked[/]" if item["unlocked"] else f"[dim]{item['unlocked_from']}[/]"
        if item["unlocked"] and not item["available"]:
            status = "[yellow]coming soon[/]"
        table.add_row(
            str(item["id"]),
            item["slug"],
            item["name"],
            " or ".join(item["view"]),
            position_words(item["position"]),
            f"{item['duration_limit_s']:g}",
            status,
        )
    console.print(table)
    console.print("Read a test's instructions: [bold]flowlogic tests show SLUG[/]")


@handle_errors()
def tests_show(
    test: str = typer.Argument(..., help="Test id or slug."), json_output: bool = JSON
) -> None:
    """How to set up and what to do, as you read it before recording."""
    spec = find_test(test)
    if json_output:
        emit_json(
            {
                "id": spec.id,
                "slug": spec.slug,
                "name": spec.name,
                "summary": spec.summary,
                "view": list(spec.views),
                "framing": spec.framing,
                "position": spec.position,
                "duration_limit_s": spec.duration_limit_s,
                "setup": list(spec.setup),
                "instructions": list(spec.instructions),
                "equipment": list(spec.equipment),
            }
        )
        return
    console.print(f"[bold]{spec.id}. {escape(spec.name)}[/]  ({spec.slug})\n")
    console.print(escape(spec.summary), soft_wrap=True)
    console.print(
        f"\n[bold]Camera[/]: {spec.view_label} view, "
        f"{'full body' if spec.framing == 'full' else 'upper body'} in the picture; "
        f"{position_words(spec.position)}; at most {spec.duration_limit_s:g} s."
    )
    if spec.setup:
        console.print("\n[bold]Set up[/]")
        for line in spec.setup:
            console.print(f"  • {escape(line)}", soft_wrap=True)
    console.print("\n[bold]What to do[/]")
    for number, line in enumerate(spec.instructions, 1):
        console.print(f"  {number}. {escape(line)}", soft_wrap=True)
