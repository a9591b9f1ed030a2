"""Fuzzing the parsers of files people hand us, with `hypothesis`.

- Batch manifests (`flowlogic.batch.inputs.read_manifest`) and eval label files
  (`flowlogic.evaluation.read_labels`): any bytes, any text, and CSV built from the
  columns they know with hostile cells (paths with `..`, control characters, a NUL, a
  BOM, quotes, line separators, impossible dates, NaN and infinite metric ranges, a
  200 kB cell beyond the csv module's field limit, more cells than columns).
- Export files read by `flowlogic import` (`flowlogic.profile_import`): a real export
  with its values replaced, removed or duplicated (numbers beyond 64 bits, lone
  surrogates, deeply nested JSON text, wrong types), and truncated or random JSON.

Each either parses or raises a `FlowLogicError` (a usage error, or the import's refusal);
nothing else escapes, and a refused import leaves the database as it was. What parses is
sound: profile names pass `validate_name`, tests exist, views fit the test, dates are not
in the future.

Budget (recorded for the issue): 300 examples per CSV property, 200 for the import
property; no deadline; generated, not replayed from a database.
"""

from __future__ import annotations

import contextlib
import copy
import csv
import functools
import io
import json
import tempfile
from pathlib import Path

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from flowlogic import clock, consent, export, profile_import, profiles
from flowlogic.batch.inputs import MANIFEST_COLUMNS, read_manifest
from flowlogic.catalog import find_test
from flowlogic.errors import FlowLogicError
from flowlogic.evaluation import read_labels
from flowlogic.store import open_db
from tests.conftest import SAMPLE

CSV_BUDGET = settings(
    max_examples=300,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
IMPORT_BUDGET = settings(
    max_examples=200,
    deadline=None,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
LABEL_COLUMNS = ("video", "test", "view", "expected_bucket", "expected_flags")
LABEL_COLUMNS += ("expected_metrics", "note")
HOSTILE_CELLS = [
    "",
    "4",
    "overhead-squat",
    "front",
    "side",
    "sideways",
    "../../etc/passwd",
    "clip.mp4",
    "Ann",
    "a\x00b",
    "\x1b[2J",
    "two\nlines",
    "\u2028",
    '"',
    "2026-01-05",
    "2026-02-30",
    "9999-12-31",
    "05/01/2026",
    "good",
    "pass",
    "none",
    "knee_valgus:left",
    "knee_valgus:up",
    "reps=1..3",
    "score=nan",
    "score=inf..1",
    "score=5..1",
    "x" * 200_000,
]
CELL = st.one_of(st.sampled_from(HOSTILE_CELLS), st.text(max_size=30))


@st.composite
def csv_documents(draw, known_columns: tuple[str, ...]) -> bytes:
    """Bytes of a CSV file: mostly the known columns (shuffled, some missing, some extra)
    with hostile cells; sometimes random text or bytes."""
    kind = draw(st.sampled_from(["csv", "csv", "csv", "text", "bytes"]))
    if kind == "bytes":
        return draw(st.binary(max_size=400))
    if kind == "text":
        return draw(st.text(max_size=400)).encode("utf-8", "surrogatepass")
    header = draw(st.lists(st.sampled_from([*known_columns, "extra", " Video ", ""]), max_size=9))
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(header)
    for _ in range(draw(st.integers(0, 5))):
        writer.writerow(draw(st.lists(CELL, max_size=len(header) + 2)))
    text = buffer.getvalue()
    if draw(st.booleans()):
        text = "\ufeff" + text  # a byte-order mark, as spreadsheets write
    return text.encode("utf-8", "surrogatepass")


SCRATCH = tempfile.TemporaryDirectory(prefix="flowlogic-fuzz-")  # removed at exit


def written(data: bytes, name: str) -> Path:
    """`data` as the file `name` in the scratch folder (each example overwrites it)."""
    path = Path(SCRATCH.name) / name
    path.write_bytes(data)
    return path


def fresh_database():
    for old in Path(SCRATCH.name).glob("target.db*"):
        old.unlink()
    return open_db(Path(SCRATCH.name) / "target.db")


@CSV_BUDGET
@given(data=csv_documents(MANIFEST_COLUMNS))
def test_manifest_parses_or_gives_a_usage_error(data):
    try:
        rows = read_manifest(written(data, "manifest.csv"))
    except FlowLogicError as error:
        assert error.exit_code == 2 and error.message
        return
    today = clock.today()
    for row in rows:
        assert profiles.validate_name(row.profile) == row.profile
        spec = find_test(row.test_id)
        assert row.view is None or row.view in spec.views
        assert row.day <= today


@CSV_BUDGET
@given(data=csv_documents(LABEL_COLUMNS))
def test_label_file_parses_or_gives_a_usage_error(data):
    try:
        rows = read_labels(written(data, "labels.csv"))
    except FlowLogicError as error:
        assert error.exit_code == 2 and "\n" not in error.message
        return
    for row in rows:
        spec = find_test(row.test)
        assert row.view is None or row.view in spec.views
        for low, high in row.expected_metrics.values():
            assert low <= high  # finite ranges only (NaN and inf are refused)


# --- the export JSON read by `flowlogic import` ------------------------------------------


@functools.cache
def real_export() -> dict:
    """The export of a profile with one real scored attempt (the bundled sample)."""
    from flowlogic.assess import score_video

    folder = Path(SCRATCH.name) / "source"
    db = open_db(folder / "source.db")
    consent.accept(db)
    score_video(SAMPLE, 4, db=db)
    written_files = export.export_profile(db, None, folder, formats=("json",)).paths
    db.conn.close()
    return json.loads(written_files[0].read_text(encoding="utf-8"))


JSON_VALUE = st.recursive(
    st.one_of(
        st.none(),
        st.booleans(),
        st.integers(-(2**70), 2**70),
        st.floats(),
        st.text(max_size=12),
        st.sampled_from(["\ud800", "a\x00b", "{", "[]", "null", "[" * 5000 + "]" * 5000]),
    ),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=6), inner),
    max_leaves=6,
)


def _places(document: dict) -> list[tuple]:
    """Every (table, row, column) and (table, row) of the export, and the top keys."""
    places: list[tuple] = [(key,) for key in document]
    for table, rows in document["tables"].items():
        places.append(("tables", table))
        for index, row in enumerate(rows):
            places.append(("tables", table, index))
            places += [("tables", table, index, column) for column in row]
    return places


def _mutate(document: dict, place: tuple, action: str, value) -> None:
    parent = document
    for key in place[:-1]:
        parent = parent[key]
    key = place[-1]
    if action == "set":
        parent[key] = value
    elif action == "remove":
        del parent[key]
    elif action == "duplicate" and isinstance(parent, list):
        parent.append(copy.deepcopy(parent[key]))


@st.composite
def export_files(draw) -> bytes:
    document = copy.deepcopy(real_export())
    places = _places(document)
    for _ in range(draw(st.integers(0, 3))):
        place = draw(st.sampled_from(places))
        action = draw(st.sampled_from(["set", "set", "remove", "duplicate"]))
        with contextlib.suppress(KeyError, IndexError, TypeError):  # place already changed
            _mutate(document, place, action, draw(JSON_VALUE))
    text = json.dumps(document)
    ending = draw(st.sampled_from(["whole", "whole", "truncated", "random"]))
    if ending == "truncated":
        text = text[: draw(st.integers(0, len(text)))]
    elif ending == "random":
        text = json.dumps(draw(JSON_VALUE))
    return text.encode("utf-8", "surrogatepass")


def _row_counts(db) -> dict[str, int]:
    return {table: db[table].count for table in db.table_names()}


@IMPORT_BUDGET
@given(data=export_files())
def test_import_reads_any_file_or_refuses_it_whole(data):
    path = written(data, "export.json")
    db = fresh_database()
    before = _row_counts(db)
    try:
        report = profile_import.import_profile(db, profile_import.read_export(path))
    except FlowLogicError as error:
        assert error.exit_code in (2, 5) and "\n" not in error.message
        assert _row_counts(db) == before  # nothing half-imported
    else:
        assert profiles.get(db, report.profile_id).name == report.profile
    finally:
        db.conn.close()


def test_the_unchanged_export_imports():
    """The fuzzing starts from a file that imports (so the refusals are the damage's)."""
    path = written(json.dumps(real_export()).encode(), "export.json")
    db = fresh_database()
    report = profile_import.import_profile(db, profile_import.read_export(path))
    assert report.rows["assessments"] == 1 and report.rows["metrics"] > 0
