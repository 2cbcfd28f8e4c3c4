# SPDX-License-Identifier: MIT
"""State changes of saved charts and the drawing of charts from data or a semantic query.

`chart_create`, `chart_update` and `chart_delete` validate, write and audit in one transaction.
`chart_render` turns a spec (or a chart type) plus a result, or a query it runs as the user, into an
ECharts option; `chart_data` does the same for a saved chart.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pydantic
from django.db import transaction

from chat2chart.charts import model_charts, policy
from chat2chart.charts.grain import CHART_GRAINS
from chat2chart.charts.models import SavedChart
from chat2chart.charts.registry import get_chart_type
from chat2chart.charts.render import build_option, resolve_slots
from chat2chart.charts.spec import ChartSpec, auto_spec, parse_spec
from chat2chart.charts.titles import clean_title, query_title
from chat2chart.collections import policy as collection_policy
from chat2chart.collections.models import Collection
from chat2chart.core import hooks
from chat2chart.core.api import pydantic_message
from chat2chart.core.errors import ChartError, Forbidden, QueryError, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.sources import selectors as source_selectors
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.compiler import compile_query
from chat2chart.sources.models import Source
from chat2chart.sources.querying import query_run
from chat2chart.sources.results import ResultSet, query_columns
from chat2chart.sources.semantic import SemanticQuery
from chat2chart.workspaces.selectors import workspace_locale

EDITABLE_FIELDS = ("title", "description", "spec", "query")


@dataclass(frozen=True)
class RenderedChart:
    """An ECharts option, its spec and the typed result it was drawn from."""

    option: dict[str, Any]
    result: ResultSet
    spec: ChartSpec
    grain: str | None = None  # the date grouping's grain, when the query has one

    @property
    def data(self) -> dict[str, Any]:
        """The result as the render API shows it: columns (with their cardinality) and rows."""
        return {"columns": column_profiles(self.result), "rows": [list(row) for row in self.result.rows]}

    @property
    def sql(self) -> str:
        return self.result.sql

    @property
    def cached(self) -> bool:
        return self.result.cache.hit

    @property
    def truncated(self) -> bool:
        return self.result.truncated


# --- reading results -------------------------------------------------------------------------------


def parse_query(data: Any) -> SemanticQuery:
    """A semantic query from user input; problems become one ValidationFailed with field paths."""
    if isinstance(data, SemanticQuery):
        return data
    try:
        return SemanticQuery.parse(data)
    except pydantic.ValidationError as error:
        raise ValidationFailed(f"The query is not valid: {pydantic_message(error)}") from error


def result_from_data(data: Any) -> ResultSet:
    """A client's posted result ({"columns": [...], "rows": [[...]]}) as a ResultSet.

    Columns are names or dicts with a name and, optionally, type, role and format; what is left out
    is filled by `ResultSet.from_rows`, the one place a type is inferred. Raises ChartError for a
    shape that is not a result.
    """
    columns = data.get("columns") if isinstance(data, dict) else None
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise ChartError("The data must have a list of columns and a list of rows.")
    if not all(isinstance(row, list) for row in rows):
        raise ChartError("Every row must be a list of values, one per column.")
    if not all(
        isinstance(c, str) or (isinstance(c, dict) and isinstance(c.get("name"), str)) for c in columns
    ):
        raise ChartError("Every result column needs a name.")
    return ResultSet.from_rows(columns, rows)


def column_profiles(result: ResultSet) -> list[dict[str, Any]]:
    """The columns as `auto_spec` and `recommend` read them: the wire shape, plus each non-measure's
    count of distinct values (`cardinality`), which decides between a pie and a bar."""
    return [
        {
            **column.to_json(),
            "cardinality": None if column.role == "measure" else result.cardinality(column.name),
        }
        for column in result.columns
    ]


def query_result(*, query: SemanticQuery, principal: Principal, use_cache: bool = True) -> ResultSet:
    """Run `query` as `principal`, who must be allowed to ask questions in this workspace."""
    if not policy.can_run_chart_queries(principal):
        raise Forbidden("You do not have permission to run queries in this workspace.")
    return query_run(query=query, principal=principal, use_cache=use_cache)


def _spec_for(
    *, spec: Any, chart_type: str | None, result: ResultSet, title: str, options: dict[str, Any] | None
) -> ChartSpec:
    if spec is not None:
        return spec if isinstance(spec, ChartSpec) else parse_spec(_as_object(spec, "spec"))
    if not chart_type:
        raise ChartError("Send a chart spec, or a chart type to draw the data with.")
    return auto_spec(chart_type, result.columns_json(), title=title, options=options)


def _as_object(value: Any, what: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise ChartError(f"The {what} must be a JSON object.")
    return value


# --- drawing -----------------------------------------------------------------------------------------


def chart_render(
    *,
    principal: Principal,
    spec: Any = None,
    chart_type: str | None = None,
    data: dict[str, Any] | None = None,
    query: Any = None,
    title: str = "",
    options: dict[str, Any] | None = None,
) -> RenderedChart:
    """Draw `data` (or the result of `query`, run as `principal`) with `spec`, or with `chart_type`'s
    automatic spec. Raises ChartError with the builder's message when the data does not fit."""
    if (data is None) == (query is None):
        raise ChartError("Send either the data to draw or a query to run, not both.")
    if model_charts.is_model_query(query):
        if not policy.can_run_chart_queries(principal):
            raise Forbidden("You do not have permission to run queries in this workspace.")
        result = model_charts.model_result(query=query, principal=principal)
    elif query is not None:
        result = query_result(query=parse_query(query), principal=principal)
    else:
        result = result_from_data(_as_object(data, "data"))
    chart_spec = _spec_for(spec=spec, chart_type=chart_type, result=result, title=title, options=options)
    option = build_option(chart_spec, result, locale=workspace_locale())
    return RenderedChart(option=option, result=result, spec=chart_spec)


def time_grain(query: SemanticQuery) -> str | None:
    """The grain of the query's date grouping (day, week, month, quarter, year), if it has one."""
    return next((d.granularity for d in query.dimensions if d.granularity in CHART_GRAINS), None)


def with_grain(query: SemanticQuery, grain: str) -> tuple[SemanticQuery, dict[str, str]]:
    """The query with its date grouping cut to `grain` instead, and the renamed output column
    ({"order_date_week": "order_date_month"}; empty when an alias keeps the name). Its ordering
    follows the new name. Raises ChartError when the grain is unknown or there is no date grouping.
    """
    if grain not in CHART_GRAINS:
        raise ChartError(f"{grain!r} is not a grain; use one of {', '.join(CHART_GRAINS)}.")
    if time_grain(query) is None:
        raise ChartError(
            "This chart does not group a date by day, week or month, so it has no grain to change."
        )
    at = next(i for i, d in enumerate(query.dimensions) if d.granularity in CHART_GRAINS)
    dimensions = list(query.dimensions)
    before = dimensions[at]
    dimensions[at] = before.model_copy(update={"granularity": grain})
    renamed = {}
    if dimensions[at].output_name != before.output_name:
        renamed = {before.output_name: dimensions[at].output_name}
    order = [o.model_copy(update={"field": renamed.get(o.field, o.field)}) for o in query.order]
    return query.model_copy(update={"dimensions": dimensions, "order": order}), renamed


def _renamed_spec(spec: ChartSpec, renamed: dict[str, str]) -> ChartSpec:
    """The spec with the encoding's column names renamed (a re-cut date column's new name)."""
    if not renamed:
        return spec
    encoding = {
        slot: [renamed.get(v, v) for v in value] if isinstance(value, list) else renamed.get(value, value)
        for slot, value in spec.encoding.model_dump(exclude_defaults=True).items()
    }
    return spec.model_copy(update={"encoding": spec.encoding.model_validate(encoding)})


def chart_data(
    *, chart: SavedChart, principal: Principal, use_cache: bool = True, grain: str | None = None
) -> RenderedChart:
    """Re-run a saved chart's query as `principal` and draw it with its spec.

    `grain` re-cuts the chart's date grouping (day … year) for this view only; the saved chart keeps
    its own. Raises ChartError when the grain is unknown or the chart has no date grouping.
    """
    if not policy.can_view_chart(principal, chart):
        raise Forbidden("You do not have permission to see this chart.")
    spec = parse_spec(chart.spec)
    if model_charts.is_model_query(chart.query):
        if grain:
            model_charts.refuse_table_only(chart.query, "Changing the grain")
        if not policy.can_run_chart_queries(principal):
            raise Forbidden("You do not have permission to run queries in this workspace.")
        found = model_charts.model_result(query=chart.query, principal=principal, use_cache=use_cache)
        option = build_option(spec, found, locale=workspace_locale())
        return RenderedChart(option=option, result=found, spec=spec)
    query = parse_query(chart.query)
    if grain:
        query, renamed = with_grain(query, grain)
        spec = _renamed_spec(spec, renamed)
    result = query_result(query=query, principal=principal, use_cache=use_cache)
    option = build_option(spec, result, locale=workspace_locale())
    return RenderedChart(option=option, result=result, spec=spec, grain=time_grain(query))


# --- saved charts ------------------------------------------------------------------------------------


def _current_table(source: Source, table_name: str) -> TableInfo:
    tables = {table.name: table for table in source_selectors.source_tables(source)}
    if table_name not in tables or not tables[table_name].catalogue:
        known = f" Its tables: {', '.join(sorted(tables))}." if tables else " It has no tables yet."
        raise ValidationFailed(f"The source {source.name!r} has no table {table_name!r}.{known}")
    return TableInfo.from_dict(tables[table_name].catalogue)


def _validated(
    *, spec: Any, query: Any, source_id: int | None, principal: Principal
) -> tuple[ChartSpec, dict[str, Any], Source]:
    """The spec and query (as saved) of a chart, checked against each other and the workspace's source.

    A table query is compiled against the table's catalogue, which checks its fields and yields the
    result's columns and types, so a spec that cannot draw that result is refused when saved. A model
    query is checked against its model and run for one row as `principal` (the columns are the
    members' titles, which only the run names exactly).
    """
    chart_spec = spec if isinstance(spec, ChartSpec) else parse_spec(_as_object(spec, "spec"))
    if model_charts.is_model_query(query):
        saved, read = model_charts.model_query_clean(query)
        if source_id is not None and source_id != read.pk:
            raise ValidationFailed("The source does not match the source the model query reads.")
        sample = model_charts.model_result(query=saved, principal=principal, limit=1)
        resolve_slots(get_chart_type(chart_spec.type), chart_spec.encoding, sample)
        return chart_spec, saved, read
    semantic = parse_query(query)
    if source_id is not None and source_id != semantic.source:
        raise ValidationFailed("The source does not match the source of the query.")
    source = Source.objects.filter(pk=semantic.source).first()
    if source is None:
        raise ValidationFailed(f"There is no source {semantic.source} in this workspace.")
    table = _current_table(source, semantic.table)
    try:
        compiled = compile_query(semantic, table, "duckdb", max_rows=1)
    except QueryError as error:
        raise ValidationFailed(f"The query is not valid: {error.message}") from error
    result = ResultSet(columns=query_columns(semantic, compiled.columns))
    resolve_slots(get_chart_type(chart_spec.type), chart_spec.encoding, result)
    return chart_spec, semantic.model_dump(mode="json", exclude_defaults=True), source


def _audited_fields(chart: SavedChart) -> dict[str, Any]:
    # What an update's audit entry compares before and after (spec and query in full: both are JSON).
    return {
        "title": chart.title,
        "description": chart.description,
        "source": chart.source_id,
        "spec": chart.spec,
        "query": chart.query,
    }


def _snapshot(chart: SavedChart) -> dict[str, Any]:
    return {"title": chart.title, "type": (chart.spec or {}).get("type"), "source": chart.source_id}


@transaction.atomic
def chart_create(
    *,
    principal: Principal,
    title: str,
    spec: Any,
    query: Any,
    description: str = "",
    source_id: int | None = None,
    collection_id: int | None = None,
) -> SavedChart:
    """Save a chart. Without a title it is named from what its query computes (`titles.query_title`
    with the table's column labels), never from a question; `collection_id` files it (None: the root)."""
    if not policy.can_create_chart(principal):
        raise Forbidden("Only editors can save charts.")
    chart_spec, saved, source = _validated(spec=spec, query=query, source_id=source_id, principal=principal)
    collection = _collection_for(principal, collection_id)
    title = _clean_title(title or chart_spec.title or _query_title(saved, source))
    chart = SavedChart.objects.create(
        title=title,
        description=description,
        source=source,
        collection=collection,
        spec=chart_spec.model_dump(mode="json", exclude_defaults=True),
        query=saved,
        owner=principal.user,
    )
    hooks.record_audit(
        action="chart.create", actor=principal, target_type="chart", target_id=chart.pk, data=_snapshot(chart)
    )
    return chart


@transaction.atomic
def chart_update(*, chart: SavedChart, principal: Principal, **changes: Any) -> SavedChart:
    """Change any of title, description, spec and query; the pair is re-validated together."""
    if not policy.can_change_chart(principal, chart):
        raise Forbidden("You do not have permission to change this chart.")
    unknown = sorted(set(changes) - set(EDITABLE_FIELDS) - {"source_id"})
    if unknown:
        raise ValidationFailed(f"These fields cannot be changed: {', '.join(unknown)}.")
    chart = SavedChart.objects.select_for_update().get(pk=chart.pk)
    before = _audited_fields(chart)
    if {"spec", "query", "source_id"} & set(changes):
        chart_spec, saved, source = _validated(
            spec=changes.get("spec", chart.spec),
            query=changes.get("query", chart.query),
            source_id=changes.get("source_id"),
            principal=principal,
        )
        chart.spec = chart_spec.model_dump(mode="json", exclude_defaults=True)
        chart.query = saved
        chart.source = source
    if "title" in changes:
        chart.title = _clean_title(changes["title"])
    if "description" in changes:
        chart.description = changes["description"] or ""
    chart.save()
    hooks.record_audit(
        action="chart.update",
        actor=principal,
        target_type="chart",
        target_id=chart.pk,
        data={
            **_snapshot(chart),
            "changed": sorted(changes),
            "changes": hooks.audit_changes(before, _audited_fields(chart)),
        },
    )
    return chart


@transaction.atomic
def chart_duplicate(*, chart: SavedChart, principal: Principal, title: str | None = None) -> SavedChart:
    """A copy of the chart (spec, query, description, collection), owned by the principal's user."""
    if not (policy.can_view_chart(principal, chart) and policy.can_create_chart(principal)):
        raise Forbidden("Only editors can duplicate charts.")
    collection = chart.collection if collection_policy.can_file_into(principal, chart.collection) else None
    copy = SavedChart.objects.create(
        title=_clean_title(title or clean_title(f"Copy of {chart.title}")),
        description=chart.description,
        source=chart.source,
        spec=chart.spec,
        query=chart.query,
        collection=collection,
        owner_id=principal.user_id,
    )
    hooks.record_audit(
        action="chart.duplicate",
        actor=principal,
        target_type="chart",
        target_id=copy.pk,
        data={**_snapshot(copy), "copy_of": chart.pk},
    )
    return copy


@transaction.atomic
def chart_delete(*, chart: SavedChart, principal: Principal) -> None:
    """Delete a chart. Widgets that showed it stay on their dashboards and say the chart was removed."""
    if not policy.can_delete_chart(principal, chart):
        raise Forbidden("You do not have permission to do this.")
    snapshot = _snapshot(chart)
    chart_id = chart.pk
    chart.widgets.update(removed_chart_title=chart.title)
    chart.delete()
    hooks.record_audit(
        action="chart.delete", actor=principal, target_type="chart", target_id=chart_id, data=snapshot
    )


def _collection_for(principal: Principal, collection_id: int | None) -> Collection | None:
    if collection_id is None:
        return None
    collection = Collection.objects.filter(pk=collection_id).first()
    if collection is None or not collection_policy.can_view_collection(principal, collection):
        raise ValidationFailed(f"collection: there is no collection {collection_id}.")
    if not collection_policy.can_file_into(principal, collection):
        raise Forbidden("You cannot file charts into that collection.")
    return collection


def _query_title(saved: dict[str, Any], source: Source) -> str:
    if model_charts.is_model_query(saved):
        return model_charts.model_query_title(saved)
    semantic = SemanticQuery.parse(saved)
    table = _current_table(source, semantic.table)
    return query_title(semantic, {c.name: c.label for c in table.columns if c.label})


def _clean_title(title: Any) -> str:
    text = " ".join(str(title or "").split())
    if not text:
        raise ValidationFailed("A chart needs a title.")
    if len(text) > 200:
        raise ValidationFailed("A chart title can be at most 200 characters.")
    return text
