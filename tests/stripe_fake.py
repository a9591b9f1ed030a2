"""Stripe for the licensing tests: a real emulator (localstripe), a tiny recorded-response
stub for the endpoints localstripe lacks, and an in-memory keyring.

- `localstripe_url` (session): starts localstripe on a free 127.0.0.1 port in a
  subprocess (this file run as a script: loopback only, no /tmp/localstripe.pickle), and
  stops it at the end. Nothing has to be started beforehand.
- `stripe_admin`: empties localstripe and gives a `Seeder` that creates products, plans
  with `flowlogic_tier` metadata, customers with cards, and subscriptions through the
  official SDK, as the seller would.
- `memory_keyring`: an in-memory keyring backend for the test (never the OS keyring).
- `sealed_licence`: writes a verified licence straight into the sealed cache.
- `licence_env`: memory keyring + FLOWLOGIC_STRIPE_API_BASE pointing at localstripe + a
  test key stored in that keyring.
- `StubStripe`: a loopback HTTP server answering chosen paths with canned JSON (optionally
  slowly), recording each request; used for Checkout / Billing Portal / Prices (absent from
  localstripe), 5xx answers and timeouts.

Test modules use these with `pytest_plugins = ["tests.stripe_fake"]`.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

TEST_KEY = "sk_test_flowlogic_localstripe"
READY_TIMEOUT_S = 30.0
PAID = ("basic", "pro", "proplus")
PRICE_CENTS = {"basic": 499, "pro": 999, "proplus": 1999}


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# --- localstripe ---------------------------------------------------------------------


class LocalStripe:
    """localstripe in a subprocess on 127.0.0.1:<free port>, without disk persistence."""

    def __init__(self) -> None:
        import httpx

        self.port = free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), str(self.port)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + READY_TIMEOUT_S
        while True:
            if self.proc.poll() is not None:
                raise RuntimeError(f"localstripe exited early (code {self.proc.returncode})")
            try:
                answer = httpx.get(
                    f"{self.url}/v1/customers",
                    headers={"Authorization": f"Bearer {TEST_KEY}"},
                    timeout=1.0,
                )
                if answer.status_code == 200:
                    return
            except httpx.TransportError:
                pass
            if time.monotonic() > deadline:
                self.stop()
                raise RuntimeError("localstripe did not start")
            time.sleep(0.05)

    def reset(self) -> None:
        import httpx

        httpx.delete(f"{self.url}/_config/data", timeout=5.0).raise_for_status()

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def _serve_localstripe(port: int) -> None:
    """Run localstripe on 127.0.0.1:port. Its CLI binds every interface and pickles its
    store to a fixed /tmp file on each write; both are switched off here."""
    import warnings

    warnings.simplefilter("ignore", DeprecationWarning)  # aiohttp on localstripe's handlers
    import localstripe.resources as resources
    from aiohttp import web
    from localstripe import server

    resources.Store.dump_to_disk = lambda self: None
    resources.Store.try_load_from_disk = lambda self: None
    web.run_app(server.app, host="127.0.0.1", port=port, access_log=None, print=None)


@pytest.fixture(scope="session")
def localstripe_server() -> Iterator[LocalStripe]:
    server = LocalStripe()
    try:
        yield server
    finally:
        server.stop()


# --- seeding through the SDK -----------------------------------------------------------


@dataclass
class Seeder:
    """Creates Stripe objects in localstripe the way the seller would."""

    client: Any  # stripe.StripeClient
    plans: dict[tuple[str, str], str] = field(default_factory=dict)  # (tier, interval) -> id

    @property
    def v1(self) -> Any:
        return self.client.v1

    def plan(self, tier: str, interval: str = "month") -> str:
        if (tier, interval) not in self.plans:
            product = self.v1.products.create(params={"name": f"Flow Logic {tier}"})
            amount = PRICE_CENTS[tier] * (10 if interval == "year" else 1)
            created = self.v1.plans.create(
                params={
                    "amount": amount,
                    "currency": "usd",
                    "interval": interval,
                    "product": product.id,
                    "metadata": {"flowlogic_tier": tier},
                }
            )
            self.plans[(tier, interval)] = created.id
        return self.plans[(tier, interval)]

    def customer(self, email: str, card: str | None = "pm_card_visa") -> str:
        created = self.v1.customers.create(params={"email": email})
        if card:
            self.set_card(created.id, card)
        return str(created.id)

    def set_card(self, customer_id: str, card: str) -> None:
        method = self.v1.payment_methods.attach(card, params={"customer": customer_id})
        self.v1.customers.update(
            customer_id, params={"invoice_settings": {"default_payment_method": method.id}}
        )

    def subscribe(self, customer_id: str, tier: str, interval: str = "month") -> dict[str, Any]:
        import stripe

        try:
            sub = self.v1.subscriptions.create(
                params={"customer": customer_id, "items": [{"plan": self.plan(tier, interval)}]}
            )
        except stripe.InvalidRequestError:
            # localstripe answers 404 when the first payment fails, but keeps the
            # subscription (status "incomplete"); return what it stored.
            subs = self.v1.subscriptions.list(params={"customer": customer_id, "status": "all"})
            return subs.data[-1].to_dict()
        return sub.to_dict()

    def make_past_due(self, subscription: dict[str, Any], customer_id: str, tier: str) -> str:
        """A failing card, then a plan change that invoices on it: localstripe's way to
        reach `past_due`."""
        self.set_card(customer_id, "pm_card_chargeCustomerFail")
        item = subscription["items"]["data"][0]["id"]
        updated = self.v1.subscriptions.update(
            subscription["id"], params={"items": [{"id": item, "plan": self.plan(tier, "year")}]}
        )
        return str(updated.status)

    def cancel(self, subscription_id: str) -> dict[str, Any]:
        return self.v1.subscriptions.cancel(subscription_id).to_dict()

    def retrieve(self, subscription_id: str) -> dict[str, Any]:
        return self.v1.subscriptions.retrieve(subscription_id).to_dict()


@pytest.fixture
def stripe_admin(localstripe_server: LocalStripe) -> Iterator[Seeder]:
    import stripe

    localstripe_server.reset()
    http = stripe.HTTPXClient(timeout=10, allow_sync_methods=True)
    client = stripe.StripeClient(
        TEST_KEY,
        base_addresses={"api": localstripe_server.url},
        http_client=http,
        max_network_retries=0,
    )
    try:
        yield Seeder(client)
    finally:
        http.close()


# --- keyring ---------------------------------------------------------------------------


def _memory_keyring_class() -> type:
    from keyring.backend import KeyringBackend
    from keyring.errors import PasswordDeleteError

    class MemoryKeyring(KeyringBackend):
        """Keeps secrets in a dict for one test."""

        priority = 1  # type: ignore[assignment]

        def __init__(self) -> None:
            super().__init__()
            self.entries: dict[tuple[str, str], str] = {}

        def get_password(self, service: str, username: str) -> str | None:
            return self.entries.get((service, username))

        def set_password(self, service: str, username: str, password: str) -> None:
            self.entries[(service, username)] = password

        def delete_password(self, service: str, username: str) -> None:
            if (service, username) not in self.entries:
                raise PasswordDeleteError("not stored")
            del self.entries[(service, username)]

    return MemoryKeyring


LICENCE_ENV = ("FLOWLOGIC_STRIPE_KEY", "FLOWLOGIC_CACHE_SECRET", "FLOWLOGIC_STRIPE_API_BASE")


@pytest.fixture
def memory_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[Any]:
    import keyring

    for name in LICENCE_ENV:
        monkeypatch.delenv(name, raising=False)
    previous = keyring.get_keyring()
    backend = _memory_keyring_class()()
    keyring.set_keyring(backend)
    try:
        yield backend
    finally:
        keyring.set_keyring(previous)


@pytest.fixture
def no_keyring(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A headless machine: keyring's "fail" backend, as chosen when nothing else works."""
    import keyring
    from keyring.backends import fail

    for name in LICENCE_ENV:
        monkeypatch.delenv(name, raising=False)
    previous = keyring.get_keyring()
    keyring.set_keyring(fail.Keyring())
    try:
        yield
    finally:
        keyring.set_keyring(previous)


@dataclass
class LicenceEnv:
    url: str
    admin: Seeder
    keyring: Any


@pytest.fixture
def licence_env(
    memory_keyring: Any,
    stripe_admin: Seeder,
    localstripe_server: LocalStripe,
    monkeypatch: pytest.MonkeyPatch,
) -> LicenceEnv:
    from flowlogic.licence import keys

    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", localstripe_server.url)
    keys.store_stripe_key(TEST_KEY)
    return LicenceEnv(localstripe_server.url, stripe_admin, memory_keyring)


def write_licence(
    db: Any,
    tier: str,
    *,
    status: str = "active",
    period_end: Any = None,
    verified_at: Any = None,
    customer_id: str = "cus_test",
) -> None:
    """Seal a verified licence straight into the cache (for gating tests that do not need
    Stripe). Needs a keyring fixture (the sealing secret is created there)."""
    from datetime import timedelta

    from flowlogic import clock
    from flowlogic.licence import cache, keys

    now = clock.now_utc().replace(microsecond=0)
    record = cache.LicenceRecord(
        status=status,
        subscribed_tier=None if tier == "free" else tier,
        customer_id=customer_id,
        email="holder@example.com",
        subscription_id="sub_test",
        period_end=period_end or now + timedelta(days=30),
        verified_at=verified_at or now,
    )
    cache.write(db, record, keys.cache_secret(create=True))


@pytest.fixture
def sealed_licence(memory_keyring: Any) -> Any:
    """`sealed_licence(db, "pro", status=..., period_end=..., verified_at=...)`."""
    return write_licence


# --- a stub for what localstripe lacks ---------------------------------------------------


@dataclass
class Canned:
    status: int
    body: dict[str, Any]
    delay_s: float = 0.0


@dataclass
class Seen:
    method: str
    path: str
    params: dict[str, str]
    authorised: bool


class StubStripe:
    """Answers `routes[(method, path)]` with canned JSON; anything else gets 404."""

    def __init__(self, routes: dict[tuple[str, str], Canned]) -> None:
        self.routes = routes
        self.seen: list[Seen] = []
        stub = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(length).decode() if length else ""
                params = dict(parse_qsl(parts.query)) | dict(parse_qsl(body))
                stub.seen.append(
                    Seen(
                        self.command,
                        parts.path,
                        params,
                        (self.headers.get("Authorization") or "").startswith("Bearer "),
                    )
                )
                canned = stub.routes.get((self.command, parts.path))
                if canned is None:
                    canned = Canned(404, {"error": {"type": "invalid_request_error"}})
                if canned.delay_s:
                    time.sleep(canned.delay_s)
                payload = json.dumps(canned.body).encode()
                try:
                    self.send_response(canned.status)
                    self.send_header("Content-Type", "application/json")
                    self.send_header("Content-Length", str(len(payload)))
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (timeout tests)

            do_GET = do_POST = do_DELETE = _answer

            def log_message(self, format: str, *args: Any) -> None:
                return

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}"
        self._thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self._thread.start()

    def hits(self, path: str) -> list[Seen]:
        return [s for s in self.seen if s.path == path]

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def stub_stripe() -> Iterator[Any]:
    """`stub_stripe(routes)` -> a running StubStripe, closed after the test."""
    started: list[StubStripe] = []

    def start(routes: dict[tuple[str, str], Canned]) -> StubStripe:
        stub = StubStripe(routes)
        started.append(stub)
        return stub

    yield start
    for stub in started:
        stub.close()


SERVER_ERROR = Canned(503, {"error": {"type": "api_error", "message": "Service unavailable"}})


if __name__ == "__main__":
    _serve_localstripe(int(sys.argv[1]))
