"""Licence activation and refresh against a real Stripe emulator (localstripe).

The `localstripe_server` fixture starts localstripe on a free loopback port; each test
seeds customers, plans with `flowlogic_tier` metadata, cards and subscriptions through the
official SDK, then drives `flowlogic.licence` (and the CLI) at it. Time after a period end
is reached with time-machine; localstripe keeps its own (real) clock.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from typer.testing import CliRunner

from flowlogic import clock, tiers
from flowlogic.cli.app import app
from flowlogic.errors import NotFound
from flowlogic.licence import service
from flowlogic.store import open_db

pytest_plugins = ["tests.stripe_fake"]
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


@pytest.fixture
def db():
    return open_db()


@pytest.mark.parametrize("tier", ["basic", "pro", "proplus"])
def test_activation_by_email_gives_the_plan_metadata_tier(licence_env, db, tier):
    customer = licence_env.admin.customer(f"{tier}@example.com")
    sub = licence_env.admin.subscribe(customer, tier)
    assert sub["status"] == "active"

    state = service.activate(db, email=f"{tier}@example.com")

    assert (state.tier, state.source, state.subscription_status) == (tier, "stripe", "active")
    assert state.customer_id == customer
    assert state.period_end is not None and state.period_end > clock.now_utc()
    assert tiers.current_tier(db).key == tier
    assert state.grace_left == timedelta(days=7)


def test_activation_by_customer_id(licence_env, db):
    customer = licence_env.admin.customer("id@example.com")
    licence_env.admin.subscribe(customer, "pro")
    state = service.activate(db, customer_id=customer)
    assert state.tier == "pro"
    assert state.email == "id@example.com"


def test_unknown_customer_is_refused_and_leaves_free(licence_env, db):
    licence_env.admin.customer("someone@example.com")
    with pytest.raises(NotFound, match=r"nobody@example\.com"):
        service.activate(db, email="nobody@example.com")
    with pytest.raises(NotFound, match="cus_doesnotexist"):
        service.activate(db, customer_id="cus_doesnotexist")
    assert tiers.current_tier(db).key == "free"


def test_customer_without_subscription_is_free(licence_env, db):
    licence_env.admin.customer("lapsed@example.com")
    state = service.activate(db, email="lapsed@example.com")
    assert (state.tier, state.subscription_status) == ("free", "none")
    assert "No paying subscription" in state.message


def test_failed_first_payment_leaves_free(licence_env, db):
    customer = licence_env.admin.customer("declined@example.com", card="pm_card_chargeCustomerFail")
    sub = licence_env.admin.subscribe(customer, "proplus")
    assert sub["status"] == "incomplete"
    state = service.activate(db, email="declined@example.com")
    assert (state.tier, state.subscription_status) == ("free", "incomplete")


def test_cancellation_keeps_the_tier_until_the_period_ends_then_free(licence_env, db):
    customer = licence_env.admin.customer("cancel@example.com")
    sub = licence_env.admin.subscribe(customer, "pro")
    service.activate(db, email="cancel@example.com")

    canceled = licence_env.admin.cancel(sub["id"])
    assert canceled["status"] == "canceled"
    state = service.refresh(db)
    assert (state.tier, state.subscription_status) == ("pro", "canceled")
    assert "until the current period ends" in state.message
    period_end = state.period_end
    assert period_end is not None

    with time_machine.travel(period_end - timedelta(days=1), tick=False):
        assert service.refresh(db).tier == "pro"  # the last day of the paid period
    with time_machine.travel(period_end + timedelta(hours=1), tick=False):
        # Without a network check, the sealed cache already knows the period is over...
        cached = service.current(db, auto_refresh=False)
        assert (cached.tier, cached.source) == ("free", "cache")
        assert "period ended" in cached.message
        # ...and Stripe, asked again, agrees.
        fresh = service.refresh(db)
        assert (fresh.tier, fresh.subscription_status) == ("free", "canceled")
        assert tiers.current_tier(db).key == "free"


def test_past_due_keeps_the_tier_until_the_period_ends(licence_env, db):
    admin = licence_env.admin
    customer = admin.customer("late@example.com")
    sub = admin.subscribe(customer, "proplus")
    service.activate(db, email="late@example.com")

    assert admin.make_past_due(sub, customer, "proplus") == "past_due"
    state = service.refresh(db)
    assert (state.tier, state.subscription_status) == ("proplus", "past_due")
    assert "past due" in state.message and "flowlogic licence portal" in state.message
    assert state.period_end is not None

    with time_machine.travel(state.period_end - timedelta(minutes=5), tick=False):
        assert service.refresh(db).tier == "proplus"
    with time_machine.travel(state.period_end + timedelta(minutes=5), tick=False):
        after = service.refresh(db)
        assert (after.tier, after.subscription_status) == ("free", "past_due")


def test_refresh_follows_a_plan_change(licence_env, db):
    admin = licence_env.admin
    customer = admin.customer("grow@example.com")
    basic = admin.subscribe(customer, "basic")
    assert service.activate(db, email="grow@example.com").tier == "basic"
    admin.cancel(basic["id"])
    admin.subscribe(customer, "proplus")
    assert service.refresh(db).tier == "proplus"


def test_automatic_daily_check_notices_a_cancellation(licence_env, db):
    admin = licence_env.admin
    customer = admin.customer("auto@example.com")
    sub = admin.subscribe(customer, "pro")
    service.activate(db, email="auto@example.com")
    admin.cancel(sub["id"])

    # Within the day: the sealed cache answers, no Stripe call.
    assert service.current(db).subscription_status == "active"
    with time_machine.travel(clock.now_utc() + timedelta(hours=25), tick=False):
        state = service.current(db)
        assert (state.tier, state.source, state.subscription_status) == (
            "pro",
            "stripe",
            "canceled",
        )


def test_new_user_goes_from_free_to_proplus_on_the_command_line(licence_env):
    admin = licence_env.admin
    admin.subscribe(admin.customer("new.user@example.com"), "proplus")
    runner = CliRunner()

    before = json.loads(runner.invoke(app, ["tests", "--json"]).stdout)
    assert before["tier"] == "Free"
    assert sorted(t["id"] for t in before["tests"] if t["unlocked"]) == [3, 4, 7]

    activated = runner.invoke(app, ["licence", "activate", "--email", "new.user@example.com"])
    assert activated.exit_code == 0, activated.output
    assert "Pro+" in activated.stdout
    assert "Unlocked tests 1, 2, 5, 6, 8, 9, 10, 11, 12, 13, 14, 15" in activated.stdout

    after = json.loads(runner.invoke(app, ["tests", "--json"]).stdout)
    assert after["tier"] == "Pro+"
    assert all(t["unlocked"] for t in after["tests"])

    status = runner.invoke(app, ["licence", "status", "--json"])
    payload = json.loads(status.stdout)
    assert (payload["tier"], payload["source"], payload["subscription_status"]) == (
        "proplus",
        "cache",
        "active",
    )
    assert 6 * 86_400 < payload["grace_left_s"] <= 7 * 86_400


def test_activate_needs_exactly_one_of_email_or_customer(licence_env):
    result = CliRunner().invoke(app, ["licence", "activate"])
    assert result.exit_code == 2
    assert "exactly one of --email or --customer" in result.output
