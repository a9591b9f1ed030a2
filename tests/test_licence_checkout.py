"""`licence upgrade` (Stripe Checkout) and `licence portal` (Billing Portal).

localstripe has no Prices, Checkout or Billing Portal endpoints (it answers 404), so these
calls are tested against a local stub that answers with recorded responses: JSON shaped
after Stripe's API reference for a Price list, a Checkout Session and a Billing Portal
Session (constructed, not captured from live Stripe: this machine has no network). The
stub also records what the SDK sent. One test shows the emulator's 404 becoming a clear
error.
"""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from flowlogic.cli.app import app
from flowlogic.errors import UsageError
from flowlogic.licence import checkout
from flowlogic.licence.errors import StripeRequestFailed
from flowlogic.store import open_db

pytest_plugins = ["tests.stripe_fake"]
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

CHECKOUT_URL = "https://checkout.stripe.com/c/pay/cs_test_a1B2c3D4e5F6"
PORTAL_URL = "https://billing.stripe.com/p/session/test_YWNjdF8xTjJ"


def price_list(lookup_key: str, price_id: str) -> dict:
    return {
        "object": "list",
        "url": "/v1/prices",
        "has_more": False,
        "data": [
            {
                "id": price_id,
                "object": "price",
                "active": True,
                "currency": "usd",
                "lookup_key": lookup_key,
                "metadata": {"flowlogic_tier": lookup_key.split("_")[1]},
                "recurring": {"interval": "month", "interval_count": 1},
                "type": "recurring",
                "unit_amount": 999,
            }
        ],
    }


CHECKOUT_SESSION = {
    "id": "cs_test_a1B2c3D4e5F6",
    "object": "checkout.session",
    "mode": "subscription",
    "status": "open",
    "payment_status": "unpaid",
    "url": CHECKOUT_URL,
    "livemode": False,
    "expires_at": 1767312000,
}
PORTAL_SESSION = {
    "id": "bps_1PqRsTuVwXyZ",
    "object": "billing_portal.session",
    "customer": "cus_test",
    "livemode": False,
    "return_url": "https://flowlogic.app/licence",
    "url": PORTAL_URL,
    "created": 1767225600,
}


@pytest.fixture
def stub(stub_stripe, memory_keyring, monkeypatch):
    from flowlogic.licence import keys
    from tests.stripe_fake import Canned

    server = stub_stripe(
        {
            ("GET", "/v1/prices"): Canned(
                200, price_list("flowlogic_pro_monthly", "price_pro_monthly")
            ),
            ("POST", "/v1/checkout/sessions"): Canned(200, CHECKOUT_SESSION),
            ("POST", "/v1/billing_portal/sessions"): Canned(200, PORTAL_SESSION),
        }
    )
    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", server.url)
    keys.store_stripe_key("sk_test_checkout")
    return server


def test_upgrade_creates_a_checkout_session_for_the_tier_price(stub):
    page = checkout.checkout_page(open_db(), "pro", email="new@example.com")
    assert (page.kind, page.url, page.tier) == ("checkout", CHECKOUT_URL, "pro")
    lookup = stub.hits("/v1/prices")[0].params
    assert lookup["lookup_keys[0]"] == "flowlogic_pro_monthly"
    sent = stub.hits("/v1/checkout/sessions")[0].params
    assert sent["mode"] == "subscription"
    assert sent["line_items[0][price]"] == "price_pro_monthly"
    assert sent["line_items[0][quantity]"] == "1"
    assert sent["customer_email"] == "new@example.com"
    assert sent["success_url"].startswith("https://")
    assert "{CHECKOUT_SESSION_ID}" in sent["success_url"]


def test_upgrade_of_an_activated_installation_reuses_its_customer(stub, sealed_licence):
    db = open_db()
    sealed_licence(db, "basic", customer_id="cus_known")
    checkout.checkout_page(db, "Pro")
    sent = stub.hits("/v1/checkout/sessions")[0].params
    assert sent["customer"] == "cus_known"
    assert "customer_email" not in sent


def test_upgrade_command_prints_the_link_and_opens_it_on_request(stub, monkeypatch):
    opened: list[str] = []
    monkeypatch.setattr("webbrowser.open", lambda url: opened.append(url) or True)
    runner = CliRunner()
    quiet = runner.invoke(app, ["licence", "upgrade", "pro", "--no-open"])
    assert quiet.exit_code == 0, quiet.output
    assert CHECKOUT_URL in quiet.stdout
    assert opened == []
    loud = runner.invoke(app, ["licence", "upgrade", "pro", "--open", "--json"])
    assert json.loads(loud.stdout)["url"] == CHECKOUT_URL
    assert opened == [CHECKOUT_URL]


def test_portal_needs_an_activated_licence(stub):
    result = CliRunner().invoke(app, ["licence", "portal", "--no-open"])
    assert result.exit_code == 2
    assert "licence activate" in result.output
    assert stub.hits("/v1/billing_portal/sessions") == []


def test_portal_session_for_the_licence_holder(stub, sealed_licence):
    sealed_licence(open_db(), "pro", customer_id="cus_holder")
    result = CliRunner().invoke(app, ["licence", "portal", "--no-open", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["url"] == PORTAL_URL
    sent = stub.hits("/v1/billing_portal/sessions")[0].params
    assert sent["customer"] == "cus_holder"
    assert sent["return_url"] == "https://flowlogic.app/licence"


@pytest.mark.parametrize("text", ["free", "team", ""])
def test_upgrade_refuses_unknown_or_free_tiers(stub, text):
    with pytest.raises(UsageError, match="choose one of basic, pro, proplus"):
        checkout.checkout_page(open_db(), text)


def test_missing_price_is_explained(stub):
    from tests.stripe_fake import Canned

    empty = {"object": "list", "url": "/v1/prices", "has_more": False, "data": []}
    stub.routes[("GET", "/v1/prices")] = Canned(200, empty)
    with pytest.raises(StripeRequestFailed, match="flowlogic_proplus_monthly"):
        checkout.checkout_page(open_db(), "proplus")
    assert stub.hits("/v1/checkout/sessions") == []


def test_the_emulator_lacks_checkout_and_says_so_clearly(licence_env, sealed_licence):
    """localstripe answers 404 for Prices and Billing Portal: a clear error, exit 6."""
    db = open_db()
    with pytest.raises(StripeRequestFailed, match="HTTP 404"):
        checkout.checkout_page(db, "pro")
    sealed_licence(db, "pro", customer_id="cus_holder")
    result = CliRunner().invoke(app, ["licence", "portal", "--no-open"])
    assert result.exit_code == 6
    assert "Stripe could not complete opening the billing portal (HTTP 404)" in result.output
