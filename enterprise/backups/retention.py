# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Which backups to keep: the newest of each of the last N days, weeks and months (grandfather,
father, son). Pure: dates in, identifiers out."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from datetime import datetime
from typing import Any


def _newest_per_bucket(
    backups: list[tuple[Any, datetime]], bucket: Callable[[datetime], Any], keep: int
) -> set[Any]:
    kept: dict[Any, Any] = {}
    for identifier, created in sorted(backups, key=lambda b: b[1], reverse=True):
        key = bucket(created)
        if key not in kept:
            if len(kept) == keep:
                break
            kept[key] = identifier
    return set(kept.values())


def backups_to_keep(
    backups: Iterable[tuple[Any, datetime]], *, daily: int, weekly: int, monthly: int
) -> set[Any]:
    """Identifiers of the backups to keep among (identifier, created_at) pairs: the newest backup of
    each of the `daily` most recent days that have one, of the `weekly` most recent ISO weeks, and of
    the `monthly` most recent months. Everything else may be removed."""
    listed = list(backups)
    return (
        _newest_per_bucket(listed, lambda at: at.date(), daily)
        | _newest_per_bucket(listed, lambda at: at.isocalendar()[:2], weekly)
        | _newest_per_bucket(listed, lambda at: (at.year, at.month), monthly)
    )
