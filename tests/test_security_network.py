"""No network except Stripe: with every internet socket connection blocked (and recorded),
score, batch, report, export, results and doctor all succeed and try no connection; a
licence refresh (asked for, or the automatic daily check) is the only path that connects,
and only to the configured Stripe base."""

from __future__ import annotations

import json
import socket
from datetime import timedelta

import pytest
from typer.testing import CliRunner

from flowlogic import clock
from flowlogic.batch.runner import run_batch
from flowlogic.cli.app import app
from flowlogic.licence import keys
from flowlogic.store import open_db
from tests.conftest import SAMPLE

pytest_plugins = ["tests.stripe_fake"]
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

runner = CliRunner()
INTERNET = (socket.AF_INET, socket.AF_INET6)


def run(*args: object):
    return runner.invoke(app, [str(a) for a in args])


@pytest.fixture
def connections(monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    """Every attempted internet connection, refused (local Unix sockets still work)."""
    attempts: list[tuple] = []
    real_connect, real_connect_ex = socket.socket.connect, socket.socket.connect_ex

    def refuse(self: socket.socket, address, real):
        if self.family in INTERNET:
            attempts.append(tuple(address)[:2])
            raise ConnectionRefusedError("network blocked by the test")
        return real(self, address)

    monkeypatch.setattr(socket.socket, "connect", lambda s, a: refuse(s, a, real_connect))
    monkeypatch.setattr(socket.socket, "connect_ex", lambda s, a: refuse(s, a, real_connect_ex))
    return attempts


def test_the_blocker_really_blocks(connections):
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", 9)):
        pass
    assert connections == [("127.0.0.1", 9)]


def test_everyday_commands_need_no_network(connections, accepted_db, tmp_path):
    manifest = tmp_path / "batch.csv"
    manifest.write_text(
        f"video,profile,test,view,date\n{SAMPLE},Client A,overhead-squat,front,2026-01-05\n"
    )
    steps = [
        ("score", SAMPLE, "--test", "4", "--json"),
        ("history", "--json"),
        ("results", "--json"),
        ("show", "1", "--json"),
        ("report", "--out", tmp_path / "reports"),
        ("export", "--out", tmp_path / "exports", "--videos"),
        ("tests", "--json"),
        ("licence", "status", "--json"),
        ("doctor", "--no-camera", "--json"),
        ("backup", tmp_path / "backup.db"),
    ]
    for step in steps:
        result = run(*step)
        assert result.exit_code == 0, (step, result.output)
    report = run_batch(manifest, None, db=open_db())  # the coordinator's in-process path
    assert [row["status"] for row in report.rows] == ["valid"]
    assert connections == []


@pytest.fixture
def licensed(memory_keyring, monkeypatch):
    """A sealed Pro licence, a key in the keyring and a configured (unreachable) Stripe
    base on the loopback interface."""
    from tests.stripe_fake import free_port

    port = free_port()
    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", f"http://127.0.0.1:{port}")
    keys.store_stripe_key("sk_test_network_probe")
    db = open_db()
    run("consent", "--accept")
    return db, port


def test_an_asked_refresh_connects_only_to_the_configured_stripe(connections, licensed):
    from tests.stripe_fake import write_licence

    db, port = licensed
    write_licence(db, "pro")

    result = run("licence", "refresh", "--json")

    assert result.exit_code != 0  # offline: the cached tier holds, the command says so
    assert "Traceback" not in result.output
    assert connections and set(connections) == {("127.0.0.1", port)}


def test_the_daily_check_is_the_only_automatic_connection(connections, licensed):
    from tests.stripe_fake import write_licence

    db, port = licensed
    write_licence(db, "pro")  # verified just now: no check due
    assert run("score", SAMPLE, "--test", "4", "--json").exit_code == 0
    assert connections == []

    write_licence(db, "pro", verified_at=clock.now_utc() - timedelta(days=2))
    scored = run("score", SAMPLE, "--test", "4", "--json")

    assert scored.exit_code == 0, scored.output  # offline grace: scoring goes on
    assert json.loads(scored.stdout)["status"] == "valid"
    assert connections and set(connections) == {("127.0.0.1", port)}
