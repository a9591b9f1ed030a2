"""Tier rules (PRODUCT.md §2): which tests a tier unlocks, the monthly and daily caps.

Gating lives here, in the core, so the CLI, the TUI and batch jobs obey the same rules.
Dates are the user's local dates (see `flowlogic.clock`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

import sqlite_utils

from flowlogic.catalog import TIERS, TestSpec, load_data_toml
from flowlogic.errors import RefusedError


@dataclass(frozen=True)
class Tier:
    key: str
    name: str
    tests: tuple[int, ...]
    distinct_tests_per_month: int
    features: tuple[str, ...]

    def allows(self, spec: TestSpec) -> bool:
        return spec.id in self.tests


def tier(key: str) -> Tier:
    data = load_data_toml("tiers.toml")[key]
    return Tier(
        key,
        data["name"],
        tuple(data["tests"]),
        int(data["distinct_tests_per_month"]),
        tuple(data["features"]),
    )


def attempts_per_day() -> int:
    return int(load_data_toml("tiers.toml")["attempts_per_test_per_day"])


def unlocking_tier(spec: TestSpec) -> Tier:
    """The cheapest tier that unlocks `spec`."""
    for key in TIERS:
        candidate = tier(key)
        if candidate.allows(spec):
            return candidate
    raise ValueError(f"no tier unlocks test {spec.id}")


def current_tier(db: sqlite_utils.Database) -> Tier:
    """The installation's tier. Until a licence is activated this is Free."""
    from flowlogic.licence_state import effective_tier_key

    return tier(effective_tier_key(db))


def check_unlocked(current: Tier, spec: TestSpec) -> None:
    if current.allows(spec):
        return
    needed = unlocking_tier(spec)
    raise RefusedError(
        f"{spec.name} (test {spec.id}) is part of {needed.name}; your plan is {current.name}. "
        f"Upgrade with `flowlogic licence upgrade {needed.key}`.",
        code="LOCKED_BY_TIER",
    )


@dataclass(frozen=True)
class Usage:
    month_tests: tuple[int, ...]  # distinct tests completed (valid) this month
    attempts_today: dict[int, int]  # test id -> attempts today (valid or invalid)


def month_bounds(day: date) -> tuple[date, date]:
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following


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
            "SELECT test_id, COUNT(*) AS n FROM assessments WHERE profile_id = ? AND local_date = ? "
            "GROUP BY test_id",
            [profile_id, day.isoformat()],
        )
    }
    return Usage(tuple(month), attempts)


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
            f"Max attempts for this test reached. Try again tomorrow. "
            f"({today_count} of {per_day} attempts at {spec.name} today; resets at midnight, "
            f"{(day + timedelta(days=1)).isoformat()}.)",
            code="DAILY_ATTEMPT_CAP",
        )
    cap = current.distinct_tests_per_month
    if spec.id not in used.month_tests and len(used.month_tests) >= cap:
        _, following = month_bounds(day)
        raise RefusedError(
            f"Monthly limit reached: {len(used.month_tests)} of {cap} different tests completed "
            f"this month on {current.name}. Retakes of those tests are still allowed; new tests "
            f"reset on {following.isoformat()}.",
            code="MONTHLY_TEST_CAP",
        )
    return used
