"""The installation's effective tier as far as gating is concerned.

Free until a licence is activated; then the tier verified with Stripe, read from the sealed
cache (PRODUCT.md §2, `flowlogic.licence`). An installation that never activated a licence
touches neither the keyring nor the network.
"""

from __future__ import annotations

import sqlite_utils

from flowlogic.licence.service import LicenceStatus, current


def licence_status(db: sqlite_utils.Database, *, auto_refresh: bool = True) -> LicenceStatus:
    return current(db, auto_refresh=auto_refresh)


def effective_tier_key(db: sqlite_utils.Database) -> str:
    return licence_status(db).tier
