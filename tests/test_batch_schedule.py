"""The batch hands the costliest videos to the workers first, within a bounded look-ahead,
and still commits rows in manifest order."""

from __future__ import annotations

from concurrent.futures import Future
from datetime import date
from pathlib import Path

import pytest

from flowlogic.batch import runner
from flowlogic.batch.inputs import BatchRow
from flowlogic.batch.schedule import (
    DECODE_MS_PER_MEGAPIXEL,
    POSE_MS_PER_FRAME,
    CostEstimates,
    estimated_cost,
    pick_next,
)
from flowlogic.batch.worker import Task, TaskResult
from tests.media import solid_frames, write_video


def _row(position: int, video: Path = Path("x.mp4")) -> BatchRow:
    return BatchRow(position, position + 2, video, "Ann", 4, None, date(2026, 1, 5))


def test_cost_counts_analysed_frames_and_decoded_pixels(tmp_path):
    thirty = write_video(tmp_path / "a30.mp4", solid_frames(60, (320, 240)), fps=30.0)
    sixty = write_video(tmp_path / "a60.mp4", solid_frames(60, (320, 240)), fps=60.0)
    large = write_video(tmp_path / "big30.mp4", solid_frames(60, (640, 480)), fps=30.0)
    decode = 60 * 320 * 240 / 1e6 * DECODE_MS_PER_MEGAPIXEL
    assert estimated_cost(thirty) == 60 * POSE_MS_PER_FRAME + decode
    # a 60 fps clip is analysed at 30: half the pose work, every frame still decoded
    assert estimated_cost(sixty) == 30 * POSE_MS_PER_FRAME + decode
    assert estimated_cost(large) - estimated_cost(thirty) == pytest.approx(3 * decode)


def test_cost_of_unreadable_input_and_image_folders(tmp_path):
    assert estimated_cost(tmp_path / "missing.mp4") == 0.0
    (tmp_path / "junk.mp4").write_bytes(b"not a video")
    assert estimated_cost(tmp_path / "junk.mp4") == 0.0
    folder = tmp_path / "frames"
    folder.mkdir()
    for index in range(3):
        (folder / f"{index:03d}.jpg").write_bytes(b"")
    assert estimated_cost(folder) == 3 * POSE_MS_PER_FRAME


def test_pick_next_takes_the_costliest_row_within_the_limit():
    rows = [_row(i) for i in range(5)]
    cost = {0: 5.0, 1: 9.0, 2: 9.0, 3: 1.0, 4: 50.0}
    rank = {r.position: r.position for r in rows}
    pick = lambda limit: pick_next(rows, lambda r: cost[r.position], rank, limit)  # noqa: E731
    assert pick(5).position == 4
    assert pick(4).position == 1  # row 4 is too far ahead; 1 beats 2 on the tie
    assert pick(1).position == 0
    assert pick(0) is None


def test_costs_are_read_once_and_only_when_asked(tmp_path, monkeypatch):
    asked: list[Path] = []

    def fake_cost(video: Path, max_fps: float = 30.0) -> float:
        asked.append(video)
        return 1.0

    monkeypatch.setattr("flowlogic.batch.schedule.estimated_cost", fake_cost)
    estimates = CostEstimates()
    row = _row(0, tmp_path / "a.mp4")
    assert estimates(row) == estimates(row) == 1.0
    assert asked == [tmp_path / "a.mp4"]


class RecordingExecutor:
    """Runs nothing: records the order rows are handed out and finishes them one at a time
    (oldest first), each as an unreadable result, so the coordinator can commit them."""

    workers = 2
    window = 4

    def __init__(self) -> None:
        self.submitted: list[int] = []
        self.held_peak = 0
        self._pending: list[tuple[Future, Task]] = []

    def submit(self, task: Task) -> Future:
        future: Future = Future()
        self.submitted.append(task.position)
        self._pending.append((future, task))
        return future

    def finished(self, futures):
        future, task = self._pending.pop(0)
        future.set_result(TaskResult(task.position, "unreadable", "FAKE: not run"))
        yield future

    def result(self, future: Future) -> TaskResult:
        return future.result()

    def close(self) -> None:
        pass


def test_longest_first_dispatch_commits_in_row_order_without_starving(
    accepted_db, tmp_path, monkeypatch
):
    count = 40
    videos = []
    for index in range(count):
        video = tmp_path / f"clip{index:02d}.mp4"
        video.write_bytes(f"clip {index}".encode())  # distinct content: nothing skipped
        videos.append(video)
    # the first row is the cheapest, later rows cost more and more
    monkeypatch.setattr(
        "flowlogic.batch.schedule.estimated_cost",
        lambda video, max_fps=30.0: float(videos.index(Path(video))),
    )
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(
        "video,profile,test,view,date\n" + "".join(f"{v.name},Ann,4,,2026-01-05\n" for v in videos)
    )
    executor = RecordingExecutor()
    committed: list[int] = []

    def on_event(kind: str, data: dict) -> None:
        if kind == "row":
            committed.append(data["row"].position)

    report = runner.run_batch(manifest, lambda: executor, db=accepted_db, on_event=on_event)
    lookahead = max(runner.LOOKAHEAD_ROWS, executor.window * 2)
    # the first rows handed out are the costliest within reach of row 0, not rows 0, 1, ...
    assert executor.submitted[:3] == [lookahead - 1, lookahead - 2, lookahead - 3]
    # row 0 is handed out before any row beyond the look-ahead: it is never starved
    assert executor.submitted.index(0) < min(
        executor.submitted.index(p) for p in range(lookahead, count)
    )
    assert sorted(executor.submitted) == list(range(count))  # each row exactly once
    assert committed == list(range(count))  # commits stay in manifest order
    assert [row["status"] for row in report.rows] == ["unreadable"] * count
