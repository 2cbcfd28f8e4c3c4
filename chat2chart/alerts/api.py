# SPDX-License-Identifier: MIT
"""`/api/v1/alerts/`: list, create, read (with the latest state changes), snooze and delete alerts.

The same services and rules as the alert pages. Alerts the caller may not see answer 404, like the
pages. Recipients' webhook and Slack addresses are shown by host only (their paths may hold tokens)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.alerts import policy, selectors, services
from chat2chart.alerts.models import Alert, AlertRecipient
from chat2chart.alerts.sending import condition_text
from chat2chart.alerts.services import INTERVALS, SNOOZES
from chat2chart.analytics.anomalies import SENSITIVITIES
from chat2chart.charts import selectors as chart_selectors
from chat2chart.core import hooks
from chat2chart.core.errors import NotFound
from chat2chart.core.principal import Principal


def _shown(recipient: AlertRecipient) -> str:
    if recipient.kind in (AlertRecipient.Kind.MEMBER, AlertRecipient.Kind.EMAIL):
        return recipient.address
    return recipient.address.split("/")[2] if "://" in recipient.address else ""


def _iso(value: Any) -> str | None:
    return value.isoformat() if value else None


def alert_body(alert: Alert, principal: Principal, *, history: bool = False) -> dict[str, Any]:
    """The JSON shape of one alert; `threshold` is in the chart's units (a percentage for "change")."""
    body: dict[str, Any] = {
        "id": alert.pk,
        "title": alert.title,
        "chart": alert.chart_id,
        "condition": alert.condition,
        "condition_text": condition_text(alert),
        "threshold": alert.threshold,
        "sensitivity": alert.sensitivity,
        "interval_minutes": alert.interval_minutes,
        "state": selectors.alert_display_state(alert),
        "snoozed_until": _iso(alert.snoozed_until),
        "last_checked_at": _iso(alert.last_checked_at),
        "last_value": alert.last_value,
        "last_summary": alert.last_summary,
        "recipients": [{"kind": r.kind, "to": _shown(r)} for r in alert.recipients.all()],
        "mine": alert.owner_id == principal.user_id,
        "can_change": policy.can_change_alert(principal, alert),
    }
    if history:
        body["history"] = [
            {
                "slot": _iso(row["event"].slot),
                "state": row["event"].state,
                "notice": row["event"].notice,
                "value": row["event"].value,
                "summary": row["event"].summary,
                "deliveries": row["deliveries"],
            }
            for row in services.alert_history(alert)
        ]
    return body


def _visible(request: Request, pk: int) -> tuple[Principal, Alert]:
    principal = Principal.from_request(request)
    return principal, selectors.alert_get_visible(principal=principal, alert_id=pk)


def _changeable(principal: Principal, alert: Alert) -> None:
    # 404, as the pages answer: an alert one may not change is not revealed as existing to change.
    if not policy.can_change_alert(principal, alert):
        raise NotFound("Alert not found.")


class AlertCreateInput(serializers.Serializer):
    chart = serializers.IntegerField()
    condition = serializers.ChoiceField(choices=Alert.Condition.choices)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200, default="")
    threshold = serializers.FloatField(required=False, allow_null=True, default=None)
    sensitivity = serializers.ChoiceField(choices=list(SENSITIVITIES), required=False, default="balanced")
    interval_minutes = serializers.ChoiceField(choices=list(INTERVALS), required=False, default=60)
    notify_me = serializers.BooleanField(required=False, default=True)
    emails = serializers.ListField(
        child=serializers.EmailField(), required=False, default=list, max_length=100
    )
    slack_url = serializers.URLField(required=False, allow_blank=True, default="", max_length=500)
    webhook_url = serializers.URLField(required=False, allow_blank=True, default="", max_length=500)
    webhook_secret = serializers.CharField(required=False, allow_blank=True, default="", max_length=200)


class SnoozeInput(serializers.Serializer):
    minutes = serializers.ChoiceField(choices=list(SNOOZES), allow_null=True)


class AlertListView(APIView):
    # Creating needs the ASK right on the chart's source, checked by the alert policy per chart.
    actions = {"POST": hooks.VIEW}

    @extend_schema(
        summary="The alerts the caller sees", responses=OpenApiTypes.OBJECT, operation_id="v1_alerts_list"
    )
    def get(self, request: Request) -> Response:
        principal = Principal.from_request(request)
        if not policy.can_browse_alerts(principal):
            raise NotFound("Not found.")
        alerts = selectors.alert_list_visible(principal).prefetch_related("recipients")
        return Response({"alerts": [alert_body(a, principal) for a in alerts]})

    @extend_schema(
        summary="Create an alert on a saved chart", request=AlertCreateInput, responses=OpenApiTypes.OBJECT
    )
    def post(self, request: Request) -> Response:
        payload = AlertCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        given = dict(payload.validated_data)
        principal = Principal.from_request(request)
        chart = chart_selectors.chart_list_visible(principal).filter(pk=given.pop("chart")).first()
        if chart is None or not policy.can_create_alert(principal, chart):
            raise NotFound("Chart not found.")
        alert = services.alert_create(principal=principal, chart=chart, **given)
        return Response(alert_body(alert, principal), status=status.HTTP_201_CREATED)


class AlertDetailView(APIView):
    actions = {"DELETE": hooks.VIEW}  # owners delete their own; the alert policy decides

    @extend_schema(
        summary="An alert with its latest state changes and what was sent", responses=OpenApiTypes.OBJECT
    )
    def get(self, request: Request, pk: int) -> Response:
        principal, alert = _visible(request, pk)
        return Response(alert_body(alert, principal, history=True))

    @extend_schema(summary="Delete an alert", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        principal, alert = _visible(request, pk)
        _changeable(principal, alert)
        services.alert_delete(principal=principal, alert=alert)
        return Response(status=status.HTTP_204_NO_CONTENT)


class AlertSnoozeView(APIView):
    actions = {"POST": hooks.VIEW}

    @extend_schema(
        summary="Snooze an alert for some minutes, or wake it with null",
        request=SnoozeInput,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request, pk: int) -> Response:
        payload = SnoozeInput(data=request.data)
        payload.is_valid(raise_exception=True)
        principal, alert = _visible(request, pk)
        _changeable(principal, alert)
        alert = services.alert_snooze(
            principal=principal, alert=alert, minutes=payload.validated_data["minutes"]
        )
        return Response(alert_body(alert, principal))
