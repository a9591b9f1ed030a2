"""`flowlogic doctor`: every check reports ok / warn / fail with a fix when not ok; exit 0
unless a check failed (then 1)."""

from __future__ import annotations

import json
import sqlite3
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowlogic import doctor, profiles
from flowlogic.cli.app import app
from flowlogic.licence import keys
from flowlogic.store import open_db

pytest_plugins = ["tests.stripe_fake"]
pytestmark = pytest.mark.filterwarnings("ignore:Use 'content=<...>':DeprecationWarning")

runner = CliRunner()
NAMES = [
    "python",
    "packages",
    "models",
    "data_folder",
    "database",
    "disk",
    "landmark_cache",
    "keyring",
    "camera",
    "stripe",
]


def run_doctor(*extra: str):
    result = runner.invoke(app, ["doctor", "--json", *extra])
    return result, json.loads(result.stdout)


def by_name(payload: dict) -> dict[str, dict]:
    return {c["name"]: c for c in payload["checks"]}


@pytest.fixture
def no_camera(monkeypatch):
    monkeypatch.setattr(doctor, "_probe_camera", lambda index: (False, "could not be opened"))


def test_a_healthy_installation_passes_with_a_fix_for_every_warning(
    accepted_db, memory_keyring, no_camera
):
    result, payload = run_doctor()

    assert result.exit_code == 0, result.output
    assert [c["name"] for c in payload["checks"]] == NAMES
    checks = by_name(payload)
    for name in ("python", "packages", "models", "data_folder", "database", "disk"):
        assert checks[name]["status"] == "ok", checks[name]
    assert checks["packages"]["data"]["versions"]["mediapipe"] == "0.10.21"
    assert checks["database"]["data"]["schema_version"] == checks["database"]["data"]["latest"]
    assert checks["camera"]["status"] == "warn" and "--camera" in checks["camera"]["fix"]
    assert "not contacted" in checks["stripe"]["detail"]
    for check in payload["checks"]:
        assert check["status"] in ("ok", "warn", "fail")
        assert (check["fix"] is None) == (check["status"] == "ok"), check


def test_human_output_lists_each_check_with_its_fix(accepted_db, memory_keyring, no_camera):
    result = runner.invoke(app, ["doctor"])
    assert result.exit_code == 0
    for name in NAMES:
        assert name in result.stdout
    assert "Fix:" in result.stdout and "0 failed" in result.stdout


def test_the_real_camera_probe_never_fails_the_doctor():
    check = doctor.check_camera()
    assert check.status in ("ok", "warn")
    assert (check.fix is not None) == (check.status == "warn")


def test_a_camera_that_hangs_is_a_warning_not_a_hang(monkeypatch):
    monkeypatch.setattr(doctor, "_probe_camera", lambda index: time.sleep(30))
    monkeypatch.setitem(doctor.expectations()["camera_timeout_s"], "value", 0.2)
    started = time.monotonic()
    check = doctor.check_camera()
    assert check.status == "warn" and "did not answer" in check.detail
    assert time.monotonic() - started < 5


def _corrupt_database(home: Path) -> None:
    db = open_db()
    for number in range(300):
        profiles.add(db, f"person {number}")
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.conn.close()
    path = home / "flowlogic.db"
    data = bytearray(path.read_bytes())
    for offset in range(3 * 4096, len(data), 4096):
        data[offset + 8 : offset + 40] = b"\x00\xff" * 16
    path.write_bytes(bytes(data))


def test_a_damaged_database_fails_with_the_restore_fix(flowlogic_home, memory_keyring, no_camera):
    _corrupt_database(flowlogic_home)
    result, payload = run_doctor()
    check = by_name(payload)["database"]
    assert result.exit_code == 1 and payload["status"] == "fail"
    assert check["status"] == "fail" and "flowlogic restore" in check["fix"]


def test_a_database_from_a_newer_version_fails(accepted_db, memory_keyring, no_camera):
    accepted_db.execute("INSERT INTO schema_migrations VALUES (999, 'future', '2030-01-01')")
    result, payload = run_doctor()
    check = by_name(payload)["database"]
    assert result.exit_code == 1 and check["status"] == "fail"
    assert "newer" in check["detail"] and "upgrade" in check["fix"].lower()


def test_a_foreign_file_in_place_of_the_database_fails(flowlogic_home, memory_keyring, no_camera):
    flowlogic_home.mkdir(parents=True, exist_ok=True)
    conn = sqlite3.connect(flowlogic_home / "flowlogic.db")
    conn.execute("CREATE TABLE notes (text TEXT)")
    conn.commit()
    conn.close()
    check = doctor.check_database()
    assert check.status == "fail" and "not a Flow Logic database" in check.fix


def test_no_database_yet_is_fine(flowlogic_home):
    assert doctor.check_database().status == "ok"
    assert not (flowlogic_home / "flowlogic.db").exists()  # the doctor never creates one


@pytest.mark.parametrize(
    ("installed", "needle"),
    [
        ({"opencv-python": "4.10.0.84"}, "pip uninstall opencv-python"),
        ({"numpy": "2.1.0"}, "numpy<2"),
        ({"mediapipe": "0.10.14"}, "mediapipe==0.10.21"),
        ({"typer": None}, "Reinstall Flow Logic"),
    ],
)
def test_package_problems_fail_with_their_fix(monkeypatch, installed, needle):
    real = doctor._installed
    monkeypatch.setattr(
        doctor, "_installed", lambda name: installed[name] if name in installed else real(name)
    )
    check = doctor.check_packages()
    assert check.status == "fail" and needle in check.fix


def test_missing_bundled_models_fail(monkeypatch, tmp_path):
    monkeypatch.setattr(doctor, "_mediapipe_folder", lambda: tmp_path)
    check = doctor.check_models()
    assert check.status == "fail" and "pose_landmark" in check.detail and check.fix


def test_keyring_missing_warns_and_the_environment_fallback_is_ok(no_keyring, monkeypatch):
    warned = doctor.check_keyring()
    assert warned.status == "warn" and "FLOWLOGIC_STRIPE_KEY" in warned.fix
    monkeypatch.setenv(keys.CACHE_SECRET_ENV, "a-long-enough-cache-sealing-secret-123")
    monkeypatch.setenv(keys.STRIPE_KEY_ENV, "sk_test_doctor_env_key")
    fallback = doctor.check_keyring()
    assert fallback.status == "ok" and "environment" in fallback.detail


def test_low_disk_space_warns_then_fails(monkeypatch):
    from collections import namedtuple

    usage = namedtuple("usage", "total used free")
    for free_mb, status in ((5000, "ok"), (500, "warn"), (50, "fail")):
        monkeypatch.setattr(
            doctor.shutil, "disk_usage", lambda _p, f=free_mb: usage(10**11, 0, f * 2**20)
        )
        check = doctor.check_disk()
        assert check.status == status, free_mb
        assert (check.fix is None) == (status == "ok")


def test_a_large_landmark_cache_warns(monkeypatch):
    monkeypatch.setattr("flowlogic.lifecycle.landmark_cache_bytes", lambda: (9000, 3 * 2**30))
    check = doctor.check_cache()
    assert check.status == "warn" and "cleanup --landmarks" in check.fix


def test_stripe_reachable_with_a_good_key(licence_env):
    check = doctor.check_stripe()
    assert check.status == "ok" and "accepted" in check.detail


def test_stripe_refusing_the_key_fails(stub_stripe, memory_keyring, monkeypatch):
    from tests.stripe_fake import Canned

    stub = stub_stripe(
        {("GET", "/v1/customers"): Canned(401, {"error": {"type": "invalid_request_error"}})}
    )
    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", stub.url)
    keys.store_stripe_key("sk_test_refused_by_the_stub")
    check = doctor.check_stripe()
    assert check.status == "fail" and "licence login" in check.fix


def test_stripe_unreachable_warns_quickly(memory_keyring, monkeypatch):
    from tests.stripe_fake import free_port

    monkeypatch.setenv("FLOWLOGIC_STRIPE_API_BASE", f"http://127.0.0.1:{free_port()}")
    keys.store_stripe_key("sk_test_nobody_listens")
    started = time.monotonic()
    check = doctor.check_stripe()
    assert check.status == "warn" and "not reachable" in check.detail
    assert time.monotonic() - started < 10
