"""The result of scoring one test (PRODUCT.md §5), and the shared rules that turn
penalties into a 0-100 score inside the right band."""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from flowlogic.catalog import load_data_toml

SEVERITIES = ("mild", "moderate", "severe")


def json_number(value: float | None, digits: int = 3) -> float | None:
    """`value` rounded for a JSON document; None when it is missing, NaN or infinite (a
    landmark never seen), so every stored and printed document is valid JSON."""
    if value is None or not math.isfinite(value):
        return None
    return round(float(value), digits)


@dataclass(frozen=True)
class Metric:
    name: str
    value: float | None
    unit: str
    side: str | None = None  # "left" / "right" (the person's own) or None
    estimated: bool = False  # True when one camera cannot measure it reliably

    @property
    def key(self) -> str:
        return f"{self.name}_{self.side}" if self.side else self.name

    def to_dict(self) -> dict[str, Any]:
        value = self.value
        if isinstance(value, float):
            value = json_number(value)
        return {"value": value, "unit": self.unit, "side": self.side, "estimated": self.estimated}


@dataclass(frozen=True)
class Flag:
    code: str
    side: str | None
    severity: str

    def __post_init__(self) -> None:
        if self.severity not in SEVERITIES:
            raise ValueError(f"unknown severity {self.severity}")

    def to_dict(self) -> dict[str, Any]:
        return {"code": self.code, "side": self.side, "severity": self.severity}


@dataclass(frozen=True)
class Rep:
    """One rep or hold: where it is in the clip and what it measured."""

    index: int
    start_s: float
    end_s: float
    side: str | None = None
    values: dict[str, float | None] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "index": self.index,
            "start_s": round(self.start_s, 3),
            "end_s": round(self.end_s, 3),
            "side": self.side,
            "values": {k: json_number(v) for k, v in self.values.items()},
        }


@dataclass(frozen=True)
class TestResult:
    bucket: str  # the test's native bucket
    normalized: str  # pass | limited | significant
    score: int  # 0..100
    confidence: float  # 0..1
    side: str | None  # the worse side, when the test has sides
    reps: int | None
    metrics: tuple[Metric, ...]
    flags: tuple[Flag, ...]
    segments: tuple[Rep, ...] = ()
    notes: tuple[str, ...] = ()

    __test__ = False  # not a pytest test class

    @classmethod
    def build(
        cls,
        *,
        bucket: str,
        normalized: str,
        raw_score: float,
        confidence: float,
        side: str | None,
        reps: int | None,
        metrics: Iterable[Metric],
        flags: Iterable[Flag],
        segments: Iterable[Rep] = (),
        notes: Iterable[str] = (),
    ) -> TestResult:
        """The one way scorers finish: the raw score kept inside its bucket's band,
        confidence clamped to 0..1 and rounded, collections frozen."""
        return cls(
            bucket=bucket,
            normalized=normalized,
            score=fit_score(raw_score, normalized),
            confidence=round(clamp01(confidence), 3),
            side=side,
            reps=reps,
            metrics=tuple(metrics),
            flags=tuple(flags),
            segments=tuple(segments),
            notes=tuple(notes),
        )

    @property
    def band(self) -> str:
        return score_band(self.score)

    def metric(self, name: str, side: str | None = None) -> Metric | None:
        return next((m for m in self.metrics if m.name == name and m.side == side), None)

    def flag(self, code: str) -> Flag | None:
        return next((f for f in self.flags if f.code == code), None)

    def to_dict(self) -> dict[str, Any]:
        return {
            "bucket": self.bucket,
            "normalized": self.normalized,
            "score": self.score,
            "band": self.band,
            "confidence": json_number(self.confidence),
            "side": self.side,
            "reps": self.reps,
            "metrics": {m.key: m.to_dict() for m in self.metrics},
            "flags": [f.to_dict() for f in self.flags],
            "segments": [r.to_dict() for r in self.segments],
            "notes": list(self.notes),
        }


def normalize_bucket(native: str, severe: bool = False) -> str:
    if native == "asymmetric" and severe:
        return "significant"
    return load_data_toml("results.toml")["normalized"][native]


def score_band(score: int) -> str:
    bands = load_data_toml("results.toml")["bands"]
    for name, low in sorted(bands.items(), key=lambda item: -item[1]):
        if score >= low:
            return name
    return "Significant"


def flag_penalty(flags: list[Flag] | tuple[Flag, ...]) -> float:
    costs = load_data_toml("results.toml")["flag_penalty"]
    return float(sum(costs[f.severity] for f in flags))


def fit_score(raw: float, normalized: str) -> int:
    """Round and keep the score inside its bucket's range, so score and bucket agree."""
    low, high = load_data_toml("results.toml")["bucket_score_range"][normalized]
    return round(min(max(raw, low), high))


def worst_severity(flags: list[Flag] | tuple[Flag, ...]) -> str | None:
    if not flags:
        return None
    return max((f.severity for f in flags), key=SEVERITIES.index)


def clamp01(value: float) -> float:
    return float(min(max(value, 0.0), 1.0))
