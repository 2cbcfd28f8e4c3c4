# SPDX-License-Identifier: MIT
"""State changes of saved charts and the drawing of charts from data or a semantic query.

`chart_create`, `chart_update` and `chart_delete` validate, write and audit in one transaction.
`chart_render` turns a spec (or a chart type) plus a result, or a query it runs as the user, into an
ECharts option; `chart_data` does the same for a saved chart.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

import pydantic
from django.db import transaction

from chat2chart.charts import policy
from chat2chart.charts.builders.base import ResultTable
from chat2chart.charts.models import SavedChart
from chat2chart.charts.registry import get_chart_type
from chat2chart.charts.render import build_option, resolve_slots
from chat2chart.charts.spec import NUMERIC_TYPES, ChartSpec, auto_spec, parse_spec
from chat2chart.core import hooks
from chat2chart.core.api import pydantic_message
from chat2chart.core.errors import ChartError, Forbidden, QueryError, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.sources import selectors as source_selectors
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.compiler import compile_query
from chat2chart.sources.models import Source
from chat2chart.sources.querying import query_run
from chat2chart.sources.semantic import SemanticQuery

_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_ISO_DATETIME = re.compile(r"^\d{4}-\d{2}-\d{2}[T ]\d{2}:\d{2}")
EDITABLE_FIELDS = ("title", "description", "spec", "query")


@dataclass
class RenderedChart:
    """An ECharts option and the result it was drawn from (columns carry their role for recommend)."""

    option: dict[str, Any]
    data: dict[str, Any]
    spec: ChartSpec
    sql: str = ""
    cached: bool = False
    truncated: bool = False


# --- reading results -------------------------------------------------------------------------------


def parse_query(data: Any) -> SemanticQuery:
    """A semantic query from user input; problems become one ValidationFailed with field paths."""
    if isinstance(data, SemanticQuery):
        return data
    try:
        return SemanticQuery.parse(data)
    except pydantic.ValidationError as error:
        raise ValidationFailed(f"The query is not valid: {pydantic_message(error)}") from error


def _guess_type(values: list[Any]) -> str:
    present = [v for v in values if v is not None]
    if not present:
        return "text"
    if all(isinstance(v, bool) for v in present):
        return "boolean"
    if all(isinstance(v, int) and not isinstance(v, bool) for v in present):
        return "integer"
    if all(isinstance(v, int | float) and not isinstance(v, bool) for v in present):
        return "decimal"
    if all(isinstance(v, str) and _ISO_DATE.match(v) for v in present):
        return "date"
    if all(isinstance(v, str) and _ISO_DATETIME.match(v) for v in present):
        return "datetime"
    return "text"


def describe_columns(data: dict[str, Any], *, measures: set[str] | None = None) -> dict[str, Any]:
    """The result with every column's type, role and cardinality filled in where it was left out.

    Columns of a query get their role from the query (its measures); a result posted by a client
    gets a type guessed from its values and, without a role, numbers count as measures.
    """
    columns = data.get("columns") if isinstance(data, dict) else None
    rows = data.get("rows") if isinstance(data, dict) else None
    if not isinstance(columns, list) or not isinstance(rows, list):
        raise ChartError("The data must have a list of columns and a list of rows.")
    if not all(isinstance(row, list) for row in rows):
        raise ChartError("Every row must be a list of values, one per column.")
    described = []
    for position, column in enumerate(columns):
        if isinstance(column, str):
            column = {"name": column}
        if not isinstance(column, dict) or not isinstance(column.get("name"), str):
            raise ChartError("Every result column needs a name.")
        values = [row[position] if position < len(row) else None for row in rows]
        kind = column.get("type") or _guess_type(values)
        if measures is not None:
            role = "measure" if column["name"] in measures else "dimension"
        else:
            role = column.get("role") or ("measure" if kind in NUMERIC_TYPES else "dimension")
        entry = {**column, "type": kind, "role": role}
        if role == "dimension":
            entry.setdefault("cardinality", len({str(v) for v in values}))
        described.append(entry)
    return {"columns": described, "rows": rows}


def query_result(
    *, query: SemanticQuery, principal: Principal, use_cache: bool = True
) -> tuple[dict[str, Any], Any]:
    if not policy.can_run_chart_queries(principal):
        raise Forbidden("You do not have permission to run queries in this workspace.")
    response = query_run(query=query, user=principal, use_cache=use_cache)
    measures = {m.output_name for m in query.measures}
    data = describe_columns({"columns": response.columns, "rows": response.rows}, measures=measures)
    return data, response


def _spec_for(
    *, spec: Any, chart_type: str | None, data: dict[str, Any], title: str, options: dict[str, Any] | None
) -> ChartSpec:
    if spec is not None:
        return spec if isinstance(spec, ChartSpec) else parse_spec(_as_object(spec, "spec"))
    if not chart_type:
        raise ChartError("Send a chart spec, or a chart type to draw the data with.")
    return auto_spec(chart_type, data["columns"], title=title, options=options)


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
    response = None
    if query is not None:
        result, response = query_result(query=parse_query(query), principal=principal)
    else:
        result = describe_columns(_as_object(data, "data"))
    chart_spec = _spec_for(spec=spec, chart_type=chart_type, data=result, title=title, options=options)
    option = build_option(chart_spec, result)
    if response is None:
        return RenderedChart(option=option, data=result, spec=chart_spec)
    return RenderedChart(
        option=option,
        data=result,
        spec=chart_spec,
        sql=response.sql,
        cached=response.cached,
        truncated=response.truncated,
    )


def chart_data(*, chart: SavedChart, principal: Principal, use_cache: bool = True) -> RenderedChart:
    """Re-run a saved chart's query as `principal` and draw it with its spec."""
    if not policy.can_view_chart(principal, chart):
        raise Forbidden("You do not have permission to see this chart.")
    query = parse_query(chart.query)
    result, response = query_result(query=query, principal=principal, use_cache=use_cache)
    spec = parse_spec(chart.spec)
    option = build_option(spec, result)
    return RenderedChart(
        option=option,
        data=result,
        spec=spec,
        sql=response.sql,
        cached=response.cached,
        truncated=response.truncated,
    )


# --- saved charts ------------------------------------------------------------------------------------


def _current_table(source: Source, table_name: str) -> TableInfo:
    tables = {table.name: table for table in source_selectors.source_tables(source)}
    if table_name not in tables or not tables[table_name].catalogue:
        known = f" Its tables: {', '.join(sorted(tables))}." if tables else " It has no tables yet."
        raise ValidationFailed(f"The source {source.name!r} has no table {table_name!r}.{known}")
    return TableInfo.from_dict(tables[table_name].catalogue)


def _validated(*, spec: Any, query: Any, source_id: int | None) -> tuple[ChartSpec, SemanticQuery, Source]:
    """The spec and query of a saved chart, checked against each other and the workspace's source.

    The query is compiled against the table's catalogue, which checks its fields and yields the
    result's columns and types, so a spec that cannot draw that result is refused when saved.
    """
    chart_spec = spec if isinstance(spec, ChartSpec) else parse_spec(_as_object(spec, "spec"))
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
    result = ResultTable(columns=compiled.columns, rows=[])
    resolve_slots(get_chart_type(chart_spec.type), chart_spec.encoding, result)
    return chart_spec, semantic, source


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
) -> SavedChart:
    if not policy.can_create_chart(principal):
        raise Forbidden("Only editors can save charts.")
    chart_spec, semantic, source = _validated(spec=spec, query=query, source_id=source_id)
    title = _clean_title(title or chart_spec.title)
    chart = SavedChart.objects.create(
        title=title,
        description=description,
        source=source,
        spec=chart_spec.model_dump(mode="json", exclude_defaults=True),
        query=semantic.model_dump(mode="json", exclude_defaults=True),
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
    if {"spec", "query", "source_id"} & set(changes):
        chart_spec, semantic, source = _validated(
            spec=changes.get("spec", chart.spec),
            query=changes.get("query", chart.query),
            source_id=changes.get("source_id"),
        )
        chart.spec = chart_spec.model_dump(mode="json", exclude_defaults=True)
        chart.query = semantic.model_dump(mode="json", exclude_defaults=True)
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
        data={**_snapshot(chart), "changed": sorted(changes)},
    )
    return chart


@transaction.atomic
def chart_delete(*, chart: SavedChart, principal: Principal) -> None:
    if not policy.can_delete_chart(principal, chart):
        raise Forbidden("You do not have permission to do this.")
    snapshot = _snapshot(chart)
    chart_id = chart.pk
    chart.delete()
    hooks.record_audit(
        action="chart.delete", actor=principal, target_type="chart", target_id=chart_id, data=snapshot
    )


def _clean_title(title: Any) -> str:
    text = " ".join(str(title or "").split())
    if not text:
        raise ValidationFailed("A chart needs a title.")
    if len(text) > 200:
        raise ValidationFailed("A chart title can be at most 200 characters.")
    return text
