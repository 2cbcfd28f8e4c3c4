# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Celery tasks of billing. Thin: call the service."""

from __future__ import annotations

from celery import shared_task

from chat2chart.core.faults import DATABASE_RETRY
from enterprise.billing.services import usage_drain as drain


@shared_task(name="billing.usage_drain", **DATABASE_RETRY)
def usage_drain() -> int:
    """Beat entry point (every `CELERY_BEAT_SCHEDULE["drain-usage"]` seconds): buffered usage → counters.
    Usage rows live in the public schema, so no organisation is entered. Returns the batches added."""
    return drain()
