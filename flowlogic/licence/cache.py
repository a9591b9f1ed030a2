"""The last verified licence, kept in SQLite (table `licence_cache`, one row) and sealed.

The seal is an HMAC-SHA256 over every field that decides the tier, keyed with a secret
that lives in the keyring (or comes from FLOWLOGIC_CACHE_SECRET), never in the database.
Editing the row, or copying it from another installation, breaks the seal; the service
then treats the licence as Free. `last_attempt_at` and `last_error` are bookkeeping for
the automatic check and are not sealed: they cannot raise the tier.
"""

from __future__ import annotations

import hashlib
import hmac
import json
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlite_utils

from flowlogic import clock
from flowlogic.store.tx import transaction

TABLE = "licence_cache"
SEAL_VERSION = "flowlogic-licence-v1"


@dataclass(frozen=True)
class LicenceRecord:
    """One verification result, as sealed."""

    status: str  # the deciding subscription's status, or "none"
    subscribed_tier: str | None  # the paid tier that subscription carries
    customer_id: str | None
    email: str | None
    subscription_id: str | None
    period_end: datetime | None
    verified_at: datetime

    def canonical(self) -> bytes:
        fields = {
            "seal": SEAL_VERSION,
            "status": self.status,
            "subscribed_tier": self.subscribed_tier,
            "customer_id": self.customer_id,
            "email": self.email,
            "subscription_id": self.subscription_id,
            "period_end": _iso_or_none(self.period_end),
            "verified_at": clock.iso(self.verified_at),
        }
        return json.dumps(fields, sort_keys=True, separators=(",", ":")).encode()


@dataclass(frozen=True)
class StoredLicence:
    record: LicenceRecord | None  # None when the row cannot even be read back
    mac: str
    last_attempt_at: datetime | None
    last_error: str | None


def _iso_or_none(moment: datetime | None) -> str | None:
    return clock.iso(moment) if moment is not None else None


def _parse(value: str | None) -> datetime | None:
    """An ISO time with its offset (as written by `clock.iso`); anything else is refused."""
    if not value:
        return None
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None:
        raise ValueError("time without an offset")
    return moment


def _required(value: str | None) -> datetime:
    moment = _parse(value)
    if moment is None:
        raise ValueError("missing time")
    return moment


def seal(record: LicenceRecord, secret: bytes) -> str:
    return hmac.new(secret, record.canonical(), hashlib.sha256).hexdigest()


def is_authentic(stored: StoredLicence, secret: bytes) -> bool:
    if stored.record is None:
        return False
    return hmac.compare_digest(seal(stored.record, secret), stored.mac or "")


def write(db: sqlite_utils.Database, record: LicenceRecord, secret: bytes) -> None:
    with transaction(db):
        db.execute(
            f"INSERT OR REPLACE INTO {TABLE} (id, status, subscribed_tier, customer_id, email, "
            "subscription_id, period_end, verified_at, mac, last_attempt_at, last_error) "
            "VALUES (1, ?, ?, ?, ?, ?, ?, ?, ?, ?, NULL)",
            [
                record.status,
                record.subscribed_tier,
                record.customer_id,
                record.email,
                record.subscription_id,
                _iso_or_none(record.period_end),
                clock.iso(record.verified_at),
                seal(record, secret),
                clock.iso(record.verified_at),
            ],
        )


def read(db: sqlite_utils.Database) -> StoredLicence | None:
    rows = list(db.query(f"SELECT * FROM {TABLE} WHERE id = 1"))
    if not rows:
        return None
    row = rows[0]
    try:
        record: LicenceRecord | None = LicenceRecord(
            status=str(row["status"]),
            subscribed_tier=row["subscribed_tier"],
            customer_id=row["customer_id"],
            email=row["email"],
            subscription_id=row["subscription_id"],
            period_end=_parse(row["period_end"]),
            verified_at=_required(row["verified_at"]),
        )
    except (TypeError, ValueError):
        record = None
    try:
        last_attempt = _parse(row["last_attempt_at"])
    except (TypeError, ValueError):
        last_attempt = None
    return StoredLicence(record, str(row["mac"] or ""), last_attempt, row["last_error"])


def note_attempt_failed(db: sqlite_utils.Database, at: datetime, reason: str) -> None:
    with transaction(db):
        db.execute(
            f"UPDATE {TABLE} SET last_attempt_at = ?, last_error = ? WHERE id = 1",
            [clock.iso(at), reason],
        )


def claim_attempt(db: sqlite_utils.Database, now: datetime, retry_after: timedelta) -> bool:
    """Mark that this process is about to check with Stripe, unless another check happened
    within `retry_after` (so parallel workers do not all call Stripe at once)."""
    with transaction(db):
        rows = list(db.query(f"SELECT last_attempt_at FROM {TABLE} WHERE id = 1"))
        if not rows:
            return False
        try:
            last = _parse(rows[0]["last_attempt_at"])
        except (TypeError, ValueError):
            last = None
        if last is not None and now - last < retry_after and last <= now:
            return False
        db.execute(f"UPDATE {TABLE} SET last_attempt_at = ? WHERE id = 1", [clock.iso(now)])
    return True


def clear(db: sqlite_utils.Database) -> bool:
    with transaction(db):
        existed = bool(list(db.query(f"SELECT 1 FROM {TABLE} WHERE id = 1")))
        db.execute(f"DELETE FROM {TABLE}")
    return existed
