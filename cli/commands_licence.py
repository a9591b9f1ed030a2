"""Licence and limits commands: `flowlogic licence ...` and `flowlogic limits`."""

from __future__ import annotations

import sys
import webbrowser

import typer
from rich.markup import escape
from rich.table import Table

from flowlogic import tiers
from flowlogic.cli.output import console, emit_json, err_console, handle_errors
from flowlogic.licence import checkout, service
from flowlogic.licence.keys import SERVICE
from flowlogic.store import open_db

JSON = typer.Option(False, "--json", help="Print JSON for scripts.")
OPEN = typer.Option(
    None,
    "--open/--no-open",
    help="Open the page in your browser (default: ask when run in a terminal).",
)

SOURCE_WORDS = {
    "none": "no licence activated",
    "stripe": "verified with Stripe just now",
    "cache": "sealed cache (verified earlier)",
    "offline": "sealed cache, Stripe unreachable (offline grace)",
    "grace-over": "offline grace over",
    "tampered": "cache failed its integrity check",
    "unverifiable": "cache cannot be checked (no sealing secret)",
}


def register(app: typer.Typer) -> None:
    licence_app = typer.Typer(
        help=(
            "Your plan (Free, Basic, Pro, Pro+), verified with Stripe. The Stripe key lives in "
            "the system keyring (or FLOWLOGIC_STRIPE_KEY on headless machines)."
        ),
        no_args_is_help=True,
        rich_markup_mode=None,
    )
    licence_app.command("login")(login)
    licence_app.command("logout")(logout)
    licence_app.command("activate")(activate)
    licence_app.command("status")(status)
    licence_app.command("refresh")(refresh)
    licence_app.command("upgrade")(upgrade)
    licence_app.command("portal")(portal)
    app.add_typer(licence_app, name="licence")
    app.command("limits")(limits)


def _interactive(json_output: bool) -> bool:
    return sys.stdin.isatty() and not json_output


def _print_status(state: service.LicenceStatus) -> None:
    table = Table(show_header=False, box=None, pad_edge=False)
    table.add_column(style="bold")
    table.add_column()
    table.add_row("Plan", state.tier_name)
    table.add_row("Source", SOURCE_WORDS.get(state.source, state.source))
    if state.subscribed_tier or state.subscription_status:
        subscribed = (
            tiers.tier(state.subscribed_tier).name if state.subscribed_tier else "no paid plan"
        )
        table.add_row("Subscription", f"{subscribed}, {state.subscription_status or 'none'}")
    if state.customer_id:
        table.add_row("Customer", escape(state.customer_id))
    if state.verified_at:
        table.add_row("Verified at", service.local_time(state.verified_at))
    if state.period_end:
        table.add_row("Period end", service.local_time(state.period_end))
    if state.grace_left is not None:
        table.add_row("Offline grace left", service.duration(state.grace_left))
    console.print(table)
    console.print(escape(state.message), soft_wrap=True)


def _unlocked_names(tier_key: str) -> set[int]:
    return set(tiers.tier(tier_key).tests)


@handle_errors()
def login(
    key_stdin: bool = typer.Option(
        False, "--key-stdin", help="Read the key from standard input instead of prompting."
    ),
    no_verify: bool = typer.Option(
        False, "--no-verify", help="Store the key without a test call to Stripe."
    ),
    json_output: bool = JSON,
) -> None:
    """Store your Stripe key in the system keyring (a restricted read-only key is enough)."""
    if key_stdin or not sys.stdin.isatty():
        api_key = sys.stdin.readline().strip()
    else:
        api_key = typer.prompt("Stripe key (input hidden)", hide_input=True)
    warning = service.login(api_key, verify=not no_verify)
    if json_output:
        emit_json({"schema_version": 1, "stored": True, "service": SERVICE, "warning": warning})
        return
    console.print(f"Key stored in the system keyring (service [bold]{SERVICE}[/]).")
    if warning:
        err_console.print(f"[yellow]{escape(warning)}[/]", soft_wrap=True)
    console.print("Next: [bold]flowlogic licence activate --email YOU@EXAMPLE.COM[/]")


@handle_errors()
def logout(json_output: bool = JSON) -> None:
    """Forget the stored Stripe key and the cached licence (back to Free; no data is deleted)."""
    result = service.logout(open_db())
    if json_output:
        emit_json({"schema_version": 1, **result})
        return
    console.print(
        "Stripe key removed from the keyring."
        if result["key_removed"]
        else "No Stripe key was stored in the keyring."
    )
    console.print(
        "Cached licence cleared: this installation runs as Free. Your history is kept."
        if result["licence_cleared"]
        else "No licence was activated."
    )
    if result["env_key_set"]:
        console.print("FLOWLOGIC_STRIPE_KEY is still set in your environment.")


@handle_errors()
def activate(
    email: str = typer.Option(None, "--email", help="The e-mail you subscribed with."),
    customer: str = typer.Option(None, "--customer", help="Your Stripe customer ID (cus_...)."),
    json_output: bool = JSON,
) -> None:
    """Find your subscription in Stripe and unlock your plan on this installation."""
    db = open_db()
    before = service.current(db, auto_refresh=False).tier
    state = service.activate(db, email=email, customer_id=customer)
    gained = sorted(_unlocked_names(state.tier) - _unlocked_names(before))
    if json_output:
        emit_json({"schema_version": 1, **state.to_dict(), "tests_unlocked": gained})
        return
    _print_status(state)
    if gained:
        console.print(
            f"[green]Unlocked[/] tests {', '.join(map(str, gained))}: see [bold]flowlogic tests[/]."
        )


@handle_errors()
def status(
    no_check: bool = typer.Option(
        False, "--no-check", help="Only read the cache; do not re-check with Stripe when due."
    ),
    json_output: bool = JSON,
) -> None:
    """Your plan, where it comes from, when it was verified, period end and grace left."""
    state = service.current(open_db(), auto_refresh=not no_check)
    if json_output:
        emit_json({"schema_version": 1, **state.to_dict()})
        return
    _print_status(state)


@handle_errors()
def refresh(json_output: bool = JSON) -> None:
    """Verify your licence with Stripe now."""
    state = service.refresh(open_db())
    if json_output:
        emit_json({"schema_version": 1, **state.to_dict()})
        return
    _print_status(state)


def _hand_over(page: checkout.HostedPage, open_browser: bool | None, json_output: bool) -> None:
    if json_output:
        emit_json({"schema_version": 1, **page.to_dict()})
    else:
        console.print(page.url, soft_wrap=True)
    if open_browser is None:
        open_browser = _interactive(json_output) and typer.confirm(
            "Open it in your browser?", default=True
        )
    if open_browser and not webbrowser.open(page.url):
        err_console.print("No browser could be started; open the link above yourself.")


@handle_errors()
def upgrade(
    tier: str = typer.Argument(..., help="basic, pro or proplus (Pro+)."),
    email: str = typer.Option(
        None, "--email", help="Pre-fill the e-mail on the payment page (new subscribers)."
    ),
    open_browser: bool = OPEN,
    json_output: bool = JSON,
) -> None:
    """Create a Stripe Checkout page for a plan and print its link."""
    page = checkout.checkout_page(open_db(), tier, email=email)
    if not json_output:
        console.print(
            f"Subscribe to {tiers.tier(page.tier or 'free').name} on Stripe's page, then run "
            "[bold]flowlogic licence activate --email YOU@EXAMPLE.COM[/] (or "
            "[bold]flowlogic licence refresh[/] if already activated):"
        )
    _hand_over(page, open_browser, json_output)


@handle_errors()
def portal(open_browser: bool = OPEN, json_output: bool = JSON) -> None:
    """Open the Stripe Billing Portal: change plan, update the card, cancel."""
    page = checkout.portal_page(open_db())
    if not json_output:
        console.print("Manage your subscription on Stripe's page:")
    _hand_over(page, open_browser, json_output)


@handle_errors()
def limits(
    profile: str = typer.Option(None, "--profile", "-p", help="Profile (default: active)."),
    json_output: bool = JSON,
) -> None:
    """Tests used this month and attempts left today, per test (local time)."""
    report = tiers.limits(open_db(), profile)
    if json_output:
        emit_json(report.to_dict())
        return
    month_reset = f"{report.month_resets:%Y-%m-%d %H:%M}"
    day_reset = f"{report.day_resets:%Y-%m-%d %H:%M}"
    console.print(
        f"[bold]{escape(report.profile)}[/] · plan {report.tier.name} · "
        f"{report.day.isoformat()} ({escape(report.zone)})"
    )
    used = f" (tests {', '.join(map(str, report.month_tests))})" if report.month_tests else ""
    console.print(
        f"Different tests completed this month: {len(report.month_tests)} of "
        f"{report.month_cap}{used}; new tests reset {month_reset}."
    )
    console.print(
        f"Attempts: {report.attempts_per_day} per test per day (valid or not); reset {day_reset}."
    )
    why = {
        "LOCKED_BY_TIER": "locked",
        "DAILY_ATTEMPT_CAP": "none left today",
        "MONTHLY_TEST_CAP": "month full",
    }
    table = Table("ID", "Test", "This month", "Today", "Left today", "Status")
    for row in report.tests:
        if row.blocked_by == "LOCKED_BY_TIER":
            state = f"[dim]{row.unlocked_from}[/]"
        elif row.blocked_by:
            state = f"[yellow]{why[row.blocked_by]}[/]"
        else:
            state = "[green]available[/]"
        table.add_row(
            str(row.test_id),
            escape(row.name),
            "completed" if row.completed_this_month else "",
            f"{row.attempts_today}/{report.attempts_per_day}" if row.unlocked else "",
            str(row.attempts_left_today) if row.unlocked else "",
            state,
        )
    console.print(table)
