# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Celery tasks of billing. Thin: call the service."""

from __future__ import annotations

import stripe
from celery import shared_task

from chat2chart.core.faults import DATABASE_RETRY
from enterprise.billing import metering, subscriptions
from enterprise.billing.services import usage_drain as drain

# A failed Stripe call is retried with backoff; the rows it left pending are resent, never duplicated.
_RETRY = {
    "autoretry_for": (metering.MeterReportFailed, stripe.StripeError),
    "retry_backoff": 30,
    "retry_backoff_max": 1800,
    "max_retries": 8,
}


@shared_task(name="billing.usage_drain", **DATABASE_RETRY)
def usage_drain() -> int:
    """Beat entry point (every `CELERY_BEAT_SCHEDULE["drain-usage"]` seconds): buffered usage → counters.
    Usage rows live in the public schema, so no organisation is entered. Returns the batches added."""
    return drain()


@shared_task(name="billing.meter_report", **_RETRY)
def meter_report() -> int:
    """Beat, every 5 minutes: drained usage → Stripe meter events. Returns the units sent."""
    drain()
    return metering.meter_report()


@shared_task(name="billing.meter_reconcile", **_RETRY)
def meter_reconcile() -> int:
    """Beat, daily: send only what Stripe's meter totals lack. Returns the units sent."""
    drain()
    return metering.meter_reconcile()


@shared_task(name="billing.apply_scheduled_changes")
def apply_scheduled_changes() -> int:
    """Beat, hourly: downgrades whose period has ended. Returns how many were applied."""
    return subscriptions.scheduled_changes_apply()
