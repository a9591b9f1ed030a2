"""Fixture histories for report, chart and export tests: stored attempts made from
constructed outcomes (the same dict shape `Outcome.to_dict` gives), at chosen dates."""

from __future__ import annotations

from datetime import UTC, date, datetime, time
from typing import Any

from flowlogic.catalog import find_test
from flowlogic.scoring.result import normalize_bucket, score_band
from flowlogic.store import assessments

QUALITY_OK = {
    "passed": True,
    "score": 0.92,
    "mean_confidence": 0.88,
    "motion_level": 0.9,
    "frames_analysed": 300,
    "view_seen": "front",
    "checks": [
        {"code": "INVALID_NO_PERSON", "passed": True, "value": 1.0, "threshold": 0.1},
        {"code": "BAD_LIGHTING", "passed": True, "value": 120.0, "threshold": [30, 250]},
    ],
    "feedback": None,
}


def outcome(
    test: int | str,
    *,
    score: int | None,
    bucket: str = "good",
    flags: list[tuple[str, str | None, str]] = (),
    view: str = "front",
    metrics: dict[str, dict[str, Any]] | None = None,
    notes: tuple[str, ...] = (),
) -> dict[str, Any]:
    """A valid outcome (score given) or an invalid one (score None: lighting failed)."""
    spec = find_test(test)
    video = {
        "path": f"/videos/{spec.slug}.mp4",
        "sha256": f"sha-{spec.slug}-{score}",
        "fps": 30.0,
        "frames": 300,
        "frames_analysed": 300,
        "duration_s": 10.0,
        "width": 1280,
        "height": 720,
        "landmarks_from_cache": False,
    }
    if score is None:
        quality = {
            **QUALITY_OK,
            "passed": False,
            "score": 0.3,
            "checks": [
                {"code": "INVALID_NO_PERSON", "passed": True, "value": 1.0, "threshold": 0.1},
                {"code": "BAD_LIGHTING", "passed": False, "value": 12.0, "threshold": [30, 250]},
            ],
            "feedback": {
                "header": "Hard to see",
                "message": "Try turning on more lights or moving to a brighter spot.",
                "action": "Record again",
            },
        }
        result = None
    else:
        quality = QUALITY_OK
        result = {
            "bucket": bucket,
            "normalized": normalize_bucket(bucket),
            "score": score,
            "band": score_band(score),
            "confidence": 0.81,
            "side": None,
            "reps": 5,
            "metrics": metrics
            or {
                "depth_pelvis_drop": {
                    "value": 0.41,
                    "unit": "leg lengths",
                    "side": None,
                    "estimated": False,
                }
            },
            "flags": [{"code": c, "side": s, "severity": sev} for c, s, sev in flags],
            "segments": [
                {
                    "index": 1,
                    "start_s": 0.5,
                    "end_s": 2.5,
                    "side": None,
                    "values": {"pelvis_drop": 0.41},
                },
            ],
            "notes": list(notes),
        }
    return {
        "schema_version": 1,
        "status": "valid" if result else "invalid",
        "test": {"id": spec.id, "slug": spec.slug, "name": spec.name},
        "view": view,
        "profile": None,
        "video": video,
        "quality": quality,
        "result": result,
        "attempts_left_today": 2,
        "assessment_id": None,
    }


def store(db, profile_id: int, day: date, data: dict[str, Any], hour: int = 9) -> int:
    """Save `data` as an attempt taken on `day` (UTC = local in tests)."""
    moment = datetime.combine(day, time(hour), tzinfo=UTC)
    return assessments.save(
        db,
        profile_id=profile_id,
        outcome=data,
        created_at=moment.isoformat(timespec="seconds"),
        local_date=day.isoformat(),
        source="test",
        model="fixture",
    )


def follow_plan(db, profile_id: int, start: date, shares: list[float]) -> list[float]:
    """Day by day from `start`, tick off this share of the day's tasks (rounded down to
    whole tasks); returns the completion each day really got."""
    from datetime import timedelta

    from flowlogic import plans

    done_shares = []
    for offset, share in enumerate(shares):
        day = start + timedelta(days=offset)
        tasks = plans.tasks_for_day(db, profile_id, day, today=day)
        count = int(share * len(tasks) + 1e-9)
        for task in tasks[:count]:
            plans.complete_task(db, task.id, profile_id=profile_id, today=day)
        done_shares.append(count / len(tasks) if tasks else 0.0)
    return done_shares


SCENARIO_START = date(2026, 3, 2)
SCENARIO_SHARES = [1, 1, 0.75, 1, 0.5, 1, 1, 1, 1, 1, 0, 0, 1, 1, 1, 1, 0.75, 1, 1, 1]


def plan_scenario(db, name: str = "Zoë Anne Müller"):
    """A profile that took the Free battery on 2 Mar 2026 (squat with knees moving in,
    asymmetric Y-balance, limited single-leg balance), got a plan (the caller sets a tier
    with plans first), followed it for 20 days with two missed days, and retested the squat
    after two weeks. Returns (profile, the shares really done each day)."""
    from datetime import timedelta

    from flowlogic import plans, profiles

    person = profiles.add(db, name)
    start = SCENARIO_START
    squat = outcome(
        4,
        score=62,
        bucket="compensation",
        flags=[("knee_valgus", "left", "moderate"), ("heel_lift", None, "mild")],
    )
    store(db, person.id, start, squat, hour=8)
    store(db, person.id, start, outcome(3, score=68, bucket="asymmetric"), hour=8)
    store(db, person.id, start, outcome(7, score=64, bucket="limited"), hour=8)
    plans.ensure_current_plan(db, person.id, today=start)
    done = follow_plan(db, person.id, start, SCENARIO_SHARES[:14])
    retest_day = start + timedelta(days=14)
    store(db, person.id, retest_day, outcome(4, score=78, bucket="good"), hour=7)
    plans.ensure_current_plan(db, person.id, today=retest_day)
    done += follow_plan(db, person.id, retest_day, SCENARIO_SHARES[14:])
    return person, done
