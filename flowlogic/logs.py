"""Structured logs (`--log-json`, PRODUCT.md §10): JSON lines, no personal data.

With `--log-json` (or FLOWLOGIC_LOG_JSON=1) each event is one JSON object per line in
`FLOWLOGIC_HOME/logs/flowlogic.log`: `ts` (UTC), `level`, `event`, `pid` and the event's
fields. Without it nothing is written here (internal errors still go to `errors.log`).

No personal data, by construction rather than by care at each call site:
- numbers, booleans and None pass (ids, counts, durations, exit codes), except under a
  key such as `birth_year`; strings pass only when they look like codes (test
  slugs, statuses, error codes, versions: letters, digits and `_ . : + -`, no spaces,
  no `@`, no `/`), so names, e-mails and paths cannot get through;
- a text field whose key names a person or a place (`name`, `email`, `path`, `file`,
  `profile`, `note`, ...) is replaced whatever it holds;
- anything that looks like a Stripe key is replaced, whatever its key.
The file rotates at 5 MB (three old files kept).
"""

from __future__ import annotations

import json
import os
import re
import threading
from typing import Any

from flowlogic import clock, paths

LOG_FILE = "flowlogic.log"
ENV_SWITCH = "FLOWLOGIC_LOG_JSON"
MAX_BYTES = 5 * 1024 * 1024
KEEP_FILES = 3
REDACTED = "[redacted]"
_SAFE_TEXT = re.compile(r"^[A-Za-z0-9_.:+-]{0,80}$")
_SECRET = re.compile(r"(?:sk|rk|pk|whsec)_[A-Za-z0-9_]{4,}")
_PERSONAL_KEY = re.compile(
    r"(name|email|e_mail|mail|path|file|folder|dir|video|profile|note|text|message|url|"
    r"customer|key|secret|token|password)",
    re.IGNORECASE,
)
_PERSONAL_NUMBER = re.compile(r"(birth|age\b|weight|height_cm|phone)", re.IGNORECASE)
_lock = threading.Lock()
_enabled = False


def enable(on: bool = True) -> None:
    global _enabled
    _enabled = on


def enabled() -> bool:
    return _enabled or os.environ.get(ENV_SWITCH, "") not in ("", "0")


def log_path():
    return paths.log_dir() / LOG_FILE


def clean_value(key: str, value: Any, depth: int = 0) -> Any:
    """`value` as it may appear in the log (see the module notes); `REDACTED` otherwise."""
    if value is None or isinstance(value, bool | int | float):
        return REDACTED if _PERSONAL_NUMBER.search(key) else value
    if _PERSONAL_KEY.search(key):
        return REDACTED
    if isinstance(value, str):
        if _SECRET.search(value) or not _SAFE_TEXT.match(value):
            return REDACTED
        return value
    if depth < 3 and isinstance(value, dict):
        return {str(k): clean_value(str(k), v, depth + 1) for k, v in value.items()}
    if depth < 3 and isinstance(value, list | tuple | set | frozenset):
        return [clean_value(key, v, depth + 1) for v in value]
    return REDACTED


def _rotate(path) -> None:
    try:
        if path.stat().st_size < MAX_BYTES:
            return
    except OSError:
        return
    for number in range(KEEP_FILES - 1, 0, -1):
        older = path.with_name(f"{path.name}.{number}")
        if older.exists():
            older.replace(path.with_name(f"{path.name}.{number + 1}"))
    path.replace(path.with_name(f"{path.name}.1"))


def log_event(event: str, *, level: str = "info", **fields: Any) -> None:
    """Append one event when JSON logging is on; never raises."""
    if not enabled():
        return
    record = {
        "ts": clock.iso(clock.now_utc()),
        "level": level,
        "event": clean_value("event", event),
        "pid": os.getpid(),
        **{key: clean_value(key, value) for key, value in fields.items()},
    }
    line = json.dumps(record, sort_keys=False, default=str) + "\n"
    try:
        with _lock:
            path = log_path()
            _rotate(path)
            with open(path, "a", encoding="utf-8") as handle:
                handle.write(line)
    except OSError:
        return


__all__ = ["REDACTED", "clean_value", "enable", "enabled", "log_event", "log_path"]
