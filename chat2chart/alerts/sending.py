# SPDX-License-Identifier: MIT
"""Alert notifications out of the outbox through the shared `deliver` (chat2chart.subscriptions.delivery).

The message says what was measured, the value, the threshold or expected range, and links to the chart.
"""

from __future__ import annotations

import logging
from typing import Any

from django.conf import settings
from django.db import transaction
from django.urls import reverse
from django.utils.html import format_html, format_html_join

from chat2chart.alerts.evaluation import CONDITIONS
from chat2chart.alerts.models import Alert, AlertDelivery, AlertEvent
from chat2chart.alerts.selectors import user_get
from chat2chart.core import hooks
from chat2chart.core.principal import Principal
from chat2chart.core.secrets import SecretUnreadable, decrypt_secret
from chat2chart.subscriptions.delivery import Message, Target, deliver

logger = logging.getLogger(__name__)
MAX_ATTEMPTS = 5


def _number(value: Any) -> str:
    if value is None:
        return "—"
    value = float(value)
    return f"{value:,.0f}" if value.is_integer() else f"{value:,.4g}" if abs(value) < 1 else f"{value:,.2f}"


def chart_link(alert: Alert) -> str:
    """The chart's absolute address on the organisation's host."""
    base = (
        hooks.workspace_info(Principal.for_user(user_get(alert.owner_id))).get("url")
        or settings.AISER_PUBLIC_URL
    )
    return base.rstrip("/") + reverse("chart_detail", args=[alert.chart_id])


def condition_text(alert: Alert) -> str:
    """The rule in words, e.g. "goes above 1,000" or "changes by more than 10 % against the previous
    period"."""
    if alert.condition in ("above", "below"):
        return f"goes {alert.condition} {_number(alert.threshold)}"
    if alert.condition == "change":
        return f"changes by more than {_number(alert.threshold)} % against the previous period"
    if alert.condition == "anomaly":
        return f"shows an anomaly ({alert.sensitivity.replace('_', ' ')})"
    return CONDITIONS[alert.condition]


def alert_message(event: AlertEvent) -> Message:
    """The notification for one transition: subject, plain text, HTML, link and the webhook's JSON."""
    alert = event.alert
    details = event.details or {}
    link = chart_link(alert)
    word = "Triggered" if event.notice == "triggered" else "Recovered"
    measure = details.get("measure") or "value"
    lines = [
        f"{word}: {alert.title}",
        f"Measured: {measure} on the chart “{alert.chart.title}”"
        + (f", {details['period']}" if details.get("period") else ""),
        f"Value: {_number(details.get('value'))}",
    ]
    if alert.condition in ("above", "below"):
        lines.append(f"Threshold: {alert.condition} {_number(alert.threshold)}")
    elif alert.condition == "change":
        lines.append(f"Previous period: {_number(details.get('previous'))}")
        if details.get("change") is not None:
            lines.append(f"Change: {details['change']:+.1%} (threshold ±{_number(alert.threshold)} %)")
    elif alert.condition == "anomaly" and details.get("low") is not None:
        lines.append(f"Expected range: {_number(details['low'])} to {_number(details['high'])}")
    lines += [f"Alert when it {condition_text(alert)}.", event.summary, f"Open the chart: {link}"]
    html = format_html(
        '<p><strong>{}</strong></p><ul>{}</ul><p><a href="{}">Open the chart</a></p>',
        lines[0],
        format_html_join("", "<li>{}</li>", ((line,) for line in lines[1:-1])),
        link,
    )
    payload = {
        "event": f"alert.{event.notice}",
        "alert": {
            "id": alert.pk,
            "title": alert.title,
            "condition": alert.condition,
            "threshold": alert.threshold,
        },
        "chart": {"id": alert.chart_id, "title": alert.chart.title, "url": link},
        "episode": event.episode,
        "measure": measure,
        "value": details.get("value"),
        "previous": details.get("previous"),
        "change": details.get("change"),
        "expected": details.get("expected"),
        "low": details.get("low"),
        "high": details.get("high"),
        "period": details.get("period", ""),
        "summary": event.summary,
        "at": event.slot.isoformat(),
    }
    return Message(
        subject=f"[Aiser] {word}: {alert.title}",
        text="\n".join(lines),
        html=str(html),
        link=link,
        payload=payload,
    )


def _target(delivery: AlertDelivery) -> Target:
    recipient = delivery.recipient
    assert recipient is not None
    kind = "email" if recipient.kind in ("member", "email") else recipient.kind
    secret = ""
    if recipient.secret:
        try:
            secret = str(decrypt_secret(recipient.secret).get("secret", ""))
        except SecretUnreadable:
            secret = ""
    address = recipient.address
    if recipient.kind == "member":
        # A member is emailed where they read mail now, not where they did when the alert was made.
        address = getattr(user_get(recipient.user_id), "email", "") or address
    return Target(kind=kind, address=address, secret=secret)  # type: ignore[arg-type]


def send_pending(*, workspace: str) -> dict[str, int]:
    """Send every pending (or failed, under MAX_ATTEMPTS) notification of the workspace in scope once.
    Returns counts by outcome ("sent", "skipped_duplicate", "failed")."""
    counts: dict[str, int] = {}
    queued = AlertDelivery.objects.filter(
        status__in=[AlertDelivery.Status.PENDING, AlertDelivery.Status.FAILED], attempts__lt=MAX_ATTEMPTS
    ).values_list("pk", flat=True)
    for delivery_id in list(queued):
        with transaction.atomic():
            # Locked so two workers draining at once do not both try; the second skips it.
            delivery = (
                AlertDelivery.objects.select_for_update(skip_locked=True, of=("self",))
                .select_related("event__alert__chart", "recipient")
                .filter(
                    pk=delivery_id, status__in=[AlertDelivery.Status.PENDING, AlertDelivery.Status.FAILED]
                )
                .first()
            )
            if delivery is None:
                continue
            if delivery.recipient is None:
                delivery.status, delivery.error = AlertDelivery.Status.FAILED, "The recipient was removed."
                delivery.attempts = MAX_ATTEMPTS
                delivery.save(update_fields=["status", "error", "attempts", "updated_at"])
                continue
            result = deliver(
                workspace=workspace,
                target=_target(delivery),
                message=alert_message(delivery.event),
                idempotency_key=delivery.idempotency_key,
            )
            delivery.attempts += 1
            delivery.status = (
                AlertDelivery.Status.FAILED if result.status == "failed" else AlertDelivery.Status.SENT
            )
            delivery.error = result.error
            delivery.save(update_fields=["status", "error", "attempts", "updated_at"])
            counts[result.status] = counts.get(result.status, 0) + 1
            if result.status == "failed":
                logger.warning("alert delivery %s failed: %s", delivery.pk, result.error)
    return counts
