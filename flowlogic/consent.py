"""The wellness disclaimer: accepted once per installation before any scoring."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

import sqlite_utils

from flowlogic import clock
from flowlogic.audit import record_event
from flowlogic.catalog import load_data_toml
from flowlogic.errors import ConsentRequired
from flowlogic.store.tx import transaction


@dataclass(frozen=True)
class Disclaimer:
    version: str
    text: str

    @property
    def sha256(self) -> str:
        return hashlib.sha256(self.text.encode()).hexdigest()


def disclaimer() -> Disclaimer:
    data = load_data_toml("consent.toml")
    return Disclaimer(str(data["version"]), str(data["text"]))


def accepted(db: sqlite_utils.Database) -> dict | None:
    """The acceptance of the current disclaimer version, if any."""
    current = disclaimer()
    rows = list(
        db.query(
            "SELECT accepted_at, disclaimer_version FROM consent WHERE disclaimer_version = ? "
            "ORDER BY id DESC LIMIT 1",
            [current.version],
        )
    )
    return rows[0] if rows else None


def accept(db: sqlite_utils.Database) -> dict:
    current = disclaimer()
    existing = accepted(db)
    if existing:
        return existing
    now = clock.iso(clock.now_utc())
    with transaction(db):
        db["consent"].insert(
            {
                "accepted_at": now,
                "disclaimer_version": current.version,
                "text_sha256": current.sha256,
            }
        )
        record_event(db, "consent.accepted", details={"version": current.version})
    return {"accepted_at": now, "disclaimer_version": current.version}


def require(db: sqlite_utils.Database) -> None:
    if not accepted(db):
        raise ConsentRequired(
            "The wellness disclaimer has not been accepted yet. Read it with "
            "`flowlogic consent` and accept with `flowlogic consent --accept` "
            "(or add --accept-disclaimer to this command)."
        )
