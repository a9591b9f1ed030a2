"""Storing and reading assessments (attempts) with their results, metrics and flags."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from flowlogic.audit import record_event
from flowlogic.errors import NotFound
from flowlogic.store.tx import transaction


def save(
    db: sqlite_utils.Database,
    *,
    profile_id: int,
    outcome: dict[str, Any],
    created_at: str,
    local_date: str,
    source: str,
    model: str,
) -> int:
    """Store one attempt (valid or invalid) atomically, with an audit event."""
    result = outcome.get("result")
    quality = outcome["quality"]
    with transaction(db):
        table = db["assessments"]
        table.insert(
            {
                "profile_id": profile_id,
                "test_id": outcome["test"]["id"],
                "test_slug": outcome["test"]["slug"],
                "view": outcome.get("view"),
                "status": outcome["status"],
                "created_at": created_at,
                "local_date": local_date,
                "source": source,
                "video_path": outcome["video"]["path"],
                "video_sha256": outcome["video"]["sha256"],
                "video_json": json.dumps(outcome["video"]),
                "quality_score": quality["score"],
                "quality_json": json.dumps(quality),
                "reasons_json": json.dumps(
                    [c["code"] for c in quality["checks"] if not c["passed"]]
                ),
                "model": model,
                "outcome_json": "{}",
            }
        )
        assessment_id = int(table.last_pk)
        outcome = {**outcome, "assessment_id": assessment_id}
        db.execute(
            "UPDATE assessments SET outcome_json = ? WHERE id = ?",
            [json.dumps(outcome), assessment_id],
        )
        if result:
            _insert_result(db, assessment_id, result)
            record_event(
                db,
                "assessment.scored",
                profile_id=profile_id,
                assessment_id=assessment_id,
                details={"test": outcome["test"]["slug"], "score": result["score"]},
            )
        else:
            record_event(
                db,
                "assessment.measurement_failed",
                profile_id=profile_id,
                assessment_id=assessment_id,
                details={
                    "test": outcome["test"]["slug"],
                    "reasons": json.loads(
                        json.dumps([c["code"] for c in quality["checks"] if not c["passed"]])
                    ),
                },
            )
    return assessment_id


def _insert_result(db: sqlite_utils.Database, assessment_id: int, result: dict[str, Any]) -> None:
    db["results"].insert(
        {
            "assessment_id": assessment_id,
            "bucket": result["bucket"],
            "normalized": result["normalized"],
            "score": result["score"],
            "confidence": result["confidence"],
            "side": result["side"],
            "reps": result["reps"],
            "result_json": json.dumps(result),
        }
    )
    db["metrics"].insert_all(
        [
            {
                "assessment_id": assessment_id,
                "name": key,
                "value": m["value"],
                "unit": m["unit"],
                "side": m["side"],
                "estimated": int(bool(m["estimated"])),
            }
            for key, m in result["metrics"].items()
        ]
    )
    db["flags"].insert_all([{"assessment_id": assessment_id, **flag} for flag in result["flags"]])


def get(db: sqlite_utils.Database, assessment_id: int) -> dict[str, Any]:
    rows = list(
        db.query(
            "SELECT a.*, p.name AS profile_name FROM assessments a JOIN profiles p "
            "ON p.id = a.profile_id WHERE a.id = ?",
            [assessment_id],
        )
    )
    if not rows:
        raise NotFound(f"No assessment with id {assessment_id}. See `flowlogic history`.")
    row = dict(rows[0])
    outcome = json.loads(row["outcome_json"])
    outcome["profile"] = row["profile_name"]
    outcome["created_at"] = row["created_at"]
    return outcome


def history(
    db: sqlite_utils.Database, profile_id: int, test_id: int | None = None, limit: int | None = None
) -> list[dict[str, Any]]:
    sql = (
        "SELECT a.id, a.created_at, a.local_date, a.test_id, a.test_slug, a.view, a.status, "
        "a.reasons_json, a.video_path, r.bucket, r.normalized, r.score, r.confidence, r.side "
        "FROM assessments a LEFT JOIN results r ON r.assessment_id = a.id "
        "WHERE a.profile_id = ?"
    )
    params: list[Any] = [profile_id]
    if test_id is not None:
        sql += " AND a.test_id = ?"
        params.append(test_id)
    sql += " ORDER BY a.created_at DESC, a.id DESC"
    if limit:
        sql += " LIMIT ?"
        params.append(limit)
    rows = []
    for row in db.query(sql, params):
        item = dict(row)
        item["reasons"] = json.loads(item.pop("reasons_json") or "[]")
        rows.append(item)
    return rows


def invalid_attempts_on(
    db: sqlite_utils.Database, profile_id: int, test_id: int, local_date: str
) -> int:
    row = db.execute(
        "SELECT COUNT(*) FROM assessments WHERE profile_id = ? AND test_id = ? AND "
        "local_date = ? AND status = 'invalid'",
        [profile_id, test_id, local_date],
    ).fetchone()
    return int(row[0])


def find_scored(
    db: sqlite_utils.Database, profile_id: int, test_id: int, video_sha256: str
) -> int | None:
    """The latest attempt of this profile at this test on this exact video, if any."""
    row = db.execute(
        "SELECT id FROM assessments WHERE profile_id = ? AND test_id = ? AND video_sha256 = ? "
        "ORDER BY id DESC LIMIT 1",
        [profile_id, test_id, video_sha256],
    ).fetchone()
    return int(row[0]) if row else None


def replace_result(db: sqlite_utils.Database, assessment_id: int, outcome: dict[str, Any]) -> None:
    """Rescoring: the same attempt judged again (new thresholds); not a new attempt."""
    result = outcome.get("result")
    quality = outcome["quality"]
    with transaction(db):
        for table in ("results", "metrics", "flags"):
            db.execute(f"DELETE FROM {table} WHERE assessment_id = ?", [assessment_id])
        outcome = {**outcome, "assessment_id": assessment_id}
        db.execute(
            "UPDATE assessments SET status = ?, view = ?, quality_score = ?, quality_json = ?, "
            "reasons_json = ?, outcome_json = ? WHERE id = ?",
            [
                outcome["status"],
                outcome.get("view"),
                quality["score"],
                json.dumps(quality),
                json.dumps([c["code"] for c in quality["checks"] if not c["passed"]]),
                json.dumps(outcome),
                assessment_id,
            ],
        )
        if result:
            _insert_result(db, assessment_id, result)
        row = db.execute("SELECT profile_id FROM assessments WHERE id = ?", [assessment_id])
        record_event(
            db,
            "assessment.rescored",
            profile_id=row.fetchone()[0],
            assessment_id=assessment_id,
            details={"status": outcome["status"]},
        )
