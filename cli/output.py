"""Printing for the CLI: Rich for people, JSON for scripts, one-line errors, exit codes."""

from __future__ import annotations

import functools
import json
import os
import sys
import traceback
from collections.abc import Callable
from typing import Any, TypeVar

import typer
from rich.console import Console
from rich.file_proxy import FileProxy
from rich.markup import escape

from flowlogic import paths
from flowlogic.errors import FlowLogicError

F = TypeVar("F", bound=Callable[..., Any])

console = Console(highlight=False, soft_wrap=False)


class _TerminalStderr:
    """Writes to a duplicate of the real stderr, so progress and errors still reach the
    terminal while MediaPipe's native logs are redirected (see flowlogic.pose.quiet).
    When sys.stderr has been replaced (tests, captured runs) it writes there instead."""

    def __init__(self) -> None:
        self._dup = None
        try:
            if sys.__stderr__ is not None:
                self._dup = os.fdopen(
                    os.dup(sys.__stderr__.fileno()),
                    "w",
                    buffering=1,
                    encoding="utf-8",
                    errors="replace",
                )
        except (AttributeError, OSError, ValueError):
            self._dup = None

    def _target(self):
        target = sys.stderr
        # a Rich progress display replaces sys.stderr with a proxy that prints through
        # this very console: writing there would come straight back here, forever
        while isinstance(target, FileProxy):
            target = target.rich_proxied_file
        if self._dup is not None and target is sys.__stderr__:
            return self._dup
        return target

    def write(self, text: str) -> int:
        return self._target().write(text)

    def flush(self) -> None:
        self._target().flush()

    def isatty(self) -> bool:
        try:
            return self._target().isatty()
        except (AttributeError, ValueError):
            return False

    def fileno(self) -> int:
        return self._target().fileno()


err_console = Console(file=_TerminalStderr(), highlight=False)

EXIT_CODES_HELP = (
    "Exit codes: 0 ok/valid result, 1 internal error, 2 usage, 3 quality gate failed, "
    "4 refused (consent, tier, cap), 5 input refused before analysis, "
    "6 Stripe unreachable or a licence request failed."
)


def emit_json(payload: Any) -> None:
    sys.stdout.write(json.dumps(payload, indent=2, default=str) + "\n")
    sys.stdout.flush()


def _log_internal_error() -> str:
    log_file = paths.log_dir() / "errors.log"
    with open(log_file, "a", encoding="utf-8") as handle:
        handle.write(traceback.format_exc())
        handle.write("\n")
    return str(log_file)


def handle_errors(json_flag: str = "json_output") -> Callable[[F], F]:
    """Turn core errors into one clear line (and a JSON error object with --json) and the
    documented exit code; unexpected errors are logged, never shown as a traceback."""

    def decorate(func: F) -> F:
        @functools.wraps(func)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            as_json = bool(kwargs.get(json_flag, False))
            try:
                return func(*args, **kwargs)
            except typer.Exit:
                raise
            except FlowLogicError as error:
                _report(error.code, error.message, error.exit_code, as_json)
                raise typer.Exit(error.exit_code) from None
            except KeyboardInterrupt:
                err_console.print("Stopped.")
                raise typer.Exit(130) from None
            except Exception as error:  # an internal error: log it, say where
                if os.environ.get("FLOWLOGIC_DEBUG"):
                    raise
                where = _log_internal_error()
                _report(
                    "INTERNAL",
                    f"Internal error ({type(error).__name__}); details in {where}",
                    1,
                    as_json,
                )
                raise typer.Exit(1) from None

        return wrapper  # type: ignore[return-value]

    return decorate


def _report(code: str, message: str, exit_code: int, as_json: bool) -> None:
    if as_json:
        emit_json(
            {
                "schema_version": 1,
                "status": "error",
                "error": {"code": code, "message": message, "exit_code": exit_code},
            }
        )
    err_console.print(f"[bold red]Error:[/] {escape(message)}", soft_wrap=True)
