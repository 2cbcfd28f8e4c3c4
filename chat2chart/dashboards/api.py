# SPDX-License-Identifier: MIT
"""The dashboards API: dashboards and widgets, their data with filters applied, public links,
signed embed URLs and the embedding secret. Views validate, call a service or selector, and return."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from django.db import transaction
from django.urls import reverse
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema
from rest_framework import serializers
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.core import hooks
from chat2chart.core.api import WorkspaceObjectView
from chat2chart.core.errors import ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.dashboards import embedding, selectors, services
from chat2chart.dashboards.drill import drill_rows
from chat2chart.dashboards.embedding import sign_embed_token
from chat2chart.dashboards.fields import dashboard_fields
from chat2chart.dashboards.filters import describe_picked, parse_definitions, parse_locked, parse_picked
from chat2chart.dashboards.models import Dashboard, PublicLink, Widget
from chat2chart.dashboards.policy import RULES as DASHBOARD_RULES
from chat2chart.dashboards.policy import WIDGET_RULES
from chat2chart.dashboards.tokens import MAX_LIFETIME, THEMES
from chat2chart.dashboards.widget_data import Audience, dashboard_data, filter_option_counts
from chat2chart.workspaces.selectors import workspace_settings
from chat2chart.workspaces.services import workspace_settings_update

FILTER_PARAMETERS = [
    OpenApiParameter("widget", int, many=True, description="Only these widgets (repeat the parameter)."),
    OpenApiParameter(
        "filter.<field>",
        str,
        description=(
            "A dashboard filter's value: repeat for several values of a dimension "
            "(`filter.region=North&filter.region=South`); a date range is `from..to`, either end may be "
            "empty (`filter.month=2024-01-01..2024-03-31`)."
        ),
    ),
    OpenApiParameter(
        "filters",
        str,
        description=(
            'All filters as one JSON object instead: `{"region": ["North"], "month": {"from": "2024-01-01", '
            '"to": "2024-03-31"}}`.'
        ),
    ),
]


def widget_json(widget: Widget) -> dict[str, Any]:
    return {
        "id": widget.pk,
        "kind": widget.kind,
        "title": widget.title,
        "chart_id": widget.chart_id,
        "query": widget.query,
        "text": widget.text,
        "x": widget.x,
        "y": widget.y,
        "w": widget.w,
        "h": widget.h,
        "tab": widget.tab,
    }


def dashboard_json(dashboard: Dashboard, *, with_widgets: bool = True) -> dict[str, Any]:
    body = {
        "id": dashboard.pk,
        "title": dashboard.title,
        "description": dashboard.description,
        "layout": dashboard.layout,
        "filters": dashboard.filters,
        "refresh_seconds": dashboard.refresh_seconds,
        "owner": dashboard.owner_id,
        "created_at": dashboard.created_at,
        "updated_at": dashboard.updated_at,
        "url": reverse("dashboard-view", args=[dashboard.pk]),
    }
    if with_widgets:
        body["widgets"] = [widget_json(w) for w in dashboard.widgets.all()]
    return body


def picked_from(request: Request, dashboard: Dashboard) -> dict[str, Any]:
    return parse_picked(request.query_params, parse_definitions(dashboard.filters))


def widget_ids_from(request: Request) -> list[int] | None:
    values = request.query_params.getlist("widget")
    if not values:
        return None
    try:
        return [int(v) for v in values]
    except ValueError as error:
        raise ValidationFailed("widget must be a widget id.") from error


class _DashboardView(WorkspaceObjectView):
    """A dashboard named by the URL, checked against the dashboards policy before the handler runs."""

    policy = DASHBOARD_RULES

    def safely_get_object(self, *, pk: int, **url_kwargs: Any) -> Dashboard:
        return selectors.dashboard_get(pk)


class DashboardInput(serializers.Serializer):
    title = serializers.CharField(max_length=200)
    description = serializers.CharField(required=False, allow_blank=True)
    layout = serializers.JSONField(required=False)
    filters = serializers.JSONField(required=False)
    refresh_seconds = serializers.IntegerField(required=False, allow_null=True, min_value=0)


class DashboardList(APIView):
    @extend_schema(summary="Dashboards of the organisation", responses=dict, operation_id="dashboards_list")
    def get(self, request: Request) -> Response:
        dashboards = selectors.dashboard_list_visible(Principal.from_request(request))
        return Response(
            {
                "dashboards": [
                    dashboard_json(d, with_widgets=False) | {"widget_count": d.widget_count}
                    for d in dashboards
                ]
            }
        )

    @extend_schema(summary="Create a dashboard", request=DashboardInput, responses=dict)
    def post(self, request: Request) -> Response:
        data = _valid(DashboardInput, request.data)
        dashboard = services.dashboard_create(principal=Principal.from_request(request), **data)
        return Response(dashboard_json(dashboard), status=201)


class DashboardDetail(_DashboardView):
    @extend_schema(summary="A dashboard and its widgets", responses=dict, operation_id="dashboards_retrieve")
    def get(self, request: Request, pk: int) -> Response:
        return Response(dashboard_json(self.object))

    @extend_schema(summary="Change a dashboard", request=DashboardInput, responses=dict)
    def patch(self, request: Request, pk: int) -> Response:
        changes = _valid(DashboardInput, request.data, partial=True)
        dashboard = services.dashboard_update(dashboard=self.object, principal=self.principal, **changes)
        return Response(dashboard_json(dashboard))

    put = patch

    @extend_schema(summary="Delete a dashboard", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.dashboard_delete(dashboard=self.object, principal=self.principal)
        return Response(status=204)


class DashboardDuplicate(_DashboardView):
    object_actions = {"POST": "duplicate"}

    @extend_schema(summary="Copy a dashboard with its widgets", request=None, responses=dict)
    def post(self, request: Request, pk: int) -> Response:
        title = request.data.get("title") if isinstance(request.data, dict) else None
        copy = services.dashboard_duplicate(dashboard=self.object, principal=self.principal, title=title)
        return Response(dashboard_json(copy), status=201)


class LayoutInput(serializers.Serializer):
    widgets = serializers.ListField(child=serializers.DictField())


class DashboardLayout(_DashboardView):
    @extend_schema(summary="Move and resize widgets", request=LayoutInput, responses=dict)
    def put(self, request: Request, pk: int) -> Response:
        data = _valid(LayoutInput, request.data)
        widgets = services.dashboard_save_layout(
            dashboard=self.object, principal=self.principal, positions=data["widgets"]
        )
        return Response({"widgets": [widget_json(w) for w in widgets]})


class WidgetInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=Widget.Kind.values)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    chart_id = serializers.IntegerField(required=False, allow_null=True)
    query = serializers.JSONField(required=False, allow_null=True)
    text = serializers.CharField(required=False, allow_blank=True, trim_whitespace=False)
    x = serializers.IntegerField(required=False)
    y = serializers.IntegerField(required=False)
    w = serializers.IntegerField(required=False)
    h = serializers.IntegerField(required=False)
    tab = serializers.IntegerField(required=False, min_value=0)


class WidgetList(_DashboardView):
    @extend_schema(summary="Widgets of a dashboard", responses=dict, operation_id="dashboard_widgets_list")
    def get(self, request: Request, pk: int) -> Response:
        return Response({"widgets": [widget_json(w) for w in self.object.widgets.all()]})

    @extend_schema(summary="Add a widget", request=WidgetInput, responses=dict)
    def post(self, request: Request, pk: int) -> Response:
        data = _valid(WidgetInput, request.data)
        widget = services.widget_create(dashboard=self.object, principal=self.principal, **data)
        return Response(widget_json(widget), status=201)


class WidgetDetail(WorkspaceObjectView):
    """A widget, checked against the widget rules of the dashboards policy."""

    policy = WIDGET_RULES

    def safely_get_object(self, *, pk: int, widget_id: int, **url_kwargs: Any) -> Widget:
        return selectors.widget_get(selectors.dashboard_get(pk), widget_id)

    @extend_schema(summary="A widget", responses=dict, operation_id="dashboard_widgets_retrieve")
    def get(self, request: Request, pk: int, widget_id: int) -> Response:
        return Response(widget_json(self.object))

    @extend_schema(summary="Change a widget", request=WidgetInput, responses=dict)
    def patch(self, request: Request, pk: int, widget_id: int) -> Response:
        changes = _valid(WidgetInput, request.data, partial=True)
        widget = services.widget_update(widget=self.object, principal=self.principal, **changes)
        return Response(widget_json(widget))

    put = patch

    @extend_schema(summary="Remove a widget", responses={204: None})
    def delete(self, request: Request, pk: int, widget_id: int) -> Response:
        services.widget_delete(widget=self.object, principal=self.principal)
        return Response(status=204)


class DashboardData(_DashboardView):
    @extend_schema(
        summary="Every widget's data and chart option, with the dashboard filters applied",
        parameters=FILTER_PARAMETERS,
        responses=dict,
    )
    def get(self, request: Request, pk: int) -> Response:
        dashboard = self.object
        picked = picked_from(request, dashboard)
        widgets = dashboard_data(
            dashboard=dashboard,
            audience=Audience(principal=self.principal),
            picked=picked,
            widget_ids=widget_ids_from(request),
        )
        return Response({"dashboard": dashboard.pk, "filters": describe_picked(picked), "widgets": widgets})


class DashboardFilterOptions(_DashboardView):
    @extend_schema(
        summary="Values a viewer can pick for a values filter",
        parameters=[OpenApiParameter("field", str, required=True)],
        responses=dict,
    )
    def get(self, request: Request, pk: int) -> Response:
        dashboard = self.object
        field_name = request.query_params.get("field", "")
        if field_name not in {d.field for d in parse_definitions(dashboard.filters)}:
            raise ValidationFailed(f"This dashboard has no filter on {field_name!r}.")
        options = filter_option_counts(
            dashboard=dashboard, field_name=field_name, audience=Audience(principal=self.principal)
        )
        return Response({"field": field_name, "values": [o["value"] for o in options], "options": options})


class DashboardFields(_DashboardView):
    @extend_schema(
        summary="Columns of the dashboard's tables, the fields a filter can use",
        responses=dict,
        operation_id="dashboard_fields_list",
    )
    def get(self, request: Request, pk: int) -> Response:
        fields = dashboard_fields(self.object)
        return Response(
            {"fields": [{"name": f.name, "type": f.type, "tables": list(f.tables)} for f in fields]}
        )


class WidgetDrill(_DashboardView):
    @extend_schema(
        summary="The rows behind one element of a widget (drill-through), with the dashboard filters",
        parameters=[
            OpenApiParameter("field", str, required=True, description="The widget dimension clicked."),
            OpenApiParameter("value", str, description="The clicked value; omit it for an empty value."),
            *FILTER_PARAMETERS[1:],
        ],
        responses=dict,
    )
    def get(self, request: Request, pk: int, widget_id: int) -> Response:
        dashboard = self.object
        widget = selectors.widget_get(dashboard, widget_id)
        rows = drill_rows(
            widget=widget,
            audience=Audience(principal=self.principal),
            picked=picked_from(request, dashboard),
            field_name=request.query_params.get("field", ""),
            value=request.query_params.get("value"),
        )
        return Response(
            {
                "widget": widget.pk,
                "columns": rows.columns,
                "rows": rows.rows,
                "truncated": rows.truncated,
                "filters": rows.filters,
            }
        )


class PublishInput(serializers.Serializer):
    expires_in_days = serializers.IntegerField(required=False, allow_null=True, min_value=1, max_value=3650)


def public_link_json(request: Request, link: PublicLink, token: str) -> dict[str, Any]:
    return {
        "id": link.pk,
        "url": request.build_absolute_uri(reverse("public-dashboard", args=[token])),
        "token": token,
        "expires_at": link.expires_at,
        "created_at": link.created_at,
    }


class DashboardPublish(_DashboardView):
    object_actions = {"POST": "publish"}

    @extend_schema(
        summary="Publish a read-only public link (the link is shown once)",
        request=PublishInput,
        responses=dict,
    )
    def post(self, request: Request, pk: int) -> Response:
        days = _valid(PublishInput, request.data).get("expires_in_days")
        expires_at = timezone.now() + timedelta(days=days) if days else None
        link, token = services.dashboard_publish(
            dashboard=self.object, principal=self.principal, expires_at=expires_at
        )
        return Response(public_link_json(request, link, token), status=201)


class DashboardUnpublish(_DashboardView):
    object_actions = {"POST": "publish"}

    @extend_schema(summary="Revoke every public link of a dashboard", request=None, responses=dict)
    def post(self, request: Request, pk: int) -> Response:
        revoked = services.dashboard_unpublish(dashboard=self.object, principal=self.principal)
        return Response({"revoked": revoked})


class EmbedUrlInput(serializers.Serializer):
    params = serializers.DictField(required=False, default=dict)
    exp_minutes = serializers.IntegerField(
        required=False, default=60, min_value=1, max_value=int(MAX_LIFETIME.total_seconds() // 60)
    )
    theme = serializers.ChoiceField(choices=THEMES, required=False, allow_null=True)
    bordered = serializers.BooleanField(required=False, default=True)
    titled = serializers.BooleanField(required=False, default=True)
    drill = serializers.BooleanField(required=False, default=False)


def embed_url(request: Request, dashboard: Dashboard, data: dict[str, Any]) -> dict[str, Any]:
    secret = embedding.embed_secret()
    if secret is None:
        raise ValidationFailed("Create an embedding secret first (Dashboards → Embedding).")
    expires_at = timezone.now() + timedelta(minutes=data["exp_minutes"])
    token = sign_embed_token(
        secret=secret,
        audience=embedding.embed_audience(),
        dashboard_id=dashboard.pk,
        expires_at=expires_at,
        params=parse_locked(data["params"]),
        theme=data.get("theme"),
        bordered=data["bordered"],
        titled=data["titled"],
        drill=data["drill"],
    )
    return {
        "url": request.build_absolute_uri(reverse("embed-dashboard", args=[token])),
        "token": token,
        "expires_at": expires_at,
    }


class DashboardEmbedUrl(_DashboardView):
    object_actions = {"POST": "embed"}  # a signed URL is as strong as the secret it was signed with

    @extend_schema(summary="A signed embed URL for this dashboard", request=EmbedUrlInput, responses=dict)
    def post(self, request: Request, pk: int) -> Response:
        return Response(embed_url(request, self.object, _valid(EmbedUrlInput, request.data)))


class EmbedSettingsInput(serializers.Serializer):
    allowed_origins = serializers.ListField(child=serializers.CharField(), allow_empty=True, required=False)
    questions_per_user_month = serializers.IntegerField(
        allow_null=True,
        required=False,
        help_text="Embedded chat questions per end user (external id) and calendar month; null = no limit.",
    )


def embed_settings_json() -> dict[str, Any]:
    stored = embedding.embed_settings()
    return {
        "audience": embedding.embed_audience(),
        "has_secret": bool(stored and stored.secret),
        "rotated_at": stored.rotated_at if stored else None,
        "allowed_origins": embedding.embed_allowed_origins(),
        "questions_per_user_month": workspace_settings().embed_questions_per_user_month,
    }


class EmbedSettingsView(APIView):
    actions = {"GET": hooks.MANAGE, "PATCH": hooks.MANAGE, "PUT": hooks.MANAGE}

    @extend_schema(summary="Embedding settings (never the secret)", responses=dict)
    def get(self, request: Request) -> Response:
        return Response(embed_settings_json())

    @extend_schema(
        summary="Set the origins allowed to frame embeds and the chat's questions per end user and month",
        request=EmbedSettingsInput,
        responses=dict,
    )
    def patch(self, request: Request) -> Response:
        data = _valid(EmbedSettingsInput, request.data)
        actor = Principal.from_request(request)
        with transaction.atomic():  # both or neither
            if "allowed_origins" in data:
                embedding.embed_origins_update(actor=actor, origins=data["allowed_origins"])
            if "questions_per_user_month" in data:
                workspace_settings_update(
                    principal=actor, embed_questions_per_user_month=data["questions_per_user_month"]
                )
        return Response(embed_settings_json())

    put = patch


class EmbedSecretView(APIView):
    actions = {"POST": hooks.MANAGE}

    @extend_schema(
        summary="Create or rotate the embedding secret; shown in this response only",
        request=None,
        responses=dict,
    )
    def post(self, request: Request) -> Response:
        secret = embedding.embed_secret_rotate(actor=Principal.from_request(request))
        return Response(embed_settings_json() | {"secret": secret}, status=201)


def _valid(
    serializer_class: type[serializers.Serializer], data: Any, *, partial: bool = False
) -> dict[str, Any]:
    serializer = serializer_class(data=data, partial=partial)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)
