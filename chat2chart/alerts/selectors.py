# SPDX-License-Identifier: MIT
"""Reads of alerts: the workspace's alerts a principal may see (those on charts they may see)."""

from __future__ import annotations

from typing import Any

from django.contrib.auth import get_user_model
from django.db.models import QuerySet
from django.utils import timezone

from chat2chart.alerts.models import Alert
from chat2chart.charts.selectors import chart_list_visible
from chat2chart.core.errors import NotFound
from chat2chart.core.principal import Principal


def alert_list_visible(principal: Principal) -> QuerySet[Alert]:
    """The workspace's alerts on charts `principal` may see, with their chart and recipients."""
    charts = chart_list_visible(principal).values("pk")
    return Alert.objects.filter(chart__in=charts).select_related("chart").prefetch_related("recipients")


def alert_get_visible(*, principal: Principal, alert_id: int) -> Alert:
    alert = alert_list_visible(principal).filter(pk=alert_id).first()
    if alert is None:
        raise NotFound("There is no such alert in this workspace.")
    return alert


def alert_display_state(alert: Alert) -> str:
    """What the list shows: "snoozed" while snoozed, else the state (pending, ok, triggered, no_data)."""
    if alert.snoozed_until is not None and alert.snoozed_until > timezone.now():
        return "snoozed"
    return alert.state


def user_get(user_id: int | None) -> Any:
    """The person with id `user_id`, or None (no id, or a deleted person)."""
    return None if user_id is None else get_user_model().objects.filter(pk=user_id).first()
