"""The CLI at a real terminal (a pseudo-terminal): progress displays replace sys.stderr
with a proxy that prints through the console, and the commands must still finish.

Everything else runs the CLI without a terminal, where no progress is drawn; these tests
are the only ones that see what a person at a terminal sees."""

from __future__ import annotations

import os
import pty
import subprocess
import sys
import threading
from pathlib import Path

import pytest

from tests.conftest import SAMPLE

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="needs a POSIX pseudo-terminal")


def run_at_terminal(*args: str, cwd: Path, timeout_s: float = 120) -> tuple[int, str]:
    """Run `flowlogic ARGS` with stdin, stdout and stderr on a pseudo-terminal."""
    controller, terminal = pty.openpty()
    env = {**os.environ, "COLUMNS": "100", "LINES": "30", "TERM": "xterm"}
    process = subprocess.Popen(
        [str(Path(sys.executable).parent / "flowlogic"), *args],  # the installed command
        stdin=terminal,
        stdout=terminal,
        stderr=terminal,
        cwd=cwd,
        env=env,
        close_fds=True,
    )
    os.close(terminal)
    chunks: list[bytes] = []

    def drain() -> None:
        while True:
            try:
                data = os.read(controller, 4096)
            except OSError:  # the terminal closed: the process has exited
                return
            if not data:
                return
            chunks.append(data)

    reader = threading.Thread(target=drain, daemon=True)
    reader.start()
    try:
        code = process.wait(timeout=timeout_s)
    except subprocess.TimeoutExpired:
        process.kill()
        process.wait()
        pytest.fail(f"flowlogic {' '.join(args)} did not finish at a terminal")
    reader.join(timeout=5)
    os.close(controller)
    return code, b"".join(chunks).decode("utf-8", "replace")


def test_score_finishes_and_prints_its_result_at_a_terminal(tmp_path):
    code, _ = run_at_terminal("consent", "--accept", cwd=tmp_path)
    assert code == 0
    code, output = run_at_terminal(
        "score", str(SAMPLE), "--test", "overhead-squat", "--view", "front", cwd=tmp_path
    )
    assert code == 0, output[-2000:]
    assert "Saved as assessment 1" in output


def test_batch_draws_its_progress_and_finishes_at_a_terminal(tmp_path):
    manifest = tmp_path / "manifest.csv"
    manifest.write_text(f"video,profile,test,view,date\n{SAMPLE},Ann,overhead-squat,front,\n")
    code, output = run_at_terminal(
        "batch", str(manifest), "--workers", "1", "--accept-disclaimer", cwd=tmp_path
    )
    assert code == 0, output[-2000:]
    assert "worker 1" in output  # the per-worker progress line was drawn
    assert "valid" in output


def test_record_from_a_replayed_clip_finishes_at_a_terminal(tmp_path):
    code, output = run_at_terminal(
        "record",
        "overhead-squat",
        "--camera",
        str(SAMPLE),
        "--view",
        "front",
        "--accept-disclaimer",
        cwd=tmp_path,
    )
    assert code == 0, output[-2000:]
    assert "Saved as assessment 1" in output
