# SPDX-License-Identifier: MIT
"""`/api/v1/sources/...`, `/api/v1/query/` and `/api/v1/sql/`: validate, call a service or selector, answer.

Uploads stream to a temporary file on disk through a capped upload handler (413 past
AISER_MAX_UPLOAD_MB) and are then moved into the source's folder by the service.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any, cast

import orjson
from django.db.models import Prefetch
from django.http import HttpResponse, StreamingHttpResponse
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from pydantic import BaseModel, ConfigDict, StrictInt, StrictStr
from rest_framework import serializers, status
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.renderers import BaseRenderer
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.settings import api_settings
from rest_framework.views import APIView

from chat2chart.core import hooks
from chat2chart.core.api import WorkspaceObjectView
from chat2chart.core.errors import Forbidden, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.sources import arrow, policy, rowaccess, selectors, services
from chat2chart.sources.connectors.rest import redact_url
from chat2chart.sources.models import Source, SourceTable
from chat2chart.sources.policy import RULES as SOURCE_RULES
from chat2chart.sources.querying import query_explain, query_run, query_run_json, sql_run, table_preview
from chat2chart.sources.results import ResultSet
from chat2chart.sources.semantic import SemanticQuery
from chat2chart.sources.uploads import UploadingView, upload_name, upload_path


class _SourceView(WorkspaceObjectView):
    """A source named by the URL, checked against the sources policy before the handler runs."""

    policy = SOURCE_RULES

    def safely_get_object(self, *, pk: int, **url_kwargs: Any) -> Source:
        return selectors.source_get(pk)


# --- serializers -------------------------------------------------------------------------------------


class SourceSerializer(serializers.ModelSerializer):
    progress = serializers.SerializerMethodField()
    password_set = serializers.SerializerMethodField()
    headers_set = serializers.SerializerMethodField()
    tables = serializers.SerializerMethodField()
    config = serializers.SerializerMethodField()

    class Meta:
        model = Source
        fields = [
            "id",
            "name",
            "kind",
            "status",
            "error",
            "progress",
            "config",
            "password_set",
            "headers_set",
            "version",
            "tables",
            "refresh_interval_minutes",
            "refreshed_at",
            "created_at",
            "updated_at",
        ]

    def get_progress(self, source: Source) -> dict[str, Any]:
        # Once ingested, `rows` is the sum of the tables' whole row counts: withheld (None) from a caller
        # limited to some rows of the source, as each table's row count is.
        request = self.context.get("request")
        rows: int | None = source.progress_rows
        if request is None or rowaccess.is_restricted(Principal.from_request(request), source):
            rows = None
        return {"rows": rows, "percent": round(source.progress_fraction * 100, 1)}

    def get_password_set(self, source: Source) -> bool | None:
        return bool(source.secret) if source.kind in services.DATABASE_KINDS else None

    def get_headers_set(self, source: Source) -> bool | None:
        return bool(source.secret) if source.kind == Source.Kind.REST else None

    def get_tables(self, source: Source) -> list[str]:
        return sorted(t.name for t in source.tables.all() if t.is_current)

    def get_config(self, source: Source) -> dict[str, Any]:
        # Passwords and headers never live in config. A REST URL may carry a key in its query
        # string: only people who may edit the source see it (no request in context: masked).
        config = {k: v for k, v in source.config.items() if k not in {"password", "headers"}}
        request = self.context.get("request")
        if "url" in config and not (
            request and policy.can_change_source(Principal.from_request(request), source)
        ):
            config["url"] = redact_url(str(config["url"]))
        return config


class TableSerializer(serializers.ModelSerializer):
    columns = serializers.SerializerMethodField()
    row_count_is_estimate = serializers.SerializerMethodField()

    class Meta:
        model = SourceTable
        fields = ["name", "version", "row_count", "row_count_is_estimate", "columns", "overrides"]

    def get_columns(self, table: SourceTable) -> list[dict[str, Any]]:
        return self._visible(table)[0]

    def to_representation(self, table: SourceTable) -> dict[str, Any]:
        body = super().to_representation(table)
        body["row_count"] = self._visible(table)[1]
        return body

    def _visible(self, table: SourceTable) -> tuple[list[dict[str, Any]], int | None]:
        """The catalogue as the requesting person may see it (a row-limited member gets no whole-table
        profile); without a request in the context (the system's own use), the catalogue as stored."""
        request = self.context.get("request")
        principal = Principal.from_request(request) if request is not None else None
        return rowaccess.visible_catalogue(principal, table.source, table)

    def get_row_count_is_estimate(self, table: SourceTable) -> bool:
        return bool(table.catalogue.get("row_count_is_estimate"))


class FileSourceInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    file = serializers.FileField(allow_empty_file=False)
    on_bad_rows = serializers.ChoiceField(choices=["error", "skip"], default="error")


class UploadInput(serializers.Serializer):
    file = serializers.FileField(allow_empty_file=False)
    on_bad_rows = serializers.ChoiceField(choices=["error", "skip"], required=False)


class ConnectedSourceInput(serializers.Serializer):
    name = serializers.CharField(max_length=200)
    kind = serializers.ChoiceField(choices=["postgres", "mysql", "spark", "rest"])
    config = serializers.DictField()
    refresh_interval_minutes = serializers.IntegerField(
        min_value=5, max_value=60 * 24 * 31, required=False, allow_null=True, default=None
    )


class SourceUpdateInput(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    config = serializers.DictField(required=False)
    refresh_interval_minutes = serializers.IntegerField(
        min_value=5, max_value=60 * 24 * 31, required=False, allow_null=True
    )


class ConnectionTestInput(serializers.Serializer):
    kind = serializers.ChoiceField(choices=["postgres", "mysql", "spark"])
    config = serializers.DictField()


class TableOverrideInput(serializers.Serializer):
    columns = serializers.DictField(child=serializers.DictField(allow_empty=False), allow_empty=False)


class SqlInput(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)

    source: StrictInt
    sql: StrictStr


def _validated(serializer_class: type[serializers.Serializer], data: Any) -> dict[str, Any]:
    if not hasattr(data, "keys"):
        raise ValidationFailed("The request body must be a JSON object.")
    known = set(serializer_class().fields)
    unknown = sorted(set(data.keys()) - known - {"csrfmiddlewaretoken"})
    if unknown:
        raise ValidationFailed(f"{unknown[0]}: not a field of this request; use {', '.join(sorted(known))}.")
    serializer = serializer_class(data=data)
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


def _sources(principal: Principal):
    return selectors.source_list_visible(principal).prefetch_related(
        Prefetch("tables", queryset=SourceTable.objects.filter(is_current=True))
    )


def _source_body(source: Source, request: Request) -> dict[str, Any]:
    body = _sources(Principal.from_request(request)).get(pk=source.pk)
    return SourceSerializer(body, context={"request": request}).data


# --- views -------------------------------------------------------------------------------------------


class SourceListView(UploadingView):
    parser_classes = [MultiPartParser, JSONParser]

    @extend_schema(summary="The workspace's data sources", responses=SourceSerializer(many=True))
    def get(self, request: Request) -> Response:
        sources = _sources(Principal.from_request(request))
        return Response(SourceSerializer(sources, many=True, context={"request": request}).data)

    @extend_schema(
        summary="Create a source: multipart `file` (+ `name`, `on_bad_rows`) or JSON for databases and REST",
        request={"multipart/form-data": FileSourceInput, "application/json": ConnectedSourceInput},
        responses={201: SourceSerializer},
    )
    def post(self, request: Request) -> Response:
        if request.content_type.startswith("multipart/"):
            data = _validated(FileSourceInput, request.data)
            upload = data["file"]
            source = services.source_create_file(
                name=data.get("name") or Path(upload_name(upload)).stem or "Upload",
                upload=upload_path(upload),
                original_name=upload_name(upload),
                on_bad_rows=data["on_bad_rows"],
                principal=Principal.from_request(request),
            )
        else:
            data = _validated(ConnectedSourceInput, request.data)
            if data["kind"] == Source.Kind.REST:
                source = services.source_create_rest(
                    name=data["name"],
                    config=data["config"],
                    refresh_interval_minutes=data["refresh_interval_minutes"],
                    principal=Principal.from_request(request),
                )
            else:
                source = services.source_create_database(
                    name=data["name"],
                    kind=data["kind"],
                    config=data["config"],
                    refresh_interval_minutes=data["refresh_interval_minutes"],
                    principal=Principal.from_request(request),
                )
        return Response(_source_body(source, request), status=status.HTTP_201_CREATED)


class SourceDetailView(_SourceView):
    @extend_schema(summary="One source, with its status and ingestion progress", responses=SourceSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(_source_body(self.object, request))

    @extend_schema(
        summary="Rename; change connection or REST settings; change the refresh interval",
        request=SourceUpdateInput,
        responses=SourceSerializer,
    )
    def patch(self, request: Request, pk: int) -> Response:
        data = _validated(SourceUpdateInput, request.data)
        source = services.source_update(
            source=self.object,
            principal=Principal.from_request(request),
            name=data.get("name"),
            config=data.get("config"),
            refresh_interval_minutes=data.get("refresh_interval_minutes", ...),
        )
        return Response(_source_body(source, request))

    @extend_schema(summary="Delete the source and its stored files", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.source_delete(source=self.object, principal=Principal.from_request(request))
        return Response(status=status.HTTP_204_NO_CONTENT)


class SourceUploadView(UploadingView, _SourceView):
    parser_classes = [MultiPartParser]

    @extend_schema(
        summary="Upload a new version of a file source",
        request={"multipart/form-data": UploadInput},
        responses={202: SourceSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        source = self.object
        data = _validated(UploadInput, request.data)
        source = services.source_upload(
            source=source,
            upload=upload_path(data["file"]),
            original_name=upload_name(data["file"]),
            on_bad_rows=data.get("on_bad_rows") or source.config.get("on_bad_rows", "error"),
            principal=Principal.from_request(request),
        )
        return Response(_source_body(source, request), status=status.HTTP_202_ACCEPTED)


class SourceRefreshView(_SourceView):
    @extend_schema(
        summary="Re-introspect a database or re-fetch a REST API",
        request=None,
        responses={202: SourceSerializer},
    )
    def post(self, request: Request, pk: int) -> Response:
        source = services.source_request_refresh(
            source=self.object, principal=Principal.from_request(request)
        )
        return Response(_source_body(source, request), status=status.HTTP_202_ACCEPTED)


class ConnectionTestView(APIView):
    @extend_schema(
        summary="Test database connection settings without saving them",
        request=ConnectionTestInput,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request) -> Response:
        data = _validated(ConnectionTestInput, request.data)
        services.connection_test(kind=data["kind"], config=data["config"])
        return Response({"ok": True, "message": "Connected."})


class TableListView(_SourceView):
    @extend_schema(summary="The source's tables and their catalogue", responses=TableSerializer(many=True))
    def get(self, request: Request, pk: int) -> Response:
        return Response(
            TableSerializer(
                selectors.source_tables(self.object), many=True, context={"request": request}
            ).data
        )


class TableDetailView(_SourceView):
    @extend_schema(summary="One table and its columns", responses=TableSerializer)
    def get(self, request: Request, pk: int, name: str) -> Response:
        return Response(
            TableSerializer(selectors.source_table_get(self.object, name), context={"request": request}).data
        )

    @extend_schema(
        summary="Rename columns or change their types (re-reads the stored original)",
        request=TableOverrideInput,
        responses={202: SourceSerializer},
    )
    def patch(self, request: Request, pk: int, name: str) -> Response:
        data = _validated(TableOverrideInput, request.data)
        source = services.source_table_override(
            source=self.object,
            table_name=name,
            columns=data["columns"],
            principal=Principal.from_request(request),
        )
        return Response(_source_body(source, request), status=status.HTTP_202_ACCEPTED)


class TablePreviewView(_SourceView):
    @extend_schema(summary="The first 100 rows of a table", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int, name: str) -> HttpResponse:
        return _result_response(
            table_preview(source=self.object, table_name=name, principal=Principal.from_request(request))
        )


class ArrowStreamRenderer(BaseRenderer):
    """Lets a client ask for `application/vnd.apache.arrow.stream`; the view writes the stream itself."""

    media_type = arrow.MEDIA_TYPE
    format = "arrow"
    charset = None

    def render(
        self, data: Any, accepted_media_type: str | None = None, renderer_context: Any = None
    ) -> bytes:
        raise NotImplementedError("QueryView answers an Arrow request with its own streaming response")


class QueryView(APIView):
    actions = {"POST": hooks.ASK}
    # DRF's settings object holds the renderer classes themselves (its stubs say strings).
    renderer_classes = [
        *cast("list[type[BaseRenderer]]", api_settings.DEFAULT_RENDERER_CLASSES),
        ArrowStreamRenderer,
    ]

    @extend_schema(
        summary="Run a semantic query; with `explain: true`, also the SQL sent and the engine's own plan",
        request=OpenApiTypes.OBJECT,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request) -> HttpResponse | StreamingHttpResponse:
        data = request.data
        if isinstance(data, dict) and "explain" in data:
            explain = data.get("explain")
            if not isinstance(explain, bool):
                raise ValidationFailed("explain: must be true or false.")
            data = {k: v for k, v in data.items() if k != "explain"}
            if explain:
                return _explained(data, Principal.from_request(request))
        query = SemanticQuery.parse(data)
        if isinstance(request.accepted_renderer, ArrowStreamRenderer):
            # The same answer (cache and row caps included), written as Arrow record batches.
            result = query_run(query=query, principal=Principal.from_request(request))
            return StreamingHttpResponse(arrow.arrow_stream(result), content_type=arrow.MEDIA_TYPE)
        # A cached answer goes out as the stored bytes (see query_run_json).
        body = query_run_json(query=query, principal=Principal.from_request(request))
        return HttpResponse(body, content_type="application/json")


class SqlView(APIView):
    actions = {"POST": hooks.EDIT}

    @extend_schema(
        summary="Run one read-only SELECT over a source's tables",
        request=OpenApiTypes.OBJECT,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request) -> HttpResponse:
        data = SqlInput.model_validate(request.data)
        principal = Principal.from_request(request)
        if not policy.can_run_sql(principal):
            raise Forbidden("You do not have permission to write SQL.")
        # A source kept private to others is as closed to SQL as to questions.
        if not hooks.can(principal, hooks.ASK, selectors.source_get(data.source)):
            raise Forbidden("You do not have access to this data source.", code="source_not_shared")
        return _result_response(sql_run(source_id=data.source, sql=data.sql, principal=principal))


def _explained(data: Any, principal: Principal) -> HttpResponse:
    # Run uncached, so `rows` are what the engine sent back for the SQL shown (never a cache hit).
    query = SemanticQuery.parse(data)
    explained = query_explain(query=query, principal=principal)
    body = orjson.loads(query_run(query=query, principal=principal, use_cache=False).to_json_bytes())
    body["explain"] = {**explained, "rows_fetched": len(body["rows"])}
    return HttpResponse(orjson.dumps(body), content_type="application/json")


def _result_response(result: ResultSet) -> HttpResponse:
    # Serialised once, by orjson: a result can hold tens of thousands of rows.
    return HttpResponse(result.to_json_bytes(), content_type="application/json")
