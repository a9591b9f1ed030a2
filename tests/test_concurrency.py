"""Two processes on one database: a `flowlogic batch` and a stream of `score_video` calls
(standing in for the TUI), both scoring the same profile and test on the same day.

Neither errors (WAL, a busy timeout) and the caps hold across them: the daily cap of 3
attempts per test is checked again inside the transaction that stores an attempt, under
SQLite's write lock, so the two processes together store exactly 3 attempts for the
profile — never a 4th — and every stored attempt belongs to exactly one batch row or one
call. Two deterministic tests pin the race itself (another connection stores attempts
while one is being analysed) and the wait on a busy writer.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from flowlogic import profiles
from flowlogic.assess import (
    Outcome,
    judge_track,
    permit_attempt,
    prepare_attempt,
    score_track,
    store_outcome,
)
from flowlogic.capture.probe import probe
from flowlogic.catalog import find_test
from flowlogic.errors import RefusedError
from flowlogic.pose.pipeline import analyse
from flowlogic.store import assessments, open_db
from flowlogic.store.tx import transaction
from tests.media import solid_frames, write_video

ROOT = Path(__file__).resolve().parent.parent
CAP = 3

#: The TUI stand-in: scores each clip for Ann in turn, as the TUI does after a recording,
#: printing one JSON line per call (stored, or refused with its code). Call i starts once
#: the batch has finished i rows, so the two processes' writes interleave.
STREAM = r"""
import json, sqlite3, sys, time
from flowlogic import paths
from flowlogic.assess import score_video
from flowlogic.errors import FlowLogicError

def batch_rows_done():
    try:
        with sqlite3.connect(paths.database_path(), timeout=30) as conn:
            return conn.execute(
                "SELECT COUNT(*) FROM batch_rows WHERE status != 'pending'"
            ).fetchone()[0]
    except sqlite3.OperationalError:  # the batch has not created its tables yet
        return 0

for index, clip in enumerate(sys.argv[1:]):
    deadline = time.monotonic() + 300
    while batch_rows_done() < index and time.monotonic() < deadline:
        time.sleep(0.05)
    try:
        outcome = score_video(clip, "overhead-squat", profile="Ann")
        print(json.dumps({"clip": clip, "stored": outcome.assessment_id}), flush=True)
    except FlowLogicError as error:
        print(json.dumps({"clip": clip, "refused": error.code}), flush=True)
"""


def grey_clips(folder: Path, prefix: str, count: int) -> list[Path]:
    """Distinct short clips (different grey levels, so different content hashes) with
    nobody in them: each scores as an invalid attempt, which counts against the cap."""
    return [
        write_video(folder / f"{prefix}{i}.mp4", solid_frames(12, value=40 + 20 * i + len(prefix)))
        for i in range(count)
    ]


def ann_attempts(db) -> list[int]:
    who = profiles.find(db, "Ann")
    return [r[0] for r in db.execute("SELECT id FROM assessments WHERE profile_id = ?", [who.id])]


def test_batch_and_tui_together_neither_error_nor_exceed_the_cap(accepted_db, tmp_path):
    profiles.add(accepted_db, "Ann")
    batch_clips = grey_clips(tmp_path, "batch", 4)
    stream_clips = grey_clips(tmp_path, "tui", 4)
    others = grey_clips(tmp_path, "other", 3)
    manifest = tmp_path / "manifest.csv"
    rows = [f"{clip},Ann,overhead-squat,," for clip in batch_clips]
    rows += [f"{clip},Ben{i},overhead-squat,," for i, clip in enumerate(others)]
    manifest.write_text("video,profile,test,view,date\n" + "\n".join(rows) + "\n")
    env = {**os.environ, "PYTHONPATH": str(ROOT), "FLOWLOGIC_CACHE_DIR": str(tmp_path / "cache")}
    batch_out = tmp_path / "batch.json"
    command = ["batch", str(manifest), "--workers", "1", "--quiet", "--json", str(batch_out)]
    batch = subprocess.Popen(
        [sys.executable, "-m", "flowlogic.cli.app", *command],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    )
    stream = subprocess.Popen(
        [sys.executable, "-c", STREAM, *map(str, stream_clips)],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    stream_out, stream_err = stream.communicate(timeout=900)
    _, batch_err = batch.communicate(timeout=900)

    assert batch.returncode == 0, batch_err
    assert stream.returncode == 0, stream_err
    for err in (stream_err, batch_err.decode()):
        assert "locked" not in err and "Traceback" not in err
    calls = [json.loads(line) for line in stream_out.splitlines()]
    assert len(calls) == len(stream_clips)
    assert {c.get("refused") for c in calls} <= {None, "DAILY_ATTEMPT_CAP"}
    batch_rows = [r for r in json.loads(batch_out.read_text())["rows"] if r["profile"] == "Ann"]
    assert {r["status"] for r in batch_rows} <= {"invalid", "refused"}
    assert all("DAILY_ATTEMPT_CAP" in r["reason"] for r in batch_rows if r["status"] == "refused")

    db = open_db()
    stored = sorted(ann_attempts(db))
    from_stream = [c["stored"] for c in calls if "stored" in c]
    from_batch = [r["assessment_id"] for r in batch_rows if r["status"] == "invalid"]
    assert len(stored) == CAP  # 8 tries between them, the cap of 3 holds
    assert sorted(from_stream + from_batch) == stored  # each attempt stored once, by one side
    others_stored = db.execute("SELECT COUNT(*) FROM assessments").fetchone()[0] - CAP
    assert others_stored == len(others)  # the other profiles were not held up


# --- the race itself, deterministically -------------------------------------------------------


@pytest.fixture
def grey_track(tmp_path):
    clip = write_video(tmp_path / "grey.mp4", solid_frames(12))
    info = probe(clip)
    track, _ = analyse(info)
    return info, track


def outcome_of(grey_track, spec, who) -> Outcome:
    info, track = grey_track
    judged = judge_track(track, spec)
    return Outcome(spec, judged.view, info, track, True, judged.quality, judged.result, who)


def store_elsewhere(grey_track, attempts: int) -> None:
    """Another process (here another connection) stores attempts of Ann at test 4."""
    other = open_db()
    attempt = prepare_attempt(other, "overhead-squat", profile="Ann")
    for _ in range(attempts):
        permit = permit_attempt(other, attempt.spec, "Ann")
        outcome = outcome_of(grey_track, attempt.spec, attempt.profile)
        store_outcome(other, permit, outcome, source="test")
    other.conn.close()


def test_the_cap_is_checked_again_when_the_attempt_is_stored(accepted_db, grey_track):
    """`flowlogic score` (or the TUI) checks the cap before the video is analysed; while
    it is analysed, another process stores the remaining attempts. Storing is then
    refused: the cap is checked again under the write lock."""
    profiles.add(accepted_db, "Ann")
    attempt = prepare_attempt(accepted_db, "overhead-squat", profile="Ann")  # 0 used: allowed
    store_elsewhere(grey_track, CAP)
    with pytest.raises(RefusedError) as refused:
        score_track(accepted_db, attempt, *grey_track)
    assert refused.value.code == "DAILY_ATTEMPT_CAP"
    assert len(ann_attempts(accepted_db)) == CAP


def test_the_batch_permit_is_checked_again_when_its_row_is_stored(accepted_db, grey_track):
    who = profiles.add(accepted_db, "Ann")
    spec = find_test("overhead-squat")
    permit = permit_attempt(accepted_db, spec, "Ann")  # what the batch coordinator holds
    store_elsewhere(grey_track, CAP)
    with pytest.raises(RefusedError):
        store_outcome(accepted_db, permit, outcome_of(grey_track, spec, who), source="batch")
    assert len(ann_attempts(accepted_db)) == CAP


def test_a_writer_waits_for_another_process_instead_of_failing(accepted_db, grey_track):
    """Another connection holds the write lock for a moment; storing an attempt waits for
    it (busy timeout) rather than failing with 'database is locked'."""
    profiles.add(accepted_db, "Ann")
    attempt = prepare_attempt(accepted_db, "overhead-squat", profile="Ann")
    locked, release = threading.Event(), threading.Event()

    def hold_the_write_lock() -> None:
        holder = open_db()  # its own connection, as another process has
        with transaction(holder):
            holder.execute("UPDATE settings SET value = value")
            locked.set()
            release.wait(timeout=30)
        holder.conn.close()

    thread = threading.Thread(target=hold_the_write_lock)
    thread.start()
    assert locked.wait(timeout=30)
    threading.Timer(0.5, release.set).start()
    outcome = score_track(accepted_db, attempt, *grey_track)  # blocks until released
    thread.join()
    assert assessments.get(accepted_db, outcome.assessment_id)["status"] == "invalid"
