"""Agreement between the scorers and a coach's own ratings (`flowlogic eval`).

A labels CSV has the columns `video, test, view` and any of:
- `expected_bucket`: the test's native bucket (good / compensation / ...) or a normalised
  one (pass / limited / significant);
- `expected_flags`: flag codes separated by `;`, optionally `code:side`; `none` means the
  coach saw no fault; an empty cell means flags were not rated;
- `expected_metrics`: `name=lo..hi` (or `name=value`) separated by `;`, metric keys as in
  the JSON result (`knee_valgus_shift_left`, `reps`, ...) or `score` (0-100);
- `note`: free text, ignored.
Video paths are relative to the CSV's folder unless absolute.
"""

from __future__ import annotations

import csv
import math
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flowlogic.catalog import find_test
from flowlogic.errors import FlowLogicError, InputRefused, UsageError

REQUIRED_COLUMNS = ("video", "test", "view")
NORMALIZED = ("pass", "limited", "significant")


@dataclass(frozen=True)
class LabelRow:
    line: int
    video: Path
    test: int
    view: str | None
    expected_bucket: str | None
    expected_flags: frozenset[tuple[str, str | None]] | None
    expected_metrics: dict[str, tuple[float, float]]
    note: str = ""


@dataclass
class RowOutcome:
    label: LabelRow
    status: str  # valid / invalid / error
    bucket: str | None = None
    normalized: str | None = None
    flags: frozenset[tuple[str, str | None]] = frozenset()
    metrics: dict[str, float | None] = field(default_factory=dict)
    reason: str = ""


def _parse_flags(cell: str) -> frozenset[tuple[str, str | None]] | None:
    cell = cell.strip()
    if not cell:
        return None
    if cell.lower() == "none":
        return frozenset()
    flags = set()
    for part in cell.split(";"):
        part = part.strip()
        if not part:
            continue
        code, _, side = part.partition(":")
        side = side.strip().lower() or None
        if side not in (None, "left", "right"):
            raise ValueError(f"flag side must be left or right, not {side!r}")
        flags.add((code.strip(), side))
    return frozenset(flags)


def _parse_metrics(cell: str) -> dict[str, tuple[float, float]]:
    ranges: dict[str, tuple[float, float]] = {}
    for part in cell.split(";"):
        part = part.strip()
        if not part:
            continue
        name, eq, value = part.partition("=")
        if not eq:
            raise ValueError(f"metric {part!r} needs name=lo..hi or name=value")
        low, dots, high = value.partition("..")
        lo = float(low)
        hi = float(high) if dots else lo
        if not (math.isfinite(lo) and math.isfinite(hi)) or hi < lo:
            raise ValueError(f"metric range {value!r} is not a finite lo..hi")
        ranges[name.strip()] = (lo, hi)
    return ranges


def read_labels(path: Path) -> list[LabelRow]:
    """Parse and validate the whole file first; every problem is reported with its line."""
    path = Path(path)
    if not path.is_file():
        raise UsageError(f"Labels file not found: {path}")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise UsageError(f"Cannot read {path.name} as UTF-8 CSV: {error}") from None
    try:
        reader = csv.DictReader(text.splitlines())
        columns = [c.strip() for c in (reader.fieldnames or [])]
        records = list(reader)
    except csv.Error as error:  # e.g. a field longer than the csv module allows
        raise UsageError(f"{path.name} is not a readable CSV file: {error}") from None
    missing = [c for c in REQUIRED_COLUMNS if c not in columns]
    if missing:
        raise UsageError(f"{path.name}: missing column(s) {', '.join(missing)}")
    if not {"expected_bucket", "expected_flags", "expected_metrics"} & set(columns):
        raise UsageError(f"{path.name}: needs expected_bucket, expected_flags or expected_metrics")
    rows: list[LabelRow] = []
    problems: list[str] = []
    for line, raw in enumerate(records, start=2):
        # cells beyond the header come under the key None as a list: ignored, as in batch
        record = {k.strip(): (v or "").strip() for k, v in raw.items() if k is not None}
        try:
            spec = find_test(record["test"])
            view = record.get("view") or None
            if view and view not in spec.views:
                raise ValueError(f"view {view!r} is not possible for {spec.slug}")
            bucket = record.get("expected_bucket") or None
            if bucket and bucket not in spec.native_buckets and bucket not in NORMALIZED:
                raise ValueError(f"bucket {bucket!r} is not one of {spec.native_buckets}")
            video = Path(record["video"])
            if not record["video"]:
                raise ValueError("video is empty")
            rows.append(
                LabelRow(
                    line=line,
                    video=video if video.is_absolute() else path.parent / video,
                    test=spec.id,
                    view=view,
                    expected_bucket=bucket,
                    expected_flags=_parse_flags(record.get("expected_flags", "")),
                    expected_metrics=_parse_metrics(record.get("expected_metrics", "")),
                    note=record.get("note", ""),
                )
            )
        except (ValueError, FlowLogicError) as error:
            message = getattr(error, "message", str(error))
            problems.append(f"line {line}: {message}")
    if problems:
        raise UsageError(f"{path.name} has errors: " + "; ".join(problems))
    if not rows:
        raise UsageError(f"{path.name} has no rows")
    return rows


# -- statistics (pure) ------------------------------------------------------------------


def cohens_kappa(pairs: list[tuple[str, str]]) -> float | None:
    """Cohen's kappa for (expected, predicted) category pairs; None when undefined."""
    if not pairs:
        return None
    n = len(pairs)
    observed = sum(1 for a, b in pairs if a == b) / n
    expected_counts = Counter(a for a, _ in pairs)
    predicted_counts = Counter(b for _, b in pairs)
    chance = sum(expected_counts[c] * predicted_counts.get(c, 0) for c in expected_counts) / n**2
    if chance >= 1.0:
        return 1.0 if observed == 1.0 else None
    return (observed - chance) / (1.0 - chance)


def confusion(pairs: list[tuple[str, str]]) -> dict[str, dict[str, int]]:
    table: dict[str, dict[str, int]] = {}
    for expected, predicted in pairs:
        table.setdefault(expected, {}).setdefault(predicted, 0)
        table[expected][predicted] += 1
    return table


def _flag_match(expected: tuple[str, str | None], got: set[tuple[str, str | None]]) -> bool:
    code, side = expected
    return any(c == code and (side is None or s == side) for c, s in got)


def flag_scores(outcomes: list[RowOutcome]) -> dict[str, Any]:
    """Micro precision/recall over rows whose flags were rated and were scored."""
    tp = fp = fn = 0
    for outcome in outcomes:
        expected = outcome.label.expected_flags
        if expected is None or outcome.status != "valid":
            continue
        got = set(outcome.flags)
        matched_got = set()
        for flag in expected:
            if _flag_match(flag, got):
                tp += 1
                matched_got |= {g for g in got if g[0] == flag[0]}
            else:
                fn += 1
        fp += len(got - matched_got)
    precision = tp / (tp + fp) if tp + fp else None
    recall = tp / (tp + fn) if tp + fn else None
    return {
        "true_positives": tp,
        "false_positives": fp,
        "false_negatives": fn,
        "precision": precision,
        "recall": recall,
    }


def metric_errors(outcomes: list[RowOutcome]) -> dict[str, dict[str, Any]]:
    """Mean absolute error per metric: distance to the expected range (0 inside it)."""
    errors: dict[str, list[float]] = {}
    for outcome in outcomes:
        if outcome.status != "valid":
            continue
        for name, (low, high) in outcome.label.expected_metrics.items():
            value = outcome.metrics.get(name)
            if value is None:
                continue
            error = 0.0 if low <= value <= high else min(abs(value - low), abs(value - high))
            errors.setdefault(name, []).append(error)
    return {name: {"n": len(v), "mae": sum(v) / len(v)} for name, v in errors.items()}


def summarise(outcomes: list[RowOutcome]) -> dict[str, Any]:
    by_test: dict[int, list[RowOutcome]] = {}
    for outcome in outcomes:
        by_test.setdefault(outcome.label.test, []).append(outcome)
    tests = []
    for test_id, rows in sorted(by_test.items()):
        spec = find_test(test_id)
        pairs = []
        for row in rows:
            expected = row.label.expected_bucket
            if not expected:
                continue
            use_normalized = expected in NORMALIZED and expected not in spec.native_buckets
            predicted = (row.normalized if use_normalized else row.bucket) or row.status
            pairs.append((expected, predicted))
        agreement = (sum(1 for a, b in pairs if a == b) / len(pairs)) if pairs else None
        tests.append(
            {
                "test": {"id": spec.id, "slug": spec.slug, "name": spec.name},
                "rows": len(rows),
                "scored": sum(1 for r in rows if r.status == "valid"),
                "bucket_rows": len(pairs),
                "bucket_agreement": agreement,
                "cohens_kappa": cohens_kappa(pairs),
                "confusion": confusion(pairs),
                "flags": flag_scores(rows),
                "metrics": metric_errors(rows),
            }
        )
    return {
        "schema_version": 1,
        "tests": tests,
        "rows": [
            {
                "line": o.label.line,
                "video": str(o.label.video),
                "test": o.label.test,
                "status": o.status,
                "reason": o.reason,
                "expected_bucket": o.label.expected_bucket,
                "bucket": o.bucket,
                "expected_flags": sorted(
                    f"{c}:{s}" if s else c for c, s in (o.label.expected_flags or [])
                ),
                "flags": sorted(f"{c}:{s}" if s else c for c, s in o.flags),
            }
            for o in outcomes
        ],
    }


def evaluate(labels_path: Path, *, use_cache: bool = True, progress=None) -> dict[str, Any]:
    """Score every labelled video (nothing stored) and compare with the labels."""
    from flowlogic import consent
    from flowlogic.assess import score_video
    from flowlogic.store import open_db

    rows = read_labels(labels_path)
    consent.require(open_db())  # refusals (consent, plan) stop the run; file problems do not
    outcomes: list[RowOutcome] = []
    for index, label in enumerate(rows, 1):
        if progress:
            progress(index, len(rows), label)
        try:
            scored = score_video(
                label.video, label.test, view=label.view, save=False, use_cache=use_cache
            )
        except (InputRefused, UsageError) as error:
            outcomes.append(RowOutcome(label, "error", reason=error.message))
            continue
        if scored.result is None:
            failed = ", ".join(scored.quality.failed_codes)
            outcomes.append(RowOutcome(label, "invalid", reason=failed))
            continue
        result = scored.result
        outcomes.append(
            RowOutcome(
                label,
                "valid",
                bucket=result.bucket,
                normalized=result.normalized,
                flags=frozenset((f.code, f.side) for f in result.flags),
                metrics={"score": float(result.score), **{m.key: m.value for m in result.metrics}},
            )
        )
    return summarise(outcomes)
