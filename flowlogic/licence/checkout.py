"""Stripe-hosted pages: Checkout to subscribe or upgrade, the Billing Portal to manage.

The app only creates the session and hands its URL to the user; payment happens on
Stripe's page. The price for a tier is found by its lookup key (`stripe_lookup_key` in
data/tiers.toml), so the seller can change prices in Stripe without a new release.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

import sqlite_utils

from flowlogic.catalog import TIER_NAMES
from flowlogic.errors import UsageError
from flowlogic.licence import cache
from flowlogic.licence.errors import StripeRequestFailed
from flowlogic.licence.resolve import PAID_TIERS
from flowlogic.licence.settings import message, settings

if TYPE_CHECKING:
    from flowlogic.licence.stripe_client import StripeGateway


@dataclass(frozen=True)
class HostedPage:
    kind: str  # "checkout" or "portal"
    url: str
    session_id: str
    tier: str | None = None

    def to_dict(self) -> dict[str, str | None]:
        return {
            "kind": self.kind,
            "url": self.url,
            "session_id": self.session_id,
            "tier": self.tier,
        }


def paid_tier_key(text: str) -> str:
    """'pro', 'Pro+', 'proplus', 'PRO_PLUS' -> the tier key; Free is refused."""
    wanted = text.strip().lower().replace("_", "").replace("-", "").replace(" ", "")
    aliases = {key: key for key in PAID_TIERS}
    aliases.update({TIER_NAMES[key].lower(): key for key in PAID_TIERS})
    if wanted in aliases:
        return aliases[wanted]
    choices = ", ".join(PAID_TIERS)
    raise UsageError(f"Unknown plan {text!r}: choose one of {choices}.")


def _lookup_key(tier: str) -> str:
    from flowlogic.tiers import tier as tier_info

    key = tier_info(tier).stripe_lookup_key
    if not key:
        raise UsageError(f"{TIER_NAMES[tier]} cannot be bought online.")
    return key


def _known_customer(db: sqlite_utils.Database) -> str | None:
    stored = cache.read(db)
    return stored.record.customer_id if stored and stored.record else None


def checkout_page(
    db: sqlite_utils.Database,
    tier: str,
    *,
    email: str | None = None,
    gateway: StripeGateway | None = None,
) -> HostedPage:
    from flowlogic.licence.stripe_client import open_gateway

    tier = paid_tier_key(tier)
    lookup_key = _lookup_key(tier)
    urls = settings().urls
    own = gateway is None
    gateway = gateway or open_gateway()
    try:
        price = gateway.price_for_lookup_key(lookup_key)
        if price is None:
            raise StripeRequestFailed(
                f"Stripe has no active price with lookup key {lookup_key!r} for {TIER_NAMES[tier]}."
            )
        params: dict = {
            "mode": "subscription",
            "line_items": [{"price": price, "quantity": 1}],
            "success_url": urls["checkout_success"],
            "cancel_url": urls["checkout_cancel"],
            "metadata": {"flowlogic_tier": tier},
        }
        customer = _known_customer(db)
        if customer:
            params["customer"] = customer
        elif email:
            params["customer_email"] = email.strip()
        session = gateway.create_checkout_session(params)
    finally:
        if own:
            gateway.close()
    return HostedPage("checkout", str(session["url"]), str(session["id"]), tier)


def portal_page(db: sqlite_utils.Database, *, gateway: StripeGateway | None = None) -> HostedPage:
    from flowlogic.licence.stripe_client import open_gateway

    customer = _known_customer(db)
    if not customer:
        raise UsageError(message("not_activated"))
    own = gateway is None
    gateway = gateway or open_gateway()
    try:
        session = gateway.create_portal_session(
            {"customer": customer, "return_url": settings().urls["portal_return"]}
        )
    finally:
        if own:
            gateway.close()
    return HostedPage("portal", str(session["url"]), str(session["id"]))
