"""Coach batch processing on real clips: every row's outcome, resume after kill -9 without
doubles, rescoring from cached landmarks only, caps per row date, and a Dask LocalCluster
giving the same results as the process pool."""

from __future__ import annotations

import json
import os
import signal
import sqlite3
import subprocess
import sys
import time
from pathlib import Path

import pytest
from typer.testing import CliRunner

from flowlogic.batch.executors import DaskCluster, LocalPool
from flowlogic.batch.inputs import read_manifest
from flowlogic.batch.runner import run_batch
from flowlogic.cli.app import app
from flowlogic.errors import UsageError
from tests.conftest import FOOTAGE, SAMPLE

runner = CliRunner()
OHS = FOOTAGE / "overhead_squat"


def _needs_footage():
    if not OHS.is_dir():
        pytest.skip(f"shared footage folder {FOOTAGE} is absent")


def _manifest(tmp_path: Path, rows: list[str]) -> Path:
    path = tmp_path / "manifest.csv"
    path.write_text("video,profile,test,view,date\n" + "\n".join(rows) + "\n")
    return path


def _statuses(report) -> list[str]:
    return [row["status"] for row in report.rows]


def test_manifest_errors_listed_with_line_numbers_before_any_work(tmp_path):
    path = _manifest(
        tmp_path,
        [
            f"{SAMPLE},Ann,overhead-squat,front,2026-01-05",
            f"{SAMPLE},Ann,no-such-test,front,2026-01-05",
            f"{SAMPLE},Ann,4,sideways,2026-01-05",
            f"{SAMPLE},../evil,4,front,2026-01-05",
            f"{SAMPLE},Ann,4,front,05/01/2026",
        ],
    )
    with pytest.raises(UsageError) as error:
        read_manifest(path)
    for line in (3, 4, 5, 6):
        assert f"line {line}" in error.value.message
    assert "line 2" not in error.value.message
    result = runner.invoke(app, ["batch", str(path), "--accept-disclaimer"])
    assert result.exit_code == 2
    from flowlogic.store import open_db

    assert open_db()["assessments"].count == 0


def test_missing_columns(tmp_path):
    path = tmp_path / "m.csv"
    path.write_text("video,test\nx.mp4,4\n")
    result = runner.invoke(app, ["batch", str(path)])
    assert result.exit_code == 2 and "missing column" in result.stderr


def test_every_row_outcome_and_rerun_skips(accepted_db, tmp_path):
    _needs_footage()
    empty = tmp_path / "empty.mp4"
    empty.write_bytes(b"")
    path = _manifest(
        tmp_path,
        [
            f"{SAMPLE},Ann,overhead-squat,front,2026-01-05",  # valid
            f"{FOOTAGE}/squat/barbell_back_squat_front_gym.mp4,Ann,4,,2026-01-05",  # invalid: dark
            f"{FOOTAGE}/plank_pushup/forearm_plank_side.mp4,Ben,plank-endurance,side,2026-01-05",
            f"{empty},Ben,4,,2026-01-05",  # unreadable
            f"{FOOTAGE}/balance/howcast_tree_pose_front.mp4,Cy,7,front,2026-01-05",  # too long
            f"{SAMPLE},Ann,overhead-squat,front,2026-01-05",  # same video again
        ],
    )
    report = run_batch(path, None, db=accepted_db)
    assert report.created_profiles == ["Ann", "Ben", "Cy"]
    assert _statuses(report) == [
        "valid",
        "invalid",
        "refused",
        "unreadable",
        "unreadable",
        "skipped",
    ]
    assert "BAD_LIGHTING" in report.rows[1]["reason"]
    assert "LOCKED_BY_TIER" in report.rows[2]["reason"]
    assert "TOO_LONG" in report.rows[4]["reason"]
    assert accepted_db["assessments"].count == 2  # refused/unreadable/skipped are not attempts
    again = run_batch(path, None, db=accepted_db)
    assert again.job_id != report.job_id
    assert _statuses(again)[:2] == ["skipped", "skipped"]
    assert accepted_db["assessments"].count == 2


def test_daily_attempt_cap_uses_the_row_date(accepted_db, tmp_path):
    _needs_footage()
    clips = [
        "ohsquat_IMG7026_side.mov",
        "ohsquat_IMG7027_front.mov",
        "ohsquat_IMG7029_front.mov",
        "ohsquat_IMG7054_front.mov",
    ]
    rows = [f"{OHS / clip},Ann,4,,2026-01-05" for clip in clips]
    rows.append(f"{SAMPLE},Ann,4,front,2026-01-06")  # next day: allowed again
    report = run_batch(_manifest(tmp_path, rows), None, db=accepted_db)
    assert _statuses(report) == ["valid", "valid", "valid", "refused", "valid"]
    assert "DAILY_ATTEMPT_CAP" in report.rows[3]["reason"]


def test_rescore_uses_cached_landmarks_only(accepted_db, tmp_path, monkeypatch):
    _needs_footage()
    monkeypatch.setenv("FLOWLOGIC_CACHE_DIR", str(tmp_path / "cache"))
    path = _manifest(
        tmp_path,
        [
            f"{OHS / 'ohsquat_IMG7026_side.mov'},Ann,4,side,2026-01-05",
            f"{SAMPLE},Ann,4,front,2026-01-05",
        ],
    )
    first = run_batch(path, None, db=accepted_db)
    assert _statuses(first) == ["valid", "valid"]
    rescored = run_batch(path, None, db=accepted_db, rescore=True)
    assert _statuses(rescored) == ["valid", "valid"]
    assert [r["assessment_id"] for r in rescored.rows] == [r["assessment_id"] for r in first.rows]
    assert accepted_db["assessments"].count == 2  # not new attempts
    # without cached landmarks a rescore refuses to run inference
    for cached in (tmp_path / "cache").rglob("*.npz"):
        cached.unlink()
    blind = run_batch(path, None, db=accepted_db, rescore=True)
    assert all("NOT_CACHED" in r["reason"] for r in blind.rows)


def test_folder_convention(accepted_db, tmp_path):
    folder = tmp_path / "clients"
    (folder / "Dee" / "overhead-squat").mkdir(parents=True)
    (folder / "Dee" / "overhead-squat" / "monday_front.mp4").write_bytes(SAMPLE.read_bytes())
    report = run_batch(folder, None, db=accepted_db)
    assert report.created_profiles == ["Dee"]
    assert report.rows[0]["status"] == "valid" and report.rows[0]["view"] == "front"


def _count(db_path: Path, sql: str) -> int:
    with sqlite3.connect(db_path) as conn:
        return conn.execute(sql).fetchone()[0]


def test_kill_minus_nine_then_resume_without_doubles(tmp_path, flowlogic_home, monkeypatch):
    """A real `flowlogic batch` process is killed with SIGKILL mid-run; the same command
    then finishes the job and nothing is counted twice."""
    _needs_footage()
    monkeypatch.setenv("FLOWLOGIC_CACHE_DIR", str(tmp_path / "fresh-cache"))  # real inference
    clips = sorted(OHS.glob("*.mov"))
    path = _manifest(
        tmp_path, [f"{clip},P{i % 2},4,,2026-01-0{1 + i // 2}" for i, clip in enumerate(clips)]
    )
    command = [
        sys.executable,
        "-m",
        "flowlogic.cli.app",
        "batch",
        str(path),
        "--workers",
        "2",
        "--quiet",
        "--accept-disclaimer",
    ]
    env = dict(os.environ)
    process = subprocess.Popen(command, env=env, start_new_session=True)
    db_path = flowlogic_home / "flowlogic.db"
    deadline = time.time() + 300
    while time.time() < deadline:
        time.sleep(0.5)
        try:
            if _count(db_path, "SELECT COUNT(*) FROM batch_rows WHERE status != 'pending'") >= 2:
                break
        except sqlite3.OperationalError:
            continue
    os.killpg(process.pid, signal.SIGKILL)
    process.wait()
    done_before = _count(db_path, "SELECT COUNT(*) FROM batch_rows WHERE status != 'pending'")
    assert 0 < done_before < len(clips), "the kill should land mid-run"
    with sqlite3.connect(db_path) as conn:
        assert conn.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    subprocess.run(command, env=env, check=True, timeout=600)
    assert _count(db_path, "SELECT COUNT(*) FROM batch_rows WHERE status = 'pending'") == 0
    assert _count(db_path, "SELECT COUNT(DISTINCT job_id) FROM batch_rows") == 1
    attempts = _count(db_path, "SELECT COUNT(*) FROM assessments")
    distinct = _count(
        db_path, "SELECT COUNT(DISTINCT profile_id || '-' || video_sha256) FROM assessments"
    )
    assert attempts == distinct == len(clips)


def test_dask_local_cluster_matches_process_pool(accepted_db, tmp_path):
    _needs_footage()
    from distributed import Client, LocalCluster

    rows = [
        f"{OHS / c},Ann,4,,2026-01-0{i + 1}"
        for i, c in enumerate(
            ["ohsquat_IMG7026_side.mov", "ohsquat_IMG7027_front.mov", "ohsquat_IMG7033_front.mov"]
        )
    ]
    path = _manifest(tmp_path, rows)
    pooled = run_batch(path, lambda: LocalPool(2), db=accepted_db)
    # a second profile gets the same videos through Dask (same videos, new attempts)
    path_dask = _manifest(
        tmp_path / "d" if (tmp_path / "d").mkdir() is None else tmp_path,
        [r.replace(",Ann,", ",Zed,") for r in rows],
    )
    with (
        LocalCluster(
            n_workers=2, threads_per_worker=1, processes=True, dashboard_address=None
        ) as cluster,
        Client(cluster) as client,
    ):
        dasked = run_batch(
            path_dask, lambda: DaskCluster(cluster.scheduler_address, client=client), db=accepted_db
        )
        profiling = client.run(lambda dask_worker: "profile" in dask_worker.periodic_callbacks)
    assert list(profiling.values()) == [False, False]  # stopped when the batch connected
    keep = ("status", "bucket", "score", "confidence", "flags", "reason")
    assert [{k: r[k] for k in keep} for r in pooled.rows] == [
        {k: r[k] for k in keep} for r in dasked.rows
    ]
    assert json.dumps(pooled.counts) == json.dumps(dasked.counts)
