"""The batch progress bar moves as work finishes, even though rows are committed in row
order and the longest clips are worked on first."""

from __future__ import annotations

from datetime import date
from pathlib import Path

from flowlogic.batch.inputs import BatchRow
from flowlogic.cli.commands_batch import ProgressView


def _row(position: int) -> BatchRow:
    return BatchRow(position, position + 2, Path(f"c{position}.mp4"), "Ann", 4, None, date.today())


def test_bar_counts_each_row_once_when_its_work_is_done():
    view = ProgressView(workers=2)
    view("start", {"total": 4, "done": 0})
    completed = lambda: view.progress.tasks[view.overall].completed  # noqa: E731
    try:
        view("dispatch", {"row": _row(3), "slot": 0})
        view("dispatch", {"row": _row(2), "slot": 1})
        view("computed", {"row": _row(3), "slot": 0})
        assert completed() == 1  # row 3 is done though row 0 is not committed yet
        view("row", {"row": _row(0), "status": "skipped", "reason": ""})  # no work needed
        assert completed() == 2
        view("computed", {"row": _row(2), "slot": 1})
        view("dispatch", {"row": _row(1), "slot": 0})
        view("computed", {"row": _row(1), "slot": 0})
        for position in (1, 2, 3):  # the commits, in row order, count nothing again
            view("row", {"row": _row(position), "status": "valid", "reason": ""})
        assert completed() == 4
    finally:
        view("finish", {"counts": {}})
