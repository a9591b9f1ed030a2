"""The plan generator and plan versions (PRODUCT.md §7): P1 first, phases, lite vs full,
determinism, regeneration after retests, tier changes and a downgrade that hides the plan."""

from __future__ import annotations

import json
import sqlite3
from datetime import date, timedelta

import pytest
from typer.testing import CliRunner

from flowlogic import interpret, plans
from flowlogic.errors import RefusedError, UsageError
from flowlogic.exercises import find_exercise
from flowlogic.plans.generator import build_phases, select_for_day
from tests.plan_helpers import (
    add_result,
    at,
    free_battery,
    new_db_with_profile,
    set_tier,
    utc_zone,  # noqa: F401  (autouse fixture)
)

D = date(2025, 3, 3)  # a Monday


def shape(plan: plans.Plan) -> list:
    """What a person sees of a plan, without database ids."""
    return [
        (
            p.key,
            p.start_date,
            p.end_date,
            p.focus_areas,
            p.tasks_per_day,
            [(e.exercise_id, e.area, e.role, e.level, e.dosage) for e in p.exercises],
        )
        for p in plan.phases
    ]


def test_basic_gets_a_lite_plan_with_one_p1_focus(monkeypatch):
    set_tier(monkeypatch, "basic")
    db, who = new_db_with_profile()
    free_battery(db, who.id, D)
    areas = interpret.problem_areas(db, who.id, today=D)
    assert areas[0].priority == "P1"
    plan = plans.generate_plan(db, who.id, today=D)
    assert plan.tier_kind == "lite" and plan.version == 1 and plan.reason == "first"
    top = areas[0].key
    starts = [p.start_date for p in plan.phases]
    assert starts == [D, D + timedelta(days=14), D + timedelta(days=28)]
    assert plan.phases[-1].end_date == D + timedelta(days=41) == plan.end_date
    for phase in plan.phases:
        assert phase.focus_areas == (top,)  # one focus for the whole lite plan
        assert 2 <= len(phase.exercises) <= 3
        assert phase.tasks_per_day <= 3
        assert [e.role for e in phase.exercises][:2] == ["must", "must"]
        for item in phase.exercises:
            assert top in find_exercise(item.exercise_id).areas
    assert plan.phases[0].exercises[0].exercise_id != plan.phases[1].exercises[0].exercise_id
    # inferred areas say which test would confirm them
    assert any("would confirm" in note for note in plan.notes)


def test_pro_gets_a_full_plan_p1_first_and_patterns_in_the_function_phase(monkeypatch):
    set_tier(monkeypatch, "pro")
    db, who = new_db_with_profile()
    free_battery(db, who.id, D)
    plan = plans.generate_plan(db, who.id, today=D)
    assert plan.tier_kind == "full"
    priorities = {a["key"]: a["priority"] for a in plan.problem_areas}
    local, integration, function = plan.phases
    for phase in (local, integration):
        ranks = [priorities[k] for k in phase.focus_areas]
        assert ranks == sorted(ranks)  # P1 areas before P2
        assert ranks[0] == "P1"
    assert priorities[function.focus_areas[0]] == "P2"
    for phase in plan.phases:
        assert len(phase.focus_areas) == 3
        ids = [e.exercise_id for e in phase.exercises]
        assert len(ids) == len(set(ids)) == 6
        assert phase.tasks_per_day == 4
        for item in phase.exercises:
            assert find_exercise(item.exercise_id).phase in (phase.key, "local", "integration")
    # the local phase is mobility and activation work
    assert all(find_exercise(e.exercise_id).phase == "local" for e in local.exercises)


def test_same_inputs_give_the_same_plan(monkeypatch):
    set_tier(monkeypatch, "pro")
    db, who = new_db_with_profile()
    free_battery(db, who.id, D)
    areas = interpret.problem_areas(db, who.id, today=D)
    assert build_phases(areas, kind="full", cycle_start=D) == build_phases(
        areas, kind="full", cycle_start=D
    )
    first = plans.generate_plan(db, who.id, today=D)
    again = plans.regenerate(db, who.id, today=D)
    assert again.version == 2 and again.id != first.id
    assert shape(again) == shape(first)


def test_regenerating_keeps_older_versions_and_one_active(monkeypatch):
    set_tier(monkeypatch, "basic")
    db, who = new_db_with_profile()
    free_battery(db, who.id, D)
    for _ in range(3):
        plans.regenerate(db, who.id, today=D)
    versions = plans.plan_versions(db, who.id)
    assert [p.version for p in versions] == [3, 2, 1]
    assert [p.status for p in versions] == ["active", "superseded", "superseded"]
    assert plans.active_plan(db, who.id).version == 3
    with pytest.raises(sqlite3.IntegrityError):
        db.execute("UPDATE plans SET status = 'active' WHERE version = 1")


def test_a_retest_renews_the_plan_within_the_same_cycle(monkeypatch):
    set_tier(monkeypatch, "pro")
    db, who = new_db_with_profile()
    free_battery(db, who.id, D)
    first, why = plans.ensure_current_plan(db, who.id, today=D)
    assert why == "first"
    assert plans.ensure_current_plan(db, who.id, today=D + timedelta(days=3)) == (first, None)
    retest = D + timedelta(days=14)
    add_result(db, who.id, 4, "pass", 86, retest)  # the squat is fine now
    renewed, why = plans.ensure_current_plan(db, who.id, today=retest)
    assert why == "retest" and renewed.version == 2
    assert renewed.cycle_start == first.cycle_start == D
    assert [p.start_date for p in renewed.phases] == [p.start_date for p in first.phases]
    assert renewed.start_date == retest
    assert renewed.phase_on(retest).key == "integration"
    assert "squat_pattern" not in [a["key"] for a in renewed.problem_areas]
    assert plans.get_plan(db, first.id).status == "superseded"


def test_regenerating_after_four_weeks_starts_a_new_cycle(monkeypatch):
    set_tier(monkeypatch, "basic")
    db, who = new_db_with_profile()
    free_battery(db, who.id, D)
    plans.generate_plan(db, who.id, today=D)
    later = D + timedelta(days=30)
    plan = plans.regenerate(db, who.id, today=later)
    assert plan.cycle_start == later
    assert plan.phase_on(later).key == "local"


def test_a_plan_changed_after_a_done_task_starts_tomorrow(monkeypatch):
    set_tier(monkeypatch, "basic")
    db, who = new_db_with_profile()
    free_battery(db, who.id, D)
    first = plans.generate_plan(db, who.id, today=D)
    day = D + timedelta(days=2)
    task = plans.tasks_for_day(db, who.id, day, today=day)[0]
    plans.complete_task(db, task.id, profile_id=who.id, today=day)
    second = plans.regenerate(db, who.id, today=day)
    assert second.start_date == day + timedelta(days=1)
    assert {t.plan_id for t in plans.tasks_for_day(db, who.id, day, today=day)} == {first.id}
    tomorrow = plans.tasks_for_day(db, who.id, day + timedelta(days=1), today=day)
    assert tomorrow and {t.plan_id for t in tomorrow} == {second.id}


def test_a_test_that_got_worse_pauses_its_exercises(monkeypatch):
    set_tier(monkeypatch, "pro")
    db, who = new_db_with_profile()
    free_battery(db, who.id, D)
    plans.ensure_current_plan(db, who.id, today=D)
    retest = D + timedelta(days=14)
    add_result(db, who.id, 7, "significant", 50, retest, [("hip_drop", "right", "severe")])
    plan, why = plans.ensure_current_plan(db, who.id, today=retest)
    assert why == "retest"
    balance = next(p for p in plans.progress(db, who.id, retest) if p.test_id == 7)
    assert balance.verdict == "worse" and balance.change_pct == pytest.approx(-24.2)
    paused = {p["area"]: p for p in plan.paused}
    assert "balance" in paused and paused["balance"]["tests"] == [7]
    assert "health professional" in paused["balance"]["advice"]
    for phase in plan.phases:
        assert "balance" not in phase.focus_areas
        assert all(e.area != "balance" for e in phase.exercises)


def test_no_problem_areas_gives_a_maintenance_plan(monkeypatch):
    set_tier(monkeypatch, "basic")
    db, who = new_db_with_profile()
    add_result(db, who.id, 4, "pass", 92, D)
    plan = plans.generate_plan(db, who.id, today=D)
    assert plan.maintenance and plan.problem_areas == ()
    assert plan.phases[0].exercises


def test_plans_need_results_and_a_tier_with_plans(monkeypatch):
    db, who = new_db_with_profile()
    set_tier(monkeypatch, "basic")
    with pytest.raises(UsageError, match="take at least one test"):
        plans.generate_plan(db, who.id, today=D)
    set_tier(monkeypatch, "free")
    add_result(db, who.id, 4, "limited", 64, D)
    with pytest.raises(RefusedError, match="part of Basic"):
        plans.generate_plan(db, who.id, today=D)


def test_upgrading_from_basic_to_pro_rebuilds_a_full_plan(monkeypatch):
    db, who = new_db_with_profile()
    free_battery(db, who.id, D)
    set_tier(monkeypatch, "basic")
    lite, _ = plans.ensure_current_plan(db, who.id, today=D)
    set_tier(monkeypatch, "pro")
    full, why = plans.ensure_current_plan(db, who.id, today=D + timedelta(days=1))
    assert (lite.tier_kind, full.tier_kind, why) == ("lite", "full", "tier")
    assert full.cycle_start == lite.cycle_start
    assert plans.get_plan(db, lite.id).status == "superseded"


def test_rotation_keeps_musts_daily_and_cycles_shoulds(monkeypatch):
    set_tier(monkeypatch, "pro")
    db, who = new_db_with_profile()
    free_battery(db, who.id, D)
    phase = plans.generate_plan(db, who.id, today=D).phases[0]
    musts = {e.exercise_id for e in phase.exercises if e.role == "must"}
    seen: set[str] = set()
    for offset in range(4):
        chosen = select_for_day(phase, D + timedelta(days=offset), phase.tasks_per_day)
        ids = [e.exercise_id for e in chosen]
        assert set(ids[:2]) == musts and len(ids) == 4
        seen |= set(ids)
        fewer = select_for_day(phase, D + timedelta(days=offset), phase.tasks_per_day - 1)
        assert [e.exercise_id for e in fewer] == ids[:3]  # one task fewer = the last one
    assert seen == {e.exercise_id for e in phase.exercises}


runner = CliRunner()


def cli(*args: str):
    from flowlogic.cli.app import app

    return runner.invoke(app, list(args))


def test_downgrade_hides_the_plan_but_keeps_it(monkeypatch, time_machine):
    time_machine.move_to(at(D), tick=False)
    db, who = new_db_with_profile()
    free_battery(db, who.id, D)
    set_tier(monkeypatch, "basic")
    shown = cli("plan", "--json")
    assert shown.exit_code == 0, shown.output
    plan = json.loads(shown.stdout)["plan"]
    assert cli("today").exit_code == 0
    tasks_before = db.execute("SELECT COUNT(*) FROM calendar_tasks").fetchone()[0]
    assert tasks_before >= 7 * 2  # the week ahead is written

    time_machine.move_to(at(D + timedelta(days=35)), tick=False)  # a month change on the way
    set_tier(monkeypatch, "free")
    refused = cli("plan")
    assert refused.exit_code == 4
    assert "part of Basic" in refused.output
    assert cli("today").exit_code == 4
    assert db.execute("SELECT COUNT(*) FROM plans").fetchone()[0] == 1
    assert db.execute("SELECT COUNT(*) FROM calendar_tasks").fetchone()[0] == tasks_before

    set_tier(monkeypatch, "basic")
    again = json.loads(cli("plan", "--json").stdout)
    assert again["changed"] is None
    assert (again["plan"]["id"], again["plan"]["version"]) == (plan["id"], plan["version"])


def test_plan_cli_shows_phases_and_regenerates(monkeypatch, time_machine):
    time_machine.move_to(at(D), tick=False)
    db, who = new_db_with_profile()
    free_battery(db, who.id, D)
    set_tier(monkeypatch, "pro")
    shown = cli("plan")
    assert shown.exit_code == 0, shown.output
    for words in ("Your first plan is ready", "Local work", "Integration", "Function", "P1"):
        assert words in shown.output
    regenerated = cli("plan", "regenerate", "--json")
    assert regenerated.exit_code == 0
    assert json.loads(regenerated.stdout)["plan"]["version"] == 2
