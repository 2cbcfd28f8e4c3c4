# SPDX-License-Identifier: MIT
"""Widgets defined by a semantic query of model members: `widget.query` is a model query with the
model's id, `{"model": 3, "measures": ["orders.margin"], "dimensions": ["customers.segment"]}`.

Dashboard filters and an embed's locked values apply to member dimensions: a field is a member
(`customers.region`) or a dimension name that exactly one cube of the model has (`region`). A locked
value restricts every measure through the model's joins (a locked `customers.region` limits a measure
on orders); a widget whose model has no such dimension is refused rather than shown unrestricted.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date
from typing import Any

import pydantic

from chat2chart.charts.recommend import recommend
from chat2chart.charts.render import build_option
from chat2chart.charts.services import column_profiles
from chat2chart.charts.spec import ChartSpec, auto_spec
from chat2chart.core.api import pydantic_message
from chat2chart.core.errors import ChartError, QueryError, ValidationFailed
from chat2chart.dashboards.filters import Picked, locked_filters, picked_filters
from chat2chart.dashboards.member_analysis import member_analysis_widget
from chat2chart.semantic import selectors as semantic_selectors
from chat2chart.semantic import services as semantic_services
from chat2chart.semantic.model import Dimension, Model
from chat2chart.semantic.query import ModelQuery, find_member, query_cubes
from chat2chart.semantic.results import member_title, titled_result
from chat2chart.semantic.yaml_io import load_model
from chat2chart.sources.results import ResultSet
from chat2chart.sources.semantic import Filter
from chat2chart.workspaces.selectors import workspace_locale

_CALENDAR = ("day", "week", "month", "quarter", "year")  # a KPI compares with the period before
LOCKED_MEMBER_MISSING = "This widget cannot be shown here: its model cannot be limited to this view."


def is_member_query(query: Any) -> bool:
    """A widget query that names a semantic model (and so speaks model members)."""
    return isinstance(query, dict) and "model" in query


def member_query_clean(query: dict[str, Any]) -> dict[str, Any]:
    """The widget's model query checked against its model (which must exist in this workspace)."""
    model_id = query.get("model")
    if not isinstance(model_id, int) or isinstance(model_id, bool):
        raise ValidationFailed('A member widget names its model by id: {"model": 3, "measures": [...]}.')
    stored = semantic_selectors.semantic_model_get(model_id=model_id)
    parsed = member_query_parse({k: v for k, v in query.items() if k != "model"})
    query_cubes(load_model(stored.yaml), parsed)  # every member exists (QueryError says which does not)
    return {"model": model_id, **parsed.model_dump(mode="json", exclude_defaults=True)}


def member_widget_result(
    *,
    kind: str,
    query: dict[str, Any],
    principal: Any,
    locked: Mapping[str, Any],
    picked: Mapping[str, Picked],
    theme: str | None = None,
) -> tuple[ResultSet, dict[str, Any], list[str]]:
    """Run a member widget's query with the dashboard's picked filters and the locked values and draw
    it as `kind` (a chart widget gets the best-fitting chart). Returns the result, the ECharts option
    and the picked fields the model has no dimension for (shown as "not filtered by")."""
    stored = semantic_selectors.semantic_model_get(model_id=query["model"])
    model = load_model(stored.yaml)
    parsed = member_query_parse({k: v for k, v in query.items() if k != "model"})
    extra, not_filtered = member_filters(model, locked, picked)
    if kind == "kpi":
        over_time = [
            d for d in parsed.dimensions if d.granularity in ("day", "week", "month", "quarter", "year")
        ]
        parsed = parsed.model_copy(update={"dimensions": over_time[:1], "order": [], "limit": None})
    parsed = parsed.model_copy(update={"filters": [*parsed.filters, *extra]})
    answer = semantic_services.semantic_query_run(
        model=stored, query=parsed.model_dump(mode="json"), principal=principal
    )
    result = titled_result(answer, model, parsed)
    spec = _spec(kind, result)
    if theme:
        spec = spec.model_copy(update={"options": spec.options.model_copy(update={"theme": theme})})
    return result, build_option(spec, result, locale=workspace_locale()), not_filtered


def member_analysis_result(
    *,
    kind: str,
    query: dict[str, Any],
    principal: Any,
    locked: Mapping[str, Any],
    picked: Mapping[str, Picked],
    today: date,
) -> tuple[dict[str, Any], list[str]]:
    """An analysis widget (forecast, anomalies, drivers, insight) of a member query: the body
    `analysis_widget` gives (option, insight, data) and the picked fields the model lacks. The locked
    and picked values limit every query the analysis runs (see `member_analysis`)."""
    stored = semantic_selectors.semantic_model_get(model_id=query["model"])
    model = load_model(stored.yaml)
    parsed = member_query_parse({k: v for k, v in query.items() if k != "model"})
    extra, not_filtered = member_filters(model, locked, picked)

    def answer(model_query: ModelQuery) -> dict[str, Any]:
        return semantic_services.semantic_query_run(
            model=stored, query=model_query.model_dump(mode="json"), principal=principal
        )

    body = member_analysis_widget(
        kind, model=model, label=stored.name, query=parsed, answer=answer, extra=extra, today=today
    )
    return body, not_filtered


def member_filters(
    model: Model, locked: Mapping[str, Any], picked: Mapping[str, Picked]
) -> tuple[list[Filter], list[str]]:
    """The locked values (each must be a dimension of the model, else the widget is refused) and the
    picked ones the model has (a locked field's pick cannot widen it) as member filters, and the
    picked fields the model lacks."""
    extra: list[Filter] = []
    for name, value in sorted(locked.items()):
        member = dimension_member(model, name)
        if member is None:
            raise ValidationFailed(LOCKED_MEMBER_MISSING, code="locked_field_missing")
        extra += locked_filters({member: value})
    locked_members = {dimension_member(model, name) for name in locked}
    not_filtered: list[str] = []
    for name, value in picked.items():
        member = dimension_member(model, name)
        if member is None:
            not_filtered.append(name)
        elif member not in locked_members:
            extra += picked_filters(member, value)
    return extra, not_filtered


def member_filter_values(
    *, query: dict[str, Any], field_name: str, principal: Any, locked: Mapping[str, Any], limit: int
) -> list[Any] | None:
    """The values a viewer can pick for `field_name` from the widget's model (limited by the locked
    values); None when the model has no such dimension or cannot honour a locked value."""
    stored = semantic_selectors.semantic_model_get(model_id=query["model"])
    model = load_model(stored.yaml)
    member = dimension_member(model, field_name)
    lockers = {name: dimension_member(model, name) for name in locked}
    if member is None or None in lockers.values():
        return None
    filters = locked_filters({str(lockers[name]): value for name, value in locked.items()})
    values_query = ModelQuery(
        dimensions=[{"member": member}],  # type: ignore[list-item]
        filters=filters,
        order=[{"field": member}],  # type: ignore[list-item]
        limit=limit,
    )
    answer = semantic_services.semantic_query_run(
        model=stored, query=values_query.model_dump(mode="json"), principal=principal
    )
    return [row[0] for row in answer["rows"] if row[0] is not None]


def dimension_member(model: Model, name: str) -> str | None:
    """`name` as a dimension member of `model`: "cube.dimension" as it is, or a bare dimension name
    that exactly one cube has; None otherwise (never a guess between cubes)."""
    if "." in name:
        try:
            _, member = find_member(model, name)
        except QueryError:
            return None
        return name if isinstance(member, Dimension) else None
    found = [
        f"{c.name}.{d.name}"
        for c in model.cubes
        for d in c.dimensions
        if d.name.casefold() == name.casefold()
    ]
    return found[0] if len(found) == 1 else None


def member_query_parse(data: dict[str, Any]) -> ModelQuery:
    """A widget's model query (without its `model` key) as a ModelQuery; ValidationFailed otherwise."""
    try:
        return ModelQuery.model_validate(data)
    except pydantic.ValidationError as error:
        raise ValidationFailed(f"The widget's model query is not valid: {pydantic_message(error)}") from error


def _spec(kind: str, result: ResultSet) -> ChartSpec:
    if kind in ("kpi", "table"):
        return auto_spec(kind, result.columns_json())
    ranked = recommend(column_profiles(result), row_count=result.row_count)
    for item in ranked:
        try:
            return auto_spec(item.chart_type, result.columns_json())
        except (ChartError, KeyError):  # a recommended type that cannot take these columns: the next
            continue
    return auto_spec("table", result.columns_json())


def member_filter_info(
    query: dict[str, Any], filter_fields: list[str], locked: tuple[str, ...] = ()
) -> dict[str, Any]:
    """`views.widget_filter_info` for a member widget: the dashboard filters its model has a dimension
    for, and the dimensions it groups by (`field` the member, `column` the title its result column
    carries, as the page finds the clicked value by it). Locked fields are left out. Nothing when the
    model or query cannot be read (the widget itself then shows why)."""
    try:
        model = load_model(semantic_selectors.semantic_model_get(model_id=query["model"]).yaml)
        parsed = member_query_parse({k: v for k, v in query.items() if k != "model"})
    except (QueryError, ValidationFailed, KeyError, TypeError):
        return {"filters": [], "dimensions": []}
    locked_members = {dimension_member(model, name) for name in locked} - {None}
    dimensions = [
        {
            "field": ref.member,
            "granularity": ref.granularity,
            "column": member_title(model, ref.member, ref.granularity),
        }
        for ref in parsed.dimensions
        if ref.member not in locked_members
    ]
    filters = [name for name in filter_fields if dimension_member(model, name) is not None]
    return {"filters": filters, "dimensions": dimensions}
