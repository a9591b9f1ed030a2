"""Keep MediaPipe's native (C++) log lines off the user's terminal.

MediaPipe and TensorFlow Lite write warnings straight to file descriptor 2 from C++,
which Python logging cannot filter. While a model runs, descriptor 2 points at
`logs/native.log` instead; Python code that must reach the terminal (progress bars)
writes to its own duplicate of the original stderr, made before any redirect.
Set FLOWLOGIC_DEBUG=1 to see the native output.
"""

from __future__ import annotations

import os
import sys
import threading
from collections.abc import Iterator
from contextlib import contextmanager

from flowlogic import paths

_lock = threading.Lock()
_depth = 0
_saved_fd: int | None = None


@contextmanager
def native_logs_to_file() -> Iterator[None]:
    global _depth, _saved_fd
    if os.environ.get("FLOWLOGIC_DEBUG"):
        yield
        return
    try:
        stderr_fd = sys.__stderr__.fileno() if sys.__stderr__ else 2
    except (AttributeError, OSError, ValueError):
        yield
        return
    with _lock:
        if _depth == 0:
            sys.stderr.flush()
            log = open(paths.log_dir() / "native.log", "ab")  # noqa: SIM115
            _saved_fd = os.dup(stderr_fd)
            os.dup2(log.fileno(), stderr_fd)
            log.close()
        _depth += 1
    try:
        yield
    finally:
        with _lock:
            _depth -= 1
            if _depth == 0 and _saved_fd is not None:
                os.dup2(_saved_fd, stderr_fd)
                os.close(_saved_fd)
                _saved_fd = None
