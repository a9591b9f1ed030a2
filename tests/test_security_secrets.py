"""Secrets live only in the keyring or the documented environment variables: after licence
commands against localstripe with a known fake key, scoring the bundled sample, writing
reports and exports, JSON logs and a forced internal error, no file under FLOWLOGIC_HOME
and no captured output holds the key (or the cache-sealing secret)."""

from __future__ import annotations

from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowlogic.cli.app import app
from flowlogic.licence import keys
from tests.conftest import SAMPLE

pytest_plugins = ["tests.stripe_fake"]
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

KEYRING_KEY = "sk_test_CanaryKeyringSecret7f3a9c1e5b2d"
ENV_KEY = "sk_test_CanaryEnvironmentSecret94be01ad"
ENV_CACHE_SECRET = "canary-cache-sealing-secret-0d9f3c7a41e8b2"


class Session:
    """Runs CLI commands and keeps everything they printed."""

    def __init__(self) -> None:
        self.runner = CliRunner()
        self.printed: list[str] = []

    def run(self, *args: object, input: str | None = None, expect: int | None = 0):
        result = self.runner.invoke(app, [str(a) for a in args], input=input)
        self.printed += [result.output, result.stdout, getattr(result, "stderr", "") or ""]
        if expect is not None:
            assert result.exit_code == expect, (args, result.output)
        return result


def leaks(home: Path, printed: list[str], secrets: list[str]) -> list[str]:
    found = []
    for path in sorted(home.rglob("*")):
        if path.is_file():
            data = path.read_bytes()
            found += [f"{path.name}: {s[:12]}…" for s in secrets if s.encode() in data]
    for text in printed:
        found += [f"output: {s[:12]}…" for s in secrets if s in text]
    return found


def work_session(session: Session, home: Path) -> None:
    """Everything a user does that writes files: scoring, reports, exports, logs."""
    session.run("--log-json", "consent", "--accept")
    session.run("--log-json", "score", SAMPLE, "--test", "4", "--json")
    session.run("--log-json", "history")
    session.run("--log-json", "report", "--out", home / "reports")
    session.run("--log-json", "report", "--full", "--out", home / "reports")
    session.run("--log-json", "export", "--out", home / "exports", "--videos")
    session.run("--log-json", "doctor", "--no-camera", "--json", expect=None)


def force_internal_error(session: Session, home: Path, monkeypatch) -> None:
    """An unexpected exception inside a command: logged to errors.log with its traceback."""

    def broken(*args, **kwargs):
        raise RuntimeError("forced internal error while a key is set")

    monkeypatch.setattr("flowlogic.export.export_profile", broken)
    crashed = session.run("--log-json", "export", "--out", home, expect=1)
    assert "Internal error" in crashed.output
    assert "forced internal error" in (home / "logs" / "errors.log").read_text("utf-8")
    assert (home / "logs" / "flowlogic.log").is_file()


def test_a_keyring_key_never_reaches_files_logs_or_output(licence_env, flowlogic_home, monkeypatch):
    session = Session()
    session.run("licence", "login", "--key-stdin", input=KEYRING_KEY + "\n")
    assert keys.stripe_key() == KEYRING_KEY  # the keyring holds it: the test key is in use
    admin = licence_env.admin
    admin.subscribe(admin.customer("secret.owner@example.com"), "proplus")
    session.run("--log-json", "licence", "activate", "--email", "secret.owner@example.com")
    session.run("--log-json", "licence", "status", "--json")
    session.run("--log-json", "licence", "refresh", "--json")
    work_session(session, flowlogic_home)

    force_internal_error(session, flowlogic_home, monkeypatch)
    sealing = licence_env.keyring.get_password(keys.SERVICE, keys.CACHE_SECRET_ACCOUNT)
    assert sealing

    assert leaks(flowlogic_home, session.printed, [KEYRING_KEY, sealing]) == []


def test_an_environment_key_never_reaches_files_logs_or_output(
    memory_keyring, stripe_admin, localstripe_server, flowlogic_home, monkeypatch
):
    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", localstripe_server.url)
    monkeypatch.setenv(keys.STRIPE_KEY_ENV, ENV_KEY)
    monkeypatch.setenv(keys.CACHE_SECRET_ENV, ENV_CACHE_SECRET)
    stripe_admin.subscribe(stripe_admin.customer("env.owner@example.com"), "pro")
    session = Session()
    session.run("--log-json", "licence", "activate", "--email", "env.owner@example.com")
    status = session.run("licence", "status", "--json")
    assert '"tier": "pro"' in status.stdout  # the environment key really was used
    session.run("--log-json", "licence", "refresh")
    work_session(session, flowlogic_home)
    force_internal_error(session, flowlogic_home, monkeypatch)

    assert leaks(flowlogic_home, session.printed, [ENV_KEY, ENV_CACHE_SECRET]) == []


def test_a_rejected_key_is_not_echoed(stub_stripe, memory_keyring, flowlogic_home, monkeypatch):
    from tests.stripe_fake import Canned

    stub = stub_stripe(
        {
            ("GET", "/v1/customers"): Canned(
                401,
                {
                    "error": {
                        "type": "invalid_request_error",
                        "message": f"Invalid API Key provided: {KEYRING_KEY}",
                    }
                },
            )
        }
    )
    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", stub.url)
    session = Session()
    session.run("licence", "login", "--key-stdin", input=KEYRING_KEY + "\n", expect=None)
    monkeypatch.setenv(keys.STRIPE_KEY_ENV, KEYRING_KEY)
    session.run("--log-json", "doctor", "--no-camera", "--json", expect=1)

    assert leaks(flowlogic_home, session.printed, [KEYRING_KEY]) == []
