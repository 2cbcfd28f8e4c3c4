# SPDX-License-Identifier: MIT
"""Widget data: each widget's query run with the dashboard's filters (and an embed's locked values)
and drawn as an ECharts option; every widget succeeds or fails on its own.

Picked filters apply to a widget only when its table has the field. Locked values apply to every
widget; a widget whose table lacks a locked field is refused rather than shown unfiltered. Both go
to the query service as `extra_filters`, so they are part of the result-cache key. Widgets of model
members (`member_widgets.py`) apply both to the model's dimensions, through its joins.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from typing import Any

import markdown
import nh3
import pydantic
from django.db import connection, connections

from chat2chart.charts.render import build_option
from chat2chart.charts.services import parse_query
from chat2chart.charts.spec import ChartSpec, auto_spec, parse_spec
from chat2chart.core import hooks
from chat2chart.core.api import pydantic_message
from chat2chart.core.errors import AiserError, ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.dashboards.analysis_widgets import ANALYSIS_KINDS, analysis_widget
from chat2chart.dashboards.filters import Picked, locked_filters, picked_filters
from chat2chart.dashboards.member_widgets import (
    is_member_query,
    member_analysis_result,
    member_filter_values,
    member_widget_result,
)
from chat2chart.dashboards.models import Dashboard, Widget
from chat2chart.dashboards.partial_periods import leave_out_partial_periods
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.models import SourceTable
from chat2chart.sources.querying import query_run
from chat2chart.sources.results import ResultSet
from chat2chart.sources.semantic import Dimension, Filter, Measure, OrderBy, SemanticQuery
from chat2chart.workspaces.selectors import workspace_clock, workspace_locale

logger = logging.getLogger(__name__)

MAX_PARALLEL_WIDGETS = 8
FILTER_OPTION_LIMIT = 200
OPTION_COUNT = "__rows"
MARKDOWN_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "li",
    "ol",
    "p",
    "pre",
    "strong",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
    "del",
}
LOCKED_FIELD_MISSING = "This widget cannot be shown here: its data cannot be limited to this view."
UNEXPECTED = "This widget could not be loaded. The error has been logged."


@dataclass(frozen=True)
class Audience:
    """Who the widgets are drawn for: a member or API key (whose permissions the query service checks),
    or a verified embed or public link (`Principal.for_embed()`) with its locked values and look."""

    principal: Principal
    locked: Mapping[str, Any] = field(default_factory=dict)
    theme: str | None = None


@dataclass
class _Job:
    widget: Widget
    query: SemanticQuery
    extra_filters: list[Filter]
    not_filtered: list[str] = field(default_factory=list)  # dashboard filters this widget's table lacks


def render_markdown(text: str) -> str:
    """Markdown to HTML, then cleaned with nh3: no scripts, no event handlers, safe links only."""
    html = markdown.markdown(text or "", extensions=["tables", "sane_lists", "fenced_code"])
    return nh3.clean(
        html,
        tags=MARKDOWN_TAGS,
        url_schemes={"http", "https", "mailto"},
        link_rel="noopener noreferrer nofollow",
    )


def member_query_of(widget: Widget) -> dict[str, Any] | None:
    """The model query a widget draws: its own, or that of the saved model chart it shows (a chart
    saved from the query editor's data model); None for table widgets and text."""
    if widget.kind in (Widget.Kind.TEXT, Widget.Kind.HEADING):
        return None
    if is_member_query(widget.query):
        return dict(widget.query or {})
    if not widget.query and widget.chart is not None and is_member_query(widget.chart.query):
        return dict(widget.chart.query)
    return None


def widget_query(widget: Widget) -> SemanticQuery | None:
    if widget.kind in (Widget.Kind.TEXT, Widget.Kind.HEADING):
        return None
    if widget.query:
        return parse_query(widget.query)
    if widget.chart is not None:
        return parse_query(widget.chart.query)
    if widget.removed_chart_title:
        raise ValidationFailed(
            f"The chart “{widget.removed_chart_title}” was removed. "
            "Remove this widget or edit it to show another chart.",
            code="chart_removed",
        )
    raise ValidationFailed("This widget has no chart or query to show.")


def table_fields(query: SemanticQuery) -> set[str]:
    """The columns of the widget's table, from its current catalogue."""
    table = SourceTable.objects.filter(source_id=query.source, name=query.table, is_current=True).first()
    if table is None or not table.catalogue:
        raise ValidationFailed("The table this widget reads no longer exists.")
    return {column.name for column in TableInfo.from_dict(table.catalogue).columns}


def dashboard_data(
    *,
    dashboard: Dashboard,
    audience: Audience,
    picked: Mapping[str, Picked] | None = None,
    widget_ids: list[int] | None = None,
) -> list[dict[str, Any]]:
    """Every widget's data and option (or its error), in one round of queries."""
    widgets = dashboard.widgets.select_related("chart")
    if widget_ids is not None:
        widgets = widgets.filter(pk__in=widget_ids)
    results: dict[int, dict[str, Any]] = {}
    jobs: list[_Job] = []
    for widget in widgets:
        if member_query_of(widget) is not None:
            results[widget.pk] = _member_widget(widget, audience, picked or {})
            continue
        try:
            job = _plan(widget, audience, picked or {})
        except Exception as error:  # each widget fails on its own; see _error
            results[widget.pk] = _error(widget, error)
            continue
        if job is None and widget.kind == Widget.Kind.HEADING:
            results[widget.pk] = _header(widget) | {"heading": widget.text}
        elif job is None:
            results[widget.pk] = _header(widget) | {"html": render_markdown(widget.text)}
        else:
            jobs.append(job)
    for job, result in zip(jobs, _run_all(jobs, audience), strict=True):
        results[job.widget.pk] = result
    return [results[w.pk] for w in widgets if w.pk in results]


def filter_options(*, dashboard: Dashboard, field_name: str, audience: Audience) -> list[Any]:
    """The values a viewer can pick for a values filter, read from the first widget table that has
    the field (and every locked field, limited by them, so an embed never lists another's values)."""
    return [
        option["value"]
        for option in filter_option_counts(dashboard=dashboard, field_name=field_name, audience=audience)
    ]


def filter_option_counts(
    *, dashboard: Dashboard, field_name: str, audience: Audience
) -> list[dict[str, Any]]:
    """`filter_options` with each value's number of rows: [{"value": "North", "count": 2}]; the count is
    None for values read from a data model (its rows are the model's joins, not one table's)."""
    for widget in dashboard.widgets.select_related("chart"):
        member_query = member_query_of(widget)
        if member_query is not None:
            values = member_filter_values(
                query=member_query,
                field_name=field_name,
                principal=audience.principal,
                locked=audience.locked,
                limit=FILTER_OPTION_LIMIT,
            )
            if values is not None:
                return [{"value": value, "count": None} for value in values]
            continue
        query = widget_query(widget)
        if query is None:
            continue
        fields = table_fields(query)
        if field_name not in fields or not set(audience.locked) <= fields:
            continue
        values_query = SemanticQuery(
            source=query.source,
            table=query.table,
            dimensions=[Dimension(field=field_name)],
            measures=[Measure(agg="count", alias=OPTION_COUNT)],
            order=[OrderBy(field=field_name)],
            limit=FILTER_OPTION_LIMIT,
        )
        result = _query_run(values_query, audience, locked_filters(audience.locked))
        counts = result.values(OPTION_COUNT)
        return [
            {"value": value, "count": count}
            for value, count in zip(result.values(field_name), counts, strict=True)
            if value is not None
        ]
    return []


def _header(widget: Widget) -> dict[str, Any]:
    title = widget.title or (widget.chart.title if widget.chart is not None else widget.removed_chart_title)
    return {"id": widget.pk, "kind": widget.kind, "title": title}


def _plan(widget: Widget, audience: Audience, picked: Mapping[str, Picked]) -> _Job | None:
    query = widget_query(widget)
    if query is None:
        return None
    fields = table_fields(query)
    # Filter and locked field names match columns whatever their case ("region" filters "Region").
    by_folded = {name.casefold(): name for name in fields}
    locked = {by_folded.get(name.casefold(), name): value for name, value in audience.locked.items()}
    if not set(locked) <= fields:
        raise ValidationFailed(LOCKED_FIELD_MISSING, code="locked_field_missing")
    extra: list[Filter] = []
    not_filtered: list[str] = []
    for name, value in picked.items():
        column = by_folded.get(name.casefold())
        if column is None:
            not_filtered.append(name)
        elif column not in locked:
            extra += picked_filters(column, value)
    if widget.kind == Widget.Kind.KPI:
        query = kpi_query(query)
    return _Job(
        widget=widget,
        query=query,
        extra_filters=[*extra, *locked_filters(locked)],
        not_filtered=not_filtered,
    )


def kpi_query(query: SemanticQuery) -> SemanticQuery:
    """A KPI shows one value: the measure's total over the filters (computed by the query, so averages
    stay right), or per period when the query runs over time, for a comparison with the period before."""
    over_time = [d for d in query.dimensions if d.granularity in ("day", "week", "month", "quarter", "year")]
    return query.model_copy(update={"dimensions": over_time[:1], "order": [], "limit": None, "offset": 0})


def _run_all(jobs: list[_Job], audience: Audience) -> list[dict[str, Any]]:
    # Threads have connections of their own and cannot see rows the caller has not committed, so a
    # caller inside a transaction (a test, a management command) gets the same answers in series.
    if len(jobs) < 2 or connection.in_atomic_block:
        return [_run(job, audience) for job in jobs]
    workspace = hooks.current_workspace()
    with ThreadPoolExecutor(max_workers=min(MAX_PARALLEL_WIDGETS, len(jobs))) as pool:
        return list(pool.map(_in_workspace(workspace, lambda job: _run(job, audience)), jobs))


def _in_workspace(workspace: str, func: Callable[[_Job], dict[str, Any]]) -> Callable[[_Job], dict[str, Any]]:
    def run(job: _Job) -> dict[str, Any]:
        try:
            with hooks.workspace_context(workspace):
                return func(job)
        finally:
            connections.close_all()  # this thread's own connections; pool threads end with the pool

    return run


def _run(job: _Job, audience: Audience) -> dict[str, Any]:
    widget = job.widget
    if widget.kind in ANALYSIS_KINDS:
        try:
            body = analysis_widget(
                str(widget.kind),
                job.query,
                run=lambda query: _query_run(query, audience, job.extra_filters),
                today=workspace_clock().today,
            )
        except Exception as error:  # each widget fails on its own; see _error
            return _error(widget, error)
        return _header(widget) | ({"not_filtered_by": job.not_filtered} if job.not_filtered else {}) | body
    try:
        result = _query_run(job.query, audience, job.extra_filters)
        left_out: list[str] = []
        if widget.kind in (Widget.Kind.KPI, Widget.Kind.CHART):
            # A KPI "last month" and a trend line show complete periods only; see partial_periods.
            result, left_out = leave_out_partial_periods(
                job.query,
                result,
                run=lambda query: _query_run(query, audience, job.extra_filters),
                today=workspace_clock().today,
            )
        spec = _spec(widget, result, audience.theme)
        option = build_option(spec, result, locale=workspace_locale())
    except Exception as error:  # each widget fails on its own; see _error
        return _error(widget, error)
    notice = {"not_filtered_by": job.not_filtered} if job.not_filtered else {}
    if left_out:
        notice["partial_periods"] = left_out
    return (
        _header(widget)
        | notice
        | {
            "option": option,
            "data": {
                "columns": result.columns_json(),
                "rows": [list(row) for row in result.rows],
                "truncated": result.truncated,
                "cached": result.cache.hit,
            },
        }
    )


def _member_widget(widget: Widget, audience: Audience, picked: Mapping[str, Picked]) -> dict[str, Any]:
    """A widget of model members (see `member_widgets`), drawn like the others."""
    if widget.kind in ANALYSIS_KINDS:
        try:
            body, not_filtered = member_analysis_result(
                kind=str(widget.kind),
                query=member_query_of(widget) or {},
                principal=audience.principal,
                locked=audience.locked,
                picked=picked,
                today=workspace_clock().today,
            )
        except Exception as error:  # each widget fails on its own; see _error
            return _error(widget, error)
        return _header(widget) | ({"not_filtered_by": not_filtered} if not_filtered else {}) | body
    try:
        result, option, not_filtered = member_widget_result(
            kind=str(widget.kind),
            query=member_query_of(widget) or {},
            principal=audience.principal,
            locked=audience.locked,
            picked=picked,
            theme=audience.theme,
            saved_spec=widget.chart.spec if not widget.query and widget.chart is not None else None,
        )
    except Exception as error:  # each widget fails on its own; see _error
        return _error(widget, error)
    notice = {"not_filtered_by": not_filtered} if not_filtered else {}
    data = {
        "columns": result.columns_json(),
        "rows": [list(row) for row in result.rows],
        "truncated": result.truncated,
        "cached": result.cache.hit,
    }
    return _header(widget) | notice | {"option": option, "data": data}


def _query_run(query: SemanticQuery, audience: Audience, extra_filters: list[Filter]) -> ResultSet:
    return query_run(query=query, principal=audience.principal, extra_filters=extra_filters)


def _spec(widget: Widget, result: ResultSet, theme: str | None) -> ChartSpec:
    if widget.kind == Widget.Kind.CHART and widget.chart is not None:
        spec = parse_spec(widget.chart.spec)
    else:
        # KPI and table widgets draw their query as that kind; the widget's header carries the title.
        spec = auto_spec(str(widget.kind), result.columns_json())
    if theme:
        spec = spec.model_copy(update={"options": spec.options.model_copy(update={"theme": theme})})
    return spec


def _error(widget: Widget, error: Exception) -> dict[str, Any]:
    if isinstance(error, AiserError):
        body = {"code": error.code, "message": error.message}
    elif isinstance(error, pydantic.ValidationError):
        body = {"code": "invalid", "message": pydantic_message(error)}
    else:
        logger.exception("widget %s failed", widget.pk, exc_info=error)
        body = {"code": "server_error", "message": UNEXPECTED}
    try:
        header = _header(widget)
    except Exception:  # a dangling chart must not hide the error it caused
        header = {"id": widget.pk, "kind": widget.kind, "title": widget.title}
    return header | {"error": body}
