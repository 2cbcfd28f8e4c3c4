# SPDX-License-Identifier: MIT
"""Reads of subscriptions: the organisation's list and each one's send history."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from django.db.models import QuerySet

from chat2chart.core import hooks
from chat2chart.core.errors import NotFound
from chat2chart.core.principal import Principal
from chat2chart.subscriptions.models import Delivery, Subscription, SubscriptionRun


def subscription_list(principal: Principal) -> QuerySet[Subscription]:
    """The workspace's subscriptions: all of them for those who may edit, otherwise the person's own."""
    subscriptions = Subscription.objects.select_related("dashboard", "chart")
    if hooks.can(principal, hooks.EDIT):
        return subscriptions
    return subscriptions.filter(owner_id=principal.user_id)


def subscription_get(principal: Principal, subscription_id: int) -> Subscription:
    subscription = subscription_list(principal).filter(pk=subscription_id).first()
    if subscription is None:
        raise NotFound("Subscription not found.")
    return subscription


@dataclass(frozen=True)
class SendRecord:
    """One line of a subscription's history: one run to one recipient or channel."""

    scheduled_for: datetime
    run_status: str
    target: str
    status: str  # sent, failed, sending, or "not sent" for a run that stopped before this target
    error: str
    sent_at: datetime | None


def subscription_history(subscription: Subscription, *, runs: int = 20) -> list[SendRecord]:
    """The latest `runs` runs with what happened to each recipient (newest first)."""
    records: list[SendRecord] = []
    for run in SubscriptionRun.objects.filter(subscription=subscription)[:runs]:
        deliveries = Delivery.objects.filter(
            workspace=hooks.current_workspace(), idempotency_key=run.idempotency_key
        ).order_by("target_kind", "target_address")
        for delivery in deliveries:
            records.append(
                SendRecord(
                    scheduled_for=run.scheduled_for,
                    run_status=run.status,
                    target=_shown(delivery),
                    status=delivery.status,
                    error=delivery.error,
                    sent_at=delivery.sent_at,
                )
            )
        if not deliveries:
            records.append(
                SendRecord(run.scheduled_for, run.status, "—", run.get_status_display(), run.error, None)
            )
    return records


def _shown(delivery: Delivery) -> str:
    # Webhook URLs may carry a token in their path: show the kind and host only.
    if delivery.target_kind == "email":
        return delivery.target_address
    host = delivery.target_address.split("/")[2] if "://" in delivery.target_address else ""
    return f"{delivery.target_kind} ({host})"
