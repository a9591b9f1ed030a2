"""Plain words for report content: names, dates, flags, metrics, tones."""

from __future__ import annotations

from datetime import date, datetime
from functools import cache
from typing import Any

from flowlogic import clock
from flowlogic.catalog import TestSpec, find_test, load_data_toml

UNIT_WORDS = {"deg": "°", "count": "", "s": " s", "ratio": "", "%": "%", "": ""}


@cache
def copy() -> dict[str, Any]:
    return load_data_toml("reports.toml")


def display_name(name: str, *, initials: bool) -> str:
    """The profile's name, or its initials ("Anna Maria Smith" -> "A. M. S.")."""
    if not initials:
        return name
    parts = [p for p in name.replace("_", " ").replace("-", " ").split() if p]
    return " ".join(f"{p[0].upper()}." for p in parts) or "—"


def local_moment(created_at_utc: str) -> datetime:
    return datetime.fromisoformat(created_at_utc).astimezone(clock.local_zone())


def long_date(day: date) -> str:
    """`2026-03-02` -> `Mon 2 Mar 2026` (no locale: reports read the same everywhere)."""
    return f"{day:%a} {day.day} {day:%b %Y}"


def tone_for(normalized: str | None) -> str:
    return copy()["tones"].get(normalized or "", "plain")


def flag_text(spec: TestSpec, flag: dict[str, Any]) -> tuple[str, str, str]:
    """A flag as (headline in plain words with side and severity, what it means, advice)."""
    text = spec.flags.get(flag["code"])
    severity = load_data_toml("results.toml")["words"]["severity"][flag["severity"]]
    words = text.words if text else flag["code"].replace("_", " ").capitalize()
    side = f", {flag['side']} side" if flag.get("side") else ""
    headline = f"{words} ({severity}{side})"
    return headline, (text.meaning if text else ""), (text.advice if text else "")


def metric_label(key: str, side: str | None) -> str:
    name = key[: -len(side) - 1] if side and key.endswith(f"_{side}") else key
    return name.replace("_", " ").replace(" deg", "").replace(" pct", " %").capitalize()


def number(value: float) -> str:
    """Three significant digits, never scientific: 0.004, 0.47, 90.1, 155, 1234."""
    if abs(value) >= 100:
        return f"{value:.0f}"
    return f"{value:.3g}"


def metric_value(value: Any, unit: str) -> str:
    if value is None:
        return "—"
    shown = number(float(value)) if isinstance(value, int | float) else str(value)
    suffix = UNIT_WORDS.get(unit, f" {unit}" if unit else "")
    return f"{shown}{suffix}"


def percent(fraction: float | None) -> str:
    return "—" if fraction is None else f"{fraction:.0%}"


def test_label(test_id: int) -> str:
    spec = find_test(test_id)
    return f"{spec.name} (test {spec.id})"
