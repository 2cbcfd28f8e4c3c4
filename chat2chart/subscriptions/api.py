# SPDX-License-Identifier: MIT
"""`/api/v1/subscriptions/`: list, create, read (with the send history) and delete subscriptions.

The same services as the Subscribe page: the API accepts and refuses exactly what the page does. Slack
and webhook addresses may hold a token in their path, so they are shown by host only; the webhook's
signing secret is shown to its owner only."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.charts import selectors as chart_selectors
from chat2chart.core import hooks
from chat2chart.core.principal import Principal
from chat2chart.dashboards import selectors as dashboard_selectors
from chat2chart.subscriptions import schedule as schedules
from chat2chart.subscriptions import selectors, services
from chat2chart.subscriptions.inputs import subscription_fields, subscription_input
from chat2chart.subscriptions.models import Subscription
from chat2chart.subscriptions.services import FORMATS


def _host(url: str) -> str:
    return url.split("/")[2] if "://" in url else ""


def subscription_body(
    subscription: Subscription, principal: Principal, *, history: bool = False
) -> dict[str, Any]:
    """The JSON shape of one subscription (times in ISO 8601 with offset; hour/minute in the
    organisation's time zone, named in `timezone`)."""
    schedule = services.schedule_of(subscription)
    mine = subscription.owner_id == principal.user_id
    body: dict[str, Any] = {
        "id": subscription.pk,
        "title": subscription.title,
        "dashboard": subscription.dashboard_id,
        "chart": subscription.chart_id,
        "frequency": subscription.frequency,
        "hour": subscription.hour,
        "minute": subscription.minute,
        "weekdays": list(subscription.weekdays),
        "day_of_month": subscription.day_of_month,
        "cron": subscription.cron,
        "schedule": schedules.describe(schedule),
        "timezone": services.workspace_zone().key,
        "next_run_at": subscription.next_run_at.isoformat() if subscription.next_run_at else None,
        "filters": subscription.filters,
        "members": list(subscription.member_ids),
        "external_emails": list(subscription.external_emails),
        "share_creator_view": subscription.share_creator_view,
        "slack": _host(subscription.slack_url) or None,
        "webhook": _host(subscription.webhook_url) or None,
        "formats": list(subscription.formats),
        "mine": mine,
        "created_at": subscription.created_at.isoformat(),
    }
    if mine and subscription.webhook_secret:
        body["webhook_secret"] = subscription.webhook_secret
    if history:
        body["history"] = [
            {
                "scheduled_for": record.scheduled_for.isoformat(),
                "run_status": record.run_status,
                "target": record.target,
                "status": record.status,
                "error": record.error,
                "sent_at": record.sent_at.isoformat() if record.sent_at else None,
            }
            for record in selectors.subscription_history(subscription)
        ]
    return body


class SubscriptionCreateInput(serializers.Serializer):
    dashboard = serializers.IntegerField(required=False, allow_null=True)
    chart = serializers.IntegerField(required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    frequency = serializers.ChoiceField(choices=list(schedules.FREQUENCIES))
    time = serializers.RegexField(r"^\d{1,2}:\d{2}$", required=False, default="08:00")
    weekdays = serializers.ListField(child=serializers.IntegerField(min_value=0, max_value=6), required=False)
    day_of_month = serializers.IntegerField(required=False, min_value=1, max_value=31, default=1)
    cron = serializers.CharField(required=False, allow_blank=True, max_length=100)
    recipients = serializers.ListField(child=serializers.EmailField(), required=False, max_length=200)
    filters = serializers.DictField(required=False)
    share_creator_view = serializers.BooleanField(required=False, default=False)
    slack_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    webhook_url = serializers.URLField(required=False, allow_blank=True, max_length=500)
    formats = serializers.ListField(
        child=serializers.ChoiceField(choices=list(FORMATS)), required=False, default=list(FORMATS)
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if bool(attrs.get("dashboard")) == bool(attrs.get("chart")):
            raise serializers.ValidationError("Send either a dashboard or a chart id.")
        return attrs


class SubscriptionChangeInput(SubscriptionCreateInput):
    frequency = serializers.ChoiceField(choices=list(schedules.FREQUENCIES), required=False)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if "dashboard" in attrs or "chart" in attrs:
            raise serializers.ValidationError("A subscription keeps its dashboard or chart; subscribe again.")
        return attrs


class SubscriptionListView(APIView):
    # Viewers may subscribe themselves; the service decides who else they may add.
    actions = {"POST": hooks.VIEW}

    @extend_schema(
        summary="The subscriptions the caller sees (all for editors, else their own)",
        responses=OpenApiTypes.OBJECT,
        operation_id="v1_subscriptions_list",
    )
    def get(self, request: Request) -> Response:
        principal = Principal.from_request(request)
        return Response(
            {
                "subscriptions": [
                    subscription_body(s, principal) for s in selectors.subscription_list(principal)
                ]
            }
        )

    @extend_schema(
        summary="Subscribe recipients to a dashboard or chart on a schedule",
        request=SubscriptionCreateInput,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request) -> Response:
        payload = SubscriptionCreateInput(data=request.data)
        payload.is_valid(raise_exception=True)
        given = payload.validated_data
        principal = Principal.from_request(request)
        dashboard = dashboard_selectors.dashboard_get(given["dashboard"]) if given.get("dashboard") else None
        chart = chart_selectors.chart_get(chart_id=given["chart"]) if given.get("chart") else None
        subscription = services.subscription_create(
            principal=principal, data=subscription_input(given), dashboard=dashboard, chart=chart
        )
        return Response(subscription_body(subscription, principal), status=status.HTTP_201_CREATED)


class SubscriptionDetailView(APIView):
    # Owners change and delete their own; the service checks the rest.
    actions = {"DELETE": hooks.VIEW, "PATCH": hooks.VIEW}

    @extend_schema(summary="A subscription with its latest sends", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        principal = Principal.from_request(request)
        subscription = selectors.subscription_get(principal, pk)
        return Response(subscription_body(subscription, principal, history=True))

    @extend_schema(
        summary="Change a subscription's title, schedule, recipients, filters, formats or channels",
        request=SubscriptionChangeInput,
        responses=OpenApiTypes.OBJECT,
    )
    def patch(self, request: Request, pk: int) -> Response:
        principal = Principal.from_request(request)
        subscription = selectors.subscription_get(principal, pk)
        payload = SubscriptionChangeInput(data=request.data, partial=True)
        payload.is_valid(raise_exception=True)
        # Fields not sent keep their values: the change is read over the subscription's own fields.
        fields = {**subscription_fields(subscription), **payload.validated_data}
        subscription = services.subscription_update(
            principal=principal, subscription=subscription, data=subscription_input(fields)
        )
        return Response(subscription_body(subscription, principal))

    @extend_schema(summary="Delete a subscription", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        principal = Principal.from_request(request)
        subscription = selectors.subscription_get(principal, pk)
        services.subscription_delete(principal=principal, subscription=subscription)
        return Response(status=status.HTTP_204_NO_CONTENT)
