"""The licence of this installation: activate, refresh, status, login, logout.

Gating reads `current(db)`: the sealed cache, evaluated at the current time, with a quiet
re-check against Stripe at most once a day (`refresh_after_hours`). Offline (connection
refused, timeout, 5xx, 429) the cached tier holds for the grace period after the last
successful verification, then Free. An installation never activated is Free and never
touches the keyring or the network.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any

import sqlite_utils

from flowlogic import clock
from flowlogic.audit import record_event
from flowlogic.catalog import TIER_NAMES
from flowlogic.errors import FlowLogicError, NotFound, UsageError
from flowlogic.licence import cache, keys
from flowlogic.licence.errors import StripeUnreachable
from flowlogic.licence.resolve import (
    FREE,
    UNTIL_PERIOD_END,
    facts,
    resolve,
    tier_now,
)
from flowlogic.licence.settings import LicenceSettings, message, settings

if TYPE_CHECKING:
    from flowlogic.licence.stripe_client import StripeGateway

SOURCES = ("none", "stripe", "cache", "offline", "grace-over", "tampered", "unverifiable")


@dataclass(frozen=True)
class LicenceStatus:
    tier: str  # the tier in force now
    source: str  # one of SOURCES
    message: str
    subscription_status: str | None = None
    subscribed_tier: str | None = None
    customer_id: str | None = None
    email: str | None = None
    verified_at: datetime | None = None
    period_end: datetime | None = None
    grace_left: timedelta | None = None
    last_error: str | None = None

    @property
    def tier_name(self) -> str:
        return TIER_NAMES[self.tier]

    def to_dict(self) -> dict[str, Any]:
        return {
            "tier": self.tier,
            "tier_name": self.tier_name,
            "source": self.source,
            "message": self.message,
            "subscription_status": self.subscription_status,
            "subscribed_tier": self.subscribed_tier,
            "customer_id": self.customer_id,
            "email": self.email,
            "verified_at": clock.iso(self.verified_at) if self.verified_at else None,
            "period_end": clock.iso(self.period_end) if self.period_end else None,
            "grace_left_s": int(self.grace_left.total_seconds())
            if self.grace_left is not None
            else None,
            "last_error": self.last_error,
        }


# --- wording -------------------------------------------------------------------------


def local_time(moment: datetime) -> str:
    local = moment.astimezone(clock.local_zone())
    return f"{local:%Y-%m-%d %H:%M} {local.tzname() or ''}".strip()


def duration(span: timedelta) -> str:
    seconds = max(0, int(span.total_seconds()))
    days, rest = divmod(seconds, 86_400)
    hours, rest = divmod(rest, 3_600)
    minutes = rest // 60
    if days:
        return f"{days} d {hours} h"
    if hours:
        return f"{hours} h {minutes} min"
    return f"{minutes} min"


def ago(moment: datetime, now: datetime) -> str:
    span = now - moment
    if span < timedelta(minutes=1):
        return "just now"
    return f"{duration(span)} ago"


def _subscription_sentence(record: cache.LicenceRecord, tier: str) -> str | None:
    subscribed = record.subscribed_tier
    end = local_time(record.period_end) if record.period_end else "unknown"
    if tier == FREE:
        if subscribed and record.status in UNTIL_PERIOD_END:
            return message(
                "period_over",
                subscribed=TIER_NAMES[subscribed],
                subscribed_key=subscribed,
                status=record.status.replace("_", " "),
                period_end=end,
            )
        return message("no_subscription", status=record.status.replace("_", " "))
    if record.status == "past_due":
        return message("past_due", tier=TIER_NAMES[tier], period_end=end)
    if record.status in UNTIL_PERIOD_END:
        return message(
            "ending", tier=TIER_NAMES[tier], status=record.status.replace("_", " "), period_end=end
        )
    return None


# --- evaluation ----------------------------------------------------------------------


def evaluate(
    stored: cache.StoredLicence,
    secret: bytes | None,
    now: datetime,
    cfg: LicenceSettings,
    *,
    secret_problem: str = "",
    just_verified: bool = False,
) -> LicenceStatus:
    """What the cached licence means at `now`. Pure apart from reading `settings`."""
    if secret is None:
        return LicenceStatus(
            FREE, "unverifiable", message("unsealable", detail=secret_problem.strip())
        )
    record = stored.record
    if record is None or not cache.is_authentic(stored, secret):
        return LicenceStatus(FREE, "tampered", message("tampered"))

    grace_left = min(cfg.grace, record.verified_at + cfg.grace - now)
    grace_left = max(grace_left, timedelta(0))
    details: dict[str, Any] = {
        "subscription_status": record.status,
        "subscribed_tier": record.subscribed_tier,
        "customer_id": record.customer_id,
        "email": record.email,
        "verified_at": record.verified_at,
        "period_end": record.period_end,
        "grace_left": grace_left,
        "last_error": stored.last_error,
    }
    failed_since = (
        stored.last_error is not None
        and stored.last_attempt_at is not None
        and stored.last_attempt_at >= record.verified_at
    )
    reason = stored.last_error if failed_since else "no successful check since then"
    if grace_left <= timedelta(0):
        text = message(
            "grace_over",
            verified_at=local_time(record.verified_at),
            reason=reason,
            grace_days=cfg.grace_days,
        )
        return LicenceStatus(FREE, "grace-over", text, **details)

    tier = tier_now(record.status, record.subscribed_tier, record.period_end, now)
    status_words = record.status.replace("_", " ")
    fields = {
        "tier": TIER_NAMES[tier],
        "verified_ago": ago(record.verified_at, now),
        "status": status_words,
    }
    if just_verified:
        source, first = "stripe", message("fresh", **fields)
    elif failed_since:
        source = "offline"
        first = message(
            "offline_grace",
            reason=reason,
            grace_left=duration(grace_left),
            grace_days=cfg.grace_days,
            **fields,
        )
    else:
        source, first = "cache", message("cached", **fields)
    sentences = [first, _subscription_sentence(record, tier)]
    text = " ".join(s for s in sentences if s)
    return LicenceStatus(tier, source, text, **details)


def _secret(*, create: bool) -> tuple[bytes | None, str]:
    try:
        return keys.cache_secret(create=create), ""
    except FlowLogicError as error:
        return None, error.message


def _refresh_due(stored: cache.StoredLicence, now: datetime, cfg: LicenceSettings) -> bool:
    record = stored.record
    if record is None or not record.customer_id:
        return False
    if now - record.verified_at >= cfg.refresh_after:
        return True
    end = record.period_end
    return end is not None and record.verified_at < end <= now


def not_activated() -> LicenceStatus:
    return LicenceStatus(FREE, "none", message("not_activated"))


def current(db: sqlite_utils.Database, *, auto_refresh: bool = True) -> LicenceStatus:
    """The licence in force now (what gating uses)."""
    stored = cache.read(db)
    if stored is None:
        return not_activated()
    cfg = settings()
    now = clock.now_utc()
    if (
        auto_refresh
        and _refresh_due(stored, now, cfg)
        and keys.stripe_key_source() is not None
        and cache.claim_attempt(db, now, cfg.retry_after)
    ):
        try:
            return refresh(db, automatic=True)
        except FlowLogicError as error:
            reason = error.reason if isinstance(error, StripeUnreachable) else error.message
            cache.note_attempt_failed(db, now, reason)
            stored = cache.read(db) or stored
    secret, problem = _secret(create=False)
    return evaluate(stored, secret, now, cfg, secret_problem=problem)


# --- talking to Stripe ---------------------------------------------------------------


def _verify(
    db: sqlite_utils.Database,
    gateway: StripeGateway,
    customers: list[dict[str, Any]],
    *,
    email: str | None,
    secret: bytes,
    event: str,
) -> LicenceStatus:
    subscriptions = []
    for customer in customers:
        subscriptions.extend(facts(s) for s in gateway.subscriptions(customer["id"]))
    now = clock.now_utc().replace(microsecond=0)  # as stored (seconds)
    verdict = resolve(subscriptions, now)
    record = cache.LicenceRecord(
        status=verdict.status,
        subscribed_tier=verdict.subscribed_tier,
        customer_id=verdict.customer_id or customers[0]["id"],
        email=email or customers[0].get("email"),
        subscription_id=verdict.subscription_id,
        period_end=verdict.period_end,
        verified_at=now,
    )
    cache.write(db, record, secret)
    record_event(db, event, details={"tier": verdict.tier, "status": verdict.status})
    written = cache.StoredLicence(record, cache.seal(record, secret), now, None)
    return evaluate(written, secret, now, settings(), just_verified=True)


def activate(
    db: sqlite_utils.Database,
    *,
    email: str | None = None,
    customer_id: str | None = None,
    gateway: StripeGateway | None = None,
) -> LicenceStatus:
    """Find the licence holder in Stripe, resolve the tier, and seal it in the cache."""
    if bool(email) == bool(customer_id):
        raise UsageError("Give exactly one of --email or --customer.")
    if customer_id and not customer_id.startswith("cus_"):
        raise UsageError("A Stripe customer ID starts with cus_.")
    from flowlogic.licence.stripe_client import open_gateway

    secret = keys.cache_secret(create=True)  # fail fast on a machine with no keyring
    own = gateway is None
    gateway = gateway or open_gateway()
    try:
        if customer_id:
            found = gateway.customer(customer_id)
            if found is None:
                raise NotFound(f"Stripe has no customer {customer_id}.")
            customers = [found]
        else:
            assert email is not None
            email = email.strip()
            customers = gateway.customers_by_email(email)
            if not customers:
                raise NotFound(
                    f"No Stripe customer has the e-mail {email} (Stripe matches it exactly, "
                    "including capitals). Use the address you subscribed with, or "
                    "--customer cus_..."
                )
        return _verify(
            db, gateway, customers, email=email, secret=secret, event="licence.activated"
        )
    finally:
        if own:
            gateway.close()


def refresh(
    db: sqlite_utils.Database, *, automatic: bool = False, gateway: StripeGateway | None = None
) -> LicenceStatus:
    """Verify the activated licence with Stripe again. Offline, raises `StripeUnreachable`
    whose message says what holds meanwhile (the cached tier and its grace, or Free)."""
    stored = cache.read(db)
    if stored is None or stored.record is None or not stored.record.customer_id:
        raise UsageError(message("not_activated"))
    from flowlogic.licence.stripe_client import open_gateway

    record = stored.record
    secret = keys.cache_secret(create=True)
    own = gateway is None
    try:
        gateway = gateway or open_gateway(automatic=automatic)
        found = gateway.customer(record.customer_id)
        if found is None:
            raise NotFound(
                f"Stripe no longer knows customer {record.customer_id}. Activate again with "
                "`flowlogic licence activate --email ...`."
            )
        return _verify(
            db, gateway, [found], email=record.email, secret=secret, event="licence.refreshed"
        )
    except StripeUnreachable as error:
        now = clock.now_utc()
        cache.note_attempt_failed(db, now, error.reason)
        if automatic:
            raise
        after = cache.read(db) or stored
        status = evaluate(after, secret, now, settings())
        raise StripeUnreachable(status.message, reason=error.reason) from None
    finally:
        if own and gateway is not None:
            gateway.close()


def login(api_key: str, *, verify: bool = True) -> str | None:
    """Store the Stripe key in the keyring (after one test call unless `verify` is off).
    Returns a warning when the key could not be checked."""
    from flowlogic.licence.stripe_client import open_gateway

    api_key = keys.validate_stripe_key(api_key)
    keys.cache_secret(create=True)  # the keyring works, and the sealing secret exists
    warning = None
    if verify:
        try:
            with open_gateway(api_key=api_key) as gateway:
                gateway.check_key()
        except StripeUnreachable as error:
            warning = f"Stored, but not checked: Stripe could not be reached ({error.reason})."
    keys.store_stripe_key(api_key)
    return warning


def logout(db: sqlite_utils.Database) -> dict[str, bool]:
    """Forget the stored key and the cached licence (the installation becomes Free; no
    assessment data is touched)."""
    try:
        removed = keys.forget_stripe_key()
    except FlowLogicError:
        removed = False
    cleared = cache.clear(db)
    record_event(db, "licence.logout", details={"key_removed": removed, "licence_cleared": cleared})
    return {
        "key_removed": removed,
        "licence_cleared": cleared,
        "env_key_set": keys.stripe_key_source() == "env",
    }
