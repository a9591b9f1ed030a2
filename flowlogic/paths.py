"""Where Flow Logic keeps its files.

Everything lives under one home folder: `FLOWLOGIC_HOME` when set, otherwise the
platform's user data directory (platformdirs). Tests point `FLOWLOGIC_HOME` at a
temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

APP_NAME = "flowlogic"


def home() -> Path:
    override = os.environ.get("FLOWLOGIC_HOME")
    base = Path(override).expanduser() if override else Path(platformdirs.user_data_dir(APP_NAME))
    base.mkdir(parents=True, exist_ok=True)
    return base


def database_path() -> Path:
    return home() / "flowlogic.db"


def landmark_cache_dir() -> Path:
    """Cached pose tracks. `FLOWLOGIC_CACHE_DIR` may move them (tests share one cache
    across temporary homes so real clips are analysed once per machine)."""
    override = os.environ.get("FLOWLOGIC_CACHE_DIR")
    path = Path(override).expanduser() if override else home() / "cache" / "landmarks"
    path.mkdir(parents=True, exist_ok=True)
    return path


def log_dir() -> Path:
    path = home() / "logs"
    path.mkdir(parents=True, exist_ok=True)
    return path


def data_dir() -> Path:
    """The packaged declarative content (`data/` in the repository)."""
    from importlib.resources import files

    return Path(str(files("flowlogic.data")))


def samples_dir() -> Path:
    return data_dir() / "samples"
