# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The backup gauge Prometheus scrapes: when the last backup succeeded (no per-organisation labels,
so the series count stays fixed however many organisations there are)."""

from __future__ import annotations

import time
from functools import cache
from typing import Any


@cache
def _gauge() -> Any:
    try:
        from prometheus_client import Gauge
    except ImportError:  # prometheus_client is optional: without it there is nothing to export
        return None
    # Registered once per process (cache), on first use rather than at import time.
    return Gauge(
        "aiser_backup_last_success_timestamp_seconds",
        "Unix time of the last organisation backup that was written and recorded.",
        # Backups run in Celery workers: under prometheus_client's multiprocess mode, the newest wins.
        multiprocess_mode="max",
    )


def backup_succeeded(at: float | None = None) -> None:
    """Set the gauge to `at` (Unix seconds; now by default)."""
    gauge = _gauge()
    if gauge is not None:
        gauge.set(time.time() if at is None else at)


def last_success() -> float | None:
    """The gauge's value in this process (None without prometheus_client)."""
    gauge = _gauge()
    return None if gauge is None else gauge._value.get()  # noqa: SLF001 - read back for tests and the CLI
