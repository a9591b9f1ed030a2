"""The batch coordinator: plans the rows, hands work to an executor, and is the only
writer of the database.

Crash safety: every row's final state is written in the same transaction as its
assessment, and results are committed strictly in row order (a window of rows runs ahead
in parallel). A killed batch, run again with the same command, resumes its unfinished
job: committed rows are not redone, so nothing is lost and nothing is counted twice.
"""

from __future__ import annotations

import csv
import hashlib
import io
import json
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import sqlite_utils

from flowlogic import clock, consent, profiles, tiers
from flowlogic.assess import Outcome, Permit, judge_track, permit_attempt
from flowlogic.assess import store_outcome as store_attempt
from flowlogic.audit import record_event
from flowlogic.batch.executors import Executor
from flowlogic.batch.inputs import BatchRow, read_source
from flowlogic.batch.schedule import CostEstimates, pick_next
from flowlogic.batch.worker import Task, TaskResult, compute
from flowlogic.capture.probe import sha256_of
from flowlogic.catalog import find_test
from flowlogic.errors import RefusedError, UsageError
from flowlogic.pose.pipeline import AnalysisOptions, cache_path
from flowlogic.store import assessments
from flowlogic.store.tx import transaction

#: how far past the row being committed the workers may run ahead (results held in memory)
LOOKAHEAD_ROWS = 16
FINAL = ("valid", "invalid", "refused", "unreadable", "skipped")
Event = Callable[[str, dict[str, Any]], None]


@dataclass
class BatchReport:
    job_id: int
    resumed: bool
    created_profiles: list[str] = field(default_factory=list)
    rows: list[dict[str, Any]] = field(default_factory=list)

    @property
    def counts(self) -> dict[str, int]:
        counts = dict.fromkeys(FINAL, 0)
        for row in self.rows:
            counts[row["status"]] = counts.get(row["status"], 0) + 1
        return counts

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema_version": 1,
            "job_id": self.job_id,
            "resumed": self.resumed,
            "created_profiles": self.created_profiles,
            "counts": self.counts,
            "rows": self.rows,
        }


def _source_key(source: Path, rows: list[BatchRow]) -> str:
    listing = json.dumps([r.to_dict() for r in rows], sort_keys=True)
    return f"{source.resolve()}#{hashlib.sha256(listing.encode()).hexdigest()[:16]}"


def _open_job(
    db: sqlite_utils.Database, key: str, kind: str, rescore: bool, rows: list[BatchRow]
) -> tuple[int, bool]:
    """Resume the unfinished job for the same source and rows, or start a new one."""
    found = db.execute(
        "SELECT id FROM batch_jobs WHERE source = ? AND rescore = ? AND finished_at IS NULL "
        "ORDER BY id DESC LIMIT 1",
        [key, int(rescore)],
    ).fetchone()
    if found:
        return int(found[0]), True
    with transaction(db):
        table = db["batch_jobs"]
        table.insert(
            {
                "source": key,
                "kind": kind,
                "rescore": int(rescore),
                "created_at": clock.iso(clock.now_utc()),
            }
        )
        job_id = int(table.last_pk)
        db["batch_rows"].insert_all(
            [
                {
                    "job_id": job_id,
                    "position": r.position,
                    "line": r.line,
                    "video": str(r.video),
                    "profile": r.profile,
                    "test_id": r.test_id,
                    "view": r.view,
                    "local_date": r.day.isoformat(),
                    "status": "pending",
                }
                for r in rows
            ]
        )
    return job_id, False


def _ensure_profiles(db: sqlite_utils.Database, rows: list[BatchRow]) -> list[str]:
    created = []
    for name in dict.fromkeys(r.profile for r in rows):
        if profiles.find(db, name, missing_ok=True) is None:
            profiles.add(db, name)
            created.append(name)
    return created


def _finish_row(
    db: sqlite_utils.Database,
    job_id: int,
    row: BatchRow,
    status: str,
    *,
    reason: str = "",
    sha: str | None = None,
    assessment_id: int | None = None,
    result: dict[str, Any] | None = None,
) -> None:
    db.execute(
        "UPDATE batch_rows SET status = ?, reason = ?, video_sha256 = ?, assessment_id = ?, "
        "bucket = ?, score = ?, confidence = ?, flags_json = ?, updated_at = ? "
        "WHERE job_id = ? AND position = ?",
        [
            status,
            reason,
            sha,
            assessment_id,
            result["bucket"] if result else None,
            result["score"] if result else None,
            result["confidence"] if result else None,
            json.dumps(result["flags"]) if result else None,
            clock.iso(clock.now_utc()),
            job_id,
            row.position,
        ],
    )


class Coordinator:
    def __init__(
        self, db: sqlite_utils.Database, job_id: int, rescore: bool, on_event: Event
    ) -> None:
        self.db = db
        self.job_id = job_id
        self.rescore = rescore
        self.emit = on_event
        self.tier = tiers.current_tier(db)
        self.seen: dict[tuple[str, int, str], int] = {}  # (profile, test, sha) -> row number

    # -- before dispatch ----------------------------------------------------------------
    def precheck(self, row: BatchRow) -> tuple[str, str, str | None] | None:
        """A final status decided without any pose work, or None to dispatch the row."""
        spec = find_test(row.test_id)
        if not self.tier.allows(spec):
            needed = tiers.unlocking_tier(spec)
            return "refused", f"LOCKED_BY_TIER: {spec.name} needs {needed.name}", None
        if not row.video.is_file():
            return "unreadable", f"NOT_FOUND: {row.video}", None
        try:
            sha = sha256_of(row.video)
        except OSError as error:
            return "unreadable", f"UNREADABLE: {error}", None
        key = (row.profile.lower(), row.test_id, sha)
        if key in self.seen and not self.rescore:
            return "skipped", f"same video and test as row {self.seen[key] + 1}", sha
        self.seen.setdefault(key, row.position)
        who = profiles.find(self.db, row.profile)
        existing = assessments.find_scored(self.db, who.id, row.test_id, sha)
        if existing and not self.rescore:
            return "skipped", f"already scored (assessment {existing})", sha
        if self.rescore and not existing:
            return "skipped", "not scored before: nothing to rescore", sha
        return None

    # -- after the work came back ---------------------------------------------------------
    def commit(self, row: BatchRow, done: TaskResult) -> tuple[str, str]:
        if done.status != "computed":
            with transaction(self.db):
                _finish_row(self.db, self.job_id, row, "unreadable", reason=done.reason)
            return "unreadable", done.reason
        spec = find_test(row.test_id)
        _keep_in_local_cache(done)
        judged = judge_track(done.track, spec, row.view)
        who = profiles.find(self.db, row.profile)
        outcome = Outcome(
            spec,
            judged.view,
            done.info,
            done.track,
            done.from_cache,
            judged.quality,
            judged.result,
            who,
        )
        if self.rescore:
            return self._commit_rescore(row, outcome, who.id)
        try:
            permit = permit_attempt(self.db, spec, row.profile, day=row.day)
            with transaction(self.db):  # store_attempt checks the caps again in here
                stored = store_attempt(self.db, permit, outcome, source="batch")
                payload = stored.to_dict()
                reason = ", ".join(judged.quality.failed_codes)
                _finish_row(
                    self.db,
                    self.job_id,
                    row,
                    stored.status,
                    reason=reason,
                    sha=done.info.sha256,
                    assessment_id=stored.assessment_id,
                    result=payload["result"],
                )
        except RefusedError as refused:
            with transaction(self.db):
                _finish_row(
                    self.db,
                    self.job_id,
                    row,
                    "refused",
                    reason=f"{refused.code}: {refused.message}",
                    sha=done.info.sha256,
                )
            return "refused", refused.message
        return stored.status, reason

    def _commit_rescore(self, row: BatchRow, outcome: Outcome, profile_id: int) -> tuple[str, str]:
        existing = assessments.find_scored(self.db, profile_id, row.test_id, outcome.video.sha256)
        payload = outcome.to_dict()
        reason = ", ".join(outcome.quality.failed_codes)
        with transaction(self.db):
            assessments.replace_result(self.db, existing, payload)
            _finish_row(
                self.db,
                self.job_id,
                row,
                outcome.status,
                reason=reason,
                sha=outcome.video.sha256,
                assessment_id=existing,
                result=payload["result"],
            )
        return outcome.status, reason


def _keep_in_local_cache(done: TaskResult) -> None:
    """Tracks computed on remote Dask workers are cached here too (one pose pass ever)."""
    spec_options = AnalysisOptions(face_mesh=done.track.face is not None)
    path = cache_path(done.info.sha256, spec_options, done.track.model)
    if not path.exists():
        done.track.save(path)


def plan_rows(source: Path) -> tuple[str, list[BatchRow]]:
    """Read and validate the whole source (every problem listed) before any work."""
    return read_source(source)


def run_batch(
    source: Path,
    executor_factory: Callable[[], Executor] | None,
    *,
    db: sqlite_utils.Database,
    rescore: bool = False,
    on_event: Event | None = None,
) -> BatchReport:
    emit = on_event or (lambda kind, data: None)
    kind, rows = plan_rows(Path(source))
    consent.require(db)
    created = _ensure_profiles(db, rows)
    key = _source_key(Path(source), rows)
    job_id, resumed = _open_job(db, key, kind, rescore, rows)
    record_event(
        db,
        "batch.started" if not resumed else "batch.resumed",
        details={"job": job_id, "rows": len(rows)},
    )
    coordinator = Coordinator(db, job_id, rescore, emit)
    done_positions = {
        int(r[0])
        for r in db.execute(
            "SELECT position FROM batch_rows WHERE job_id = ? AND status != 'pending'", [job_id]
        )
    }
    pending = [r for r in rows if r.position not in done_positions]
    emit(
        "start",
        {
            "total": len(rows),
            "done": len(done_positions),
            "job": job_id,
            "resumed": resumed,
            "created_profiles": created,
        },
    )
    if pending:
        _process(coordinator, pending, executor_factory, emit)
    with transaction(db):
        db.execute(
            "UPDATE batch_jobs SET finished_at = ? WHERE id = ?",
            [clock.iso(clock.now_utc()), job_id],
        )
    report = BatchReport(job_id, resumed, created, job_rows(db, job_id))
    emit("finish", {"counts": report.counts})
    return report


def _process(
    coordinator: Coordinator,
    pending: list[BatchRow],
    executor_factory: Callable[[], Executor] | None,
    emit: Event,
) -> None:
    """Dispatch a window of rows ahead; commit strictly in row order."""
    needs_work: list[BatchRow] = []
    decided: dict[int, tuple[str, str, str | None]] = {}
    for row in pending:
        verdict = coordinator.precheck(row)
        if verdict is None:
            needs_work.append(row)
        else:
            decided[row.position] = verdict
    local = coordinator.rescore or executor_factory is None or not needs_work
    executor = None if local else executor_factory()
    window = executor.window if executor else 1
    # longest first among the rows at most `lookahead` past the one awaited (schedule.py)
    lookahead = max(LOOKAHEAD_ROWS, window * 2)
    cost = CostEstimates()
    rank = {r.position: i for i, r in enumerate(needs_work)}
    queue = list(needs_work)
    in_flight: dict[Any, BatchRow] = {}
    ready: dict[int, TaskResult] = {}
    slots: dict[int, int] = {}
    free_slots = list(range(executor.workers if executor else 1))
    try:
        for row in pending:
            if row.position in decided:
                status, reason, sha = decided.pop(row.position)
                with transaction(coordinator.db):
                    _finish_row(
                        coordinator.db, coordinator.job_id, row, status, reason=reason, sha=sha
                    )
                emit("row", {"row": row, "status": status, "reason": reason})
                continue
            while row.position not in ready:
                while executor and queue and len(in_flight) < window:
                    nxt = pick_next(queue, cost, rank, rank[row.position] + lookahead)
                    if nxt is None:
                        break
                    queue.remove(nxt)
                    slot = free_slots.pop(0) if free_slots else -1
                    slots[nxt.position] = slot
                    in_flight[executor.submit(_task(nxt, coordinator.rescore))] = nxt
                    emit("dispatch", {"row": nxt, "slot": slot})
                if executor is None:
                    queue.remove(row)
                    emit("dispatch", {"row": row, "slot": 0})
                    ready[row.position] = compute(_task(row, coordinator.rescore))
                    break
                for future in executor.finished(in_flight):
                    finished_row = in_flight.pop(future)
                    ready[finished_row.position] = executor.result(future)
                    slot = slots.pop(finished_row.position, -1)
                    if slot >= 0:
                        free_slots.append(slot)
                    emit("computed", {"row": finished_row, "slot": slot})
            status, reason = coordinator.commit(row, ready.pop(row.position))
            emit("row", {"row": row, "status": status, "reason": reason})
    finally:
        if executor is not None:
            executor.close()


def _task(row: BatchRow, rescore: bool) -> Task:
    return Task(row.position, str(row.video), row.test_id, row.view, rescore)


def job_rows(db: sqlite_utils.Database, job_id: int) -> list[dict[str, Any]]:
    rows = []
    for row in db.query(
        "SELECT position, line, video, profile, test_id, view, local_date, status, reason, "
        "bucket, score, confidence, flags_json, assessment_id FROM batch_rows "
        "WHERE job_id = ? ORDER BY position",
        [job_id],
    ):
        item = dict(row)
        spec = find_test(item.pop("test_id"))
        flags = json.loads(item.pop("flags_json") or "[]")
        item["test"] = spec.slug
        item["date"] = item.pop("local_date")
        item["flags"] = ";".join(
            f"{f['code']}:{f['side']}" if f.get("side") else f["code"] for f in flags
        )
        rows.append(item)
    return rows


OUTPUT_COLUMNS = (
    "profile",
    "test",
    "video",
    "date",
    "status",
    "bucket",
    "score",
    "confidence",
    "flags",
    "reason",
    "assessment_id",
    "line",
)


def rows_csv(rows: list[dict[str, Any]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=OUTPUT_COLUMNS, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_atomic(path: Path, text: str) -> None:
    path = Path(path)
    if path.exists() and path.is_dir():
        raise UsageError(f"{path} is a folder, not a file")
    from flowlogic.outfiles import atomic_write_text  # one clear line when a write fails

    atomic_write_text(path, text)


__all__ = [
    "BatchReport",
    "Permit",
    "job_rows",
    "plan_rows",
    "rows_csv",
    "run_batch",
    "write_atomic",
]
