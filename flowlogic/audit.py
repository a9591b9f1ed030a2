"""Audit events: what happened, when, to which profile (no personal data in details)."""

from __future__ import annotations

import json
from typing import Any

import sqlite_utils

from flowlogic import clock


def record_event(
    db: sqlite_utils.Database,
    event: str,
    *,
    profile_id: int | None = None,
    assessment_id: int | None = None,
    details: dict[str, Any] | None = None,
) -> int:
    table = db["audit_events"]
    table.insert(
        {
            "at": clock.iso(clock.now_utc()),
            "event": event,
            "profile_id": profile_id,
            "assessment_id": assessment_id,
            "details_json": json.dumps(details or {}, sort_keys=True),
        }
    )
    return int(table.last_pk)


def events(db: sqlite_utils.Database, event: str | None = None) -> list[dict]:
    sql = "SELECT * FROM audit_events"
    params: list[Any] = []
    if event:
        sql += " WHERE event = ?"
        params.append(event)
    return [dict(row) for row in db.query(sql + " ORDER BY id", params)]
