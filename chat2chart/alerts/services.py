# SPDX-License-Identifier: MIT
"""State changes of alerts: create, snooze, delete, and the scheduled check that moves an alert through
its episodes and queues its notifications.

A check runs for one scheduled slot in one transaction that locks the alert: it evaluates the chart,
records the new state, the slot it ran for and, on a transition, one outbox row per recipient keyed by
(alert, episode, transition, recipient). Sending happens after the commit (`alert_deliveries_send`), so
a worker that dies anywhere leaves either nothing done (the next run checks again) or rows that the next
run sends; `deliver` deduplicates on the key, so a recipient hears of each transition once.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Sequence
from dataclasses import asdict
from typing import Any

from django.db import transaction
from django.utils import timezone

from chat2chart.alerts import policy, recipients
from chat2chart.alerts.evaluation import Rule, Verdict, evaluate, transition
from chat2chart.alerts.models import Alert, AlertDelivery, AlertEvent
from chat2chart.alerts.selectors import user_get
from chat2chart.alerts.series import chart_measure, chart_series
from chat2chart.charts.models import SavedChart
from chat2chart.core import hooks
from chat2chart.core.errors import AiserError, Forbidden, ValidationFailed
from chat2chart.core.principal import Principal

logger = logging.getLogger(__name__)

INTERVALS = {15: "Every 15 minutes", 60: "Every hour", 1440: "Every day"}
SNOOZES = {60: "1 hour", 240: "4 hours", 1440: "1 day", 10080: "1 week"}
_EPOCH = dt.datetime(2000, 1, 3, tzinfo=dt.UTC)  # a Monday at midnight UTC: daily slots start at 00:00


def _require(allowed: bool, message: str) -> None:
    if not allowed:
        raise Forbidden(message)


def slot_for(now: dt.datetime, interval_minutes: int) -> dt.datetime:
    """The latest scheduled run at or before `now`: runs fall every `interval_minutes` from midnight UTC."""
    step = dt.timedelta(minutes=interval_minutes)
    return _EPOCH + ((now - _EPOCH) // step) * step


def _check_rule(condition: str, threshold: float | None, sensitivity: str, interval_minutes: int) -> None:
    if condition not in Alert.Condition.values:
        raise ValidationFailed(f"condition: use one of {', '.join(Alert.Condition.values)}.")
    if condition in ("above", "below", "change") and threshold is None:
        raise ValidationFailed("threshold: this condition needs a threshold.")
    if condition == "change" and threshold is not None and threshold <= 0:
        raise ValidationFailed("threshold: a percentage change must be more than 0.")
    if interval_minutes not in INTERVALS:
        raise ValidationFailed(f"schedule: use one of {', '.join(map(str, INTERVALS))} minutes.")
    from chat2chart.analytics.anomalies import SENSITIVITIES

    if sensitivity not in SENSITIVITIES:
        raise ValidationFailed(f"sensitivity: use one of {', '.join(SENSITIVITIES)}.")


def alert_create(
    *,
    principal: Principal,
    chart: SavedChart,
    condition: str,
    title: str = "",
    threshold: float | None = None,
    sensitivity: str = "balanced",
    interval_minutes: int = 60,
    notify_me: bool = True,
    emails: Sequence[str] = (),
    slack_url: str = "",
    webhook_url: str = "",
    webhook_secret: str = "",
) -> Alert:
    """A new alert on `chart`, first checked at the next scheduler tick. Raises Forbidden when the
    principal may not watch the chart, LimitExceeded past the plan's alerts, ValidationFailed for a rule,
    chart or recipient an alert cannot use (recipients: see `recipients.resolve`)."""
    _require(policy.can_create_alert(principal, chart), "You may not create alerts on this chart.")
    title = title.strip() or chart.title
    _check_rule(condition, threshold, sensitivity, interval_minutes)
    measure = chart_measure(chart.query)
    if condition in ("change", "anomaly") and measure.time is None:
        raise ValidationFailed(
            "condition: this chart shows one number; a change or anomaly alert needs a chart over time."
        )
    resolved = recipients.resolve(
        principal=principal,
        chart=chart,
        notify_me=notify_me,
        emails=emails,
        slack_url=slack_url,
        webhook_url=webhook_url,
        webhook_secret=webhook_secret,
    )
    hooks.check_limit("alerts")
    with transaction.atomic():
        alert = Alert.objects.create(
            title=title[:200],
            chart=chart,
            owner_id=principal.user_id,
            condition=condition,
            threshold=threshold,
            sensitivity=sensitivity,
            interval_minutes=interval_minutes,
            next_check_at=timezone.now(),
        )
        for recipient in resolved:
            recipient.alert = alert
            recipient.save()
        hooks.record_audit(
            action="alert.create",
            actor=principal,
            target_type="alert",
            target_id=alert.pk,
            data={"chart": chart.pk, "condition": condition, "recipients": len(resolved)},
        )
    return alert


def alert_snooze(*, principal: Principal, alert: Alert, minutes: int | None) -> Alert:
    """Snooze for `minutes` (one of SNOOZES), or wake the alert with None. While snoozed the alert is
    still checked and its state kept, but nothing is sent."""
    _require(policy.can_change_alert(principal, alert), "You may not change this alert.")
    if minutes is not None and minutes not in SNOOZES:
        raise ValidationFailed(f"minutes: snooze for one of {', '.join(map(str, SNOOZES))} minutes.")
    with transaction.atomic():  # the change and its audit entry commit together
        before = alert.snoozed_until
        alert.snoozed_until = timezone.now() + dt.timedelta(minutes=minutes) if minutes else None
        alert.save(update_fields=["snoozed_until"])
        hooks.record_audit(
            action="alert.snooze",
            actor=principal,
            target_type="alert",
            target_id=alert.pk,
            data={
                "minutes": minutes,
                "changes": hooks.audit_changes(
                    {"snoozed_until": before.isoformat() if before else None},
                    {"snoozed_until": alert.snoozed_until.isoformat() if alert.snoozed_until else None},
                ),
            },
        )
    return alert


def alert_delete(*, principal: Principal, alert: Alert) -> None:
    _require(policy.can_change_alert(principal, alert), "You may not delete this alert.")
    with transaction.atomic():
        hooks.record_audit(action="alert.delete", actor=principal, target_type="alert", target_id=alert.pk)
        alert.delete()


def _owner_principal(alert: Alert) -> Principal:
    return Principal.for_user(user_get(alert.owner_id))


def _judge(alert: Alert, principal: Principal) -> tuple[Verdict, str]:
    """The verdict on the chart as `principal` sees it, and the measure's name ("" when unreadable)."""
    rule = Rule(condition=alert.condition, threshold=alert.threshold, sensitivity=alert.sensitivity)  # type: ignore[arg-type]
    try:
        measure, points = chart_series(query_json=alert.chart.query, principal=principal)
    except AiserError as error:
        # A check that cannot read the chart is not "no data" for a no-data alert: it judges nothing.
        return Verdict(status="no_data", summary=f"The check could not read the chart: {error.message}"), ""
    return evaluate(rule, points, measure=measure.measure), measure.measure


def alert_check(*, alert_id: int, slot: dt.datetime) -> AlertEvent | None:
    """Evaluate alert `alert_id` for the scheduled run `slot`, once: a second call for the same or an
    earlier slot does nothing. Returns the history entry when the state changed, else None."""
    workspace = hooks.current_workspace()
    with transaction.atomic():
        alert = Alert.objects.select_for_update().filter(pk=alert_id).first()
        if alert is None or (alert.last_run_slot is not None and alert.last_run_slot >= slot):
            return None
        now = timezone.now()
        verdict, measure = _judge(alert, _owner_principal(alert))
        snoozed = alert.snoozed_until is not None and alert.snoozed_until > now
        previous = alert.state
        step = transition(previous, verdict, snoozed=snoozed, announced=alert.announced)  # type: ignore[arg-type]
        if step.new_episode:
            alert.episode += 1
            alert.announced = step.notice == "triggered"
        alert.state = step.state
        alert.last_run_slot = slot
        alert.next_check_at = slot + dt.timedelta(minutes=alert.interval_minutes)
        alert.last_checked_at = now
        alert.last_value = verdict.value
        alert.last_summary = verdict.summary
        alert.save()
        if step.state == previous and step.notice is None:
            return None
        event = AlertEvent.objects.create(
            alert=alert,
            slot=slot,
            state=step.state,
            episode=alert.episode,
            notice=step.notice or "",
            value=verdict.value,
            summary=verdict.summary,
            details={**asdict(verdict), "measure": measure},
        )
        if step.notice:
            _queue(alert, event, verdict, workspace)
    return event


def _queue(alert: Alert, event: AlertEvent, verdict: Verdict, workspace: str) -> None:
    for recipient in alert.recipients.all():
        key = f"{workspace}:alert:{alert.pk}:episode:{event.episode}:{event.notice}:recipient:{recipient.pk}"
        withheld = recipients.withheld_reason(alert, recipient, verdict)
        AlertDelivery.objects.get_or_create(
            idempotency_key=key,
            defaults={
                "event": event,
                "recipient": recipient,
                "status": AlertDelivery.Status.WITHHELD if withheld else AlertDelivery.Status.PENDING,
                "error": withheld,
            },
        )


def alerts_check_due(*, now: dt.datetime | None = None) -> list[int]:
    """Check every alert of the workspace in scope whose next run is due, each once for its latest slot (a
    backlog after downtime is one check, now), then send what is queued. Returns the checked ids."""
    now = now or timezone.now()
    checked: list[int] = []
    due = Alert.objects.filter(next_check_at__lte=now).values_list("pk", "interval_minutes")
    for alert_id, interval in list(due):
        try:
            alert_check(alert_id=alert_id, slot=slot_for(now, interval))
        except Exception:
            # One broken alert must not starve the others; it is logged and tried at its next slot.
            logger.exception("alert %s check failed", alert_id)
            continue
        checked.append(alert_id)
    alert_deliveries_send()
    return checked


def alert_deliveries_send() -> dict[str, int]:
    """Send the workspace's queued and failed notifications (failed ones up to MAX_ATTEMPTS tries).
    Returns counts by outcome."""
    from chat2chart.alerts.sending import send_pending

    return send_pending(workspace=hooks.current_workspace())


def alert_history(alert: Alert, limit: int = 50) -> list[dict[str, Any]]:
    """The alert's last state changes, newest first, with what was sent for each."""
    events = alert.events.prefetch_related("deliveries__recipient")[:limit]
    return [
        {
            "event": event,
            "deliveries": [
                {"to": str(d.recipient) if d.recipient else "(removed)", "status": d.status, "error": d.error}
                for d in event.deliveries.all()
            ],
        }
        for event in events
    ]
