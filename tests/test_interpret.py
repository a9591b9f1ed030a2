"""Interpretation: latest valid results, overall score, problem areas (PRODUCT.md §5–6)."""

from __future__ import annotations

import copy
from datetime import date, timedelta

import pytest

from flowlogic import interpret
from flowlogic.catalog import load_data_toml
from flowlogic.interpret import interpret as apply_rules
from flowlogic.interpret import load_rules, parse_rules
from tests.plan_helpers import (
    add_result,
    invalid_outcome,
    new_db_with_profile,
    sample_outcome,
    save_result,
    utc_zone,  # noqa: F401  (autouse fixture)
)

TODAY = date(2025, 3, 10)


def result(test_id: int, normalized: str, score: int, flags=()) -> dict:
    """An in-memory latest result, as latest_valid_results returns it."""
    from flowlogic.catalog import find_test

    spec = find_test(test_id)
    return {
        "test_id": test_id,
        "test_slug": spec.slug,
        "test_name": spec.name,
        "score": score,
        "normalized": normalized,
        "flags": [{"code": c, "side": s, "severity": v} for c, s, v in flags],
    }


def keys(areas) -> list[str]:
    return [a.key for a in areas]


def test_the_real_sample_result_is_read_back_and_interpreted():
    db, who = new_db_with_profile()
    real = sample_outcome()
    save_result(db, who.id, real, TODAY)
    latest = interpret.latest_valid_results(db, who.id, today=TODAY)
    assert [r["test_id"] for r in latest] == [4]
    got = latest[0]
    assert got["score"] == real["result"]["score"]
    assert got["normalized"] == real["result"]["normalized"]
    assert got["flags"] == real["result"]["flags"]
    assert set(got["metrics"]) == set(real["result"]["metrics"])
    assert interpret.overall_score(db, who.id, today=TODAY) == real["result"]["score"]
    areas = interpret.problem_areas(db, who.id, today=TODAY)
    # A passing squat with at most mild flags is below the noise floor: no problem area.
    if real["result"]["normalized"] == "pass":
        assert "squat_pattern" not in keys(areas)


def test_latest_valid_result_per_test_and_six_week_window():
    db, who = new_db_with_profile()
    add_result(db, who.id, 4, "limited", 62, TODAY - timedelta(days=20))
    add_result(db, who.id, 4, "pass", 80, TODAY - timedelta(days=3))
    save_result(db, who.id, invalid_outcome(4), TODAY)  # an invalid attempt never counts
    add_result(db, who.id, 7, "limited", 70, TODAY - timedelta(days=41))
    add_result(db, who.id, 3, "significant", 40, TODAY - timedelta(days=42))  # too old
    add_result(db, who.id, 3, "pass", 95, TODAY + timedelta(days=1))  # after "today"
    latest = interpret.latest_valid_results(db, who.id, today=TODAY)
    assert [(r["test_id"], r["score"]) for r in latest] == [(4, 80), (7, 70)]
    assert interpret.overall_score(db, who.id, today=TODAY) == 75  # mean of 80 and 70
    everything = interpret.latest_valid_results(db, who.id, today=TODAY, within_days=None)
    assert [(r["test_id"], r["score"]) for r in everything] == [(3, 40), (4, 80), (7, 70)]


def test_no_results_means_no_overall_score():
    db, who = new_db_with_profile()
    assert interpret.overall_score(db, who.id, today=TODAY) is None
    assert interpret.problem_areas(db, who.id, today=TODAY) == []


def test_knee_valgus_chain_gives_two_root_causes_and_the_consequence():
    areas = apply_rules(
        [
            result(4, "limited", 66, [("knee_valgus", "left", "moderate")]),
            result(6, "limited", 68),
            result(15, "limited", 70, [("small_range", "left", "moderate")]),
        ]
    )
    by_key = {a.key: a for a in areas}
    assert keys(areas)[:2] == ["ankle_mobility", "hip_control"]  # P1, in data order
    assert by_key["ankle_mobility"].priority == by_key["hip_control"].priority == "P1"
    assert by_key["knee_valgus"].priority == "P2"
    assert all(a.priority == "P2" for a in areas[2:])
    for key in ("ankle_mobility", "hip_control", "knee_valgus"):
        assert "knee-valgus-chain" in by_key[key].rule
        assert by_key[key].confirmed
    # the combination's own sentence wins over the area's default
    chain = next(r for r in load_rules().rules if r.id == "knee-valgus-chain")
    expected = {e.area: e.why.strip() for e in chain.emit}
    assert by_key["knee_valgus"].why == expected["knee_valgus"]
    assert "overhead-squat:knee_valgus" in by_key["knee_valgus"].flags
    assert set(by_key["hip_control"].tests) >= {4, 15}


def test_inferred_area_is_kept_until_its_own_test_passes():
    squat = result(4, "limited", 64, [("heel_lift", None, "moderate")])
    inferred = {a.key: a for a in apply_rules([squat])}
    ankle = inferred["ankle_mobility"]
    assert not ankle.confirmed
    assert ankle.confirm_with == (6,)
    assert ankle.tests == (4,)
    overruled = apply_rules([squat, result(6, "pass", 88)])
    assert "ankle_mobility" not in keys(overruled)
    assert "squat_pattern" in keys(overruled)


def test_mild_flag_on_a_passing_test_creates_no_area():
    assert apply_rules([result(4, "pass", 88, [("knee_valgus", "left", "mild")])]) == []
    # the same flag at moderate severity is a consequence pattern on its own
    moderate = apply_rules([result(4, "pass", 80, [("knee_valgus", "left", "moderate")])])
    assert keys(moderate) == ["knee_valgus"]


def test_order_is_p1_then_worst_bucket_then_confirmed():
    areas = apply_rules(
        [
            result(7, "limited", 66, [("hip_drop", "right", "moderate")]),
            result(2, "significant", 40),
            result(3, "limited", 70),
        ]
    )
    assert keys(areas) == ["core_control", "hip_control", "balance"]
    assert areas[0].worst == "significant"
    assert not areas[1].confirmed


def test_problem_area_to_dict_is_json_ready():
    area = apply_rules([result(6, "significant", 40)])[0]
    data = area.to_dict()
    assert data["key"] == "ankle_mobility"
    assert data["tests"] == [6]
    assert isinstance(data["flags"], list)
    assert data["why"].endswith(".")


def _satisfy(condition) -> dict:
    normalized = condition.normalized[0] if condition.normalized else "limited"
    flags = [(condition.flag, None, condition.min_severity)] if condition.flag else []
    return result(condition.test, normalized, 65, flags)


@pytest.mark.parametrize("rule", load_rules().rules, ids=lambda r: r.id)
def test_every_rule_can_fire(rule):
    """No dead rule in the data: results built from a rule's conditions fire it."""
    chosen = [*rule.all, *rule.any[:1]]
    by_test: dict[int, dict] = {}
    for cond in chosen:
        entry = _satisfy(cond)
        if cond.test in by_test:
            by_test[cond.test]["flags"] += entry["flags"]
            if cond.normalized:
                by_test[cond.test]["normalized"] = entry["normalized"]
        else:
            by_test[cond.test] = entry
    areas = apply_rules(list(by_test.values()))
    fired = {a.key for a in areas if rule.id in a.rule.split(", ")}
    assert fired == {e.area for e in rule.emit}


def _broken(mutate) -> dict:
    raw = copy.deepcopy(load_data_toml("interpretation.toml"))
    mutate(raw)
    return raw


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda r: r["rules"][0]["all"][0].update(flag="wobble"), "no flag"),
        (lambda r: r["rules"][0]["emit"][0].update(area="elbows"), "unknown area"),
        (lambda r: r["areas"]["balance"].update(priority="P3"), "P1 or P2"),
        (lambda r: r["rules"][0]["all"][0].update(normalized=["meh"]), "buckets"),
        (lambda r: r["rules"].append(copy.deepcopy(r["rules"][0])), "duplicate"),
        (lambda r: r["areas"]["balance"].update(tests=[99]), "unknown tests"),
    ],
)
def test_rule_data_is_validated(mutate, message):
    with pytest.raises(ValueError, match=message):
        parse_rules(_broken(mutate))


def test_wording_stays_wellness():
    rules = load_rules()
    texts = [a.why for a in rules.areas.values()]
    texts += [e.why for r in rules.rules for e in r.emit if e.why]
    for text in texts:
        lowered = text.lower()
        assert not any(word in lowered for word in ("diagnos", "injur", "disease", "treat"))
        assert text.count(". ") == 0, f"not one sentence: {text}"
