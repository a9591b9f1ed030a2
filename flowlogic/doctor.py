"""`flowlogic doctor`: is this installation healthy? Each check says ok, warn or fail, and
how to fix anything that is not ok. Expectations and fixes live in `data/doctor.toml`.

Checks: Python, packages (mediapipe 0.10.21, numpy < 2, no second OpenCV beside
opencv-contrib-python), the bundled pose and face models, the data folder, the database
(integrity and schema version, opened read-only), free disk space, the landmark cache,
the keyring (or the environment-variable fallback), a camera probe (index 0, never
fatal) and Stripe reachability (only when a key is set; a short timeout, no retry).
Nothing here prints or stores a secret.
"""

from __future__ import annotations

import importlib.util
import os
import platform
import shutil
import sqlite3
import sys
import tempfile
import threading
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from functools import cache
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any

from flowlogic import __version__, paths
from flowlogic.catalog import load_data_toml

OK, WARN, FAIL = "ok", "warn", "fail"


@dataclass
class Check:
    name: str
    status: str  # ok | warn | fail
    detail: str
    fix: str | None = None
    data: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


@cache
def expectations() -> dict[str, Any]:
    return load_data_toml("doctor.toml")


def _value(name: str) -> Any:
    return expectations()[name]["value"]


def _fix(name: str, **fields: Any) -> str:
    return str(expectations()["fixes"][name]).format(**fields)


def _version_tuple(text: str) -> tuple[int, ...]:
    parts = []
    for piece in text.split("."):
        digits = "".join(ch for ch in piece if ch.isdigit())
        if not digits:
            break
        parts.append(int(digits))
    return tuple(parts)


def _installed(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


# --- the checks -------------------------------------------------------------------------


def check_python() -> Check:
    low, high = _value("python_min"), _value("python_max_exclusive")
    current = platform.python_version()
    supported = _version_tuple(low) <= sys.version_info[:2] < _version_tuple(high)
    return Check(
        "python",
        OK if supported else FAIL,
        f"Python {current} ({sys.executable}); Flow Logic {__version__}",
        None if supported else _fix("python"),
        {"python": current, "flowlogic": __version__, "supported": f">={low},<{high}"},
    )


def check_packages() -> Check:
    found = {name: _installed(name) for name in expectations()["required_packages"]}
    missing = sorted(name for name, got in found.items() if got is None)
    problems, fixes = [], []
    if missing:
        problems.append(f"missing: {', '.join(missing)}")
        fixes.append(_fix("package_missing"))
    wanted_mp = _value("mediapipe_version")
    if found.get("mediapipe") and found["mediapipe"] != wanted_mp:
        problems.append(f"mediapipe {found['mediapipe']} (needs {wanted_mp})")
        fixes.append(_fix("mediapipe_version"))
    numpy_major = _version_tuple(found.get("numpy") or "0")[:1]
    if found.get("numpy") and numpy_major >= _version_tuple(str(_value("numpy_below"))):
        problems.append(f"numpy {found['numpy']} (needs < {_value('numpy_below')})")
        fixes.append(_fix("numpy"))
    clashing = [n for n in expectations()["conflicting_opencv"] if _installed(n)]
    if clashing:
        problems.append(f"conflicting OpenCV: {', '.join(clashing)}")
        fixes.append(_fix("opencv_conflict", names=" ".join(clashing)))
    listed = ", ".join(f"{n} {v}" for n, v in found.items() if v)
    return Check(
        "packages",
        FAIL if problems else OK,
        "; ".join(problems) if problems else listed,
        " ".join(fixes) or None,
        {"versions": found, "conflicting_opencv": clashing},
    )


def _mediapipe_folder() -> Path | None:
    try:
        spec = importlib.util.find_spec("mediapipe")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    return Path(next(iter(spec.submodule_search_locations)))


def check_models() -> Check:
    folder = _mediapipe_folder()
    wanted = dict(expectations()["models"])
    if folder is None:
        return Check("models", FAIL, "mediapipe is not installed", _fix("models"))
    missing = [name for name, rel in wanted.items() if not (folder / rel).is_file()]
    sizes = {
        name: (folder / rel).stat().st_size for name, rel in wanted.items() if name not in missing
    }
    if missing:
        return Check(
            "models", FAIL, f"missing bundled models: {', '.join(missing)}", _fix("models")
        )
    names = ", ".join(Path(rel).name for rel in wanted.values())
    return Check("models", OK, f"bundled models present: {names}", data={"bytes": sizes})


def check_home() -> Check:
    home = paths.home()
    try:
        with tempfile.NamedTemporaryFile(dir=home, prefix=".doctor-", delete=True):
            pass
    except OSError as error:
        return Check("data_folder", FAIL, f"{home} is not writable ({error})", _fix("home"))
    return Check("data_folder", OK, f"{home} (writable)", data={"path": str(home)})


def check_database() -> Check:
    from flowlogic.backup import integrity_problems, is_sqlite_file, schema_version_of
    from flowlogic.store.migrations import latest_version

    path = paths.database_path()
    latest = latest_version()
    if not path.exists():
        return Check("database", OK, "not created yet (made by the first command that needs it)")
    if not is_sqlite_file(path) and path.stat().st_size > 0:
        detail = f"{path} is not an SQLite database"
        return Check("database", FAIL, detail, _fix("database_foreign"))
    try:
        conn = sqlite3.connect(f"{path.resolve().as_uri()}?mode=ro", uri=True, timeout=5)
        try:
            problems = integrity_problems(conn)
            schema = schema_version_of(conn)
        finally:
            conn.close()
    except sqlite3.DatabaseError as error:
        return Check(
            "database", FAIL, f"{path} cannot be read ({error})", _fix("database_unreadable")
        )
    data = {"path": str(path), "schema_version": schema, "latest": latest}
    if problems:
        detail = f"integrity check failed: {problems[0]}"
        return Check("database", FAIL, detail, _fix("database_corrupt"), data)
    if schema is None:
        return Check("database", FAIL, "no Flow Logic tables", _fix("database_foreign"), data)
    if schema > latest:
        detail = f"schema {schema} is newer than this version knows ({latest})"
        return Check("database", FAIL, detail, _fix("database_newer"), data)
    if schema < latest:
        detail = f"integrity ok; schema {schema}, upgraded to {latest} by the next command"
        return Check("database", OK, detail, data=data)
    return Check("database", OK, f"integrity ok; schema {schema} (latest)", data=data)


def check_disk() -> Check:
    usage = shutil.disk_usage(paths.home())
    free_mb = usage.free / 2**20
    data = {"free_mb": round(free_mb), "total_mb": round(usage.total / 2**20)}
    detail = f"{free_mb / 1024:.1f} GB free of {usage.total / 2**30:.1f} GB"
    if free_mb < _value("disk_fail_mb"):
        return Check("disk", FAIL, detail, _fix("disk"), data)
    if free_mb < _value("disk_warn_mb"):
        return Check("disk", WARN, detail, _fix("disk"), data)
    return Check("disk", OK, detail, data=data)


def check_cache() -> Check:
    from flowlogic.lifecycle import landmark_cache_bytes

    files, size = landmark_cache_bytes()
    size_mb = size / 2**20
    data = {"files": files, "bytes": size, "path": str(paths.landmark_cache_dir())}
    detail = f"{files} cached track(s), {size_mb:.1f} MB"
    if size_mb > _value("cache_warn_mb"):
        return Check("landmark_cache", WARN, detail, _fix("cache"), data)
    return Check("landmark_cache", OK, detail, data=data)


def check_keyring() -> Check:
    from flowlogic.licence import keys

    env_key = bool(os.environ.get(keys.STRIPE_KEY_ENV, "").strip())
    env_secret = bool(os.environ.get(keys.CACHE_SECRET_ENV, ""))
    fallback = {"stripe_key_env": env_key, "cache_secret_env": env_secret}
    try:
        import keyring
        from keyring.backends import fail

        backend = keyring.get_keyring()
        name = f"{type(backend).__module__}.{type(backend).__name__}"
        usable = not isinstance(backend, fail.Keyring) and keys.keyring_available()
    except Exception as error:  # a broken keyring package must not stop the doctor
        name, usable = f"unavailable ({type(error).__name__})", False
    data = {"backend": name, **fallback}
    if usable and "plaintext" in name.lower():
        return Check("keyring", WARN, f"{name} (unencrypted)", _fix("keyring_plaintext"), data)
    if usable:
        return Check("keyring", OK, name, data=data)
    if env_key or env_secret:
        detail = f"no keyring ({name}); using the environment variables"
        status = OK if env_secret else WARN
        return Check("keyring", status, detail, None if env_secret else _fix("keyring"), data)
    return Check("keyring", WARN, f"no usable keyring ({name})", _fix("keyring"), data)


def _with_timeout(func: Callable[[], Any], timeout_s: float) -> tuple[bool, Any]:
    """(finished, result or exception) of `func` run in a daemon thread."""
    box: dict[str, Any] = {}

    def run() -> None:
        try:
            box["value"] = func()
        except Exception as error:  # reported, not raised
            box["value"] = error

    thread = threading.Thread(target=run, name="flowlogic-doctor", daemon=True)
    thread.start()
    thread.join(timeout_s)
    return (not thread.is_alive()), box.get("value")


def _probe_camera(index: int) -> tuple[bool, str]:
    from flowlogic.capture.probe import opencv
    from flowlogic.pose.quiet import native_logs_to_file

    cv2 = opencv()
    with native_logs_to_file():
        capture = cv2.VideoCapture(index)
        try:
            if not capture.isOpened():
                return False, "could not be opened"
            ok, frame = capture.read()
            if not ok or frame is None:
                return False, "opened but sent no picture"
            height, width = frame.shape[:2]
            return True, f"{width}x{height}"
        finally:
            capture.release()


def check_camera(index: int = 0) -> Check:
    finished, value = _with_timeout(lambda: _probe_camera(index), _value("camera_timeout_s"))
    if not finished:
        detail = f"camera {index} did not answer within {_value('camera_timeout_s'):g} s"
        return Check("camera", WARN, detail, _fix("camera"))
    if isinstance(value, Exception):
        detail = f"camera {index} probe failed ({type(value).__name__})"
        return Check("camera", WARN, detail, _fix("camera"))
    opened, detail = value
    if not opened:
        return Check("camera", WARN, f"camera {index} {detail}", _fix("camera"))
    return Check("camera", OK, f"camera {index} gives {detail} pictures", data={"index": index})


def check_stripe() -> Check:
    from flowlogic.errors import FlowLogicError
    from flowlogic.licence import keys
    from flowlogic.licence.errors import StripeKeyRejected, StripeUnreachable

    try:
        source = keys.stripe_key_source()
    except FlowLogicError:
        source = None
    if source is None:
        return Check("stripe", OK, "no Stripe key set: not contacted (Free tier needs no network)")
    from flowlogic.licence.stripe_client import StripeGateway, api_base_override

    timeout_s = float(_value("stripe_timeout_s"))
    try:
        base = api_base_override()
        with StripeGateway(
            keys.stripe_key(),
            api_base=base,
            timeout_s=timeout_s,
            connect_timeout_s=timeout_s,
            max_network_retries=0,
        ) as gateway:
            gateway.check_key()
    except StripeKeyRejected:
        return Check("stripe", FAIL, "Stripe answered but refused the key", _fix("stripe_key"))
    except StripeUnreachable as error:
        return Check("stripe", WARN, f"not reachable ({error.reason})", _fix("stripe_offline"))
    except FlowLogicError as error:
        return Check("stripe", WARN, error.message, _fix("stripe_offline"))
    where = "the configured server" if base else "api.stripe.com"
    return Check("stripe", OK, f"{where} reachable; key ({source}) accepted")


def run_checks(*, camera: bool = True, stripe: bool = True) -> list[Check]:
    steps: list[Callable[[], Check]] = [
        check_python,
        check_packages,
        check_models,
        check_home,
        check_database,
        check_disk,
        check_cache,
        check_keyring,
    ]
    if camera:
        steps.append(check_camera)
    if stripe:
        steps.append(check_stripe)
    results = []
    for step in steps:
        try:
            results.append(step())
        except Exception as error:  # one broken check never hides the others
            name = step.__name__.removeprefix("check_")
            results.append(Check(name, FAIL, f"the check itself failed ({type(error).__name__})"))
    return results


def exit_code(checks: list[Check]) -> int:
    """0 when nothing failed (warnings included), 1 when a check failed."""
    return 1 if any(c.status == FAIL for c in checks) else 0


__all__ = ["FAIL", "OK", "WARN", "Check", "exit_code", "run_checks"]
