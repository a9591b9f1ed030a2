"""`make bench` (batch part): a coach's batch of real clips, first run vs --rescore.

The first run does one pose pass per clip on a local process pool; the rescore re-judges
every row from the cached landmarks only (no inference). Measurement only.
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
FOOTAGE = Path(os.environ.get("FLOWLOGIC_FOOTAGE", ROOT.parent / "shared" / "footage"))


def main() -> int:
    clips = [
        *sorted((FOOTAGE / "overhead_squat").glob("*.mov")),
        FOOTAGE / "squat/nowva_goblet_squat_front.mp4",
        FOOTAGE / "squat/darebee_squat_side.mp4",
    ]
    clips = [c for c in clips if c.exists()] or [ROOT / "data/samples/pose_squats.mp4"]
    workers = int(os.environ.get("BENCH_WORKERS", "2"))
    with tempfile.TemporaryDirectory() as home:
        os.environ["FLOWLOGIC_HOME"] = home
        os.environ["FLOWLOGIC_CACHE_DIR"] = str(Path(home) / "cache")
        from flowlogic import consent
        from flowlogic.batch.executors import LocalPool
        from flowlogic.batch.runner import run_batch
        from flowlogic.store import open_db

        manifest = Path(home) / "manifest.csv"
        manifest.write_text(
            "video,profile,test,view,date\n"
            + "".join(f"{clip},Client{i % 3},overhead-squat,,\n" for i, clip in enumerate(clips))
        )
        db = open_db()
        consent.accept(db)
        frames = 0
        import cv2

        for clip in clips:
            frames += int(cv2.VideoCapture(str(clip)).get(cv2.CAP_PROP_FRAME_COUNT))
        start = time.perf_counter()
        first = run_batch(manifest, lambda: LocalPool(workers), db=db)
        first_s = time.perf_counter() - start
        start = time.perf_counter()
        rescored = run_batch(manifest, lambda: LocalPool(workers), db=db, rescore=True)
        rescore_s = time.perf_counter() - start
    print(f"batch of {len(clips)} clips ({frames} frames), {workers} workers")
    print(
        f"  first run : {first_s:6.1f} s  ({frames / first_s:.1f} source frames/s)  {first.counts}"
    )
    print(
        f"  --rescore : {rescore_s:6.2f} s  ({first_s / rescore_s:.0f}× faster, no inference) "
        f"{rescored.counts}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
