"""Which row a batch hands to the next free worker: the longest job first.

Rows are committed strictly in row order (runner.py), but they may be computed in any
order. Handing the workers the costliest videos first ("longest processing time first")
keeps every worker busy to the end: in manifest order, a long clip that comes last
leaves the other workers idle while it runs (on the benchmark's 10 clips, 7 s of one
idle core). The choice looks only a bounded number of rows past the row the coordinator
waits for, so results held for committing stay few and a short row is never starved.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from pathlib import Path

from flowlogic.batch.inputs import BatchRow
from flowlogic.capture.probe import image_files, video_header
from flowlogic.capture.sources import frame_step
from flowlogic.pose.pipeline import AnalysisOptions

#: measured on the benchmark machine (bench/bench_batch.py): the full pose model costs
#: ~30 ms of one core per analysed frame whatever the frame size; decoding H.264 with one
#: thread ~5.5 ms per megapixel of every source frame (11.7 ms for 1080x1920, 2.7 ms for
#: 1280x720). Only the ratio matters: it orders the jobs.
POSE_MS_PER_FRAME = 30.0
DECODE_MS_PER_MEGAPIXEL = 5.5


def estimated_cost(video: Path, max_fps: float = AnalysisOptions.max_fps) -> float:
    """Rough milliseconds of CPU to analyse `video`, from its header alone (0 when it
    cannot be read: such rows fail fast)."""
    video = Path(video)
    if video.is_dir():
        try:
            return len(image_files(video)) * POSE_MS_PER_FRAME
        except OSError:
            return 0.0
    header = video_header(video)
    if header is None:
        return 0.0
    width, height, fps, frames = header
    analysed = frames / frame_step(fps, max_fps)
    return analysed * POSE_MS_PER_FRAME + frames * width * height / 1e6 * DECODE_MS_PER_MEGAPIXEL


class CostEstimates:
    """`estimated_cost` of each row, read from its header the first time it is asked for
    (a header takes up to ~30 ms to read, so only the rows the scheduler looks at are)."""

    def __init__(self, max_fps: float = AnalysisOptions.max_fps) -> None:
        self.max_fps = max_fps
        self._known: dict[int, float] = {}

    def __call__(self, row: BatchRow) -> float:
        if row.position not in self._known:
            self._known[row.position] = estimated_cost(row.video, self.max_fps)
        return self._known[row.position]


def pick_next(
    queue: Iterable[BatchRow],
    cost: Callable[[BatchRow], float],
    rank: Mapping[int, int],
    limit: int,
) -> BatchRow | None:
    """The costliest queued row whose rank (its place among the rows that need work) is
    below `limit`; the earliest such row on ties; None when no queued row is that close.
    The queue is in rank order, so the look stops at the first row past the limit."""
    best: BatchRow | None = None
    best_cost = 0.0
    for row in queue:
        if rank[row.position] >= limit:
            break
        row_cost = cost(row)
        if best is None or row_cost > best_cost:
            best, best_cost = row, row_cost
    return best
