# SPDX-License-Identifier: MIT
"""Saved charts whose query is a model query: `{"model": 3, "measures": ["orders.margin"],
"dimensions": ["customers.segment"], "filters": [...]}`, the shape dashboard member widgets use.

The query runs through `semantic_query_run` (rollups, the model's cache policy, row access), and its
result carries the members' titles and formats (`titled_result`), so a saved model chart draws and
re-runs like a table chart. What only works for a table (re-cutting the date grain, alerts) refuses
a model chart with a message that says so.
"""

from __future__ import annotations

from typing import Any

import pydantic

from chat2chart.core.api import pydantic_message
from chat2chart.core.errors import Forbidden, NotFound, QueryError, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.semantic import policy as semantic_policy
from chat2chart.semantic import selectors as semantic_selectors
from chat2chart.semantic import services as semantic_services
from chat2chart.semantic.models import SemanticModel
from chat2chart.semantic.query import ModelQuery, query_cubes
from chat2chart.semantic.results import member_title, titled_result
from chat2chart.semantic.yaml_io import load_model
from chat2chart.sources.models import Source
from chat2chart.sources.results import ResultSet

TABLE_ONLY = "{what} works for charts of a table only; this chart reads the data model “{model}”."


def is_model_query(query: Any) -> bool:
    """A chart query that names a semantic model (and so speaks model members)."""
    return isinstance(query, dict) and "model" in query


def model_query_parts(query: dict[str, Any]) -> tuple[SemanticModel, ModelQuery]:
    """The stored model (of this workspace) and the parsed model query of a chart query.

    Raises ValidationFailed for a query without an integer model id, an unknown model (another
    workspace's id reads as unknown) or an invalid query, and QueryError naming an unknown member."""
    model_id = query.get("model")
    if not isinstance(model_id, int) or isinstance(model_id, bool):
        raise ValidationFailed('A model chart names its model by id: {"model": 3, "measures": [...]}.')
    try:
        stored = semantic_selectors.semantic_model_get(model_id=model_id)
    except NotFound as error:
        raise ValidationFailed(f"There is no data model {model_id} in this workspace.") from error
    try:
        parsed = ModelQuery.model_validate({k: v for k, v in query.items() if k not in ("model", "source")})
    except pydantic.ValidationError as error:
        raise ValidationFailed(f"The model query is not valid: {pydantic_message(error)}") from error
    if not parsed.measures and not parsed.dimensions:
        raise ValidationFailed("Pick at least one measure or dimension of the model.")
    return stored, parsed


def model_query_clean(query: dict[str, Any]) -> tuple[dict[str, Any], Source]:
    """The query as saved ({"model": id, measures, dimensions, ...}, defaults left out) and the one
    source it reads. Raises ValidationFailed for an unknown model or member."""
    stored, parsed = model_query_parts(query)
    try:
        query_cubes(load_model(stored.yaml), parsed)  # every member exists
        source = semantic_services.semantic_query_read_source(model=stored, query=parsed)
    except QueryError as error:
        raise ValidationFailed(f"The query is not valid: {error.message}") from error
    except NotFound as error:
        raise ValidationFailed(f"The data model “{stored.name}” reads a source that is not here.") from error
    return {"model": stored.pk, **parsed.model_dump(mode="json", exclude_defaults=True)}, source


def model_result(
    *, query: dict[str, Any], principal: Principal, use_cache: bool = True, limit: int | None = None
) -> ResultSet:
    """Run a model chart's query as `principal` and return the result with the members' titles,
    formats and roles. `use_cache=False` skips the rollups too (a fresh read of the source)."""
    stored, parsed = model_query_parts(query)
    if not semantic_policy.can_query_model(principal, stored):
        raise Forbidden("You do not have permission to query this data model.")
    if limit is not None:
        parsed = parsed.model_copy(update={"limit": limit})
    answer = semantic_services.semantic_query_run(
        model=stored, query=parsed.model_dump(mode="json"), principal=principal, use_rollups=use_cache
    )
    return titled_result(answer, load_model(stored.yaml), parsed)


def model_query_title(query: dict[str, Any]) -> str:
    """A chart title from the members' titles: "Margin by Segment", "Margin and Count by Segment"."""
    stored, parsed = model_query_parts(query)
    model = load_model(stored.yaml)
    measures = [member_title(model, name) for name in parsed.measures]
    dimensions = [member_title(model, d.member, d.granularity) for d in parsed.dimensions]
    head = " and ".join(measures) or "Rows"
    return f"{head} by {' and '.join(dimensions)}" if dimensions else head


def refuse_table_only(query: Any, what: str) -> None:
    """Raise ValidationFailed (naming `what` and the model) when `query` is a model query."""
    if is_model_query(query):
        try:
            name = semantic_selectors.semantic_model_get(model_id=query["model"]).name
        except NotFound:
            name = str(query.get("model"))
        raise ValidationFailed(TABLE_ONLY.format(what=what, model=name), code="table_only")
