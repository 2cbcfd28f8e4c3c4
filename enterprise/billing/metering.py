# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Usage reported to Stripe's billing meters: never lost, never counted twice.

`meter_report` (beat, every few minutes) sends, per organisation with a Stripe customer and per metered
event, the difference between the usage counter and what was already reported. Each difference is first
written as a `MeterReport` row with a fixed identifier, timestamp and quantity, then sent; a failed call
leaves the row unsent and the next run resends exactly that row before computing anything new. Stripe
deduplicates meter events by identifier, so a call that reached Stripe but whose answer was lost is
counted once.

`meter_reconcile` (beat, daily) compares what Stripe's meter summaries hold (including earlier
reconciliation events) with the regular rows sent up to an hour ago, and sends only the shortfall
(Stripe's summaries lag a few minutes, hence the hour).
"""

from __future__ import annotations

import logging
from datetime import UTC, date, datetime, timedelta

import stripe
from django.conf import settings
from django.db.models import Sum
from django.utils import timezone

from enterprise.billing.models import MeterReport, Subscription, UsageCounter
from enterprise.billing.stripe_api import stripe_client

logger = logging.getLogger(__name__)


class MeterReportFailed(Exception):
    """Some reports failed (they stay pending and are resent by the next run); the message lists them."""


def _month_start(moment: datetime) -> datetime:
    return moment.replace(day=1, hour=0, minute=0, second=0, microsecond=0)


def _next_month(month: date) -> date:
    return (month.replace(day=28) + timedelta(days=4)).replace(day=1)


def _send(client: stripe.StripeClient, row: MeterReport, customer: str) -> None:
    row.attempts += 1
    try:
        client.v1.billing.meter_events.create(
            {
                "event_name": settings.AISER_BILLING_METERS[row.event],
                "identifier": row.identifier,
                "timestamp": int(row.timestamp.timestamp()),
                "payload": {"stripe_customer_id": customer, "value": str(row.quantity)},
            }
        )
    except stripe.StripeError:
        row.save(update_fields=["attempts"])
        raise
    row.sent_at = timezone.now()
    row.save(update_fields=["attempts", "sent_at"])


def _report_one(client: stripe.StripeClient, subscription: Subscription, event: str, month: date) -> int:
    """Resend this counter's pending rows, then send what the counter gained since; returns units sent."""
    organization, customer = subscription.organization, subscription.stripe_customer_id
    rows = MeterReport.objects.filter(organization=organization, event=event, month=month)
    sent = 0
    for pending in rows.filter(sent_at__isnull=True).order_by("pk"):
        _send(client, pending, customer)
        sent += pending.quantity
    counted = (
        UsageCounter.objects.filter(organization=organization, month=month, event=event)
        .values_list("quantity", flat=True)
        .first()
        or 0
    )
    reported = rows.filter(reconciliation=False).aggregate(total=Sum("quantity"))["total"] or 0
    if counted <= reported:
        return sent
    now = timezone.now()
    # Usage of a month that has ended is stamped inside that month (its last second).
    month_end = datetime.combine(_next_month(month), datetime.min.time(), tzinfo=UTC) - timedelta(seconds=1)
    row = MeterReport.objects.create(
        organization=organization,
        event=event,
        month=month,
        quantity=counted - reported,
        identifier=f"aiser-{organization.pk}-{event}-{month:%Y%m}-{reported}-{counted}",
        timestamp=min(now, month_end),
    )
    _send(client, row, customer)
    return sent + row.quantity


def _metered_subscriptions() -> list[Subscription]:
    return list(Subscription.objects.exclude(stripe_customer_id="").select_related("organization"))


def meter_report(*, now: datetime | None = None) -> int:
    """Report every organisation's unreported usage (this month and last) to Stripe; returns units sent.

    Raises `MeterReportFailed` after trying everything when some calls failed, so the Celery task retries;
    the failed rows stay pending and nothing is lost or sent twice."""
    if not settings.AISER_BILLING_ENABLED:
        return 0
    now = now or timezone.now()
    this_month = now.date().replace(day=1)
    last_month = (this_month - timedelta(days=1)).replace(day=1)
    client = stripe_client()
    total, failures = 0, []
    for subscription in _metered_subscriptions():
        for event in settings.AISER_BILLING_METERS:
            for month in (last_month, this_month):
                try:
                    total += _report_one(client, subscription, event, month)
                except stripe.StripeError as error:
                    failures.append(f"{subscription.organization.slug} {event} {month:%Y-%m}: {error}")
    if failures:
        raise MeterReportFailed("; ".join(failures))
    return total


def _meter_ids(client: stripe.StripeClient) -> dict[str, str]:
    meters = client.v1.billing.meters.list({"limit": 100})
    return {meter["event_name"]: meter["id"] for meter in meters.data}


def meter_reconcile(*, now: datetime | None = None) -> int:
    """Send what Stripe's meter summaries lack for this month up to an hour ago; returns units sent.

    Runs `meter_report` first, so only a real shortfall (Stripe lost or dropped events) is left."""
    if not settings.AISER_BILLING_ENABLED:
        return 0
    now = now or timezone.now()
    meter_report(now=now)
    cutoff = (now - timedelta(hours=1)).replace(minute=0, second=0, microsecond=0)
    start = _month_start(now)
    if cutoff <= start:
        return 0
    client = stripe_client()
    meter_ids = _meter_ids(client)
    month, sent = start.date(), 0
    for subscription in _metered_subscriptions():
        for event, meter_name in settings.AISER_BILLING_METERS.items():
            if meter_name not in meter_ids:
                logger.warning("Stripe has no billing meter %r; %s is not reconciled", meter_name, event)
                continue
            ours = (
                MeterReport.objects.filter(
                    organization=subscription.organization,
                    event=event,
                    month=month,
                    sent_at__isnull=False,
                    reconciliation=False,
                    timestamp__lt=cutoff,
                ).aggregate(total=Sum("quantity"))["total"]
                or 0
            )
            summaries = client.v1.billing.meters.event_summaries.list(
                meter_ids[meter_name],
                {
                    "customer": subscription.stripe_customer_id,
                    "start_time": int(start.timestamp()),
                    "end_time": int(cutoff.timestamp()),
                },
            )
            theirs = round(sum(float(summary["aggregated_value"]) for summary in summaries.data))
            if theirs > ours:
                logger.warning(
                    "Stripe has %s more %s for %s than Aiser sent", theirs - ours, event, subscription
                )
            if theirs >= ours:
                continue
            row = MeterReport.objects.create(
                organization=subscription.organization,
                event=event,
                month=month,
                quantity=ours - theirs,
                identifier=f"aiser-reconcile-{subscription.organization.pk}-{event}-{cutoff:%Y%m%d%H}-{theirs}",
                timestamp=cutoff - timedelta(seconds=1),
                reconciliation=True,
            )
            _send(client, row, subscription.stripe_customer_id)
            sent += row.quantity
    return sent
