"""The sealed licence cache: tampering never raises the tier; offline (connection refused,
timeout, 5xx) the cached tier holds for 7 days after the last verification, then Free.

Stripe is localstripe (started by the fixture) for activation; "unreachable" is a closed
loopback port, or a local stub that answers 503 or too slowly.
"""

from __future__ import annotations

import json
from datetime import timedelta

import pytest
import time_machine
from typer.testing import CliRunner

from flowlogic import tiers
from flowlogic.cli.app import app
from flowlogic.licence import cache, service
from flowlogic.licence.errors import StripeKeyRejected, StripeUnreachable
from flowlogic.licence.stripe_client import StripeGateway
from flowlogic.store import open_db

pytest_plugins = ["tests.stripe_fake"]
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")


@pytest.fixture
def db():
    return open_db()


@pytest.fixture
def basic_licence(licence_env, db):
    """An installation activated on Basic against localstripe."""
    admin = licence_env.admin
    admin.subscribe(admin.customer("holder@example.com"), "basic")
    state = service.activate(db, email="holder@example.com")
    assert state.tier == "basic"
    return state


def closed_port_url() -> str:
    from tests.stripe_fake import free_port

    return f"http://127.0.0.1:{free_port()}"


@pytest.mark.parametrize(
    "edit",
    [
        "UPDATE licence_cache SET subscribed_tier = 'proplus'",
        "UPDATE licence_cache SET verified_at = '2099-01-01T00:00:00+00:00'",
        "UPDATE licence_cache SET status = 'past_due', period_end = '2099-01-01T00:00:00+00:00'",
        "UPDATE licence_cache SET customer_id = 'cus_somebody_else'",
        "UPDATE licence_cache SET mac = 'aa' || substr(mac, 3)",
        "UPDATE licence_cache SET verified_at = 'not a date'",
    ],
)
def test_editing_the_licence_row_does_not_raise_the_tier(basic_licence, db, edit):
    db.execute(edit)
    state = service.current(db, auto_refresh=False)
    assert (state.tier, state.source) == ("free", "tampered")
    assert "integrity check" in state.message and "flowlogic licence refresh" in state.message
    assert tiers.current_tier(db).key == "free"


def test_a_forged_proplus_row_shows_as_free_on_the_command_line(basic_licence, db):
    db.execute("UPDATE licence_cache SET subscribed_tier = 'proplus'")
    runner = CliRunner()
    listing = json.loads(runner.invoke(app, ["tests", "--json"]).stdout)
    assert listing["tier"] == "Free"
    status = json.loads(runner.invoke(app, ["licence", "status", "--json"]).stdout)
    assert (status["tier"], status["source"]) == ("free", "tampered")


def test_refresh_after_tampering_restores_the_true_tier_only(basic_licence, db):
    db.execute("UPDATE licence_cache SET subscribed_tier = 'proplus'")
    assert service.refresh(db).tier == "basic"
    assert service.current(db, auto_refresh=False).source == "cache"


def test_a_row_sealed_by_another_installation_is_rejected(basic_licence, db, memory_keyring):
    memory_keyring.entries.clear()  # another machine: a different sealing secret
    memory_keyring.entries[("flowlogic", "licence-cache-secret")] = "f" * 64
    state = service.current(db, auto_refresh=False)
    assert (state.tier, state.source) == ("free", "tampered")


def test_no_secret_in_the_licence_row(basic_licence, db, memory_keyring):
    row = json.dumps(list(db.query("SELECT * FROM licence_cache")))
    for secret in memory_keyring.entries.values():
        assert secret not in row


def test_offline_within_grace_keeps_the_tier_and_says_so(basic_licence, db, monkeypatch):
    verified = basic_licence.verified_at
    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", closed_port_url())
    with time_machine.travel(verified + timedelta(days=3), tick=False):
        with pytest.raises(StripeUnreachable) as offline:
            service.refresh(db)
        message = offline.value.message
        assert "Stripe could not be reached (connection refused or no network)" in message
        assert "Using Basic as verified 3 d 0 h ago; 4 d 0 h of the 7-day offline grace left" in (
            message
        )
        state = service.current(db)  # gating: the automatic check is not retried yet
        assert (state.tier, state.source) == ("basic", "offline")
        assert state.grace_left == timedelta(days=4)
        assert tiers.current_tier(db).key == "basic"


def test_offline_after_grace_falls_back_to_free_and_says_so(basic_licence, db, monkeypatch):
    verified = basic_licence.verified_at
    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", closed_port_url())
    with time_machine.travel(verified + timedelta(days=7, minutes=1), tick=False):
        state = service.current(db)  # the automatic check fails: connection refused
        assert (state.tier, state.source) == ("free", "grace-over")
        assert state.grace_left == timedelta(0)
        assert "7-day offline grace is over" in state.message
        assert "connection refused" in state.message
        assert "Nothing is deleted" in state.message
        assert tiers.current_tier(db).key == "free"
        runner = CliRunner()
        refused = runner.invoke(app, ["licence", "refresh"])
        assert refused.exit_code == 6
        assert "offline grace is over" in refused.output


def test_back_online_after_grace_restores_the_tier(basic_licence, db):
    with time_machine.travel(basic_licence.verified_at + timedelta(days=30), tick=False):
        state = service.current(db)  # due for a check, and localstripe answers
        assert (state.tier, state.source) == ("basic", "stripe")


def test_server_errors_count_as_offline_after_a_bounded_retry(
    basic_licence, db, monkeypatch, stub_stripe
):
    from tests.stripe_fake import SERVER_ERROR

    customer = basic_licence.customer_id
    stub = stub_stripe({("GET", f"/v1/customers/{customer}"): SERVER_ERROR})
    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", stub.url)
    with pytest.raises(StripeUnreachable) as offline:
        service.refresh(db)
    assert offline.value.reason == "Stripe server error (HTTP 503)"
    assert "of the 7-day offline grace left" in offline.value.message
    # one request plus max_network_retries (2, data/licence.toml), then it stops
    assert len(stub.hits(f"/v1/customers/{customer}")) == 3
    assert all(hit.authorised for hit in stub.seen)
    assert service.current(db, auto_refresh=False).tier == "basic"


def test_a_timeout_counts_as_offline(basic_licence, db, stub_stripe):
    from tests.stripe_fake import Canned

    customer = basic_licence.customer_id
    slow = Canned(200, {"id": customer, "object": "customer"}, delay_s=2.0)
    stub = stub_stripe({("GET", f"/v1/customers/{customer}"): slow})
    gateway = StripeGateway(
        "sk_test_x", api_base=stub.url, timeout_s=0.3, connect_timeout_s=0.3, max_network_retries=0
    )
    with gateway, pytest.raises(StripeUnreachable) as offline:
        service.refresh(db, gateway=gateway)
    assert offline.value.reason == "the request timed out"
    state = service.current(db, auto_refresh=False)
    assert (state.tier, state.source) == ("basic", "offline")
    assert state.last_error == "the request timed out"


def test_the_automatic_check_runs_at_most_once_an_hour_when_offline(
    basic_licence, db, monkeypatch, stub_stripe
):
    from tests.stripe_fake import SERVER_ERROR

    path = f"/v1/customers/{basic_licence.customer_id}"
    stub = stub_stripe({("GET", path): SERVER_ERROR})
    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", stub.url)
    day_later = basic_licence.verified_at + timedelta(hours=25)
    with time_machine.travel(day_later, tick=False):
        assert tiers.current_tier(db).key == "basic"
        assert tiers.current_tier(db).key == "basic"
    assert len(stub.hits(path)) == 1  # the automatic check does not retry, nor repeat
    with time_machine.travel(day_later + timedelta(minutes=61), tick=False):
        assert tiers.current_tier(db).key == "basic"
    assert len(stub.hits(path)) == 2


def test_a_rejected_key_is_reported_without_showing_it(basic_licence, db, stub_stripe, monkeypatch):
    from tests.stripe_fake import TEST_KEY, Canned

    denied = Canned(401, {"error": {"type": "invalid_request_error", "message": "Invalid API Key"}})
    stub = stub_stripe({("GET", f"/v1/customers/{basic_licence.customer_id}"): denied})
    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", stub.url)
    with pytest.raises(StripeKeyRejected) as rejected:
        service.refresh(db)
    assert rejected.value.exit_code == 2
    assert TEST_KEY not in rejected.value.message
    assert "flowlogic licence login" in rejected.value.message


def test_status_shows_tier_source_verified_at_period_end_and_grace(basic_licence, monkeypatch):
    monkeypatch.setenv("FLOWLOGIC_TZ", "Europe/Berlin")
    result = CliRunner().invoke(app, ["licence", "status", "--no-check"])
    assert result.exit_code == 0, result.output
    out = result.stdout
    for label in ("Plan", "Source", "Verified at", "Period end", "Offline grace left"):
        assert label in out
    assert "Basic" in out and "sealed cache" in out
    assert service.local_time(basic_licence.verified_at) in out  # local time, with zone
    assert "7 d 0 h" in out or "6 d 23 h" in out


def test_never_activated_installation_is_free_without_keyring_or_network(no_keyring):
    db = open_db()
    state = service.current(db)
    assert (state.tier, state.source) == ("free", "none")
    assert "licence activate" in state.message
    assert cache.read(db) is None  # and the "fail" keyring backend was never asked
