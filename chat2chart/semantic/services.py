# SPDX-License-Identifier: MIT
"""State changes of semantic models (each save is a version with its author and diff, and an audit
entry) and the running of model queries against the one source they read."""

from __future__ import annotations

import difflib
from typing import Any

import pydantic
from django.db import transaction

from chat2chart.core import hooks
from chat2chart.core.api import pydantic_message
from chat2chart.core.errors import Forbidden, QueryError, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.semantic import selectors
from chat2chart.semantic.answers import semantic_answer
from chat2chart.semantic.auto import auto_model
from chat2chart.semantic.model import Cube, Model, ModelInvalid, ModelProblem
from chat2chart.semantic.models import SemanticModel, SemanticModelVersion
from chat2chart.semantic.query import ModelQuery, query_source
from chat2chart.semantic.rollup_services import (
    rollup_files_forget,
    rollup_schedule,
    rollup_sync,
    source_dialect,
)
from chat2chart.semantic.validation import Place
from chat2chart.semantic.yaml_io import dump_model, parse_model
from chat2chart.sources import selectors as source_selectors
from chat2chart.sources.models import Source

MAX_NAME = 200


def semantic_model_problems(*, yaml_text: str) -> tuple[Model | None, list[ModelProblem]]:
    """The model in `yaml_text` and every problem, checked against the catalogues of its sources
    (tables and columns) once it names sources that exist in this workspace."""
    model, problems = parse_model(yaml_text)
    if model is None or problems:
        return model, problems
    for i, cube in enumerate(model.cubes):
        if cube.source is not None and _find_source(cube.source) is None:
            message = f"there is no source {cube.source!r} in this workspace"
            problems.append(ModelProblem(message, cube.name, None, "source", ("cubes", i, "source")))
    if model.source is not None and _find_source(model.source) is None:
        message = f"there is no source {model.source!r} in this workspace"
        problems.append(ModelProblem(message, field="source", path=("source",)))
    if problems:
        return model, problems
    places: dict[int, Place] = {}

    def where(cube: Cube) -> Place:
        value = cube.source if cube.source is not None else model.source
        source = _find_source(value) if value is not None else None
        if source is None:
            return None, "duckdb"
        if source.pk not in places:
            tables = {table.name: table for table in source_selectors.source_catalogue(source.pk)}
            places[source.pk] = (tables or None, source_dialect(source))
        return places[source.pk]

    return parse_model(yaml_text, where=where)


def semantic_model_check(*, yaml_text: str) -> Model:
    """The model in `yaml_text`; raises ModelInvalid listing every problem with its line."""
    model, problems = semantic_model_problems(yaml_text=yaml_text)
    if problems or model is None:
        raise ModelInvalid(problems or [ModelProblem("the model is empty")])
    return model


@transaction.atomic
def semantic_model_create(
    *, principal: Principal, name: str, yaml_text: str, description: str = "", note: str = "created"
) -> SemanticModel:
    name = _clean_name(name)
    if selectors.semantic_model_list().filter(name=name).exists():
        raise ValidationFailed(f"A semantic model called '{name}' already exists; choose another name.")
    parsed = semantic_model_check(yaml_text=yaml_text)
    model = SemanticModel.objects.create(
        name=name, description=description, yaml=yaml_text, version=1, updated_by=principal.user
    )
    _record_version(model, principal, previous="", note=note)
    rollup_schedule(model=model, names=rollup_sync(model=model, parsed=parsed))
    hooks.record_audit(
        action="semantic_model.create",
        actor=principal,
        target_type="semantic_model",
        target_id=model.pk,
        data={"name": name, "version": 1},
    )
    return model


@transaction.atomic
def semantic_model_save(
    *,
    model: SemanticModel,
    principal: Principal,
    yaml_text: str | None = None,
    name: str | None = None,
    description: str | None = None,
    note: str = "",
) -> SemanticModel:
    """Change the text (a new version when it differs), the name or the description."""
    model = SemanticModel.objects.select_for_update().get(pk=model.pk)
    if name is not None and _clean_name(name) != model.name:
        if selectors.semantic_model_list().filter(name=_clean_name(name)).exclude(pk=model.pk).exists():
            raise ValidationFailed(f"A semantic model called '{name}' already exists; choose another name.")
        model.name = _clean_name(name)
    if description is not None:
        model.description = description
    previous = model.yaml
    parsed: Model | None = None
    if yaml_text is not None and yaml_text != previous:
        parsed = semantic_model_check(yaml_text=yaml_text)
        model.yaml = yaml_text
        model.version += 1
    model.updated_by = principal.user
    model.save()
    if model.yaml != previous:
        _record_version(model, principal, previous=previous, note=note)
        if parsed is not None:  # rollups the change affects are stale and rebuilt
            rollup_schedule(model=model, names=rollup_sync(model=model, parsed=parsed))
    hooks.record_audit(
        action="semantic_model.update",
        actor=principal,
        target_type="semantic_model",
        target_id=model.pk,
        data={"name": model.name, "version": model.version},
    )
    return model


def semantic_model_rollback(*, model: SemanticModel, principal: Principal, number: int) -> SemanticModel:
    """Make version `number`'s text current again, as a new version (history is never rewritten)."""
    old = selectors.semantic_model_version_get(model=model, number=number)
    return semantic_model_save(
        model=model, principal=principal, yaml_text=old.yaml, note=f"rolled back to version {number}"
    )


@transaction.atomic
def semantic_model_delete(*, model: SemanticModel, principal: Principal) -> None:
    model_id, name = model.pk, model.name
    rollup_files_forget(model=model)
    model.delete()
    hooks.record_audit(
        action="semantic_model.delete",
        actor=principal,
        target_type="semantic_model",
        target_id=model_id,
        data={"name": name},
    )


def semantic_model_from_source(*, principal: Principal, source_id: int, name: str = "") -> SemanticModel:
    """A new model with one cube per table of the source and the joins its data suggests."""
    source = source_selectors.source_get(source_id)
    tables = source_selectors.source_catalogue(source.pk)
    if not tables:
        raise ValidationFailed(f"'{source.name}' has no tables yet; wait until it is ready.")
    model = auto_model(tables, dialect=source_dialect(source), source=source.pk)
    return semantic_model_create(
        principal=principal, name=name or source.name, yaml_text=dump_model(model), note="automatic model"
    )


def semantic_query_run(
    *,
    model: SemanticModel,
    query: Any,
    principal: Principal,
    source_id: int | None = None,
    use_rollups: bool = True,
) -> dict[str, Any]:
    """Compile a model query and run it on the one source its cubes read (`source_id` for cubes
    that name none), from a rollup when one answers it exactly (see routing) and through the model's
    cache policy. The caller has checked that `principal` may see the model; ASK is checked here
    (an embed viewer needs none: the dashboard it was given decides what it sees).
    Returns {columns, rows, sql (readable, parameters inlined), truncated, elapsed_ms, explain, cache}."""
    # An embed viewer (a verified token or public link) sees what the dashboard shows, like query_run.
    if principal.kind != "embed" and not hooks.can(principal, hooks.ASK):
        raise Forbidden("You do not have permission to run queries.")
    try:
        parsed = ModelQuery.model_validate(query)
    except pydantic.ValidationError as error:
        raise ValidationFailed(f"The query is not valid: {pydantic_message(error)}") from error
    resolved = _with_source_ids(semantic_model_check(yaml_text=model.yaml))
    source = query_source(resolved, parsed)
    if source is None:
        source = source_id
    elif source_id is not None and source_id != source:
        raise QueryError("the query reads the model's own source; leave `source` out or send that source")
    if source is None:
        raise QueryError(
            "say which source to read: add `source:` to the model or send `source` with the query"
        )
    read = source_selectors.source_get(int(source))
    # An edition may keep a source private or share it with some members: a model over it answers
    # only those who may query it.
    if principal.kind != "embed" and not hooks.can(principal, hooks.ASK, read):
        raise Forbidden(f"You do not have access to the data source “{read.name}”.", code="source_not_shared")
    return semantic_answer(
        record=model, model=resolved, query=parsed, source=read, principal=principal, use_rollups=use_rollups
    )


def semantic_query_read_source(*, model: SemanticModel, query: ModelQuery) -> Source:
    """The one source of this workspace that `query` reads through `model` (its cubes' or the
    model's own). Raises QueryError when the members are unknown, read several sources or none, and
    NotFound when the source is not in this workspace."""
    resolved = _with_source_ids(semantic_model_check(yaml_text=model.yaml))
    source = query_source(resolved, query)
    if source is None:
        raise QueryError("the model does not say which source it reads: add `source:` to the model")
    return source_selectors.source_get(int(source))


def _with_source_ids(model: Model) -> Model:
    def as_id(value: int | str | None) -> int | None:
        found = _find_source(value) if value is not None else None
        return found.pk if found is not None else None

    cubes = [c.model_copy(update={"source": as_id(c.source)}) for c in model.cubes]
    return model.model_copy(update={"source": as_id(model.source), "cubes": cubes})


def _find_source(value: int | str) -> Source | None:
    sources = source_selectors.source_list()
    return sources.filter(pk=value).first() if isinstance(value, int) else sources.filter(name=value).first()


def _record_version(
    model: SemanticModel, principal: Principal, *, previous: str, note: str
) -> SemanticModelVersion:
    diff = "".join(
        difflib.unified_diff(
            previous.splitlines(keepends=True),
            model.yaml.splitlines(keepends=True),
            fromfile=f"version {model.version - 1}",
            tofile=f"version {model.version}",
        )
    )
    return SemanticModelVersion.objects.create(
        model=model, number=model.version, yaml=model.yaml, diff=diff, note=note, author=principal.user
    )


def _clean_name(name: Any) -> str:
    text = " ".join(str(name or "").split())
    if not text:
        raise ValidationFailed("A semantic model needs a name.")
    if len(text) > MAX_NAME:
        raise ValidationFailed(f"A semantic model name can be at most {MAX_NAME} characters.")
    return text
