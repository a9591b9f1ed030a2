"""Secrets: the Stripe key only in the keyring (or FLOWLOGIC_STRIPE_KEY), never in SQLite,
logs or config files; headless machines get a clear message and the environment path.

The keyring is an in-memory backend (`memory_keyring`) or keyring's "fail" backend
(`no_keyring`, what keyring picks when no backend works): never the OS keyring.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowlogic import profiles, tiers
from flowlogic.cli.app import app
from flowlogic.licence import keys, service
from flowlogic.licence.errors import KeyringUnavailable, StripeKeyMissing, StripeKeyRejected
from flowlogic.store import open_db

pytest_plugins = ["tests.stripe_fake"]
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

# localstripe accepts any sk_ key but not restricted (rk_) ones, so the login test uses sk_.
SECRET_KEY = "sk_test_51FlowLogicSecretKeyForTests0123456789"
RESTRICTED_KEY = "rk_test_51FlowLogicRestrictedReadOnlyKey0123456789"


def files_containing(root: Path, needle: str) -> list[Path]:
    hits = []
    for path in root.rglob("*"):
        if path.is_file() and needle.encode() in path.read_bytes():
            hits.append(path)
    return hits


def test_login_stores_the_key_in_the_keyring_only(
    memory_keyring, localstripe_server, flowlogic_home, monkeypatch
):
    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", localstripe_server.url)
    runner = CliRunner()
    result = runner.invoke(app, ["licence", "login", "--key-stdin"], input=SECRET_KEY + "\n")
    assert result.exit_code == 0, result.output
    assert memory_keyring.entries[("flowlogic", "stripe-api-key")] == SECRET_KEY
    assert SECRET_KEY not in result.output
    # use it, fail on purpose, and look everywhere Flow Logic writes
    runner.invoke(app, ["licence", "activate", "--email", "nobody@example.com"])
    runner.invoke(app, ["licence", "status", "--json"])
    assert files_containing(flowlogic_home, SECRET_KEY) == []
    assert files_containing(flowlogic_home, SECRET_KEY[8:30]) == []


def test_a_key_stripe_rejects_is_not_stored(memory_keyring, stub_stripe, monkeypatch):
    from tests.stripe_fake import Canned

    denied = Canned(401, {"error": {"type": "invalid_request_error", "message": "Invalid key"}})
    stub = stub_stripe({("GET", "/v1/customers"): denied})
    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", stub.url)
    with pytest.raises(StripeKeyRejected):
        service.login(SECRET_KEY)
    assert ("flowlogic", "stripe-api-key") not in memory_keyring.entries


@pytest.mark.parametrize("bad", ["pk_test_123456789", "hello", "sk_test_ has space"])
def test_login_refuses_what_is_not_a_secret_or_restricted_key(memory_keyring, bad):
    result = CliRunner().invoke(app, ["licence", "login", "--key-stdin", "--no-verify"], input=bad)
    assert result.exit_code == 2
    assert "sk_... or rk_..." in result.output
    assert ("flowlogic", "stripe-api-key") not in memory_keyring.entries


def test_restricted_keys_are_accepted(memory_keyring):
    service.login(RESTRICTED_KEY, verify=False)
    assert keys.stripe_key() == RESTRICTED_KEY


def test_environment_key_wins_and_needs_no_keyring_entry(memory_keyring, monkeypatch):
    keys.store_stripe_key("sk_test_from_keyring_123")
    monkeypatch.setenv("FLOWLOGIC_STRIPE_KEY", "sk_test_from_environment_456")
    assert keys.stripe_key() == "sk_test_from_environment_456"
    assert keys.stripe_key_source() == "env"
    monkeypatch.delenv("FLOWLOGIC_STRIPE_KEY")
    assert keys.stripe_key() == "sk_test_from_keyring_123"


def test_missing_key_says_how_to_add_one(memory_keyring):
    with pytest.raises(StripeKeyMissing, match="flowlogic licence login"):
        keys.stripe_key()


def test_headless_machine_gets_a_clear_message_and_the_environment_path(no_keyring):
    runner = CliRunner()
    for args, stdin in (
        (["licence", "login", "--key-stdin", "--no-verify"], SECRET_KEY),
        (["licence", "activate", "--email", "a@example.com"], None),
    ):
        result = runner.invoke(app, args, input=stdin)
        assert result.exit_code == 2, result.output
        assert "No system keyring is available" in result.output
        assert "FLOWLOGIC_STRIPE_KEY" in result.output
        assert "FLOWLOGIC_CACHE_SECRET" in result.output
    with pytest.raises(KeyringUnavailable):
        keys.cache_secret(create=True)


def test_headless_activation_with_environment_variables(no_keyring, licence_stripe_only):
    db = open_db()
    state = service.activate(db, email="headless@example.com")
    assert state.tier == "pro"
    assert tiers.current_tier(db).key == "pro"


def test_cache_cannot_be_checked_when_its_secret_disappears(
    no_keyring, licence_stripe_only, monkeypatch
):
    db = open_db()
    service.activate(db, email="headless@example.com")
    monkeypatch.delenv("FLOWLOGIC_CACHE_SECRET")
    state = service.current(db)
    assert (state.tier, state.source) == ("free", "unverifiable")
    assert "No system keyring is available" in state.message
    listing = json.loads(CliRunner().invoke(app, ["tests", "--json"]).stdout)
    assert listing["tier"] == "Free"


def test_a_short_cache_secret_is_refused(no_keyring, monkeypatch):
    monkeypatch.setenv("FLOWLOGIC_CACHE_SECRET", "short")
    with pytest.raises(Exception, match="at least 16"):
        keys.cache_secret(create=True)


def test_the_sealing_secret_is_created_once_and_kept(memory_keyring):
    first = keys.cache_secret(create=True)
    assert keys.cache_secret(create=True) == first
    stored = memory_keyring.entries[("flowlogic", "licence-cache-secret")]
    assert len(bytes.fromhex(stored)) == 32


def test_logout_forgets_key_and_licence_but_keeps_history(licence_env, accepted_db):
    admin = licence_env.admin
    admin.subscribe(admin.customer("bye@example.com"), "pro")
    service.activate(accepted_db, email="bye@example.com")
    accepted_db["assessments"].insert(
        {
            "profile_id": profiles.resolve(accepted_db, None).id,
            "test_id": 6,
            "test_slug": "ankle-mobility",
            "status": "valid",
            "created_at": "2025-01-01T10:00:00+00:00",
            "local_date": "2025-01-01",
            "source": "score",
        }
    )
    result = CliRunner().invoke(app, ["licence", "logout", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["key_removed"] is True
    assert ("flowlogic", "stripe-api-key") not in licence_env.keyring.entries
    assert tiers.current_tier(accepted_db).key == "free"
    assert accepted_db["assessments"].count == 1


@pytest.fixture
def licence_stripe_only(stripe_admin, localstripe_server, monkeypatch):
    """A headless machine: key and sealing secret from the environment, a Pro customer."""
    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", localstripe_server.url)
    monkeypatch.setenv("FLOWLOGIC_STRIPE_KEY", "sk_test_headless_machine")
    monkeypatch.setenv("FLOWLOGIC_CACHE_SECRET", "a-long-private-random-string-0f3c")
    stripe_admin.subscribe(stripe_admin.customer("headless@example.com"), "pro")
    return stripe_admin
