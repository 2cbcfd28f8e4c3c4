# SPDX-License-Identifier: MIT
"""`/api/v1/charts/`: the chart-type catalogue, drawing and recommending charts, and saved charts."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.charts import selectors, services
from chat2chart.charts.models import SavedChart
from chat2chart.charts.policy import RULES as CHART_RULES
from chat2chart.charts.recommend import INTENTS, recommend
from chat2chart.charts.registry import FAMILIES, get_chart_type
from chat2chart.core import hooks
from chat2chart.core.api import WorkspaceObjectView
from chat2chart.core.principal import Principal


class SavedChartSerializer(serializers.ModelSerializer):
    source = serializers.IntegerField(source="source_id", read_only=True)
    source_name = serializers.CharField(source="source.name", read_only=True)
    owner = serializers.IntegerField(source="owner_id", read_only=True)
    collection = serializers.IntegerField(source="collection_id", read_only=True)
    type = serializers.SerializerMethodField()

    class Meta:
        model = SavedChart
        fields = [
            "id",
            "title",
            "description",
            "type",
            "spec",
            "query",
            "source",
            "source_name",
            "owner",
            "collection",
            "pinned",
            "archived_at",
            "created_at",
            "updated_at",
        ]

    def get_type(self, chart: SavedChart) -> str | None:
        return (chart.spec or {}).get("type")


class SavedChartInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True, trim_whitespace=True)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    spec = serializers.JSONField()
    query = serializers.JSONField()
    source = serializers.IntegerField(required=False, allow_null=True)
    collection = serializers.IntegerField(required=False, allow_null=True)


class RenderInputSerializer(serializers.Serializer):
    spec = serializers.JSONField(required=False, allow_null=True)
    type = serializers.CharField(required=False, max_length=50)
    data = serializers.JSONField(required=False, allow_null=True)
    query = serializers.JSONField(required=False, allow_null=True)
    title = serializers.CharField(required=False, allow_blank=True, max_length=200)
    options = serializers.JSONField(required=False, allow_null=True)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if attrs.get("spec") is None and not attrs.get("type"):
            raise serializers.ValidationError("Send a chart spec, or a chart type to draw the data with.")
        if (attrs.get("data") is None) == (attrs.get("query") is None):
            raise serializers.ValidationError("Send either the data to draw or a query to run.")
        return attrs


class RecommendInputSerializer(serializers.Serializer):
    columns = serializers.ListField(child=serializers.JSONField(), required=False, max_length=200)
    query = serializers.JSONField(required=False, allow_null=True)
    intent = serializers.ChoiceField(choices=INTENTS, required=False, allow_null=True)
    row_count = serializers.IntegerField(required=False, allow_null=True, min_value=0)

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if (attrs.get("columns") is None) == (attrs.get("query") is None):
            raise serializers.ValidationError("Send either the result's columns or a query.")
        return attrs


class ChartTypeListView(APIView):
    @extend_schema(
        summary="Every chart type with its family and the data it needs", responses=OpenApiTypes.OBJECT
    )
    def get(self, request: Request) -> Response:
        return Response({"families": list(FAMILIES), "types": selectors.chart_type_list()})


class ChartRenderView(APIView):
    # Drawing posted data reads nothing of the workspace; running a query asks for ASK in the service.
    actions = {"POST": hooks.VIEW}

    @extend_schema(
        summary="Draw a chart from a spec (or a type) and data (or a semantic query)",
        request=RenderInputSerializer,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request) -> Response:
        payload = RenderInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        given = payload.validated_data
        rendered = services.chart_render(
            principal=Principal.from_request(request),
            spec=given.get("spec"),
            chart_type=given.get("type"),
            data=given.get("data"),
            query=given.get("query"),
            title=given.get("title", ""),
            options=given.get("options"),
        )
        body: dict[str, Any] = {"option": rendered.option, "spec": rendered.spec.model_dump(mode="json")}
        if given.get("query") is not None:
            body.update(
                {
                    "data": rendered.data,
                    "sql": rendered.sql,
                    "cached": rendered.cached,
                    "truncated": rendered.truncated,
                }
            )
        return Response(body)


class ChartRecommendView(APIView):
    actions = {"POST": hooks.VIEW}

    @extend_schema(
        summary="Chart types that fit a result's columns, best first",
        request=RecommendInputSerializer,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request) -> Response:
        payload = RecommendInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        given = payload.validated_data
        row_count = given.get("row_count")
        if given.get("query") is not None:
            result = services.query_result(
                query=services.parse_query(given["query"]), principal=Principal.from_request(request)
            )
            row_count = result.row_count
        else:
            result = services.result_from_data({"columns": given["columns"], "rows": []})
        columns = services.column_profiles(result)
        ranked = recommend(columns, intent=given.get("intent"), row_count=row_count)
        return Response({"columns": columns, "recommendations": [_recommendation(r) for r in ranked]})


def _recommendation(item: Any) -> dict[str, Any]:
    chart_type = get_chart_type(item.chart_type)
    return {
        "type": chart_type.id,
        "name": chart_type.name,
        "family": chart_type.family,
        "score": item.score,
        "reason": item.reason,
    }


class SavedChartListView(APIView):
    @extend_schema(summary="The workspace's saved charts", responses=SavedChartSerializer(many=True))
    def get(self, request: Request) -> Response:
        charts = selectors.chart_list_visible(Principal.from_request(request))
        return Response(SavedChartSerializer(charts, many=True).data)

    @extend_schema(summary="Save a chart", request=SavedChartInputSerializer, responses=SavedChartSerializer)
    def post(self, request: Request) -> Response:
        payload = SavedChartInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        given = payload.validated_data
        chart = services.chart_create(
            principal=Principal.from_request(request),
            title=given.get("title", ""),
            description=given.get("description", ""),
            spec=given["spec"],
            query=given["query"],
            source_id=given.get("source"),
            collection_id=given.get("collection"),
        )
        return Response(SavedChartSerializer(chart).data, status=status.HTTP_201_CREATED)


class _SavedChartView(WorkspaceObjectView):
    """A saved chart named by the URL, checked against the charts policy before the handler runs."""

    policy = CHART_RULES

    def safely_get_object(self, *, pk: int, **url_kwargs: Any) -> SavedChart:
        return selectors.chart_get(chart_id=pk)


class SavedChartDetailView(_SavedChartView):
    @extend_schema(
        summary="One saved chart, with the dashboards that show it (`dashboards`)",
        responses=SavedChartSerializer,
    )
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            {**SavedChartSerializer(self.object).data, "dashboards": selectors.chart_dashboards(self.object)}
        )

    @extend_schema(
        summary="Change a saved chart", request=SavedChartInputSerializer, responses=SavedChartSerializer
    )
    def patch(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=True)

    @extend_schema(
        summary="Replace a saved chart", request=SavedChartInputSerializer, responses=SavedChartSerializer
    )
    def put(self, request: Request, pk: int) -> Response:
        return self._update(request, pk, partial=False)

    @extend_schema(summary="Delete a saved chart", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.chart_delete(chart=self.object, principal=self.principal)
        return Response(status=status.HTTP_204_NO_CONTENT)

    def _update(self, request: Request, pk: int, *, partial: bool) -> Response:
        payload = SavedChartInputSerializer(data=request.data, partial=partial)
        payload.is_valid(raise_exception=True)
        changes = dict(payload.validated_data)
        changes.pop("collection", None)  # filing is a move: PATCH /api/v1/collections/items/chart/<id>/
        if "source" in changes:
            changes["source_id"] = changes.pop("source")
        chart = services.chart_update(chart=self.object, principal=self.principal, **changes)
        return Response(SavedChartSerializer(chart).data)


class DuplicateInputSerializer(serializers.Serializer):
    title = serializers.CharField(max_length=200, required=False, allow_blank=True)


class SavedChartDuplicateView(_SavedChartView):
    object_actions = {"POST": "view"}

    @extend_schema(
        summary="Copy a saved chart", request=DuplicateInputSerializer, responses=SavedChartSerializer
    )
    def post(self, request: Request, pk: int) -> Response:
        payload = DuplicateInputSerializer(data=request.data)
        payload.is_valid(raise_exception=True)
        copy = services.chart_duplicate(
            chart=self.object, principal=self.principal, title=payload.validated_data.get("title") or None
        )
        return Response(SavedChartSerializer(copy).data, status=status.HTTP_201_CREATED)


class SavedChartDataView(_SavedChartView):
    @extend_schema(summary="Re-run a saved chart's query and draw it", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        rendered = services.chart_data(chart=self.object, principal=self.principal)
        return Response(
            {
                "option": rendered.option,
                "data": rendered.data,
                "sql": rendered.sql,
                "cached": rendered.cached,
                "truncated": rendered.truncated,
            }
        )
