"""`kill -9` at the worst moments, and a full disk.

Each crash test runs the real `flowlogic` command in a subprocess (DRIVER below) that is
held at a chosen point — after N frames of pose inference, or at a chosen SQL statement
(a trace callback on the connection: the statement is about to run inside its
transaction) — and killed there with SIGKILL. Afterwards the database passes
`PRAGMA integrity_check` and `PRAGMA foreign_key_check`, the next run works, and nothing
is counted twice. Points: `score` during inference and during the write of its attempt;
`batch` during the commit of its second row; `plan regenerate` during the write of the new
plan version (tier from a real sealed licence cache, as `flowlogic licence activate`
leaves it); a migration mid-way, and migrations killed at random moments in a loop.

A full disk is simulated two ways: for a report, the file write raises
OSError(ENOSPC) (monkeypatched `os.fdopen`, in process); for a recorded video, the
recording runs in a subprocess limited with RLIMIT_FSIZE (SIGXFSZ ignored, so writes
past the limit fail as on a full disk and OpenCV silently writes a broken file).
"""

from __future__ import annotations

import errno
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from flowlogic import clock, profiles
from flowlogic.cli.app import app
from flowlogic.store import open_db
from flowlogic.store.migrations import latest_version, migrate
from tests.conftest import SAMPLE

runner = CliRunner()
ROOT = Path(__file__).resolve().parent.parent
CACHE_SECRET = "crash-safety-test-secret-0123456789abcdef"

#: Runs `flowlogic ARGS...` and holds it where the environment says:
#: CRASH_AT_SQL (a regex; held just before the first matching statement runs),
#: CRASH_AT_COUNT (held just before the N-th SQL statement of the process runs),
#: CRASH_AT_FRAME (held after that many frames of pose inference), CRASH_FSIZE (a
#: file-size limit: a full disk), FAST_RECORD (no countdown, a replayed file read as fast
#: as it decodes).
DRIVER = r"""
import os, re, sys, time
from pathlib import Path

mark = Path(os.environ["CRASH_MARK"])

def hold(reason):
    mark.write_text(reason)
    time.sleep(600)

hold_at, hold_count = os.environ.get("CRASH_AT_SQL"), int(os.environ.get("CRASH_AT_COUNT", 0))
statements = [0]
if hold_at or hold_count:
    import sqlite3
    connect = sqlite3.connect

    def traced(*args, **kwargs):
        conn = connect(*args, **kwargs)

        def trace(sql):
            statements[0] += 1
            if (hold_at and re.search(hold_at, sql)) or statements[0] == hold_count:
                hold(sql)

        conn.set_trace_callback(trace)
        return conn

    sqlite3.connect = traced

if os.environ.get("CRASH_AT_FRAME"):
    from flowlogic.pose import pipeline
    frames, add = int(os.environ["CRASH_AT_FRAME"]), pipeline.TrackBuilder.add

    def held_add(self, frame):
        estimate = add(self, frame)
        if len(self._times) >= frames:
            hold(f"after {frames} frames")
        return estimate

    pipeline.TrackBuilder.add = held_add

if os.environ.get("CRASH_FSIZE"):
    import resource, signal
    signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
    limit = int(os.environ["CRASH_FSIZE"])
    resource.setrlimit(resource.RLIMIT_FSIZE, (limit, resource.RLIM_INFINITY))

if os.environ.get("FAST_RECORD"):
    import types
    from flowlogic import recording
    from flowlogic.capture import sources
    words = dict(recording.settings())
    words["countdown_s"] = {**words["countdown_s"], "value": 0}
    recording.settings = lambda: words
    sources.time = types.SimpleNamespace(monotonic=time.monotonic, sleep=lambda _s: None)

from flowlogic.cli.app import main
sys.argv = ["flowlogic", *sys.argv[1:]]
main()
"""


def driver_env(tmp_path: Path, **settings: str) -> tuple[dict[str, str], Path]:
    mark = tmp_path / f"held-{len(list(tmp_path.glob('held-*')))}"
    env = {**os.environ, "CRASH_MARK": str(mark), **settings}
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(ROOT), env.get("PYTHONPATH")]))
    return env, mark


def start(args: list[str], env: dict[str, str]) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-c", DRIVER, *args],
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,  # its own process group: the batch workers die with it
    )


def kill(process: subprocess.Popen) -> None:
    os.killpg(process.pid, signal.SIGKILL)
    process.communicate(timeout=60)


def run_until_held(args: list[str], env: dict[str, str], mark: Path) -> str:
    """Start the command, wait until it is held, kill -9 it; returns where it was held."""
    process = start(args, env)
    deadline = time.monotonic() + 600
    while not mark.exists():
        if process.poll() is not None:
            _, err = process.communicate()
            pytest.fail(f"finished before the crash point (exit {process.returncode}): {err!r}")
        assert time.monotonic() < deadline, "never reached the crash point"
        time.sleep(0.05)
    kill(process)
    return mark.read_text()


def db_path() -> Path:
    return Path(os.environ["FLOWLOGIC_HOME"]) / "flowlogic.db"


def query(sql: str, *params) -> list[tuple]:
    """Read the database as it is on disk, without opening it the Flow Logic way (which
    would apply migrations)."""
    with sqlite3.connect(db_path()) as conn:
        return conn.execute(sql, params).fetchall()


def assert_database_sound() -> None:
    assert query("PRAGMA integrity_check") == [("ok",)]
    assert query("PRAGMA foreign_key_check") == []


def count(table: str) -> int:
    return query(f"SELECT COUNT(*) FROM {table}")[0][0]


# --- score ------------------------------------------------------------------------------------


def test_kill_during_pose_inference_leaves_nothing_then_scores_once(
    accepted_db, tmp_path, monkeypatch
):
    cache = tmp_path / "fresh-cache"
    monkeypatch.setenv("FLOWLOGIC_CACHE_DIR", str(cache))  # so inference really runs
    env, mark = driver_env(tmp_path, CRASH_AT_FRAME="5")
    run_until_held(["score", str(SAMPLE), "--test", "4", "--json"], env, mark)
    assert_database_sound()
    assert count("assessments") == 0
    assert not [p for p in cache.rglob("*") if p.is_file()]  # no partial landmark file

    again = runner.invoke(app, ["score", str(SAMPLE), "--test", "4", "--json"])
    assert again.exit_code == 0, again.output
    assert count("assessments") == 1 and count("results") == 1
    assert len(list(cache.rglob("*.npz"))) == 1


def test_kill_while_the_attempt_is_written_rolls_it_back_whole(accepted_db, tmp_path):
    env, mark = driver_env(tmp_path, CRASH_AT_SQL=r'^INSERT INTO "results"')
    held = run_until_held(["score", str(SAMPLE), "--test", "4", "--json"], env, mark)
    assert held.startswith('INSERT INTO "results"')  # the assessment row was already inserted
    assert_database_sound()
    for table in ("assessments", "results", "metrics", "flags"):
        assert count(table) == 0, table
    assert query("SELECT COUNT(*) FROM audit_events WHERE event LIKE 'assessment.%'") == [(0,)]

    again = runner.invoke(app, ["score", str(SAMPLE), "--test", "4", "--json"])
    assert again.exit_code == 0, again.output
    assert json.loads(again.stdout)["attempts_left_today"] == 2  # the killed one never counted
    assert count("assessments") == 1 and count("results") == 1
    assert query("SELECT COUNT(DISTINCT assessment_id) FROM metrics") == [(1,)]


# --- batch ------------------------------------------------------------------------------------


def test_kill_during_a_batch_commit_then_resume_counts_each_row_once(accepted_db, tmp_path):
    manifest = tmp_path / "manifest.csv"
    rows = [f"{SAMPLE},{name},4,," for name in ("Ann", "Ben", "Cy")]
    manifest.write_text("video,profile,test,view,date\n" + "\n".join(rows) + "\n")
    command = ["batch", str(manifest), "--workers", "1", "--quiet"]
    held_at = r"UPDATE batch_rows SET status = 'valid'.* AND position = 1$"
    env, mark = driver_env(tmp_path, CRASH_AT_SQL=held_at)
    run_until_held(command, env, mark)
    assert_database_sound()
    assert query("SELECT position, status FROM batch_rows ORDER BY position") == [
        (0, "valid"),
        (1, "pending"),  # its assessment was rolled back with it
        (2, "pending"),
    ]
    assert count("assessments") == 1

    again = runner.invoke(app, command)
    assert again.exit_code == 0, again.output
    assert count("batch_jobs") == 1  # the same job, resumed
    assert query("SELECT COUNT(*) FROM batch_rows WHERE status = 'valid'") == [(3,)]
    per_profile = query("SELECT profile_id, COUNT(*) FROM assessments GROUP BY profile_id")
    assert sorted(n for _, n in per_profile) == [1, 1, 1]


# --- plan regeneration --------------------------------------------------------------------------


def seal_licence(db, tier: str) -> None:
    """The licence cache as `flowlogic licence activate` leaves it after Stripe said
    `tier`, sealed with the secret from FLOWLOGIC_CACHE_SECRET (a subprocess sees the same
    tier; nothing is patched)."""
    from flowlogic.licence import cache, keys

    now = clock.now_utc().replace(microsecond=0)
    record = cache.LicenceRecord(
        status="active",
        subscribed_tier=tier,
        customer_id="cus_crash_test",
        email="holder@example.com",
        subscription_id="sub_crash_test",
        period_end=now + timedelta(days=30),
        verified_at=now,
    )
    cache.write(db, record, keys.cache_secret(create=False))


def test_kill_during_plan_regeneration_keeps_the_old_version(accepted_db, tmp_path, monkeypatch):
    from flowlogic import plans, tiers
    from tests.plan_helpers import free_battery

    monkeypatch.setenv("FLOWLOGIC_CACHE_SECRET", CACHE_SECRET)
    seal_licence(accepted_db, "pro")
    assert tiers.current_tier(accepted_db).key == "pro"
    who = profiles.active(accepted_db)
    free_battery(accepted_db, who.id, clock.today())
    first, _ = plans.ensure_current_plan(accepted_db, who.id, today=clock.today())
    items_before = count("plan_items")

    env, mark = driver_env(tmp_path, CRASH_AT_SQL=r'^INSERT INTO "plan_items"')
    run_until_held(["plan", "regenerate", "--json"], env, mark)
    assert_database_sound()
    assert query("SELECT version, status FROM plans") == [(first.version, "active")]
    assert count("plan_items") == items_before
    assert query("SELECT COUNT(*) FROM calendar_tasks WHERE status = 'superseded'") == [(0,)]

    again = runner.invoke(app, ["plan", "regenerate", "--json"])
    assert again.exit_code == 0, again.output
    assert query("SELECT version, status FROM plans ORDER BY version") == [
        (first.version, "superseded"),
        (first.version + 1, "active"),
    ]


# --- migrations ---------------------------------------------------------------------------------


def database_at_an_older_version(version: int) -> None:
    """A database migrated only up to `version`, with a profile and an attempt in it."""
    db = open_db(db_path(), apply_migrations=False)
    migrate(db, "2026-01-01T00:00:00+00:00", target=version)
    db.execute(
        "INSERT INTO profiles (id, name, created_at) VALUES (1, 'Ann', '2026-01-01T00:00:00+00:00')"
    )
    db.execute(
        "INSERT INTO assessments (profile_id, test_id, test_slug, status, created_at, "
        "local_date) VALUES (1, 4, 'overhead-squat', 'invalid', '2026-01-01T09:00:00+00:00', "
        "'2026-01-01')"
    )
    db.conn.close()


def applied_versions() -> list[int]:
    return [v for (v,) in query("SELECT version FROM schema_migrations ORDER BY version")]


def assert_migrated_whole_with_data() -> None:
    db = open_db()  # the next run: applies what is left
    assert [v for (v,) in db.execute("SELECT version FROM schema_migrations")] == list(
        range(1, latest_version() + 1)
    )
    db.conn.close()
    assert_database_sound()
    assert query("SELECT name FROM profiles") == [("Ann",)]
    assert count("assessments") == 1


def test_kill_in_the_middle_of_a_migration_rolls_that_migration_back(tmp_path):
    older = latest_version() - 2
    database_at_an_older_version(older)
    env, mark = driver_env(tmp_path, CRASH_AT_SQL=r"^INSERT INTO schema_migrations")
    held = run_until_held(["profile", "list", "--json"], env, mark)
    assert f"VALUES ({older + 1}," in held  # its tables were created, not yet committed
    assert_database_sound()
    assert applied_versions() == list(range(1, older + 1))
    assert_migrated_whole_with_data()


def statements_to_migrate(older: int, monkeypatch) -> int:
    """How many SQL statements `open_db` runs on a database at `older`, up to and
    including the commit of the last migration."""
    database_at_an_older_version(older)
    seen: list[str] = []
    connect = sqlite3.connect

    def traced(*args, **kwargs):
        conn = connect(*args, **kwargs)
        conn.set_trace_callback(seen.append)
        return conn

    with monkeypatch.context() as patch:
        patch.setattr(sqlite3, "connect", traced)
        open_db().conn.close()
    remove_database()
    return max(i for i, sql in enumerate(seen, 1) if sql == "COMMIT")


def remove_database() -> None:
    for leftover in db_path().parent.glob("flowlogic.db*"):
        leftover.unlink()


def test_migrations_killed_at_random_statements_always_recover(tmp_path, monkeypatch):
    """Eight kills, each just before a statement picked at random (seeded) among those
    opening the database runs; each time the next run finishes the job."""
    older = latest_version() - 3
    last = statements_to_migrate(older, monkeypatch)
    picks = sorted(random.Random(8).sample(range(1, last + 1), 8))
    applied_at_kill = []
    for pick in picks:
        database_at_an_older_version(older)
        env, mark = driver_env(tmp_path, CRASH_AT_COUNT=str(pick))
        run_until_held(["profile", "list", "--json"], env, mark)
        applied_at_kill.append(len(applied_versions()))
        assert_database_sound()
        assert older <= applied_at_kill[-1] < latest_version()
        assert_migrated_whole_with_data()
        remove_database()
    assert len(set(applied_at_kill)) > 1  # the kills landed in different migrations


# --- a full disk --------------------------------------------------------------------------------


def test_a_full_disk_while_writing_a_report_keeps_the_previous_one(
    accepted_db, tmp_path, monkeypatch
):
    out = tmp_path / "reports"
    scored = runner.invoke(app, ["score", str(SAMPLE), "--test", "4", "--json"])
    assessment = str(json.loads(scored.stdout)["assessment_id"])
    first = runner.invoke(app, ["report", assessment, "--out", str(out), "--format", "pdf"])
    assert first.exit_code == 0, first.output
    (report,) = out.iterdir()
    kept = report.read_bytes()
    rows_before = {t: count(t) for t in ("assessments", "results", "audit_events")}

    real_fdopen = os.fdopen

    class FullDisk:
        """A file whose every write fails as on a full disk."""

        def __init__(self, stream):
            self.stream = stream

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            self.stream.close()

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    with monkeypatch.context() as patch:
        patch.setattr(os, "fdopen", lambda fd, *a, **k: FullDisk(real_fdopen(fd, *a, **k)))
        failed = runner.invoke(app, ["report", assessment, "--out", str(out), "--format", "pdf"])

    assert failed.exit_code == 1
    lines = [line for line in failed.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "disk is full" in lines[0], failed.stderr
    assert list(out.iterdir()) == [report]  # no temporary file left behind
    assert report.read_bytes() == kept
    assert {t: count(t) for t in rows_before} == rows_before


def noisy_clip(path: Path, frames: int = 45) -> Path:
    """640x480 random noise: about 4 MB as MP4, far beyond the file-size limit below."""
    import cv2

    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"mp4v"), 30.0, (640, 480))
    pixels = np.random.default_rng(8)
    for _ in range(frames):
        writer.write(pixels.integers(0, 255, (480, 640, 3), dtype=np.uint8))
    writer.release()
    return path


def test_a_full_disk_while_recording_fails_cleanly_and_keeps_earlier_recordings(
    accepted_db, tmp_path
):
    from tests.media import solid_frames, write_video

    small = write_video(tmp_path / "small.mp4", solid_frames(20), fps=30.0)
    env, _ = driver_env(tmp_path, FAST_RECORD="1")
    earlier = subprocess.run(
        [sys.executable, "-c", DRIVER, "record", "4", "--camera", str(small), "--json"],
        env=env,
        capture_output=True,
        timeout=600,
    )
    assert earlier.returncode == 3, earlier.stderr  # a grey clip: stored, gates not met
    (kept,) = (Path(os.environ["FLOWLOGIC_HOME"]) / "videos").iterdir()
    kept_bytes = kept.read_bytes()
    query("PRAGMA wal_checkpoint(TRUNCATE)")  # the database's own writes stay small

    env, _ = driver_env(tmp_path, FAST_RECORD="1", CRASH_FSIZE=str(400 * 1024))
    clip = noisy_clip(tmp_path / "noise.mp4")
    full = subprocess.run(
        [sys.executable, "-c", DRIVER, "record", "4", "--camera", str(clip), "--json"],
        env=env,
        capture_output=True,
        timeout=600,
    )
    assert full.returncode == 1, full.stderr
    error = json.loads(full.stdout)["error"]
    assert error["code"] == "WRITE_FAILED" and "disk" in error["message"]
    assert "\n" not in error["message"] and b"Traceback" not in full.stderr
    assert list(kept.parent.iterdir()) == [kept]  # no partial video
    assert kept.read_bytes() == kept_bytes
    assert_database_sound()
    assert query("SELECT video_path FROM assessments") == [(str(kept),)]


@pytest.mark.parametrize("damage", ["empty", "truncated"])
def test_a_damaged_landmark_file_is_rebuilt_not_trusted(damage, accepted_db, tmp_path, monkeypatch):
    """A crash or power cut can leave a cached landmark file empty or cut short (the
    rename was on disk, the data not yet): the next run rebuilds it."""
    from flowlogic.capture.probe import probe
    from flowlogic.pose.pipeline import AnalysisOptions, analyse, cache_path, default_model_id
    from flowlogic.pose.track import PoseTrack

    whole, _ = analyse(probe(SAMPLE))  # from the shared cache
    monkeypatch.setenv("FLOWLOGIC_CACHE_DIR", str(tmp_path / "cache"))
    path = cache_path(probe(SAMPLE).sha256, AnalysisOptions(), default_model_id())
    whole.save(path)
    data = path.read_bytes()
    path.write_bytes(b"" if damage == "empty" else data[: len(data) // 2])

    result = runner.invoke(app, ["score", str(SAMPLE), "--test", "4", "--json"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["video"]["landmarks_from_cache"] is False
    assert PoseTrack.load(path).frames == whole.frames
