"""Benchmark (not a test): the TUI's preview frame rate and the stop-to-result latency of a
recording, with a clip replayed as the camera.

    FLOWLOGIC_HOME=$(mktemp -d) FLOWLOGIC_CACHE_DIR=.pytest_cache/flowlogic-tracks \\
        .venv/bin/python bench/bench_recording.py CLIP [--stop-after S] [--size 120x40]

Runs the real app headless (Textual's Pilot) at the given terminal size: 4 s of preview,
then a recording (stopped with Enter after --stop-after seconds, or at the end of the
clip), and prints frames drawn per second in preview and while recording, the frames
recorded / analysed, and the seconds from the stop to the stored result.
"""

from __future__ import annotations

import argparse
import asyncio
import time
from pathlib import Path

from flowlogic import consent, profiles
from flowlogic.recording import CameraChoice, Phase
from flowlogic.store import open_db
from flowlogic.tui.app import build_app
from flowlogic.tui.screens.result import ResultScreen
from flowlogic.tui.widgets.camera_view import CameraView


async def bench(clip: Path, stop_after: float | None, size: tuple[int, int]) -> dict:
    db = open_db()
    consent.accept(db)
    if not profiles.find(db, "Bench", missing_ok=True):
        profiles.add(db, "Bench")
    profiles.use(db, "Bench")
    app = build_app(camera=CameraChoice.parse(clip))
    numbers: dict = {}
    async with app.run_test(size=size) as pilot:
        await pilot.press("t", "enter", "enter")
        screen = app.screen
        recorder = screen.recorder
        while recorder.phase is not Phase.PREVIEW:
            await pilot.pause(0.05)
        view = screen.query_one(CameraView)
        await pilot.pause(1.0)  # the model loads
        start, shown = time.monotonic(), view.frames_shown
        await pilot.pause(4.0)
        numbers["preview_fps"] = (view.frames_shown - shown) / (time.monotonic() - start)
        await pilot.press("enter")
        while recorder.phase in (Phase.PREVIEW, Phase.COUNTDOWN):
            await pilot.pause(0.02)
        start, shown = time.monotonic(), view.frames_shown
        if stop_after is not None:
            deadline = time.monotonic() + stop_after
            while recorder.phase is Phase.RECORDING and time.monotonic() < deadline:
                await pilot.pause(0.02)
            if recorder.phase is Phase.RECORDING:  # a short clip may have ended by itself
                await pilot.press("enter")
        while recorder.phase is Phase.RECORDING:
            await pilot.pause(0.02)
        numbers["recording_fps"] = (view.frames_shown - shown) / (time.monotonic() - start)
        state = recorder.state()
        numbers["frames_recorded"] = state.frames_recorded
        numbers["analysed_at_stop"] = state.frames_analysed
        while not isinstance(app.screen, ResultScreen):
            await pilot.pause(0.02)
        numbers["stop_to_result_s"] = recorder.stop_to_result_s
        numbers["stop_to_result_screen_s"] = time.monotonic() - recorder.stop_time
        numbers["status"] = recorder.outcome.status
        numbers["score"] = recorder.outcome.result.score if recorder.outcome.result else None
    return numbers


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("clip", type=Path)
    parser.add_argument("--stop-after", type=float, default=None)
    parser.add_argument("--size", default="120x40")
    args = parser.parse_args()
    width, height = (int(v) for v in args.size.split("x"))
    numbers = asyncio.run(bench(args.clip, args.stop_after, (width, height)))
    for key, value in numbers.items():
        print(f"{key:26} {value:.2f}" if isinstance(value, float) else f"{key:26} {value}")


if __name__ == "__main__":
    main()
