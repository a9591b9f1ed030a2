"""The installation's effective tier as far as gating is concerned.

Until Stripe licensing lands (issue: tiers and licensing) every installation is Free.
"""

from __future__ import annotations

import sqlite_utils


def effective_tier_key(db: sqlite_utils.Database) -> str:
    return "free"
