# SPDX-License-Identifier: MIT
"""`/api/v1/semantic/`: semantic models (CRUD, versions, rollback, validation, Cube import and export,
automatic models) and model queries. Views validate input and call a service or selector."""

from __future__ import annotations

from typing import Any

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema
from rest_framework import serializers, status
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.views import APIView

from chat2chart.core import hooks
from chat2chart.core.errors import ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.semantic import rollup_schedule, rollup_selectors, selectors, services
from chat2chart.semantic.cube_export import export_cube_project
from chat2chart.semantic.cube_import import MAX_TOTAL_BYTES, files_from_zip, import_cube_project
from chat2chart.semantic.models import SemanticModel, SemanticModelVersion
from chat2chart.semantic.yaml_io import dump_model, load_model


class SemanticModelSerializer(serializers.ModelSerializer):
    class Meta:
        model = SemanticModel
        fields = ["id", "name", "description", "yaml", "version", "updated_by", "created_at", "updated_at"]


class VersionSerializer(serializers.ModelSerializer):
    class Meta:
        model = SemanticModelVersion
        fields = ["number", "yaml", "diff", "note", "author", "created_at"]


class ModelInputSerializer(serializers.Serializer):
    name = serializers.CharField(max_length=200, required=False)
    description = serializers.CharField(required=False, allow_blank=True, max_length=5000)
    yaml = serializers.CharField(required=False, trim_whitespace=False, max_length=2_000_000)


class QueryInputSerializer(serializers.Serializer):
    model = serializers.IntegerField()
    query = serializers.JSONField()
    source = serializers.IntegerField(required=False, allow_null=True)
    use_rollups = serializers.BooleanField(
        required=False, default=True, help_text="false: read the raw tables and skip the answer cache"
    )


class RefreshKeySerializer(serializers.Serializer):
    every = serializers.CharField(required=False, help_text="e.g. '1 hour'")
    sql = serializers.CharField(required=False, help_text="a SELECT whose value changing triggers a rebuild")


class RollupSerializer(serializers.Serializer):
    """The state of one declared rollup (chat2chart.semantic.rollup_selectors.rollup_list)."""

    name = serializers.CharField(help_text="cube.rollup")
    cube = serializers.CharField()
    status = serializers.ChoiceField(choices=["pending", "building", "ready", "failed"])
    usable = serializers.BooleanField(help_text="true when queries can be answered from it now")
    unusable_reason = serializers.CharField(allow_blank=True)
    stale = serializers.BooleanField(help_text="the model or source changed; raw tables answer until rebuilt")
    measures = serializers.ListField(child=serializers.CharField())
    dimensions = serializers.ListField(child=serializers.CharField())
    time_dimension = serializers.CharField(allow_null=True)
    granularity = serializers.CharField(allow_null=True)
    partition_granularity = serializers.CharField(allow_null=True)
    refresh_key = RefreshKeySerializer(allow_null=True)
    partitions = serializers.IntegerField()
    rows = serializers.IntegerField()
    size_bytes = serializers.IntegerField()
    last_refresh_at = serializers.DateTimeField(allow_null=True, help_text="last successful build")
    last_attempt_at = serializers.DateTimeField(allow_null=True)
    last_error = serializers.CharField(allow_blank=True)
    build_ms = serializers.FloatField(allow_null=True)
    model_version = serializers.IntegerField(allow_null=True, help_text="model version it was built for")
    source_id = serializers.IntegerField(allow_null=True)
    source_version = serializers.IntegerField(allow_null=True)
    notes = serializers.ListField(child=serializers.CharField())


def _valid(serializer: serializers.Serializer) -> dict[str, Any]:
    serializer.is_valid(raise_exception=True)
    return dict(serializer.validated_data)


class SemanticModelListView(APIView):
    @extend_schema(summary="The workspace's semantic models", responses=SemanticModelSerializer(many=True))
    def get(self, request: Request) -> Response:
        return Response(SemanticModelSerializer(selectors.semantic_model_list(), many=True).data)

    @extend_schema(
        summary="Create a semantic model from YAML",
        request=ModelInputSerializer,
        responses=SemanticModelSerializer,
    )
    def post(self, request: Request) -> Response:
        given = _valid(ModelInputSerializer(data=request.data))
        if "name" not in given or "yaml" not in given:
            raise ValidationFailed("Send the model's name and its YAML.")
        model = services.semantic_model_create(
            principal=Principal.from_request(request),
            name=given["name"],
            yaml_text=given["yaml"],
            description=given.get("description", ""),
        )
        return Response(SemanticModelSerializer(model).data, status=status.HTTP_201_CREATED)


class SemanticModelDetailView(APIView):
    @extend_schema(summary="One semantic model", responses=SemanticModelSerializer)
    def get(self, request: Request, pk: int) -> Response:
        return Response(SemanticModelSerializer(selectors.semantic_model_get(model_id=pk)).data)

    @extend_schema(
        summary="Change a model (a new version when the YAML changes)",
        request=ModelInputSerializer,
        responses=SemanticModelSerializer,
    )
    def put(self, request: Request, pk: int) -> Response:
        given = _valid(ModelInputSerializer(data=request.data))
        model = services.semantic_model_save(
            model=selectors.semantic_model_get(model_id=pk),
            principal=Principal.from_request(request),
            yaml_text=given.get("yaml"),
            name=given.get("name"),
            description=given.get("description"),
        )
        return Response(SemanticModelSerializer(model).data)

    patch = put

    @extend_schema(summary="Delete a semantic model and its versions", responses={204: None})
    def delete(self, request: Request, pk: int) -> Response:
        services.semantic_model_delete(
            model=selectors.semantic_model_get(model_id=pk), principal=Principal.from_request(request)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class SemanticModelVersionListView(APIView):
    @extend_schema(
        summary="Every saved version of a model, newest first", responses=VersionSerializer(many=True)
    )
    def get(self, request: Request, pk: int) -> Response:
        model = selectors.semantic_model_get(model_id=pk)
        return Response(VersionSerializer(selectors.semantic_model_versions(model=model), many=True).data)


class SemanticModelRollbackView(APIView):
    @extend_schema(
        summary="Make an earlier version current (as a new version)",
        request=OpenApiTypes.OBJECT,
        responses=SemanticModelSerializer,
    )
    def post(self, request: Request, pk: int) -> Response:
        number = request.data.get("version")
        if not isinstance(number, int) or isinstance(number, bool):
            raise ValidationFailed('Send the version number to roll back to, e.g. {"version": 2}.')
        model = services.semantic_model_rollback(
            model=selectors.semantic_model_get(model_id=pk),
            principal=Principal.from_request(request),
            number=number,
        )
        return Response(SemanticModelSerializer(model).data)


class SemanticModelValidateView(APIView):
    actions = {"POST": hooks.VIEW}  # checks text, changes nothing

    @extend_schema(
        summary="Check model YAML; every problem with its line, cube, member and field",
        request=ModelInputSerializer,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request) -> Response:
        given = _valid(ModelInputSerializer(data=request.data))
        _, problems = services.semantic_model_problems(yaml_text=given.get("yaml", ""))
        return Response({"valid": not problems, "problems": [p.to_dict() for p in problems]})


class SemanticModelImportView(APIView):
    @extend_schema(
        summary="Import a Cube project (a zip as `file`, or `files`: {path: text})",
        request=OpenApiTypes.OBJECT,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request) -> Response:
        upload = request.FILES.get("file")
        if upload is not None:
            if upload.size > MAX_TOTAL_BYTES:
                raise ValidationFailed("The project is too large: at most 5 MB.")
            files = files_from_zip(upload.read())
        else:
            files = request.data.get("files")
            if not isinstance(files, dict) or not all(isinstance(v, str) for v in files.values()):
                raise ValidationFailed(
                    "Send the Cube project as a zip `file`, or `files` as {path: YAML text}."
                )
        name = request.data.get("name") or "Imported Cube model"
        imported, report = import_cube_project(files)
        if report.problems:
            summary = "; ".join(p.describe() for p in report.problems[:5])
            raise ValidationFailed(f"The imported model is not valid: {summary}", details=report.to_dict())
        source = request.data.get("source") or None
        if isinstance(source, str) and source.isdigit():  # a form field arrives as text
            source = int(source)
        yaml_text = dump_model(imported.model_copy(update={"source": source}))
        model = services.semantic_model_create(
            principal=Principal.from_request(request),
            name=name,
            yaml_text=yaml_text,
            note="imported from Cube",
        )
        return Response(
            {"model": SemanticModelSerializer(model).data, "report": report.to_dict()},
            status=status.HTTP_201_CREATED,
        )


class SemanticModelExportView(APIView):
    @extend_schema(summary="The model as a Cube project: {path: YAML text}", responses=OpenApiTypes.OBJECT)
    def get(self, request: Request, pk: int) -> Response:
        model = selectors.semantic_model_get(model_id=pk)
        return Response({"files": export_cube_project(load_model(model.yaml))})


class SemanticModelAutoView(APIView):
    @extend_schema(
        summary="Create the automatic model of a source's tables",
        request=OpenApiTypes.OBJECT,
        responses=SemanticModelSerializer,
    )
    def post(self, request: Request) -> Response:
        source = request.data.get("source")
        if not isinstance(source, int) or isinstance(source, bool):
            raise ValidationFailed('Send the source to model, e.g. {"source": 3}.')
        model = services.semantic_model_from_source(
            principal=Principal.from_request(request), source_id=source, name=request.data.get("name") or ""
        )
        return Response(SemanticModelSerializer(model).data, status=status.HTTP_201_CREATED)


class SemanticQueryView(APIView):
    actions = {"POST": hooks.ASK}

    @extend_schema(
        summary="Run a model query on the one source it reads",
        request=QueryInputSerializer,
        responses=OpenApiTypes.OBJECT,
    )
    def post(self, request: Request) -> Response:
        given = _valid(QueryInputSerializer(data=request.data))
        model = selectors.semantic_model_get(model_id=given["model"])
        response = services.semantic_query_run(
            model=model,
            query=given["query"],
            principal=Principal.from_request(request),
            source_id=given.get("source"),
            use_rollups=given.get("use_rollups", True),
        )
        return Response(response)


class SemanticRollupListView(APIView):
    @extend_schema(
        summary="The model's rollups: build status, rows, size, last refresh and last error",
        responses=RollupSerializer(many=True),
    )
    def get(self, request: Request, pk: int) -> Response:
        model = selectors.semantic_model_get(model_id=pk)
        return Response(RollupSerializer(rollup_selectors.rollup_list(model=model), many=True).data)


class SemanticRollupBuildView(APIView):
    @extend_schema(
        summary="Build one rollup now (all partitions); returns its state after the build",
        request=None,
        responses=RollupSerializer,
    )
    def post(self, request: Request, pk: int, name: str) -> Response:
        model = selectors.semantic_model_get(model_id=pk)
        rollup_schedule.rollup_build_now(model_id=model.pk, name=name, force=True)
        hooks.record_audit(
            action="semantic_rollup.build",
            actor=Principal.from_request(request),
            target_type="semantic_model",
            target_id=model.pk,
            data={"rollup": name},
        )
        entry = next(e for e in rollup_selectors.rollup_list(model=model) if e["name"] == name)
        return Response(RollupSerializer(entry).data)
