"""Time in one place: UTC for storage, the user's local date for caps and calendars.

The local time zone is the system's, unless `FLOWLOGIC_TZ` names an IANA zone
(e.g. "Europe/Berlin"). Tests move time with time-machine.
"""

from __future__ import annotations

import os
from datetime import UTC, date, datetime, tzinfo
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from flowlogic.errors import UsageError


def local_zone() -> tzinfo:
    name = os.environ.get("FLOWLOGIC_TZ")
    if name:
        try:
            return ZoneInfo(name)
        except (ZoneInfoNotFoundError, ValueError):
            raise UsageError(f"FLOWLOGIC_TZ={name!r} is not a known time zone") from None
    return datetime.now().astimezone().tzinfo or UTC


def now_utc() -> datetime:
    return datetime.now(UTC)


def now_local() -> datetime:
    return now_utc().astimezone(local_zone())


def today() -> date:
    return now_local().date()


def iso(moment: datetime) -> str:
    return moment.astimezone(UTC).isoformat(timespec="seconds")


def local_date_of(moment: datetime) -> date:
    return moment.astimezone(local_zone()).date()
