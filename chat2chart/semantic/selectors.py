# SPDX-License-Identifier: MIT
"""Reads of the semantic layer: the workspace's models and their versions."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from chat2chart.core.errors import NotFound
from chat2chart.semantic.model import Model, ModelInvalid
from chat2chart.semantic.models import SemanticModel, SemanticModelVersion
from chat2chart.semantic.yaml_io import load_model


def semantic_model_list() -> QuerySet[SemanticModel]:
    """The models of the workspace in scope (rows live in its schema), by name."""
    return SemanticModel.objects.all()


def semantic_model_get(*, model_id: int) -> SemanticModel:
    found = semantic_model_list().filter(pk=model_id).first()
    if found is None:
        raise NotFound("There is no such semantic model in this workspace.")
    return found


def semantic_model_versions(*, model: SemanticModel) -> QuerySet[SemanticModelVersion]:
    """Every saved version of `model`, newest first."""
    return model.versions.all()


def semantic_model_version_get(*, model: SemanticModel, number: int) -> SemanticModelVersion:
    found = model.versions.filter(number=number).first()
    if found is None:
        raise NotFound(f"'{model.name}' has no version {number}.")
    return found


def model_members(model: Model) -> dict[str, list[dict[str, str]]]:
    """Measures, dimensions and segments: {name: "cube.member", title: "Cube · Title", label: the
    member's own title} and, for dimensions, the type (a time dimension takes a granularity)."""
    found: dict[str, list[dict[str, str]]] = {"measures": [], "dimensions": [], "segments": []}
    for cube in model.cubes:
        cube_title = cube.title or cube.name.replace("_", " ")
        for measure in cube.measures:
            title = measure.title or measure.name.replace("_", " ")
            found["measures"].append(
                {"name": f"{cube.name}.{measure.name}", "title": f"{cube_title} · {title}", "label": title}
            )
        for dim in cube.dimensions:
            title = dim.title or dim.name.replace("_", " ")
            found["dimensions"].append(
                {
                    "name": f"{cube.name}.{dim.name}",
                    "title": f"{cube_title} · {title}",
                    "label": title,
                    "type": dim.type,
                }
            )
        for segment in cube.segments:
            title = segment.title or segment.name.replace("_", " ")
            found["segments"].append(
                {"name": f"{cube.name}.{segment.name}", "title": f"{cube_title} · {title}", "label": title}
            )
    return found


def member_catalogue() -> list[dict[str, Any]]:
    """Every model of the workspace in scope that parses, with its members, for pickers:
    [{id, name, measures, dimensions, segments}] as `model_members` describes them, by name."""
    catalogue = []
    for stored in semantic_model_list().order_by("name"):
        try:
            parsed = load_model(stored.yaml)
        except ModelInvalid:
            continue  # a model whose YAML no longer parses offers nothing to pick (its page says why)
        catalogue.append({"id": stored.pk, "name": stored.name, **model_members(parsed)})
    return catalogue
