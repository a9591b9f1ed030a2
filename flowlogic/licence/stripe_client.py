"""The few Stripe calls licensing needs, through the official SDK over httpx.

- `stripe.HTTPXClient` with explicit connect/read timeouts; a bounded retry (the SDK
  retries connection errors, timeouts, 409 and 5xx with backoff).
- `FLOWLOGIC_STRIPE_API_BASE` points the SDK at another server (tests: localstripe).
- SDK errors become licensing errors: offline (connection refused, timeout, 5xx, 429) ->
  `StripeUnreachable`; 401/403 -> `StripeKeyRejected`; anything else -> `StripeRequestFailed`.
  Messages never contain the key.
- Results are plain dicts (`StripeObject.to_dict()`), so the rules in `resolve` stay pure.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from types import TracebackType
from typing import Any, TypeVar
from urllib.parse import urlsplit

import httpx
import stripe

from flowlogic.errors import UsageError
from flowlogic.licence import keys
from flowlogic.licence.errors import StripeKeyRejected, StripeRequestFailed, StripeUnreachable
from flowlogic.licence.settings import settings

API_BASE_ENV = "FLOWLOGIC_STRIPE_API_BASE"
PAGE_SIZE = 100
MAX_PAGES = 20

T = TypeVar("T")


def api_base_override() -> str | None:
    raw = os.environ.get(API_BASE_ENV, "").strip()
    if not raw:
        return None
    parts = urlsplit(raw)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise UsageError(f"{API_BASE_ENV} must be an http(s) URL such as http://127.0.0.1:8420")
    return raw.rstrip("/")


def offline_reason(error: stripe.StripeError) -> str | None:
    """Why Stripe counts as unreachable, or None when it answered properly."""
    if isinstance(error, stripe.APIConnectionError):
        cause = error.__cause__
        if isinstance(cause, httpx.TimeoutException):
            return "the request timed out"
        if isinstance(cause, httpx.ConnectError):
            return "connection refused or no network"
        return "network error"
    if isinstance(error, stripe.RateLimitError):
        return "Stripe is rate limiting requests (HTTP 429)"
    status = error.http_status
    if isinstance(error, stripe.APIError) and status is not None and status >= 500:
        return f"Stripe server error (HTTP {status})"
    return None


class StripeGateway:
    """A Stripe client for one command; close it (or use `with`) when done."""

    def __init__(
        self,
        api_key: str,
        *,
        api_base: str | None,
        timeout_s: float,
        connect_timeout_s: float,
        max_network_retries: int,
    ) -> None:
        self._http = stripe.HTTPXClient(
            timeout=httpx.Timeout(timeout_s, connect=connect_timeout_s),
            allow_sync_methods=True,
        )
        self._client = stripe.StripeClient(
            api_key,
            base_addresses={"api": api_base} if api_base else {},
            http_client=self._http,
            max_network_retries=max_network_retries,
        )

    def close(self) -> None:
        self._http.close()

    def __enter__(self) -> StripeGateway:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def _call(self, what: str, func: Callable[[], T]) -> T:
        try:
            return func()
        except (stripe.AuthenticationError, stripe.PermissionError):
            raise StripeKeyRejected(
                f"Stripe rejected the key while {what}: check it, or store a new one with "
                "`flowlogic licence login` (it needs read access to customers and "
                "subscriptions)."
            ) from None
        except stripe.StripeError as error:
            reason = offline_reason(error)
            if reason is not None:
                raise StripeUnreachable(
                    f"Stripe could not be reached while {what} ({reason}).", reason=reason
                ) from None
            status = f"HTTP {error.http_status}" if error.http_status else "no status"
            raise StripeRequestFailed(
                f"Stripe could not complete {what} ({status}): {error.user_message or error}"
            ) from None

    @property
    def _v1(self) -> Any:
        return self._client.v1

    def check_key(self) -> None:
        """One cheap read: raises `StripeKeyRejected` for a bad key."""
        self._call("checking the key", lambda: self._v1.customers.list(params={"limit": 1}))

    def customers_by_email(self, email: str) -> list[dict[str, Any]]:
        found = self._call(
            "looking up the customer",
            lambda: self._v1.customers.list(params={"email": email, "limit": PAGE_SIZE}),
        )
        return [c.to_dict() for c in found.data]

    def customer(self, customer_id: str) -> dict[str, Any] | None:
        """The customer, or None when Stripe does not know it (or it was deleted)."""

        def fetch() -> Any:
            try:
                return self._v1.customers.retrieve(customer_id)
            except stripe.InvalidRequestError as error:
                if error.http_status == 404:
                    return None
                raise

        found = self._call("looking up the customer", fetch)
        if found is None:
            return None
        data = found.to_dict()
        return None if data.get("deleted") else data

    def subscriptions(self, customer_id: str) -> list[dict[str, Any]]:
        """Every subscription of the customer, whatever its status."""
        collected: list[dict[str, Any]] = []
        params: dict[str, Any] = {"customer": customer_id, "status": "all", "limit": PAGE_SIZE}
        for _ in range(MAX_PAGES):
            page = self._call(
                "reading subscriptions",
                lambda p=dict(params): self._v1.subscriptions.list(params=p),
            )
            batch = [s.to_dict() for s in page.data]
            collected.extend(batch)
            if not page.has_more or not batch:
                break
            params["starting_after"] = batch[-1]["id"]
        return collected

    def price_for_lookup_key(self, lookup_key: str) -> str | None:
        found = self._call(
            "finding the price",
            lambda: self._v1.prices.list(
                params={"lookup_keys": [lookup_key], "active": True, "limit": 1}
            ),
        )
        return found.data[0].id if found.data else None

    def create_checkout_session(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            "creating the checkout page",
            lambda: self._v1.checkout.sessions.create(params=params),
        ).to_dict()

    def create_portal_session(self, params: dict[str, Any]) -> dict[str, Any]:
        return self._call(
            "opening the billing portal",
            lambda: self._v1.billing_portal.sessions.create(params=params),
        ).to_dict()


def open_gateway(*, automatic: bool = False, api_key: str | None = None) -> StripeGateway:
    """A gateway with the stored (or environment) key and the configured timeouts.
    `automatic` is the quiet daily check: shorter timeout, no retry."""
    cfg = settings()
    return StripeGateway(
        api_key or keys.stripe_key(),
        api_base=api_base_override(),
        timeout_s=cfg.auto_timeout_s if automatic else cfg.timeout_s,
        connect_timeout_s=min(cfg.connect_timeout_s, cfg.auto_timeout_s)
        if automatic
        else cfg.connect_timeout_s,
        max_network_retries=cfg.auto_max_network_retries if automatic else cfg.max_network_retries,
    )
