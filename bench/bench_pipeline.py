"""`make bench`: speed of decode + pose + scoring, against a plain per-frame loop.

For each clip: (1) the plain loop most projects write — read every frame, run MediaPipe,
compute a knee angle; (2) our pipeline (decode-ahead thread, frame thinning to 30 fps,
large frames scaled down, quality gates, scoring) with an empty cache; (3) a cached
rescore (landmarks from the cache, gates + scoring only). Frames per second are source
frames covered per wall-clock second. Nothing here is asserted: it is a measurement.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOOTAGE = Path(os.environ.get("FLOWLOGIC_FOOTAGE", ROOT.parent / "shared" / "footage"))
CLIPS = [
    (ROOT / "data/samples/pose_squats.mp4", "overhead-squat"),
    (FOOTAGE / "overhead_squat/ohsquat_IMG7026_side.mov", "overhead-squat"),
    (FOOTAGE / "squat/nowva_goblet_squat_front.mp4", "overhead-squat"),
    (FOOTAGE / "squat/barbell_back_squat_front_gym.mp4", "overhead-squat"),
]


def plain_loop(path: Path) -> tuple[int, float]:
    """Read every frame, run pose, compute the left knee angle."""
    import cv2
    import mediapipe as mp
    import numpy as np

    start = time.perf_counter()
    pose = mp.solutions.pose.Pose(model_complexity=1)
    capture = cv2.VideoCapture(str(path))
    frames = 0
    while True:
        ok, frame = capture.read()
        if not ok:
            break
        frames += 1
        result = pose.process(cv2.cvtColor(frame, cv2.COLOR_BGR2RGB))
        if result.pose_landmarks:
            p = result.pose_landmarks.landmark
            a, b, c = (np.array([p[i].x, p[i].y]) for i in (23, 25, 27))
            u, v = a - b, c - b
            np.degrees(np.arccos(np.dot(u, v) / (np.linalg.norm(u) * np.linalg.norm(v))))
    pose.close()
    return frames, time.perf_counter() - start


def our_pipeline(path: Path, test: str, use_cache: bool) -> tuple[int, float]:
    from flowlogic.assess import resolve_view
    from flowlogic.capture.probe import Limits, probe
    from flowlogic.catalog import find_test
    from flowlogic.pose.pipeline import analyse
    from flowlogic.quality.gates import run_quality_checks
    from flowlogic.scoring.registry import scorer_for

    spec = find_test(test)
    start = time.perf_counter()
    info = probe(path, Limits(max_duration_s=600, max_size_mb=500))
    track, _ = analyse(info, use_cache=use_cache)
    view = resolve_view(None, spec, track)
    if run_quality_checks(track, spec, view).passed:
        scorer_for(spec)(track, spec, view)
    return info.frames, time.perf_counter() - start


def main() -> int:
    from rich.console import Console
    from rich.table import Table

    from flowlogic.pose.quiet import native_logs_to_file

    clips = [(p, t) for p, t in CLIPS if p.exists()]
    if len(clips) < len(CLIPS):
        print(f"(shared footage not found at {FOOTAGE}: benchmarking the bundled sample only)")
    table = Table(
        title="Flow Logic pipeline benchmark (source frames per second, higher is better)"
    )
    for column in (
        "clip",
        "frames",
        "size",
        "plain loop fps",
        "our pipeline fps",
        "speed-up",
        "cached rescore",
        "rescore vs first run",
    ):
        table.add_column(column, justify="right" if column != "clip" else "left")
    with tempfile.TemporaryDirectory() as home:
        os.environ["FLOWLOGIC_HOME"] = home
        os.environ["FLOWLOGIC_CACHE_DIR"] = str(Path(home) / "cache")
        for path, test in clips:
            import cv2

            capture = cv2.VideoCapture(str(path))
            size = f"{int(capture.get(3))}x{int(capture.get(4))}@{capture.get(5):.0f}"
            capture.release()
            with native_logs_to_file():
                frames, plain_s = plain_loop(path)
                _, first_s = our_pipeline(path, test, use_cache=True)
                _, cached_s = our_pipeline(path, test, use_cache=True)
            table.add_row(
                path.name,
                str(frames),
                size,
                f"{frames / plain_s:.1f}",
                f"{frames / first_s:.1f}",
                f"{plain_s / first_s:.2f}×",
                f"{cached_s * 1000:.0f} ms",
                f"{first_s / cached_s:.0f}× faster",
            )
    Console().print(table)
    print(
        "plain loop = read every frame + MediaPipe + a knee angle; our pipeline = probe + "
        "hash + decode-ahead + pose (≤30 fps, ≤1280 px) + gates + scoring, empty cache."
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
