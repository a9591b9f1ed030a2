"""History in SQLite (sqlite-utils): numbered migrations, WAL, foreign keys."""

from flowlogic.store.db import open_db

__all__ = ["open_db"]
