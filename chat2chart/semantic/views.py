# SPDX-License-Identifier: MIT
"""Semantic model pages: the workspace's models with the automatic model of every table, the YAML
editor of one model (validation, save, versions, rollback, Cube export, a "try it" chart) and the
automatic model of one table. Pages read and call services; the editor's script talks to the API."""

from __future__ import annotations

import io
import zipfile
from typing import Any

from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods

from chat2chart.core.errors import AiserError, NotFound
from chat2chart.core.principal import Principal
from chat2chart.semantic import policy, selectors
from chat2chart.semantic.cube_export import export_cube_project
from chat2chart.semantic.forms import AutoModelForm, table_model
from chat2chart.semantic.model import ModelInvalid
from chat2chart.semantic.models import SemanticModel
from chat2chart.semantic.yaml_io import dump_model, load_model, parse_model
from chat2chart.sources import selectors as source_selectors
from chat2chart.sources.models import Source
from chat2chart.sources.semantic import Granularity

GRANULARITIES: tuple[str, ...] = Granularity.__args__  # type: ignore[attr-defined]


def _require(allowed: bool) -> None:
    # Pages answer 404 rather than 403 so they do not reveal what exists.
    if not allowed:
        raise Http404("not allowed")


def _model_for(request: HttpRequest, pk: int, rule: str = "view") -> SemanticModel:
    try:
        model = selectors.semantic_model_get(model_id=pk)
    except NotFound as error:
        raise Http404(error.message) from error
    principal = Principal.from_request(request)
    _require(policy.can_view_model(principal, model))
    _require(policy.RULES[rule](principal, model))
    return model


def _ready_sources(principal: Principal) -> list[tuple[Source, list[str]]]:
    """Every source `principal` may see with its current table names (the automatic model of each table
    is one click away)."""
    found = []
    for source in source_selectors.source_list_visible(principal):
        names = [table.name for table in source_selectors.source_catalogue(source.pk)]
        if names:
            found.append((source, names))
    return found


@login_required
@require_http_methods(["GET", "POST"])
def model_list_page(request: HttpRequest) -> HttpResponse:
    """The models of the workspace, each table's automatic model, and (editors) new models."""
    principal = Principal.from_request(request)
    _require(policy.can_browse_models(principal))
    if request.method == "POST":
        _require(policy.can_create_model(principal))
        form = AutoModelForm(request.POST)
        if not form.is_valid():
            messages.error(request, " ".join(str(e) for errors in form.errors.values() for e in errors))
            return redirect("semantic-model-list")
        try:
            model = form.create(principal=principal)
        except AiserError as error:
            messages.error(request, error.message)
            return redirect("semantic-model-list")
        messages.success(request, f"Created '{model.name}' (version 1). Edit it below.")
        return redirect("semantic-model-edit", pk=model.pk)
    return render(
        request,
        "semantic/list.html",
        {
            "models": selectors.semantic_model_list(),
            "sources": _ready_sources(principal),
            "can_edit": policy.can_create_model(principal),
            "config": {
                "importUrl": reverse("api-semantic-model-import"),
                "editUrl": reverse("semantic-model-edit", args=[0]),
            },
        },
    )


@login_required
@require_GET
def auto_model_page(request: HttpRequest, source: int, table: str) -> HttpResponse:
    """The automatic model of one table, as YAML, before anyone saves it."""
    principal = Principal.from_request(request)
    _require(policy.can_browse_models(principal))
    try:
        found = source_selectors.source_get(source)
        yaml_text = dump_model(table_model(found, table))
    except NotFound as error:
        raise Http404(error.message) from error
    return render(
        request,
        "semantic/auto.html",
        {
            "source": found,
            "table": table,
            "yaml": yaml_text,
            "can_edit": policy.can_create_model(principal),
        },
    )


@login_required
@require_GET
def model_edit_page(request: HttpRequest, pk: int) -> HttpResponse:
    """The YAML editor of one model: viewers read it and try queries, editors also save and roll back."""
    model = _model_for(request, pk)
    principal = Principal.from_request(request)
    config = {
        "id": model.pk,
        "canEdit": policy.can_change_model(principal, model),
        "canQuery": policy.can_query_model(principal, model),
        "state": model_state(model),
        "granularities": list(GRANULARITIES),
        "urls": {
            "detail": reverse("api-semantic-model-detail", args=[pk]),
            "validate": reverse("api-semantic-model-validate"),
            "rollback": reverse("api-semantic-model-rollback", args=[pk]),
            "query": reverse("api-semantic-query"),
            "state": reverse("semantic-model-state", args=[pk]),
            "recommend": reverse("api-chart-recommend"),
            "render": reverse("api-chart-render"),
            "rollups": reverse("api-semantic-rollup-list", args=[pk]),
        },
    }
    return render(request, "semantic/edit.html", {"model": model, "config": config})


@login_required
@require_GET
def model_state_json(request: HttpRequest, pk: int) -> JsonResponse:
    """What the editor shows after a save or rollback: the text, versions (with authors) and members."""
    return JsonResponse(model_state(_model_for(request, pk)))


@login_required
@require_GET
def model_export_zip(request: HttpRequest, pk: int) -> HttpResponse:
    """The model as a Cube project (`model/cubes/<cube>.yml`), zipped for download."""
    model = _model_for(request, pk)
    try:
        files = export_cube_project(load_model(model.yaml))
    except ModelInvalid as error:
        raise Http404(error.message) from error
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w", zipfile.ZIP_DEFLATED) as archive:
        for path, text in sorted(files.items()):
            archive.writestr(path, text)
    response = HttpResponse(buffer.getvalue(), content_type="application/zip")
    name = slugify(model.name) or "model"
    response["Content-Disposition"] = f'attachment; filename="{name}-cube.zip"'
    return response


def model_state(model: SemanticModel) -> dict[str, Any]:
    """{model: {id, name, version, yaml}, versions: [{number, note, author, created_at, diff}],
    members: {measures, dimensions, segments}} with authors as e-mail addresses."""
    versions = list(selectors.semantic_model_versions(model=model))
    ids = {v.author_id for v in versions if v.author_id is not None}
    emails = dict(get_user_model().objects.filter(pk__in=ids).values_list("pk", "email"))
    parsed, _ = parse_model(model.yaml)
    return {
        "model": {"id": model.pk, "name": model.name, "version": model.version, "yaml": model.yaml},
        "versions": [
            {
                "number": v.number,
                "note": v.note,
                "author": emails.get(v.author_id, "unknown") if v.author_id else "unknown",
                "created_at": v.created_at.isoformat(),
                "diff": v.diff,
            }
            for v in versions
        ],
        "members": selectors.model_members(parsed) if parsed is not None else {},
    }
