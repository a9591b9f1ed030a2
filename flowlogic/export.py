"""Export one profile's data (PRODUCT.md §8, §10): JSON and CSV, videos optional.

The JSON holds everything needed to rebuild the profile's history:
- `profile`: the profile row;
- `assessments`: every attempt (valid or not), readable: test, view, status, quality
  figures and checks, the result with metrics and flags;
- `tables`: the raw rows of every table linked to the profile through foreign keys
  (profiles, assessments, results, metrics, flags, audit events, and plans, tasks,
  reflections, badges... whichever tables this database has), column for column.
The CSV folder has a readable `assessments.csv`, `metrics.csv` and `flags.csv`, and one
raw CSV per linked table. Text cells that a spreadsheet would run as a formula are
prefixed with an apostrophe.
"""

from __future__ import annotations

import csv
import io
import json
import shutil
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from flowlogic import __version__, clock, profiles
from flowlogic.catalog import find_test
from flowlogic.errors import UsageError
from flowlogic.outfiles import atomic_write_text, safe_name

SCHEMA_VERSION = 1
FORMATS = ("json", "csv")
# Tables that belong to the installation, not to a profile, even if they link to one.
NOT_EXPORTED = {"schema_migrations", "settings", "consent"}
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


@dataclass
class ExportResult:
    profile: str
    paths: list[Path] = field(default_factory=list)
    counts: dict[str, int] = field(default_factory=dict)  # table -> rows exported
    videos_copied: int = 0
    videos_missing: int = 0


def parse_formats(value: str) -> tuple[str, ...]:
    value = value.strip().lower()
    if value == "both":
        return FORMATS
    if value in FORMATS:
        return (value,)
    raise UsageError(f"--format must be json, csv or both, not {value!r}")


# --- Which rows belong to a profile ---------------------------------------------------------


def profile_row_filters(db: sqlite_utils.Database) -> dict[str, str]:
    """For each table linked to `profiles` (directly or through other tables' foreign
    keys), a SQL condition selecting the rows of profile `:pid`. Tables are reached in
    rounds (breadth first), and a table's condition only uses tables reached in earlier
    rounds, so reference cycles cannot loop."""
    filters: dict[str, str] = {"profiles": "id = :pid"}
    pending = [
        t
        for t in db.table_names()
        if t not in NOT_EXPORTED and t != "profiles" and not t.startswith("sqlite_")
    ]
    while pending:
        reached = {}
        for table in pending:
            links = [
                f'"{fk.column}" IN (SELECT "{fk.other_column or "rowid"}" '
                f'FROM "{fk.other_table}" WHERE {filters[fk.other_table]})'
                for fk in db[table].foreign_keys
                if fk.other_table in filters
            ]
            if links:
                reached[table] = " OR ".join(links)
        if not reached:
            break
        filters.update(reached)
        pending = [t for t in pending if t not in reached]
    return filters


def profile_tables(db: sqlite_utils.Database, profile_id: int) -> dict[str, list[dict[str, Any]]]:
    """Every row linked to the profile, table by table (tables in name order)."""
    out = {}
    for table, condition in sorted(profile_row_filters(db).items()):
        order = "id" if "id" in db[table].columns_dict else "rowid"
        sql = f'SELECT * FROM "{table}" WHERE {condition} ORDER BY {order}'
        out[table] = [dict(row) for row in db.query(sql, {"pid": profile_id})]
    return out


# --- The readable view ----------------------------------------------------------------------


def readable_assessments(tables: dict[str, list[dict[str, Any]]]) -> list[dict[str, Any]]:
    results = {r["assessment_id"]: r for r in tables.get("results", [])}
    items = []
    for row in tables.get("assessments", []):
        result_row = results.get(row["id"])
        quality = json.loads(row["quality_json"] or "{}")
        items.append(
            {
                "id": row["id"],
                "created_at": row["created_at"],
                "local_date": row["local_date"],
                "test": {"id": row["test_id"], "slug": row["test_slug"], "name": _name(row)},
                "view": row["view"],
                "status": row["status"],
                "source": row["source"],
                "reasons": json.loads(row["reasons_json"] or "[]"),
                "video": json.loads(row["video_json"] or "{}"),
                "model": row["model"],
                "quality": quality,
                "result": json.loads(result_row["result_json"]) if result_row else None,
            }
        )
    return items


def _name(row: dict[str, Any]) -> str:
    try:
        return find_test(row["test_id"]).name
    except UsageError:
        return row["test_slug"]


def build_json(db: sqlite_utils.Database, profile_id: int) -> dict[str, Any]:
    tables = profile_tables(db, profile_id)
    return {
        "schema_version": SCHEMA_VERSION,
        "exported_at": clock.iso(clock.now_utc()),
        "app_version": __version__,
        "profile": tables["profiles"][0],
        "assessments": readable_assessments(tables),
        "tables": tables,
    }


# --- CSV ------------------------------------------------------------------------------------


def _cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return "" if value is None else value


def csv_text(columns: list[str], rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(columns)
    for row in rows:
        writer.writerow([_cell(row.get(c)) for c in columns])
    return buffer.getvalue()


ASSESSMENT_COLUMNS = [
    "id",
    "local_date",
    "created_at",
    "test_id",
    "test_slug",
    "test_name",
    "view",
    "status",
    "reasons",
    "score",
    "band",
    "bucket",
    "normalized",
    "confidence",
    "side",
    "reps",
    "flags",
    "quality_score",
    "mean_confidence",
    "motion_level",
    "frames_analysed",
    "source",
]
METRIC_COLUMNS = [
    "assessment_id",
    "local_date",
    "test_slug",
    "key",
    "value",
    "unit",
    "side",
    "estimated",
]
FLAG_COLUMNS = ["assessment_id", "local_date", "test_slug", "code", "side", "severity"]


def readable_csvs(assessments: list[dict[str, Any]]) -> dict[str, str]:
    """`assessments.csv`, `metrics.csv`, `flags.csv` in plain columns."""
    flat, metric_rows, flag_rows = [], [], []
    for item in assessments:
        result = item["result"] or {}
        quality = item["quality"]
        where = {
            "assessment_id": item["id"],
            "local_date": item["local_date"],
            "test_slug": item["test"]["slug"],
        }
        flat.append(
            {
                "id": item["id"],
                "local_date": item["local_date"],
                "created_at": item["created_at"],
                "test_id": item["test"]["id"],
                "test_slug": item["test"]["slug"],
                "test_name": item["test"]["name"],
                "view": item["view"],
                "status": item["status"],
                "reasons": ";".join(item["reasons"]),
                "score": result.get("score"),
                "band": result.get("band"),
                "bucket": result.get("bucket"),
                "normalized": result.get("normalized"),
                "confidence": result.get("confidence"),
                "side": result.get("side"),
                "reps": result.get("reps"),
                "flags": ";".join(
                    ":".join(str(f.get(k) or "") for k in ("code", "side", "severity"))
                    for f in result.get("flags", [])
                ),
                "quality_score": quality.get("score"),
                "mean_confidence": quality.get("mean_confidence"),
                "motion_level": quality.get("motion_level"),
                "frames_analysed": quality.get("frames_analysed"),
                "source": item["source"],
            }
        )
        for key, metric in result.get("metrics", {}).items():
            metric_rows.append({**where, "key": key, **metric})
        for flag in result.get("flags", []):
            flag_rows.append({**where, **flag})
    return {
        "assessments.csv": csv_text(ASSESSMENT_COLUMNS, flat),
        "metrics.csv": csv_text(METRIC_COLUMNS, metric_rows),
        "flags.csv": csv_text(FLAG_COLUMNS, flag_rows),
    }


def raw_csvs(db: sqlite_utils.Database, tables: dict[str, list[dict[str, Any]]]) -> dict[str, str]:
    """One CSV per linked table, every column (`table-<name>.csv`)."""
    return {
        f"table-{safe_name(name)}.csv": csv_text(list(db[name].columns_dict), rows)
        for name, rows in tables.items()
    }


# --- Writing --------------------------------------------------------------------------------


def export_profile(
    db: sqlite_utils.Database,
    profile_name: str | None,
    out_dir: Path,
    *,
    formats: tuple[str, ...] = FORMATS,
    videos: bool = False,
) -> ExportResult:
    """Write the profile's export into `out_dir`:
    `flowlogic-{profile}-{date}.json`, `flowlogic-{profile}-{date}-csv/`, and with
    `videos` the recordings still on disk in `flowlogic-{profile}-{date}-videos/`."""
    who = profiles.resolve(db, profile_name)
    stem = f"flowlogic-{safe_name(who.name, fallback=f'profile-{who.id}')}-{clock.today()}"
    out_dir = Path(out_dir)
    payload = build_json(db, who.id)
    result = ExportResult(who.name, counts={t: len(r) for t, r in payload["tables"].items()})
    if "json" in formats:
        text = json.dumps(payload, indent=2, ensure_ascii=False, default=str)
        result.paths.append(atomic_write_text(out_dir / f"{stem}.json", text + "\n"))
    if "csv" in formats:
        folder = out_dir / f"{stem}-csv"
        files = {**readable_csvs(payload["assessments"]), **raw_csvs(db, payload["tables"])}
        for name, text in files.items():
            atomic_write_text(folder / name, text)
        result.paths.append(folder)
    if videos:
        _copy_videos(payload["assessments"], out_dir / f"{stem}-videos", result)
    return result


def _copy_videos(assessments: list[dict[str, Any]], folder: Path, result: ExportResult) -> None:
    for item in assessments:
        source = item["video"].get("path")
        if not source:
            continue
        path = Path(source)
        if not path.is_file():
            result.videos_missing += 1
            continue
        target = folder / f"{item['id']}-{safe_name(path.name, fallback='video')}"
        folder.mkdir(parents=True, exist_ok=True)
        temp = target.with_name(f".{target.name}.tmp")
        shutil.copyfile(path, temp)
        temp.replace(target)
        result.videos_copied += 1
    if result.videos_copied:
        result.paths.append(folder)


__all__ = ["FORMATS", "ExportResult", "build_json", "export_profile", "parse_formats"]
