"""Profiles: a person, or a coach's clients. One is active; every command takes --profile."""

from __future__ import annotations

import re
from dataclasses import asdict, dataclass

import sqlite_utils

from flowlogic import clock
from flowlogic.audit import record_event
from flowlogic.errors import NotFound, UsageError
from flowlogic.store.tx import transaction

DEFAULT_PROFILE = "default"
_NAME = re.compile(r"^[\w][\w .'\-]{0,63}$", re.UNICODE)


@dataclass(frozen=True)
class Profile:
    id: int
    name: str
    email: str | None
    birth_year: int | None
    dominant_side: str | None
    created_at: str

    def to_dict(self) -> dict:
        return asdict(self)


def validate_name(name: str) -> str:
    """Profile names reach file names (reports, exports): letters, digits, space, . ' - _
    only, 1-64 characters, no path separators or control characters."""
    cleaned = name.strip()
    if not _NAME.match(cleaned) or cleaned in (".", ".."):
        raise UsageError(
            f"Invalid profile name {name!r}: use 1-64 letters, digits, spaces, '.', '-', '_'."
        )
    return cleaned


def _row_to_profile(row: dict) -> Profile:
    return Profile(
        row["id"],
        row["name"],
        row["email"],
        row["birth_year"],
        row["dominant_side"],
        row["created_at"],
    )


def ensure_default(db: sqlite_utils.Database) -> Profile:
    existing = find(db, DEFAULT_PROFILE, missing_ok=True)
    return existing or add(db, DEFAULT_PROFILE)


def add(
    db: sqlite_utils.Database,
    name: str,
    *,
    email: str | None = None,
    birth_year: int | None = None,
    dominant_side: str | None = None,
) -> Profile:
    name = validate_name(name)
    if dominant_side not in (None, "left", "right"):
        raise UsageError("dominant side must be 'left' or 'right'")
    this_year = clock.today().year
    if birth_year is not None and not (this_year - 120 <= birth_year <= this_year):
        raise UsageError(f"birth year {birth_year} is not plausible")
    if find(db, name, missing_ok=True):
        raise UsageError(f"A profile named '{name}' already exists.")
    with transaction(db):
        table = db["profiles"]
        table.insert(
            {
                "name": name,
                "email": email,
                "birth_year": birth_year,
                "dominant_side": dominant_side,
                "created_at": clock.iso(clock.now_utc()),
            }
        )
        profile_id = int(table.last_pk)
        record_event(db, "profile.created", profile_id=profile_id)
    return get(db, profile_id)


def get(db: sqlite_utils.Database, profile_id: int) -> Profile:
    rows = list(db.query("SELECT * FROM profiles WHERE id = ?", [profile_id]))
    if not rows:
        raise NotFound(f"No profile with id {profile_id}")
    return _row_to_profile(rows[0])


def find(db: sqlite_utils.Database, name: str, *, missing_ok: bool = False) -> Profile | None:
    rows = list(db.query("SELECT * FROM profiles WHERE name = ? COLLATE NOCASE", [name.strip()]))
    if rows:
        return _row_to_profile(rows[0])
    if missing_ok:
        return None
    raise NotFound(f"No profile named {name!r}. See `flowlogic profile list`.")


def list_all(db: sqlite_utils.Database) -> list[Profile]:
    return [_row_to_profile(r) for r in db.query("SELECT * FROM profiles ORDER BY name")]


def active(db: sqlite_utils.Database) -> Profile:
    rows = list(db.query("SELECT value FROM settings WHERE key = 'active_profile'"))
    if rows:
        found = find(db, rows[0]["value"], missing_ok=True)
        if found:
            return found
    return ensure_default(db)


def use(db: sqlite_utils.Database, name: str) -> Profile:
    profile = find(db, name)
    db["settings"].upsert({"key": "active_profile", "value": profile.name}, pk="key")
    return profile


def resolve(db: sqlite_utils.Database, name: str | None) -> Profile:
    """The named profile, or the active one when no name is given."""
    if name:
        return find(db, name)
    return active(db)
