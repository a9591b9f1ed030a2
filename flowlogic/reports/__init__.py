"""Reports (PRODUCT.md §8): per assessment (all tiers) and the full report (Pro, Pro+),
each as HTML and PDF, written atomically under safe file names."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

import sqlite_utils

from flowlogic.errors import UsageError
from flowlogic.outfiles import atomic_write_bytes, atomic_write_text
from flowlogic.reports.document import Report

FORMATS = ("pdf", "html")


def parse_formats(value: str) -> tuple[str, ...]:
    """`pdf`, `html` or `both` -> the formats to write."""
    value = value.strip().lower()
    if value == "both":
        return FORMATS
    if value in FORMATS:
        return (value,)
    raise UsageError(f"--format must be pdf, html or both, not {value!r}")


def write(report: Report, out_dir: Path, formats: Iterable[str] = FORMATS) -> list[Path]:
    """Write `report` into `out_dir` in each format; returns the paths written."""
    from flowlogic.reports import html, pdf

    out_dir = Path(out_dir)
    written = []
    for fmt in formats:
        target = out_dir / f"{report.file_stem}.{fmt}"
        if fmt == "pdf":
            written.append(atomic_write_bytes(target, pdf.render(report)))
        elif fmt == "html":
            written.append(atomic_write_text(target, html.render(report)))
        else:
            raise UsageError(f"unknown report format {fmt!r}")
    return written


def assessment_report(
    db: sqlite_utils.Database,
    assessment_id: int,
    out_dir: Path,
    formats: Iterable[str] = FORMATS,
    *,
    initials: bool = False,
) -> list[Path]:
    from flowlogic.reports import assessment

    return write(assessment.build(db, assessment_id, initials=initials), out_dir, formats)


def full_report(
    db: sqlite_utils.Database,
    profile_id: int,
    out_dir: Path,
    formats: Iterable[str] = FORMATS,
    *,
    initials: bool = False,
    days: int | None = None,
) -> list[Path]:
    from flowlogic.reports import full

    return write(full.build(db, profile_id, initials=initials, days=days), out_dir, formats)


__all__ = ["FORMATS", "assessment_report", "full_report", "parse_formats", "write"]
