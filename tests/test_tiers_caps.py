"""Gating in the core (PRODUCT.md §2): locked tests, the daily attempt cap, the monthly
distinct-test cap, paid features, and `flowlogic limits`.

Attempts go through `score_video` with the bundled sample (its pose track is cached, so a
score takes a fraction of a second) or are inserted as rows when only the count matters
(tests 6, 9, 2 completed while on Pro, before a downgrade). Dates are local: time is moved
with time-machine and the zone set with FLOWLOGIC_TZ.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from zoneinfo import ZoneInfo

import pytest
import time_machine
from typer.testing import CliRunner

from flowlogic import profiles, tiers
from flowlogic.assess import score_video
from flowlogic.catalog import find_test
from flowlogic.cli.app import app
from flowlogic.errors import RefusedError
from tests.conftest import SAMPLE

pytest_plugins = ["tests.stripe_fake"]

LA = "America/Los_Angeles"
AUCKLAND = "Pacific/Auckland"


def at(zone: str, *args: int) -> datetime:
    return datetime(*args, tzinfo=ZoneInfo(zone))


def add_attempt(db, test_id: int, day: date, status: str = "valid", profile: str | None = None):
    """An attempt row as the store writes it (only the columns the caps read matter)."""
    who = profiles.resolve(db, profile)
    db["assessments"].insert(
        {
            "profile_id": who.id,
            "test_id": test_id,
            "test_slug": find_test(test_id).slug,
            "view": "front",
            "status": status,
            "created_at": f"{day.isoformat()}T12:00:00+00:00",
            "local_date": day.isoformat(),
            "source": "score",
        }
    )


def squat(db, **kwargs):
    return score_video(SAMPLE, "overhead-squat", view="front", db=db, **kwargs)


def test_a_locked_test_is_refused_naming_the_tier_and_how_to_upgrade(accepted_db):
    with pytest.raises(RefusedError) as refused:
        score_video(SAMPLE, "ankle-mobility", db=accepted_db)
    assert refused.value.exit_code == 4
    assert refused.value.code == "LOCKED_BY_TIER"
    message = refused.value.message
    assert "part of Pro; your plan is Free" in message
    assert "flowlogic licence upgrade pro" in message
    assert accepted_db["assessments"].count == 0


def test_locked_test_on_the_command_line_exits_4(accepted_db):
    result = CliRunner().invoke(app, ["score", str(SAMPLE), "--test", "neck-flexion-extension"])
    assert result.exit_code == 4
    assert "part of Pro+" in result.output
    assert "flowlogic licence upgrade proplus" in result.output


def test_a_paid_tier_unlocks_its_tests(accepted_db, sealed_licence):
    sealed_licence(accepted_db, "pro")
    current = tiers.current_tier(accepted_db)
    assert current.key == "pro"
    tiers.check_unlocked(current, find_test("ankle-mobility"))
    with pytest.raises(RefusedError, match="part of Pro\\+"):
        tiers.check_unlocked(current, find_test("clamshell"))


def test_fourth_attempt_of_the_day_is_refused_valid_or_not(accepted_db, monkeypatch):
    monkeypatch.setenv("FLOWLOGIC_TZ", "Europe/Berlin")
    with time_machine.travel(at("Europe/Berlin", 2025, 5, 14, 9, 0), tick=False):
        add_attempt(accepted_db, 4, date(2025, 5, 14), status="invalid")
        first = squat(accepted_db)
        assert first.status == "valid"
        assert first.attempts_left_today == 1
        second = squat(accepted_db)
        assert second.attempts_left_today == 0
        with pytest.raises(RefusedError) as refused:
            squat(accepted_db)
    assert refused.value.code == "DAILY_ATTEMPT_CAP"
    message = refused.value.message
    assert message.startswith("Max attempts for this test reached. Try again tomorrow.")
    assert "3 of 3 attempts at Overhead Squat today" in message
    assert "resets at midnight, 2025-05-15 00:00 Europe/Berlin" in message
    assert accepted_db["assessments"].count == 3


def test_the_attempt_cap_is_per_test_and_per_profile(accepted_db):
    today = date(2025, 5, 14)
    me = profiles.resolve(accepted_db, None)
    other = profiles.add(accepted_db, "client-b")
    for _ in range(3):
        add_attempt(accepted_db, 4, today, profile=me.name)
    free = tiers.tier("free")
    with pytest.raises(RefusedError):
        tiers.check_attempt_allowed(accepted_db, me.id, find_test(4), free, today)
    tiers.check_attempt_allowed(accepted_db, me.id, find_test(3), free, today)
    tiers.check_attempt_allowed(accepted_db, other.id, find_test(4), free, today)


def test_day_boundary_in_a_zone_behind_utc(accepted_db, monkeypatch):
    """23:50 in Los Angeles is already the next day in UTC: the count is still today's."""
    monkeypatch.setenv("FLOWLOGIC_TZ", LA)
    with time_machine.travel(at(LA, 2025, 3, 10, 23, 50), tick=False):
        for _ in range(3):
            squat(accepted_db)
        with pytest.raises(RefusedError) as refused:
            squat(accepted_db)
        assert "2025-03-11 00:00 America/Los_Angeles" in refused.value.message
    with time_machine.travel(at(LA, 2025, 3, 11, 0, 10), tick=False):
        outcome = squat(accepted_db)
    assert outcome.attempts_left_today == 2
    days = [r["local_date"] for r in accepted_db.query("SELECT local_date FROM assessments")]
    assert days == ["2025-03-10"] * 3 + ["2025-03-11"]


def _completed_on_pro_last_month(db, day: date) -> None:
    """Tests 6, 9 and 2 completed while the installation was on Pro, then it lapsed."""
    for test_id in (6, 9, 2):
        add_attempt(db, test_id, day)


def test_monthly_cap_after_a_downgrade_and_its_local_month_boundary(accepted_db, monkeypatch):
    monkeypatch.setenv("FLOWLOGIC_TZ", LA)
    _completed_on_pro_last_month(accepted_db, date(2025, 1, 20))
    # 2025-01-31 23:50 in Los Angeles is 2025-02-01 07:50 UTC: still January locally.
    with (
        time_machine.travel(at(LA, 2025, 1, 31, 23, 50), tick=False),
        pytest.raises(RefusedError) as refused,
    ):
        squat(accepted_db)
    assert refused.value.code == "MONTHLY_TEST_CAP"
    message = refused.value.message
    assert "3 of 3 different tests completed this month on Free (test 2, test 6, test 9)" in message
    assert "Retakes of those tests are still allowed" in message
    assert "2025-02-01 00:00 America/Los_Angeles" in message
    assert "flowlogic licence upgrade pro" in message
    with time_machine.travel(at(LA, 2025, 2, 1, 0, 10), tick=False):
        assert squat(accepted_db).status == "valid"


def test_month_already_changed_in_a_zone_ahead_of_utc(accepted_db, monkeypatch):
    monkeypatch.setenv("FLOWLOGIC_TZ", AUCKLAND)
    _completed_on_pro_last_month(accepted_db, date(2025, 1, 20))
    # 2025-01-31 12:30 UTC is 2025-02-01 01:30 in Auckland: a new month there.
    with time_machine.travel(datetime(2025, 1, 31, 12, 30, tzinfo=ZoneInfo("UTC")), tick=False):
        outcome = squat(accepted_db)
    assert outcome.status == "valid"
    stored = accepted_db.execute("SELECT local_date FROM assessments WHERE test_id = 4").fetchone()
    assert stored[0] == "2025-02-01"


def test_retakes_of_completed_tests_are_allowed_when_the_month_is_full(accepted_db):
    day = date(2025, 6, 20)
    add_attempt(accepted_db, 6, date(2025, 6, 2))
    add_attempt(accepted_db, 9, date(2025, 6, 3))
    add_attempt(accepted_db, 4, date(2025, 6, 4))
    free, me = tiers.tier("free"), profiles.resolve(accepted_db, None).id
    used = tiers.check_attempt_allowed(accepted_db, me, find_test(4), free, day)  # a retake
    assert used.month_tests == (4, 6, 9)
    with pytest.raises(RefusedError, match="Monthly limit reached"):
        tiers.check_attempt_allowed(accepted_db, me, find_test(3), free, day)


def test_invalid_attempts_do_not_use_up_the_month(accepted_db):
    day = date(2025, 6, 20)
    add_attempt(accepted_db, 6, day)
    add_attempt(accepted_db, 9, day)
    add_attempt(accepted_db, 3, day, status="invalid")
    add_attempt(accepted_db, 7, day, status="invalid")
    free, me = tiers.tier("free"), profiles.resolve(accepted_db, None).id
    assert tiers.usage(accepted_db, me, day).month_tests == (6, 9)
    tiers.check_attempt_allowed(accepted_db, me, find_test(3), free, day)
    tiers.check_attempt_allowed(accepted_db, me, find_test(7), free, day)


@pytest.mark.parametrize(
    ("feature", "tier_key", "allowed", "needed"),
    [
        ("charts", "free", False, "Basic"),
        ("charts", "basic", True, None),
        ("plan", "basic", True, None),
        ("plan_full", "basic", False, "Pro"),
        ("report_full", "basic", False, "Pro"),
        ("retention", "pro", False, "Pro+"),
        ("retention", "proplus", True, None),
    ],
)
def test_paid_features_check_the_tier(
    accepted_db, sealed_licence, feature, tier_key, allowed, needed
):
    if tier_key != "free":
        sealed_licence(accepted_db, tier_key)
    assert tiers.has_feature(accepted_db, feature) is allowed
    if allowed:
        assert tiers.require_feature(accepted_db, feature).key == tier_key
        return
    with pytest.raises(RefusedError) as refused:
        tiers.require_feature(accepted_db, feature)
    assert refused.value.exit_code == 4 and refused.value.code == "LOCKED_FEATURE"
    assert f"is part of {needed}; your plan is {tiers.tier(tier_key).name}" in refused.value.message
    assert "Nothing you recorded is lost" in refused.value.message


def test_unknown_feature_names_are_a_programming_error(accepted_db):
    with pytest.raises(ValueError, match="unknown feature"):
        tiers.require_feature(accepted_db, "teleportation")


def test_every_feature_named_by_a_tier_has_words():
    for candidate in tiers.all_tiers():
        for feature in candidate.features:
            assert tiers.feature_name(feature)


def test_limits_report_counts_the_month_and_today(accepted_db, monkeypatch):
    monkeypatch.setenv("FLOWLOGIC_TZ", "Europe/Berlin")
    add_attempt(accepted_db, 4, date(2025, 4, 2))
    add_attempt(accepted_db, 3, date(2025, 4, 9))
    add_attempt(accepted_db, 3, date(2025, 4, 9), status="invalid")
    with time_machine.travel(at("Europe/Berlin", 2025, 4, 9, 18, 0), tick=False):
        report = tiers.limits(accepted_db)
    by_id = {t.test_id: t for t in report.tests}
    assert report.month_tests == (3, 4)
    assert report.new_tests_left == 1
    assert (by_id[3].attempts_today, by_id[3].attempts_left_today) == (2, 1)
    assert (by_id[7].attempts_today, by_id[7].attempts_left_today) == (0, 3)
    assert by_id[6].blocked_by == "LOCKED_BY_TIER" and by_id[6].unlocked_from == "Pro"
    payload = report.to_dict()
    assert payload["day"]["daily_ceiling"] == 9
    assert payload["month"]["resets_at"] == "2025-05-01T00:00:00+02:00"
    assert payload["day"]["resets_at"] == "2025-04-10T00:00:00+02:00"


def test_limits_command_for_a_profile(accepted_db):
    profiles.add(accepted_db, "client-a")
    runner = CliRunner()
    with time_machine.travel(datetime(2025, 4, 9, 12, 0, tzinfo=ZoneInfo("UTC")), tick=False):
        add_attempt(accepted_db, 7, date(2025, 4, 9), profile="client-a")
        add_attempt(accepted_db, 7, date(2025, 4, 9), profile="client-a")
        add_attempt(accepted_db, 7, date(2025, 4, 9), profile="client-a", status="invalid")
        result = runner.invoke(app, ["limits", "--profile", "client-a", "--json"])
        text = runner.invoke(app, ["limits", "--profile", "client-a"])
    assert result.exit_code == 0, result.output
    payload = json.loads(result.stdout)
    test7 = next(t for t in payload["tests"] if t["id"] == 7)
    assert (test7["attempts_today"], test7["attempts_left_today"]) == (3, 0)
    assert test7["blocked_by"] == "DAILY_ATTEMPT_CAP"
    assert payload["month"]["distinct_tests_completed"] == [7]
    assert text.exit_code == 0
    assert "none left today" in text.stdout
