"""Tier rules (PRODUCT.md §2): which tests and features a tier unlocks, the monthly and
daily caps, and the `limits` overview.

Gating lives here, in the core, so the CLI, the TUI and batch jobs obey the same rules.
The installation's tier comes from `flowlogic.licence_state` (Stripe licence, sealed cache).
Dates are the user's local dates (see `flowlogic.clock`); each refusal says which cap, the
count, and when it resets in local time.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

import sqlite_utils

from flowlogic import clock
from flowlogic.catalog import TIERS, TestSpec, load_catalog, load_data_toml
from flowlogic.errors import RefusedError


@dataclass(frozen=True)
class Tier:
    key: str
    name: str
    tests: tuple[int, ...]
    distinct_tests_per_month: int
    features: tuple[str, ...]
    stripe_lookup_key: str | None = None

    def allows(self, spec: TestSpec) -> bool:
        return spec.id in self.tests

    def has(self, feature: str) -> bool:
        return feature in self.features


def _data() -> dict[str, Any]:
    return load_data_toml("tiers.toml")


def tier(key: str) -> Tier:
    data = _data()[key]
    return Tier(
        key,
        data["name"],
        tuple(data["tests"]),
        int(data["distinct_tests_per_month"]),
        tuple(data["features"]),
        data.get("stripe_lookup_key"),
    )


def all_tiers() -> tuple[Tier, ...]:
    return tuple(tier(key) for key in TIERS)


def attempts_per_day() -> int:
    return int(_data()["attempts_per_test_per_day"])


def _message(name: str, **fields: Any) -> str:
    return str(_data()["messages"][name]).format(**fields)


def unlocking_tier(spec: TestSpec) -> Tier:
    """The cheapest tier that unlocks `spec`."""
    for candidate in all_tiers():
        if candidate.allows(spec):
            return candidate
    raise ValueError(f"no tier unlocks test {spec.id}")


def current_tier(db: sqlite_utils.Database) -> Tier:
    """The installation's tier: Free until a licence is activated (see `licence_state`)."""
    from flowlogic.licence_state import effective_tier_key

    return tier(effective_tier_key(db))


def check_unlocked(current: Tier, spec: TestSpec) -> None:
    if current.allows(spec):
        return
    needed = unlocking_tier(spec)
    raise RefusedError(
        _message(
            "locked_test",
            test=spec.name,
            test_id=spec.id,
            needed=needed.name,
            needed_key=needed.key,
            current=current.name,
        ),
        code="LOCKED_BY_TIER",
    )


# --- paid features -------------------------------------------------------------------


def feature_name(feature: str) -> str:
    names = _data()["feature_names"]
    if feature not in names:
        raise ValueError(f"unknown feature {feature!r}; known: {', '.join(sorted(names))}")
    return str(names[feature])


def feature_tier(feature: str) -> Tier:
    """The cheapest tier that has `feature`."""
    feature_name(feature)  # validates the name
    for candidate in all_tiers():
        if candidate.has(feature):
            return candidate
    raise ValueError(f"no tier has feature {feature!r}")


def has_feature(db: sqlite_utils.Database, feature: str) -> bool:
    feature_name(feature)
    return current_tier(db).has(feature)


def check_feature(current: Tier, feature: str) -> None:
    """Refuse (exit 4) unless `current` has `feature`, naming the tier that unlocks it.
    Refusing never deletes anything: a downgrade only hides paid features."""
    label = feature_name(feature)
    if current.has(feature):
        return
    needed = feature_tier(feature)
    raise RefusedError(
        _message(
            "locked_feature",
            feature=label,
            needed=needed.name,
            needed_key=needed.key,
            current=current.name,
        ),
        code="LOCKED_FEATURE",
    )


def require_feature(db: sqlite_utils.Database, feature: str) -> Tier:
    """The current tier, if it has `feature`; otherwise a `RefusedError` (exit 4)."""
    current = current_tier(db)
    check_feature(current, feature)
    return current


# --- caps ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Usage:
    month_tests: tuple[int, ...]  # distinct tests completed (valid) this month
    attempts_today: dict[int, int]  # test id -> attempts today (valid or invalid)


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


def zone_label() -> str:
    """The user's time zone as people read it (IANA name, or the system abbreviation)."""
    zone = clock.local_zone()
    return getattr(zone, "key", None) or clock.now_local().tzname() or "local time"


def _midnight(day: date) -> str:
    return f"{day.isoformat()} 00:00"


def usage(db: sqlite_utils.Database, profile_id: int, day: date) -> Usage:
    first, following = month_bounds(day)
    month = [
        int(r["test_id"])
        for r in db.query(
            "SELECT DISTINCT test_id FROM assessments WHERE profile_id = ? AND status = 'valid' "
            "AND local_date >= ? AND local_date < ? ORDER BY test_id",
            [profile_id, first.isoformat(), following.isoformat()],
        )
    ]
    attempts = {
        int(r["test_id"]): int(r["n"])
        for r in db.query(
            "SELECT test_id, COUNT(*) AS n FROM assessments "
            "WHERE profile_id = ? AND local_date = ? GROUP BY test_id",
            [profile_id, day.isoformat()],
        )
    }
    return Usage(tuple(month), attempts)


def _next_bigger_cap(current: Tier) -> Tier | None:
    for candidate in all_tiers():
        if candidate.distinct_tests_per_month > current.distinct_tests_per_month:
            return candidate
    return None


def check_attempt_allowed(
    db: sqlite_utils.Database, profile_id: int, spec: TestSpec, current: Tier, day: date
) -> Usage:
    """Refuse (exit 4) when the daily attempt cap or the monthly distinct-test cap is hit.

    Each refusal says which cap, the count, and when it resets.
    """
    used = usage(db, profile_id, day)
    per_day = attempts_per_day()
    today_count = used.attempts_today.get(spec.id, 0)
    if today_count >= per_day:
        raise RefusedError(
            _message(
                "daily_cap",
                count=today_count,
                cap=per_day,
                test=spec.name,
                reset=_midnight(day + timedelta(days=1)),
                zone=zone_label(),
            ),
            code="DAILY_ATTEMPT_CAP",
        )
    cap = current.distinct_tests_per_month
    if spec.id not in used.month_tests and len(used.month_tests) >= cap:
        _, following = month_bounds(day)
        bigger = _next_bigger_cap(current)
        raise RefusedError(
            _message(
                "monthly_cap" if bigger else "monthly_cap_top",
                count=len(used.month_tests),
                cap=cap,
                tier=current.name,
                tests=", ".join(f"test {t}" for t in used.month_tests),
                reset=_midnight(following),
                zone=zone_label(),
                next_key=bigger.key if bigger else "",
            ),
            code="MONTHLY_TEST_CAP",
        )
    return used


# --- the `limits` overview -----------------------------------------------------------


@dataclass(frozen=True)
class TestAllowance:
    test_id: int
    slug: str
    name: str
    unlocked: bool
    unlocked_from: str  # tier name
    completed_this_month: bool
    attempts_today: int
    attempts_left_today: int
    blocked_by: str | None  # None, "LOCKED_BY_TIER", "DAILY_ATTEMPT_CAP", "MONTHLY_TEST_CAP"


@dataclass(frozen=True)
class Limits:
    profile: str
    tier: Tier
    day: date
    zone: str
    month_tests: tuple[int, ...]
    attempts_per_day: int
    tests: tuple[TestAllowance, ...]

    @property
    def month_cap(self) -> int:
        return self.tier.distinct_tests_per_month

    @property
    def new_tests_left(self) -> int:
        return max(0, self.month_cap - len(self.month_tests))

    @property
    def day_resets(self) -> datetime:
        following = self.day + timedelta(days=1)
        return datetime(following.year, following.month, following.day, tzinfo=clock.local_zone())

    @property
    def month_resets(self) -> datetime:
        _, following = month_bounds(self.day)
        return datetime(following.year, following.month, following.day, tzinfo=clock.local_zone())

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "profile": self.profile,
            "tier": self.tier.key,
            "tier_name": self.tier.name,
            "local_date": self.day.isoformat(),
            "time_zone": self.zone,
            "month": {
                "distinct_tests_completed": list(self.month_tests),
                "cap": self.month_cap,
                "new_tests_left": self.new_tests_left,
                "resets_at": self.month_resets.isoformat(),
            },
            "day": {
                "attempts_per_test": self.attempts_per_day,
                "daily_ceiling": self.attempts_per_day * len(self.tier.tests),
                "resets_at": self.day_resets.isoformat(),
            },
            "tests": [
                {
                    "id": t.test_id,
                    "slug": t.slug,
                    "name": t.name,
                    "unlocked": t.unlocked,
                    "unlocked_from": t.unlocked_from,
                    "completed_this_month": t.completed_this_month,
                    "attempts_today": t.attempts_today,
                    "attempts_left_today": t.attempts_left_today,
                    "blocked_by": t.blocked_by,
                }
                for t in self.tests
            ],
        }


def limits(db: sqlite_utils.Database, profile: str | None = None) -> Limits:
    """Tests used this month and attempts left today, per test, for one profile."""
    from flowlogic import profiles

    who = profiles.resolve(db, profile)
    current = current_tier(db)
    day = clock.today()
    used = usage(db, who.id, day)
    per_day = attempts_per_day()
    month_full = len(used.month_tests) >= current.distinct_tests_per_month
    rows = []
    for spec in load_catalog():
        count = used.attempts_today.get(spec.id, 0)
        unlocked = current.allows(spec)
        completed = spec.id in used.month_tests
        if not unlocked:
            blocked = "LOCKED_BY_TIER"
        elif count >= per_day:
            blocked = "DAILY_ATTEMPT_CAP"
        elif month_full and not completed:
            blocked = "MONTHLY_TEST_CAP"
        else:
            blocked = None
        rows.append(
            TestAllowance(
                test_id=spec.id,
                slug=spec.slug,
                name=spec.name,
                unlocked=unlocked,
                unlocked_from=unlocking_tier(spec).name,
                completed_this_month=completed,
                attempts_today=count,
                attempts_left_today=max(0, per_day - count) if unlocked else 0,
                blocked_by=blocked,
            )
        )
    return Limits(who.name, current, day, zone_label(), used.month_tests, per_day, tuple(rows))
