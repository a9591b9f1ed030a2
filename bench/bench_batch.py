"""`make bench` (batch part): a coach's batch of real clips, measured five ways.

    .venv/bin/python bench/bench_batch.py [--skip-dask] [--repeat N] [--only naive,pool2]

On the same clips (the shared footage's overhead squats, two other squats and a 60 fps
gym clip; the bundled sample when the footage is absent):

- naive loop: one process, a fresh MediaPipe per video, every frame, no cache;
- `flowlogic batch` on a local process pool with 1 and with 2 workers (empty cache);
- the same on a Dask LocalCluster with 2 worker processes;
- `--rescore` after the 2-worker run (cached landmarks only).

Prints videos a minute, source frames a second, the CPU time all its processes used
(and so how many of the cores were busy on average) and the peak memory of one worker for
each, checks that every way gives the same row outcomes, and measures one worker's peak
memory on the shortest and on the longest clip alone (it should not grow with the
video's length). Each way runs in a fresh subprocess, so peak memory is its own.
With `--repeat N` every way runs N times, interleaved, and the median is reported (`make
bench` uses 3): the speed of a shared virtual machine drifts between runs.
Measurement only, never a test.
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOOTAGE = Path(os.environ.get("FLOWLOGIC_FOOTAGE", ROOT.parent / "shared" / "footage"))


def bench_clips() -> list[Path]:
    clips = [
        *sorted((FOOTAGE / "overhead_squat").glob("*.mov")),
        FOOTAGE / "squat/nowva_goblet_squat_front.mp4",
        FOOTAGE / "squat/darebee_squat_side.mp4",
        FOOTAGE / "squat/barbell_back_squat_front_gym.mp4",  # 60 fps
    ]
    return [c for c in clips if c.exists()] or [ROOT / "data/samples/pose_squats.mp4"]


def frame_count(clip: Path) -> int:
    from flowlogic.capture.probe import video_header

    header = video_header(clip)
    return header[3] if header else 0


def peak_mb(who: int) -> float:
    return resource.getrusage(who).ru_maxrss / 1024  # Linux reports kB


def cpu_seconds(who: int) -> float:
    """CPU time (user + system) used so far by this process, or by its ended children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


# -- the ways, each run in its own subprocess ------------------------------------------------


def naive(clips: list[Path]) -> dict:
    import cv2
    import mediapipe as mp

    start, cpu_start = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)
    for clip in clips:
        pose = mp.solutions.pose.Pose(model_complexity=1)
        capture = cv2.VideoCapture(str(clip))
        while True:
            ok, frame = capture.read()
            if not ok:
                break
            pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        capture.release()
        pose.close()
    return {
        "seconds": time.perf_counter() - start,
        "cpu_seconds": cpu_seconds(resource.RUSAGE_SELF) - cpu_start,
        "peak_mb": peak_mb(resource.RUSAGE_SELF),
    }


def outcomes(report) -> list[list]:
    return [
        [Path(r["video"]).name, r["status"], r["bucket"], r["score"], r["flags"]]
        for r in sorted(report.rows, key=lambda r: r["line"])
    ]


def batch(clips: list[Path], way: str) -> dict:
    home = Path(tempfile.mkdtemp(prefix="flowlogic-bench-"))
    os.environ["FLOWLOGIC_HOME"] = str(home)
    os.environ["FLOWLOGIC_CACHE_DIR"] = str(home / "cache")
    from flowlogic import consent
    from flowlogic.batch.executors import DaskCluster, LocalPool
    from flowlogic.batch.runner import run_batch
    from flowlogic.store import open_db

    manifest = home / "manifest.csv"
    manifest.write_text(
        "video,profile,test,view,date\n"
        + "".join(f"{clip},Client {i},overhead-squat,,\n" for i, clip in enumerate(clips))
    )
    db = open_db()
    consent.accept(db)
    numbers: dict = {}
    if way == "dask2":
        from distributed import Client, LocalCluster

        with (
            LocalCluster(n_workers=2, threads_per_worker=1, processes=True) as cluster,
            Client(cluster) as client,
        ):
            # the workers are already running: their CPU during the batch only
            workers_cpu = client.run(lambda: cpu_seconds(resource.RUSAGE_SELF))
            start, cpu_start = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)
            report = run_batch(manifest, lambda: DaskCluster("", client=client), db=db)
            numbers["seconds"] = time.perf_counter() - start
            after = client.run(lambda: cpu_seconds(resource.RUSAGE_SELF))
            numbers["cpu_seconds"] = (
                cpu_seconds(resource.RUSAGE_SELF)
                - cpu_start
                + sum(after.values())
                - sum(workers_cpu.values())
            )
            peaks = client.run(lambda: peak_mb(resource.RUSAGE_SELF))
            numbers["peak_mb"] = max(peaks.values())
    else:
        workers = int(way.removeprefix("pool"))
        start, cpu_start = time.perf_counter(), cpu_seconds(resource.RUSAGE_SELF)
        report = run_batch(manifest, lambda: LocalPool(workers), db=db)
        numbers["seconds"] = time.perf_counter() - start
        # the pool has shut down, so its workers (their start included) count as children
        numbers["cpu_seconds"] = (
            cpu_seconds(resource.RUSAGE_SELF) - cpu_start + cpu_seconds(resource.RUSAGE_CHILDREN)
        )
        numbers["peak_mb"] = peak_mb(resource.RUSAGE_CHILDREN)  # the largest worker
        if workers == 2:
            start = time.perf_counter()
            again = run_batch(manifest, lambda: LocalPool(workers), db=db, rescore=True)
            numbers["rescore_seconds"] = time.perf_counter() - start
            numbers["rescore_outcomes"] = outcomes(again)
    numbers["outcomes"] = outcomes(report)
    numbers["counts"] = report.counts
    return numbers


def run_way(way: str, clips: list[Path]) -> dict:
    command = [sys.executable, __file__, "--way", way, *map(str, clips)]
    done = subprocess.run(command, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise SystemExit(f"{way} failed:\n{done.stderr[-2000:]}")
    return json.loads(done.stdout.strip().splitlines()[-1])


# -- the report -----------------------------------------------------------------------------


def median(values: list[float]) -> float:
    ordered = sorted(values)
    middle = len(ordered) // 2
    return ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("--way", help=argparse.SUPPRESS)
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument(
        "--only",
        help="comma-separated ways to run (naive, pool1, pool2, dask2), e.g. naive,pool2",
    )
    parser.add_argument(
        "--repeat",
        type=int,
        default=1,
        help="run every way this many times, interleaved (naive, pool1, ..., naive, ...), "
        "and report the median: a shared virtual machine's speed drifts by 5-20 %% between runs",
    )
    parser.add_argument("clips", nargs="*", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.way:  # a child: one way, JSON on the last line
        result = naive(args.clips) if args.way == "naive" else batch(args.clips, args.way)
        print(json.dumps(result))
        return 0

    from rich.console import Console
    from rich.table import Table

    clips = bench_clips()
    frames = sum(frame_count(c) for c in clips)
    ways = ["naive", "pool1", "pool2", *([] if args.skip_dask else ["dask2"])]
    if args.only:
        ways = [way for way in ways if way in args.only.split(",")]
    if "naive" not in ways or "pool2" not in ways:
        raise SystemExit("the naive loop and 2 workers are always measured (--only naive,pool2,…)")
    runs: dict[str, list[dict]] = {way: [] for way in ways}
    for _ in range(max(1, args.repeat)):
        for way in ways:
            runs[way].append(run_way(way, clips))
    results = {way: {**done[0], "all": [r["seconds"] for r in done]} for way, done in runs.items()}
    for way, numbers in results.items():
        numbers["seconds"] = median(numbers["all"])
        numbers["peak_mb"] = max(r["peak_mb"] for r in runs[way])
        numbers["cpu_seconds"] = median([r["cpu_seconds"] for r in runs[way]])
    rescores = [r["rescore_seconds"] for r in runs["pool2"]]
    results["rescore"] = {
        "seconds": median(rescores),
        "all": rescores,
        "outcomes": results["pool2"]["rescore_outcomes"],
        "peak_mb": None,
    }
    baseline = results["naive"]["seconds"]
    repeats = f", median of {args.repeat} interleaved runs" if args.repeat > 1 else ""
    table = Table(title=f"batch of {len(clips)} real clips, {frames} source frames{repeats}")
    columns = (
        "way",
        "seconds",
        "runs",
        "videos/min",
        "frames/s",
        "vs naive",
        "CPU s",
        "cores busy",
        "peak MB/worker",
    )
    for column in columns:
        table.add_column(column, justify="right" if column != "way" else "left")
    for way, numbers in results.items():
        seconds = numbers["seconds"]
        peak = numbers.get("peak_mb")
        cpu = numbers.get("cpu_seconds")
        table.add_row(
            way,
            f"{seconds:.1f}",
            " ".join(f"{s:.1f}" for s in numbers["all"]),
            f"{len(clips) / seconds * 60:.1f}",
            f"{frames / seconds:.1f}",
            f"{baseline / seconds:.2f}×",
            "—" if cpu is None else f"{cpu:.1f}",
            "—" if cpu is None else f"{cpu / seconds:.2f}",
            "—" if peak is None else f"{peak:.0f}",
        )
    console = Console()
    console.print(table)
    rounds = [
        n["seconds"] / w["seconds"] for n, w in zip(runs["naive"], runs["pool2"], strict=True)
    ]
    console.print(
        "2 workers against the naive loop, round by round: "
        + " ".join(f"{ratio:.2f}×" for ratio in rounds)
    )
    first_batch = next(way for way in ways if way != "naive")
    reference = results[first_batch]["outcomes"]
    same = {
        way: all(r["outcomes"] == reference for r in runs.get(way, [numbers]))
        for way, numbers in results.items()
        if "outcomes" in numbers
    }
    counts = results[first_batch]["counts"]
    console.print(f"row outcomes identical to {first_batch}: {same}; counts {counts}")

    by_length = sorted(clips, key=frame_count)
    short, long = by_length[0], by_length[-1]
    memory = {clip: run_way("pool1", [clip])["peak_mb"] for clip in (short, long)}
    console.print(
        "one worker's peak memory: "
        + "; ".join(f"{c.name} ({frame_count(c)} frames) {mb:.0f} MB" for c, mb in memory.items())
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
