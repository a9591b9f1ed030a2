"""`flowlogic import FILE`: rebuild a profile's history from a `flowlogic export` JSON.

The export's `tables` hold every row linked to the profile, column for column; importing
writes them back in one transaction, parents before children, so the profile's history,
results, metrics, flags, plans, tasks, reflections, badges and audit trail come back as
they were. Table by table, ids are kept when they are all free in this database (the
usual case: the profile was deleted, or this is a fresh installation); otherwise that
table's rows get new ids, in the same order, and every reference to them follows
(foreign keys, and the assessment ids inside stored outcome and plan-basis JSON).

The file is checked strictly before anything is written: a JSON object from a known
export version, one profile, only tables and columns this database has, plain values,
valid JSON in `*_json` columns, every reference pointing at a row in the file. Anything
else is refused with one line saying where (exit 5); a profile of the same name that
already exists is a usage error (exit 2; `--as NEW_NAME` imports under another name).
Batch bookkeeping (`batch_rows`) is not imported: it belongs to batch runs on the machine
that ran them.
"""

from __future__ import annotations

import json
import sqlite3
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from flowlogic import logs, profiles
from flowlogic.audit import record_event
from flowlogic.errors import InputRefused, UsageError
from flowlogic.export import NOT_EXPORTED, SCHEMA_VERSION, profile_row_filters
from flowlogic.store.tx import transaction

MAX_FILE_BYTES = 200 * 1024 * 1024
NOT_IMPORTED = {"batch_rows"}
Row = dict[str, Any]


@dataclass
class ImportReport:
    profile_id: int
    profile: str
    rows: dict[str, int] = field(default_factory=dict)
    ids_kept: bool = True
    renumbered_tables: list[str] = field(default_factory=list)
    skipped_tables: list[str] = field(default_factory=list)

    def to_dict(self) -> dict[str, Any]:
        return {
            "profile_id": self.profile_id,
            "profile": self.profile,
            "rows": self.rows,
            "rows_total": sum(self.rows.values()),
            "ids_kept": self.ids_kept,
            "renumbered_tables": self.renumbered_tables,
            "skipped_tables": self.skipped_tables,
        }


def _refuse(message: str, code: str = "BAD_IMPORT") -> InputRefused:
    return InputRefused(message, code=code)


def read_export(path: Path) -> dict[str, Any]:
    """The export at `path` as JSON, with its outer shape checked."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise _refuse(f"{path} does not exist or is not a file.", "NOT_FOUND")
    if path.stat().st_size > MAX_FILE_BYTES:
        raise _refuse(f"{path.name} is larger than {MAX_FILE_BYTES // 2**20} MB; not an export.")
    try:
        payload = json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise _refuse(f"{path.name} is not UTF-8 text; give the .json file of an export.") from None
    except (ValueError, RecursionError) as error:
        raise _refuse(f"{path.name} is not valid JSON ({error}).") from None
    if not isinstance(payload, dict) or "tables" not in payload or "profile" not in payload:
        raise _refuse(f"{path.name} is not a Flow Logic export (no profile and tables).")
    version = payload.get("schema_version")
    if version != SCHEMA_VERSION:
        raise _refuse(
            f"{path.name} has export version {version!r}; this Flow Logic reads version "
            f"{SCHEMA_VERSION}.",
            "EXPORT_VERSION",
        )
    tables = payload["tables"]
    if not isinstance(tables, dict) or not all(
        isinstance(rows, list) and all(isinstance(r, dict) for r in rows)
        for rows in tables.values()
    ):
        raise _refuse(f"{path.name}: `tables` must map table names to lists of rows.")
    people = tables.get("profiles")
    if not isinstance(people, list) or len(people) != 1:
        raise _refuse(f"{path.name}: an export holds exactly one profile row.")
    return payload


# --- checking the rows against this database ----------------------------------------------


def _order(db: sqlite_utils.Database, names: list[str]) -> list[str]:
    """Tables parents first (by foreign keys among `names`)."""
    pending, ordered = sorted(names), []
    while pending:
        ready = [
            t
            for t in pending
            if all(
                fk.other_table in ordered or fk.other_table not in names or fk.other_table == t
                for fk in db[t].foreign_keys
            )
        ]
        if not ready:
            raise _refuse(f"the tables {pending} refer to each other in a loop.")
        ordered += ready
        pending = [t for t in pending if t not in ready]
    return ordered


def _check_values(table: str, number: int, row: Row, columns: dict[str, Any]) -> None:
    where = f"{table} row {number}"
    unknown = sorted(set(row) - set(columns))
    if unknown:
        raise _refuse(f"{where} has columns this database does not have: {unknown}.")
    for column, value in row.items():
        if value is not None and not isinstance(value, str | int | float | bool):
            raise _refuse(f"{where}: {column} must be a plain value, not {type(value).__name__}.")
        if isinstance(value, int) and not -(2**63) <= value < 2**63:
            raise _refuse(f"{where}: {column} is a number too large for the database.")
        if isinstance(value, str) and not value.isascii():
            try:
                value.encode("utf-8")  # JSON may carry lone surrogates ("\ud800")
            except UnicodeEncodeError:
                raise _refuse(f"{where}: {column} holds text that is not valid Unicode.") from None
        if column.endswith("_json") and value is not None:
            try:
                json.loads(value) if isinstance(value, str) else None
            except (ValueError, RecursionError):
                raise _refuse(f"{where}: {column} is not valid JSON.") from None
            if not isinstance(value, str):
                raise _refuse(f"{where}: {column} must be JSON text.")


def _id_column(db: sqlite_utils.Database, table: str) -> str | None:
    pks = db[table].pks
    if pks == ["id"]:
        return "id"
    return None


def validate(db: sqlite_utils.Database, tables: dict[str, list[Row]]) -> list[str]:
    """Check every row; return the tables to import, parents first."""
    known = profile_row_filters(db)
    names = []
    for table in tables:
        if table in NOT_IMPORTED:
            continue
        if table in NOT_EXPORTED or table not in known:
            raise _refuse(
                f"the file has a table {table!r} that this Flow Logic does not know "
                "(made by a newer version?)."
            )
        names.append(table)
    ordered = _order(db, names)
    ids: dict[str, set[Any]] = {}
    for table in ordered:
        columns = db[table].columns_dict
        id_column = _id_column(db, table)
        seen: set[Any] = set()
        for number, row in enumerate(tables[table], 1):
            _check_values(table, number, row, columns)
            if id_column:
                value = row.get(id_column)
                if not isinstance(value, int) or isinstance(value, bool) or value in seen:
                    raise _refuse(f"{table} row {number}: id must be a unique integer.")
                seen.add(value)
            for fk in db[table].foreign_keys:
                if fk.other_table not in names:
                    continue
                value = row.get(fk.column)
                if value is not None and value not in ids.get(fk.other_table, set()):
                    raise _refuse(
                        f"{table} row {number}: {fk.column} = {value!r} refers to a "
                        f"{fk.other_table} row that is not in the file."
                    )
        ids[table] = seen
    profile_row = tables["profiles"][0]
    profiles.validate_name(str(profile_row.get("name") or ""))
    return ordered


# --- writing ------------------------------------------------------------------------------


def _ids_free(db: sqlite_utils.Database, table: str, rows: list[Row]) -> bool:
    """Whether none of the rows' ids is taken in `table`."""
    if _id_column(db, table) is None:
        return True
    wanted = [row["id"] for row in rows]
    for start in range(0, len(wanted), 500):
        chunk = wanted[start : start + 500]
        marks = ", ".join("?" for _ in chunk)
        sql = f'SELECT COUNT(*) FROM "{table}" WHERE id IN ({marks})'
        if db.execute(sql, chunk).fetchone()[0]:
            return False
    return True


def _renumber_basis(row: Row, assessments: dict[Any, Any]) -> Row:
    """A plan's basis lists the assessments it was built from: they follow their rows."""
    basis = json.loads(row.get("basis_json") or "null")
    if isinstance(basis, list):
        for item in basis:
            if isinstance(item, dict) and item.get("assessment_id") in assessments:
                item["assessment_id"] = assessments[item["assessment_id"]]
        row["basis_json"] = json.dumps(basis)
    return row


def _renumber_outcome(db: sqlite_utils.Database, row: Row, new_id: int) -> None:
    """A stored outcome carries its own assessment id."""
    outcome = json.loads(row.get("outcome_json") or "null")
    if isinstance(outcome, dict) and "assessment_id" in outcome:
        outcome["assessment_id"] = new_id
        db.execute(
            "UPDATE assessments SET outcome_json = ? WHERE id = ?", [json.dumps(outcome), new_id]
        )


def _insert(db: sqlite_utils.Database, table: str, row: Row) -> int:
    columns = list(row)
    names = ", ".join(f'"{c}"' for c in columns)
    marks = ", ".join("?" for _ in columns)
    cursor = db.execute(f'INSERT INTO "{table}" ({names}) VALUES ({marks})', list(row.values()))
    return int(cursor.lastrowid)


def import_profile(
    db: sqlite_utils.Database, payload: dict[str, Any], *, rename: str | None = None
) -> ImportReport:
    """Write the export's rows into `db` (see the module notes)."""
    tables: dict[str, list[Row]] = payload["tables"]
    ordered = validate(db, tables)
    name = profiles.validate_name(rename or str(tables["profiles"][0]["name"]))
    if profiles.find(db, name, missing_ok=True):
        raise UsageError(
            f"A profile named '{name}' already exists; delete it first "
            "(`flowlogic delete --profile ...`) or import under another name with --as."
        )
    keep = {table: _ids_free(db, table, tables[table]) for table in ordered}
    mapping: dict[str, dict[Any, Any]] = {}
    report = ImportReport(0, name, ids_kept=all(keep.values()))
    report.renumbered_tables = sorted(t for t, kept in keep.items() if not kept)
    report.skipped_tables = sorted(t for t in tables if t in NOT_IMPORTED and tables[t])
    try:
        with transaction(db):
            for table in ordered:
                id_column = _id_column(db, table)
                mapping[table] = {}
                fks = {
                    fk.column: fk.other_table
                    for fk in db[table].foreign_keys
                    if fk.other_table in mapping
                }
                rows = sorted(tables[table], key=lambda r: r.get("id") or 0)
                for original in rows:
                    row = dict(original)
                    if table == "profiles":
                        row["name"] = name
                    for column, other in fks.items():
                        if row.get(column) is not None:
                            row[column] = mapping[other][row[column]]
                    if table == "plans" and not keep.get("assessments", True):
                        row = _renumber_basis(row, mapping["assessments"])
                    if id_column and not keep[table]:
                        row.pop(id_column)
                    new_id = _insert(db, table, row)
                    if table == "assessments" and not keep[table]:
                        _renumber_outcome(db, row, new_id)
                    if id_column:
                        mapping[table][original[id_column]] = new_id
                report.rows[table] = len(rows)
            report.profile_id = next(iter(mapping["profiles"].values()))
            record_event(
                db,
                "profile.imported",
                profile_id=report.profile_id,
                details={"rows": sum(report.rows.values()), "ids_kept": report.ids_kept},
            )
    except sqlite3.IntegrityError as error:
        raise _refuse(
            f"the file's rows do not fit this database ({error}); nothing imported."
        ) from None
    logs.log_event(
        "profile.imported",
        profile_id=report.profile_id,
        rows=sum(report.rows.values()),
        ids_kept=report.ids_kept,
    )
    return report


__all__ = ["ImportReport", "import_profile", "read_export", "validate"]
