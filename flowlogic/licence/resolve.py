"""Stripe subscriptions -> the installation's tier (PRODUCT.md §2). Pure functions.

- `active`, `trialing`: the tier in the subscription item's price (or plan) metadata
  `flowlogic_tier` (`basic`, `pro`, `proplus`).
- `past_due`: that tier until the current period ends.
- `canceled`, `unpaid`, `incomplete_expired`: that tier until the current period ends, then
  Free. Anything else (`incomplete`, `paused`, no subscription): Free.
- The current period end is read from the subscription item first (Stripe API versions from
  2025 on), then from the subscription (older versions, and localstripe).
- With several subscriptions, the one giving the highest tier now wins.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from flowlogic.catalog import TIERS

METADATA_KEY = "flowlogic_tier"
PAID_TIERS = tuple(t for t in TIERS if t != "free")
FULL_STATUSES = ("active", "trialing")
UNTIL_PERIOD_END = ("past_due", "canceled", "unpaid", "incomplete_expired")
FREE = "free"


@dataclass(frozen=True)
class SubscriptionFacts:
    """What the rules need from one Stripe subscription."""

    id: str
    customer_id: str | None
    status: str
    tier: str | None  # the paid tier its items carry, or None
    period_end: datetime | None


def tier_now(status: str, tier: str | None, period_end: datetime | None, now: datetime) -> str:
    """The tier a subscription gives at `now` (the one rule, shared with the cache)."""
    if tier not in PAID_TIERS:
        return FREE
    if status in FULL_STATUSES:
        return tier
    if status in UNTIL_PERIOD_END and period_end is not None and now < period_end:
        return tier
    return FREE


def _timestamp(value: Any) -> datetime | None:
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    return datetime.fromtimestamp(value, UTC)


def _metadata_tier(obj: Any) -> str | None:
    if not isinstance(obj, Mapping):
        return None
    metadata = obj.get("metadata")
    if not isinstance(metadata, Mapping):
        return None
    value = metadata.get(METADATA_KEY)
    if not isinstance(value, str):
        return None
    value = value.strip().lower()
    return value if value in PAID_TIERS else None


def item_tier(item: Mapping[str, Any]) -> str | None:
    """`flowlogic_tier` from the item's price, else its plan (localstripe has only plans)."""
    return _metadata_tier(item.get("price")) or _metadata_tier(item.get("plan"))


def _rank(tier: str | None) -> int:
    return TIERS.index(tier) if tier in TIERS else 0


def facts(subscription: Mapping[str, Any]) -> SubscriptionFacts:
    """Read one subscription (a plain dict as returned by the API)."""
    items_obj = subscription.get("items")
    items = items_obj.get("data", []) if isinstance(items_obj, Mapping) else []
    best_item: Mapping[str, Any] | None = None
    for item in items:
        if not isinstance(item, Mapping):
            continue
        if best_item is None or _rank(item_tier(item)) > _rank(item_tier(best_item)):
            best_item = item
    tier = item_tier(best_item) if best_item is not None else None
    period_end = None
    if best_item is not None:
        period_end = _timestamp(best_item.get("current_period_end"))
    if period_end is None:
        period_end = _timestamp(subscription.get("current_period_end"))
    customer = subscription.get("customer")
    if isinstance(customer, Mapping):
        customer = customer.get("id")
    return SubscriptionFacts(
        id=str(subscription.get("id", "")),
        customer_id=customer if isinstance(customer, str) else None,
        status=str(subscription.get("status", "")),
        tier=tier,
        period_end=period_end,
    )


@dataclass(frozen=True)
class Resolution:
    """The verdict for one customer: the tier now and the subscription behind it."""

    tier: str  # effective now
    status: str  # the deciding subscription's status, or "none"
    subscribed_tier: str | None  # the paid tier that subscription carries
    subscription_id: str | None
    customer_id: str | None
    period_end: datetime | None


def _status_order(status: str) -> int:
    order = FULL_STATUSES + UNTIL_PERIOD_END
    return len(order) - order.index(status) if status in order else 0


def resolve(subscriptions: Iterable[SubscriptionFacts], now: datetime) -> Resolution:
    """Pick the subscription that gives the highest tier now; ties go to the later period
    end. With no paying subscription, report the most telling one (active before past_due
    before canceled ..., then the latest)."""
    candidates = list(subscriptions)
    if not candidates:
        return Resolution(FREE, "none", None, None, None, None)

    def key(sub: SubscriptionFacts) -> tuple:
        end = sub.period_end.timestamp() if sub.period_end else 0.0
        return (
            _rank(tier_now(sub.status, sub.tier, sub.period_end, now)),
            _status_order(sub.status),
            _rank(sub.tier),
            end,
        )

    best = max(candidates, key=key)
    return Resolution(
        tier=tier_now(best.status, best.tier, best.period_end, now),
        status=best.status,
        subscribed_tier=best.tier,
        subscription_id=best.id,
        customer_id=best.customer_id,
        period_end=best.period_end,
    )
