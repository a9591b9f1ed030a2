"""Licensing settings and messages from `data/licence.toml`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from functools import cache
from typing import Any

from flowlogic.catalog import load_data_toml


@dataclass(frozen=True)
class LicenceSettings:
    grace: timedelta
    refresh_after: timedelta
    retry_after: timedelta
    timeout_s: float
    connect_timeout_s: float
    max_network_retries: int
    auto_timeout_s: float
    auto_max_network_retries: int
    min_cache_secret_chars: int
    urls: dict[str, str]

    @property
    def grace_days(self) -> int:
        return self.grace.days


@cache
def _data() -> dict[str, Any]:
    return load_data_toml("licence.toml")


def settings() -> LicenceSettings:
    data = _data()

    def value(name: str) -> Any:
        return data[name]["value"]

    return LicenceSettings(
        grace=timedelta(days=value("grace_days")),
        refresh_after=timedelta(hours=value("refresh_after_hours")),
        retry_after=timedelta(minutes=value("retry_after_minutes")),
        timeout_s=float(value("timeout_s")),
        connect_timeout_s=float(value("connect_timeout_s")),
        max_network_retries=int(value("max_network_retries")),
        auto_timeout_s=float(value("auto_timeout_s")),
        auto_max_network_retries=int(value("auto_max_network_retries")),
        min_cache_secret_chars=int(value("min_cache_secret_chars")),
        urls=dict(data["urls"]),
    )


def message(name: str, **fields: Any) -> str:
    return str(_data()["messages"][name]).format(**fields)
