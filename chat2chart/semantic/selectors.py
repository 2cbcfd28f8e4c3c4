# SPDX-License-Identifier: MIT
"""Reads of the semantic layer: the workspace's models and their versions."""

from __future__ import annotations

from django.db.models import QuerySet

from chat2chart.core.errors import NotFound
from chat2chart.semantic.models import SemanticModel, SemanticModelVersion


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
