"""The daily calendar (PRODUCT.md §7): tasks a week ahead, no double completion, day
points and streaks across a month change, difficulty, retests and progress."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from flowlogic import plans
from flowlogic.errors import NotFound, UsageError
from flowlogic.exercises import find_exercise
from flowlogic.plans.progress import verdict
from tests.plan_helpers import (
    add_result,
    at,
    free_battery,
    live_days,
    new_db_with_profile,
    set_tier,
    utc_zone,  # noqa: F401  (autouse fixture)
)

S = date(2025, 1, 27)  # a Monday; day 6 of the history is 1 February


@pytest.fixture
def pro_person(monkeypatch, time_machine):
    """A Pro profile that took the free battery on S and has its first plan."""
    set_tier(monkeypatch, "pro")
    time_machine.move_to(at(S), tick=False)
    db, who = new_db_with_profile()
    free_battery(db, who.id, S)
    plans.ensure_current_plan(db, who.id, today=S)
    return db, who


def test_today_has_2_to_4_tasks_musts_first_and_the_week_ahead_is_written(pro_person):
    db, who = pro_person
    tasks = plans.tasks_for_day(db, who.id, S)
    assert 2 <= len(tasks) <= 4
    roles = [t.role for t in tasks]
    assert roles == sorted(roles)  # "must" sorts before "should"
    assert roles[0] == "must"
    week = plans.week_ahead(db, who.id, S)
    assert [d for d, _ in week] == [S + timedelta(days=n) for n in range(7)]
    assert all(2 <= len(day_tasks) <= 4 for _, day_tasks in week)
    stored = db.execute(
        "SELECT COUNT(DISTINCT day) FROM calendar_tasks WHERE profile_id = ?", [who.id]
    ).fetchone()[0]
    assert stored == 7
    first = tasks[0]
    exercise = find_exercise(first.exercise_id)
    assert first.dosage == exercise.dosage(first.level)
    assert first.minutes == exercise.minutes(first.level)


def test_a_task_is_done_once_and_can_be_undone(pro_person):
    db, who = pro_person
    task = plans.tasks_for_day(db, who.id, S)[0]
    done = plans.complete_task(db, task.id, profile_id=who.id)
    assert done.done and done.completed_at
    with pytest.raises(UsageError, match="already done"):
        plans.complete_task(db, task.id, profile_id=who.id)
    assert plans.get_task(db, task.id).completed_at == done.completed_at
    assert plans.day_completion(db, who.id, S) == pytest.approx(1 / 4)
    reopened = plans.undo_task(db, task.id, profile_id=who.id)
    assert reopened.status == "open" and reopened.completed_at is None
    with pytest.raises(UsageError, match="nothing to undo"):
        plans.undo_task(db, task.id, profile_id=who.id)
    assert plans.day_completion(db, who.id, S) == 0.0


def test_tasks_cannot_be_ticked_ahead_too_late_or_for_someone_else(pro_person, time_machine):
    db, who = pro_person
    tomorrow = plans.tasks_for_day(db, who.id, S + timedelta(days=1))[0]
    with pytest.raises(UsageError, match="can't be ticked yet"):
        plans.complete_task(db, tomorrow.id, profile_id=who.id)
    today_task = plans.tasks_for_day(db, who.id, S)[0]
    from flowlogic import profiles

    other = profiles.add(db, "someone else")
    with pytest.raises(NotFound):
        plans.complete_task(db, today_task.id, profile_id=other.id)
    time_machine.move_to(at(S + timedelta(days=2)), tick=False)
    plans.complete_task(db, today_task.id, profile_id=who.id)  # two days late is fine
    plans.undo_task(db, today_task.id, profile_id=who.id)
    time_machine.move_to(at(S + timedelta(days=3)), tick=False)
    with pytest.raises(UsageError, match="up to 2 days"):
        plans.complete_task(db, today_task.id, profile_id=who.id)


def test_the_schema_refuses_a_second_task_per_item_and_day_and_done_without_a_time(pro_person):
    db, who = pro_person
    task = plans.tasks_for_day(db, who.id, S)[0]
    row = dict(next(db.query("SELECT * FROM calendar_tasks WHERE id = ?", [task.id])))
    copy = {k: v for k, v in row.items() if k != "id"}
    with pytest.raises(sqlite3.IntegrityError, match="UNIQUE"):
        db["calendar_tasks"].insert(copy)
    with pytest.raises(sqlite3.IntegrityError, match="CHECK"):
        db.execute("UPDATE calendar_tasks SET status = 'done' WHERE id = ?", [task.id])


# Done tasks out of 4 per day, from S (27 Jan) over the month change into February.
HISTORY = [4, 4, 3, 4, 2, 4, 3, 4, 4, 4, 0, 3]
# completion: 100 100 75 100 50 | 100 75 100 100 100 | 0 | 75
# points:       2   2  1   2  0 |   2  1   2   2   2 | 0 | 1  = 17
# runs ≥ 70 %:  1   2  3   4  0 |   1  2   3   4   5 | 0 | 1


def test_points_and_streaks_follow_the_rules_across_a_month_change(pro_person, time_machine):
    db, who = pro_person
    live_days(db, who.id, S, HISTORY, time_machine)
    last = S + timedelta(days=len(HISTORY) - 1)
    assert last == date(2025, 2, 7)
    assert plans.streaks(db, who.id, last) == plans.Streaks(current=1, longest=5, points=17)
    # the next morning nothing is done yet: the streak still counts up to yesterday
    nxt = last + timedelta(days=1)
    time_machine.move_to(at(nxt), tick=False)
    tasks = plans.tasks_for_day(db, who.id, nxt)
    assert plans.streaks(db, who.id, nxt) == plans.Streaks(current=1, longest=5, points=17)
    for task in tasks[:3]:
        plans.complete_task(db, task.id, profile_id=who.id)
    assert plans.streaks(db, who.id, nxt) == plans.Streaks(current=2, longest=5, points=18)
    plans.complete_task(db, tasks[3].id, profile_id=who.id)
    assert plans.streaks(db, who.id, nxt).points == 19  # a full day is worth 2
    # the streak line for charts: the run length at the end of each day
    series = dict(plans.streak_series(db, who.id, S, last))
    assert [series[S + timedelta(days=n)] for n in range(len(HISTORY))] == [
        1, 2, 3, 4, 0, 1, 2, 3, 4, 5, 0, 1
    ]  # fmt: skip


def test_completion_series_skips_days_without_tasks(pro_person, time_machine):
    db, who = pro_person
    live_days(db, who.id, S, HISTORY[:5], time_machine)
    series = plans.completion_series(db, who.id, S - timedelta(days=5), S + timedelta(days=4))
    assert [d for d, _ in series] == [S + timedelta(days=n) for n in range(5)]
    assert [v for _, v in series] == [1.0, 1.0, 0.75, 1.0, 0.5]
    assert [plans.day_points(v) for _, v in series] == [2, 2, 1, 2, 0]


@pytest.mark.parametrize(
    ("history", "level"),
    [
        ([4] * 12 + [3, 3], 2),  # 54 of 56 tasks = 96 %: harder from week 3
        ([4] * 10 + [2] * 4, 1),  # 48 of 56 tasks = 86 %: stays
    ],
)
def test_difficulty_rises_after_two_weeks_at_90_percent(pro_person, time_machine, history, level):
    db, who = pro_person
    live_days(db, who.id, S, history, time_machine)
    day15 = S + timedelta(days=14)
    time_machine.move_to(at(day15), tick=False)
    tasks = plans.tasks_for_day(db, who.id, day15)
    assert {t.level for t in tasks} == {level}
    assert all(t.dosage == find_exercise(t.exercise_id).dosage(level) for t in tasks)
    assert plans.effective_level(db, plans.active_plan(db, who.id), day15) == level


def test_retests_quick_every_two_weeks_full_after_four(pro_person):
    db, who = pro_person
    assert plans.retests_due(db, who.id, S + timedelta(days=13)) == []
    upcoming = plans.retest_schedule(db, who.id, S + timedelta(days=13))
    quick = {r.test_id for r in upcoming if r.kind == "quick"}
    assert quick == {3, 4, 7}  # the tests behind the problem areas
    assert {r.due_on for r in upcoming if r.kind == "quick"} == {S + timedelta(days=14)}
    full = [r for r in upcoming if r.kind == "full"]
    assert {r.test_id for r in full} == {2, 3, 4, 6, 7, 9, 11}  # Pro's whole battery
    assert {r.due_on for r in full} == {S + timedelta(days=28)}
    due = plans.retests_due(db, who.id, S + timedelta(days=14))
    assert {(r.kind, r.test_id, r.status) for r in due} == {
        ("quick", 3, "due"),
        ("quick", 4, "due"),
        ("quick", 7, "due"),
    }
    late = plans.retests_due(db, who.id, S + timedelta(days=22))
    assert {r.status for r in late} == {"overdue"}
    add_result(db, who.id, 4, "limited", 70, S + timedelta(days=15))
    after = plans.retests_due(db, who.id, S + timedelta(days=16))
    assert 4 not in {r.test_id for r in after}
    # the next quick check of test 4 would fall after the full reassessment: it waits for it
    at_four_weeks = plans.retests_due(db, who.id, S + timedelta(days=30))
    assert {r.kind for r in at_four_weeks if r.test_id == 4} == {"full"}
    assert {r.status for r in plans.retests_due(db, who.id, S + timedelta(days=43))} == {"overdue"}


@pytest.mark.parametrize(
    ("change", "normalized", "expected"),
    [
        (25.0, "limited", "good"),
        (20.0, "limited", "good"),
        (15.0, "limited", "on_track"),
        (9.9, "limited", "adjust"),
        (-3.0, "limited", "adjust"),
        (-6.0, "limited", "worse"),
        (2.0, "pass", "good"),
        (-6.0, "pass", "worse"),
    ],
)
def test_progress_verdicts(change, normalized, expected):
    assert verdict(change, normalized)[0] == expected


def test_progress_against_the_baseline(pro_person):
    db, who = pro_person
    retest = S + timedelta(days=14)
    add_result(db, who.id, 4, "limited", 70, retest)  # 64 -> 70: +9.4 %
    add_result(db, who.id, 7, "pass", 80, retest)  # 66 -> 80: +21.2 %
    add_result(db, who.id, 3, "limited", 60, retest)  # 70 -> 60: -14.3 %
    items = {p.test_id: p for p in plans.progress(db, who.id, retest)}
    assert (items[4].verdict, items[4].change_pct) == ("adjust", 9.4)
    assert (items[7].verdict, items[7].change_pct) == ("good", 21.2)
    assert (items[3].verdict, items[3].change_pct) == ("worse", -14.3)
    assert items[3].baseline_score == 70 and items[3].latest_score == 60
    assert items[3].days == 14
    assert "health professional" in items[3].advice
    assert "adjust" in items[4].advice
    assert set(items[3].to_dict()) >= {"baseline_score", "latest_score", "change_pct", "verdict"}


runner = CliRunner()


def cli(*args: str):
    from flowlogic.cli.app import app

    return runner.invoke(app, list(args))


@pytest.mark.usefixtures("pro_person")
def test_today_done_undo_and_calendar_from_the_command_line():
    today = json.loads(cli("today", "--json").stdout)
    assert today["date"] == S.isoformat() and len(today["tasks"]) == 4
    task_id = today["tasks"][0]["id"]
    done = cli("done", str(task_id), "--json")
    assert done.exit_code == 0 and json.loads(done.stdout)["day_completion"] == 0.25
    again = cli("done", str(task_id))
    assert again.exit_code == 2 and "already done" in again.output
    assert cli("undo", str(task_id)).exit_code == 0
    assert cli("done", "999999").exit_code == 2
    human = cli("today")
    assert human.exit_code == 0 and "must" in human.output and "streak" in human.output
    grid = cli("calendar")
    assert grid.exit_code == 0 and "Mon" in grid.output
    week = json.loads(cli("calendar", "--week", "--json").stdout)
    assert len(week["days"]) == 7 and all(d["tasks"] for d in week["days"])
    assert {r["kind"] for r in week["retests"]} == {"quick", "full"}
