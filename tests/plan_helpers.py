"""Helpers for the interpretation / plan / calendar / retention tests.

Results are stored through `flowlogic.store.assessments.save` with outcome dicts shaped by
`Outcome.to_dict`: the bundled sample's real outcome (overhead squat, front view; its pose
track is cached) is scored once per session and re-labelled for other tests and buckets.
"""

from __future__ import annotations

import copy
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from flowlogic import consent, profiles
from flowlogic.catalog import find_test
from flowlogic.store import assessments, open_db

ROOT = Path(__file__).resolve().parent.parent
SAMPLE = "data/samples/pose_squats.mp4"
_SAMPLE_OUTCOME: dict[str, Any] = {}

NATIVE = {  # normalised bucket -> a native bucket name per test family
    "pass": {"good", "pass", "symmetric", "within-range"},
    "limited": {"compensation", "limited", "needs-work", "asymmetric"},
    "significant": {"significant", "asymmetric"},
}


def sample_outcome() -> dict[str, Any]:
    """The real outcome of the bundled sample (scored without saving)."""
    if not _SAMPLE_OUTCOME:
        from flowlogic.assess import score_video

        db = open_db()
        consent.accept(db)
        outcome = score_video(ROOT / SAMPLE, 4, db=db, save=False)
        _SAMPLE_OUTCOME.update(outcome.to_dict())
    return copy.deepcopy(_SAMPLE_OUTCOME)


def native_bucket(test_id: int, normalized: str) -> str:
    spec = find_test(test_id)
    for bucket in spec.native_buckets:
        if bucket in NATIVE[normalized]:
            return bucket
    raise ValueError(f"test {test_id} has no native bucket for {normalized}")


def outcome_for(
    test_id: int,
    normalized: str,
    score: int,
    flags: list[tuple[str, str | None, str]] = (),  # type: ignore[assignment]
) -> dict[str, Any]:
    """The sample's outcome re-labelled as another test's result."""
    spec = find_test(test_id)
    outcome = sample_outcome()
    outcome["test"] = {"id": spec.id, "slug": spec.slug, "name": spec.name}
    outcome["result"].update(
        bucket=native_bucket(test_id, normalized),
        normalized=normalized,
        score=score,
        flags=[{"code": c, "side": s, "severity": v} for c, s, v in flags],
    )
    return outcome


def invalid_outcome(test_id: int) -> dict[str, Any]:
    outcome = outcome_for(test_id, "pass", 90)
    outcome["status"] = "invalid"
    outcome["result"] = None
    outcome["quality"]["checks"][0]["passed"] = False
    return outcome


def save_result(db, profile_id: int, outcome: dict[str, Any], day: date, hour: int = 9) -> int:
    moment = datetime(day.year, day.month, day.day, hour, tzinfo=UTC)
    return assessments.save(
        db,
        profile_id=profile_id,
        outcome=outcome,
        created_at=moment.isoformat(timespec="seconds"),
        local_date=day.isoformat(),
        source="test",
        model=outcome.get("model", "fixture"),
    )


def add_result(
    db,
    profile_id: int,
    test_id: int,
    normalized: str,
    score: int,
    day: date,
    flags: list[tuple[str, str | None, str]] = (),  # type: ignore[assignment]
) -> int:
    return save_result(db, profile_id, outcome_for(test_id, normalized, score, flags), day)


@pytest.fixture(autouse=True)
def utc_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    """Local dates in UTC, so fixed clocks give the same day on every machine."""
    monkeypatch.setenv("FLOWLOGIC_TZ", "UTC")


def free_battery(db, profile_id: int, day: date) -> None:
    """Tests 4, 3, 7: knees in and heels up in the squat, uneven Y-balance, hip drop."""
    add_result(
        db,
        profile_id,
        4,
        "limited",
        64,
        day,
        [("knee_valgus", "left", "moderate"), ("heel_lift", None, "mild")],
    )
    add_result(db, profile_id, 3, "limited", 70, day, [("anterior_asymmetry", "right", "mild")])
    add_result(db, profile_id, 7, "limited", 66, day, [("hip_drop", "right", "moderate")])


def set_tier(monkeypatch: pytest.MonkeyPatch, key: str) -> None:
    """Pin the installation's tier (patched where tiers.current_tier looks it up)."""
    monkeypatch.setattr("flowlogic.licence_state.effective_tier_key", lambda db: key)


def at(day: date, hour: int = 9) -> datetime:
    return datetime(day.year, day.month, day.day, hour, tzinfo=UTC)


def live_days(db, profile_id: int, start: date, done_counts: list[int], clock_machine) -> None:
    """Open the calendar on each day from `start` (moving the clock there) and tick off
    the given number of that day's tasks (musts first)."""
    from flowlogic import plans

    for offset, count in enumerate(done_counts):
        day = start + timedelta(days=offset)
        clock_machine.move_to(at(day), tick=False)
        tasks = plans.tasks_for_day(db, profile_id, day)
        assert len(tasks) >= count, f"{day}: only {len(tasks)} tasks"
        for task in tasks[:count]:
            plans.complete_task(db, task.id, profile_id=profile_id)


def new_db_with_profile(name: str = "default"):
    db = open_db()
    consent.accept(db)
    who = profiles.find(db, name, missing_ok=True) or profiles.add(db, name)
    return db, who
