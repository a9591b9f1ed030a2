"""Pro+ retention (PRODUCT.md §7): reflection, micro-coaching insight, badges and
auto-adaptation after red days, with undo; all hidden, never deleted, on a downgrade."""

from __future__ import annotations

import json
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from flowlogic import plans
from flowlogic.catalog import load_data_toml
from flowlogic.errors import UsageError
from flowlogic.exercises import find_exercise
from tests.plan_helpers import (
    at,
    free_battery,
    live_days,
    new_db_with_profile,
    set_tier,
    utc_zone,  # noqa: F401  (autouse fixture)
)

S = date(2025, 4, 28)  # a Monday; the history runs into May


def person_with_plan(monkeypatch, time_machine, tier: str = "proplus"):
    set_tier(monkeypatch, tier)
    time_machine.move_to(at(S), tick=False)
    db, who = new_db_with_profile()
    free_battery(db, who.id, S)
    plans.ensure_current_plan(db, who.id, today=S)
    return db, who


def test_reflection_is_validated_and_one_per_day(monkeypatch, time_machine):
    db, who = person_with_plan(monkeypatch, time_machine)
    for bad in (11, -1, True, 7.5):
        with pytest.raises(UsageError, match="0 to 10"):
            plans.reflect(db, who.id, S, bad)
    with pytest.raises(UsageError, match="280 characters"):
        plans.reflect(db, who.id, S, 5, "x" * 281)
    plans.reflect(db, who.id, S, 4, "  heavy legs  ")
    saved = plans.reflect(db, who.id, S, 7)
    assert [(r.day, r.rating, r.note) for r in plans.reflections(db, who.id)] == [(S, 7, None)]
    assert saved.rating == 7


def test_three_red_days_drop_one_task_a_day_until_undone(monkeypatch, time_machine):
    db, who = person_with_plan(monkeypatch, time_machine)
    live_days(db, who.id, S, [1, 2, 1], time_machine)  # 25 %, 50 %, 25 %: three red days
    day4 = S + timedelta(days=3)
    time_machine.move_to(at(day4), tick=False)
    before = [t.id for t in plans.tasks_for_day(db, who.id, day4)]
    assert len(before) == 4
    adaptation = plans.auto_adapt(db, who.id, day4)
    assert adaptation is not None
    assert (adaptation.tasks_before, adaptation.tasks_after) == (4, 3)
    assert adaptation.red_days == (S, S + timedelta(days=1), S + timedelta(days=2))
    assert "4 → 3" in adaptation.message and "undo-adapt" in adaptation.message
    after = [t.id for t in plans.tasks_for_day(db, who.id, day4)]
    assert after == before[:3]  # the last (a "should") is the one dropped
    for ahead in range(1, 7):
        assert len(plans.tasks_for_day(db, who.id, day4 + timedelta(days=ahead))) == 3
    assert len(plans.tasks_for_day(db, who.id, S)) == 4  # the past stays as it was
    assert plans.auto_adapt(db, who.id, day4) is None  # one bad stretch adapts once
    undone = plans.undo_adaptation(db, who.id, day4)
    assert undone is not None and undone.undone_at
    assert [t.id for t in plans.tasks_for_day(db, who.id, day4)] == before
    assert plans.undo_adaptation(db, who.id, day4) is None


def test_adaptation_needs_three_red_days_in_a_row(monkeypatch, time_machine):
    db, who = person_with_plan(monkeypatch, time_machine)
    live_days(db, who.id, S, [1, 3, 1, 1], time_machine)  # 75 % on day 2 breaks the run
    assert plans.auto_adapt(db, who.id, S + timedelta(days=3)) is None  # red, green, red
    assert plans.auto_adapt(db, who.id, S + timedelta(days=4)) is None  # green, red, red
    assert plans.adaptations(db, who.id) == []
    # day 5 came and went with nothing ticked off: that is the third red day in a row
    adapted = plans.auto_adapt(db, who.id, S + timedelta(days=5))
    assert adapted is not None and adapted.red_days[-1] == S + timedelta(days=4)


def test_adaptation_never_goes_below_two_tasks(monkeypatch, time_machine):
    db, who = person_with_plan(monkeypatch, time_machine, tier="basic")  # lite: 3 a day
    live_days(db, who.id, S, [0, 0, 0], time_machine)
    day4 = S + timedelta(days=3)
    time_machine.move_to(at(day4), tick=False)
    first = plans.auto_adapt(db, who.id, day4)
    assert (first.tasks_before, first.tasks_after) == (3, 2)
    live_days(db, who.id, day4, [0, 0, 0], time_machine)
    assert plans.auto_adapt(db, who.id, day4 + timedelta(days=3)) is None
    assert len(plans.tasks_for_day(db, who.id, day4 + timedelta(days=3))) == 2


def badge_threshold(key: str) -> float:
    spec = next(b for b in load_data_toml("badges.toml")["badges"] if b["key"] == key)
    return spec["threshold"]["value"]


def test_badges_follow_their_documented_thresholds(monkeypatch, time_machine):
    db, who = person_with_plan(monkeypatch, time_machine)
    assert badge_threshold("streak_7") == 7 and badge_threshold("first_test") == 1
    assert [b.key for b in plans.badges(db, who.id, today=S)] == ["first_test"]
    live_days(db, who.id, S, [4] * 6, time_machine)
    day6 = S + timedelta(days=5)
    earned = {b.key for b in plans.badges(db, who.id, today=day6)}
    assert "first_task" in earned and "streak_7" not in earned
    live_days(db, who.id, S + timedelta(days=6), [4], time_machine)
    day7 = S + timedelta(days=6)
    new = plans.award_badges(db, who.id, day7)
    assert {b.key for b in new} == {"streak_7", "perfect_week"}
    assert {b.earned_on for b in new} == {day7}
    assert plans.award_badges(db, who.id, day7) == []  # earned once
    rows = db.execute("SELECT COUNT(*) FROM badges WHERE profile_id = ?", [who.id]).fetchone()
    assert rows[0] == len(plans.badges(db, who.id, today=day7)) == 4
    board = plans.all_badges(db, who.id, day7)
    assert [b.key for b in board] == [b["key"] for b in load_data_toml("badges.toml")["badges"]]
    assert not next(b for b in board if b.key == "streak_30").earned


def test_improvement_badge_needs_plus_twenty_percent(monkeypatch, time_machine):
    from tests.plan_helpers import add_result

    db, who = person_with_plan(monkeypatch, time_machine)
    retest = S + timedelta(days=14)
    add_result(db, who.id, 7, "limited", 74, retest)  # 66 -> 74: +12 %
    assert "improved_20" not in {b.key for b in plans.badges(db, who.id, today=retest)}
    add_result(db, who.id, 7, "pass", 80, retest + timedelta(days=1))  # +21 %
    later = retest + timedelta(days=1)
    assert "improved_20" in {b.key for b in plans.badges(db, who.id, today=later)}


def test_insight_names_the_most_skipped_exercise(monkeypatch, time_machine):
    db, who = person_with_plan(monkeypatch, time_machine, tier="basic")  # same 3 every day
    live_days(db, who.id, S, [2, 2, 2, 2], time_machine)  # the third is always skipped
    day5 = S + timedelta(days=4)
    skipped = plans.tasks_for_day(db, who.id, S)[2]
    texts = plans.insights(db, who.id, day5)
    assert any(find_exercise(skipped.exercise_id).name in t and "4 times" in t for t in texts)
    assert plans.insight(db, who.id, day5) in texts


def test_insight_finds_the_best_weekday(monkeypatch, time_machine):
    db, who = person_with_plan(monkeypatch, time_machine)
    history = [4 if (S + timedelta(days=n)).weekday() == 2 else 2 for n in range(21)]
    live_days(db, who.id, S, history, time_machine)
    day = S + timedelta(days=21)
    texts = plans.insights(db, who.id, day)
    assert any(t.startswith("You get the most done on Wednesdays (100 %") for t in texts)
    # the choice is fixed for the day and comes from the candidates
    assert plans.insight(db, who.id, day) == plans.insight(db, who.id, day) in texts


def test_insights_about_records_and_ratings(monkeypatch, time_machine):
    db, who = person_with_plan(monkeypatch, time_machine)
    live_days(db, who.id, S, [4, 4, 4, 4, 4, 0, 4, 4, 4], time_machine)
    day = S + timedelta(days=8)
    for offset, rating in ((-9, 4), (-8, 4), (-2, 7), (0, 8)):
        plans.reflect(db, who.id, day + timedelta(days=offset), rating)
    texts = plans.insights(db, who.id, day)
    assert "2 more good day(s) and you match your longest streak of 5 days." in texts
    assert any("went up from 4.0 to 7.5" in t for t in texts)


def test_no_insight_without_data(monkeypatch, time_machine):
    db, who = person_with_plan(monkeypatch, time_machine)
    assert plans.insight(db, who.id, S) is None


runner = CliRunner()


def cli(*args: str):
    from flowlogic.cli.app import app

    return runner.invoke(app, list(args))


def test_retention_commands_are_pro_plus_and_a_downgrade_keeps_the_data(monkeypatch, time_machine):
    db, who = person_with_plan(monkeypatch, time_machine)
    live_days(db, who.id, S, [1, 1, 1], time_machine)
    day4 = S + timedelta(days=3)
    time_machine.move_to(at(day4), tick=False)
    set_tier(monkeypatch, "pro")
    pro_today = json.loads(cli("today", "--json").stdout)
    assert pro_today["adapted"] is None and pro_today["insight"] is None  # not on Pro
    assert cli("reflect", "6").exit_code == 4
    assert cli("badges").exit_code == 4
    set_tier(monkeypatch, "proplus")
    today = json.loads(cli("today", "--json").stdout)
    assert today["adapted"]["tasks_after"] == 3 and len(today["tasks"]) == 3
    reflected = cli("reflect", "6", "--note", "tired but done", "--json")
    assert reflected.exit_code == 0
    assert json.loads(reflected.stdout)["reflection"]["rating"] == 6
    shown = json.loads(cli("badges", "--json").stdout)["badges"]
    earned = {b["key"] for b in shown if b["earned"]}
    assert {"first_test", "first_task"} <= earned
    assert cli("plan", "undo-adapt").exit_code == 0
    assert "Nothing to undo" in cli("plan", "undo-adapt").output

    set_tier(monkeypatch, "free")  # a downgrade hides everything, deletes nothing
    assert cli("badges").exit_code == 4 and cli("today").exit_code == 4
    for table in ("badges", "reflections", "adaptations", "plans", "calendar_tasks"):
        assert db.execute(f"SELECT COUNT(*) FROM {table}").fetchone()[0] > 0, table
    set_tier(monkeypatch, "proplus")
    again = json.loads(cli("badges", "--json").stdout)["badges"]
    assert again == shown
