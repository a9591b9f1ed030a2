"""Flow Logic core: capture, pose, quality gates, scoring and history.

This package never imports Typer or Textual; the CLI (`flowlogic.cli`) and the
TUI (`flowlogic.tui`) are thin shells over it.
"""

__version__ = "0.1.0"
