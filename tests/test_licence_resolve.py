"""Subscription -> tier rules (PRODUCT.md §2), on subscription dicts shaped like Stripe's.

Two shapes: the current API (price on the item, `current_period_end` on the item) and the
legacy one that localstripe returns (plan on the item, `current_period_end` on the
subscription). `trialing` cannot be produced in localstripe, so it is covered here.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from flowlogic.licence.resolve import facts, resolve, tier_now

NOW = datetime(2025, 3, 15, 12, 0, tzinfo=UTC)
LATER = NOW + timedelta(days=10)
EARLIER = NOW - timedelta(days=10)


def new_shape(status: str, tier: str | None, period_end: datetime, sub_id: str = "sub_1") -> dict:
    metadata = {"flowlogic_tier": tier} if tier else {}
    return {
        "id": sub_id,
        "customer": "cus_1",
        "status": status,
        "items": {
            "object": "list",
            "data": [
                {
                    "id": "si_1",
                    "price": {"id": "price_1", "metadata": metadata},
                    "current_period_end": int(period_end.timestamp()),
                }
            ],
        },
    }


def legacy_shape(status: str, tier: str | None, period_end: datetime, sub_id: str = "sub_1"):
    metadata = {"flowlogic_tier": tier} if tier else {}
    return {
        "id": sub_id,
        "customer": "cus_1",
        "status": status,
        "current_period_end": int(period_end.timestamp()),
        "items": {"object": "list", "data": [{"id": "si_1", "plan": {"metadata": metadata}}]},
    }


@pytest.mark.parametrize("shape", [new_shape, legacy_shape])
@pytest.mark.parametrize(
    ("status", "period_end", "expected"),
    [
        ("active", LATER, "pro"),
        ("trialing", LATER, "pro"),
        ("active", EARLIER, "pro"),  # active: Stripe renews; the tier holds
        ("past_due", LATER, "pro"),
        ("past_due", EARLIER, "free"),
        ("canceled", LATER, "pro"),
        ("canceled", EARLIER, "free"),
        ("unpaid", LATER, "pro"),
        ("unpaid", EARLIER, "free"),
        ("incomplete_expired", EARLIER, "free"),
        ("incomplete", LATER, "free"),
        ("paused", LATER, "free"),
    ],
)
def test_status_rules(shape, status, period_end, expected):
    verdict = resolve([facts(shape(status, "pro", period_end))], NOW)
    assert verdict.tier == expected
    assert verdict.status == status
    assert verdict.subscribed_tier == "pro"
    assert verdict.period_end == period_end.replace(microsecond=0)


def test_item_period_end_is_read_before_the_subscription():
    sub = new_shape("past_due", "basic", LATER)
    sub["current_period_end"] = int(EARLIER.timestamp())  # stale value on the subscription
    assert facts(sub).period_end == LATER.replace(microsecond=0)
    assert resolve([facts(sub)], NOW).tier == "basic"


def test_price_metadata_wins_over_plan_metadata():
    sub = new_shape("active", "proplus", LATER)
    sub["items"]["data"][0]["plan"] = {"metadata": {"flowlogic_tier": "basic"}}
    assert facts(sub).tier == "proplus"


@pytest.mark.parametrize("value", ["team", "", "free", None])
def test_unknown_or_missing_tier_metadata_gives_free(value):
    sub = legacy_shape("active", value, LATER)
    assert facts(sub).tier is None
    assert resolve([facts(sub)], NOW).tier == "free"


def test_metadata_value_is_trimmed_and_case_insensitive():
    assert facts(legacy_shape("active", " ProPlus ", LATER)).tier == "proplus"


def test_no_subscription_is_free():
    verdict = resolve([], NOW)
    assert (verdict.tier, verdict.status, verdict.subscription_id) == ("free", "none", None)


def test_highest_tier_now_wins_across_subscriptions():
    subs = [
        legacy_shape("active", "basic", LATER, "sub_basic"),
        legacy_shape("canceled", "proplus", EARLIER, "sub_old_proplus"),
        legacy_shape("past_due", "pro", LATER, "sub_pro"),
    ]
    verdict = resolve([facts(s) for s in subs], NOW)
    assert (verdict.tier, verdict.subscription_id) == ("pro", "sub_pro")


def test_without_a_paying_subscription_the_most_telling_one_is_reported():
    subs = [
        legacy_shape("incomplete", "pro", LATER, "sub_incomplete"),
        legacy_shape("canceled", "pro", EARLIER, "sub_canceled"),
    ]
    verdict = resolve([facts(s) for s in subs], NOW)
    assert verdict.tier == "free"
    assert verdict.subscription_id == "sub_canceled"


def test_highest_item_tier_counts_when_a_subscription_has_several_items():
    sub = legacy_shape("active", "basic", LATER)
    sub["items"]["data"].append({"id": "si_2", "plan": {"metadata": {"flowlogic_tier": "pro"}}})
    assert facts(sub).tier == "pro"


def test_tier_now_needs_a_period_end_for_ending_statuses():
    assert tier_now("past_due", "pro", None, NOW) == "free"
    assert tier_now("active", "pro", None, NOW) == "pro"


def test_expanded_customer_object_gives_its_id():
    sub = legacy_shape("active", "pro", LATER)
    sub["customer"] = {"id": "cus_expanded", "email": "x@example.com"}
    assert facts(sub).customer_id == "cus_expanded"
