# SPDX-License-Identifier: MIT
"""Turn a chart spec and a query result into an ECharts option.

`build_option` checks the data fits the chart type (raising ChartError that says what the type
needs), cuts long category lists to top-N + "Other", calls the type's builder, then adapts the option
to the data's size: dataZoom on long series, `large` mode for big scatters, sampling for long lines.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from chat2chart.charts.builders.base import OTHER, ChartInput
from chat2chart.charts.registry import ChartType, Slot, get_chart_type
from chat2chart.charts.spec import NUMERIC_TYPES, TEMPORAL_TYPES, ChartOptions, ChartSpec, Encoding
from chat2chart.core.errors import ChartError
from chat2chart.sources.results import ResultSet, to_number

MAX_SERIES = 10  # coloured series before the smallest collapse into "Other" (the palette has 10 colours)
ZOOM_AFTER = 100  # points on a category axis before a dataZoom is added
LARGE_SCATTER = 5000  # points in one scatter series before ECharts' large mode is switched on


def build_option(spec: ChartSpec, table: ResultSet, *, locale: str | None = None) -> dict[str, Any]:
    """The ECharts option for `spec` drawn from the typed result `table`.

    Column types and roles are read from the ResultSet as they are; nothing here infers them.
    `locale` is the organisation's locale tag (any CLDR tag: formats.number_locale); None = en-US.
    """
    chart_type = get_chart_type(spec.type)
    slots = resolve_slots(chart_type, spec.encoding, table)
    if not table.rows and chart_type.family != "table":
        raise ChartError(
            "The query returned no rows, so there is nothing to draw. Widen the filters or "
            "the date range, or show it as a table."
        )
    if chart_type.id in PART_OF_WHOLE:
        _refuse_negative_parts(chart_type, slots, table)
    options = _effective_options(chart_type, spec.options)
    table, notes = _cut_to_top_n(chart_type, options, slots, table)
    table, series_notes = collapse_series(chart_type, slots, table)
    notes = [*notes, *series_notes]
    chart = ChartInput(
        spec=spec,
        chart_type=chart_type,
        options=options,
        table=table,
        slots=slots,
        notes=notes,
        locale=locale,
    )
    option = chart_type.build(chart)
    if chart_type.zoomable:
        _add_data_zoom(option)
    _tune_large_series(option)
    return option


# Charts whose slices are parts of one whole: a negative part cannot be drawn as a slice.
PART_OF_WHOLE = frozenset({"pie", "donut", "half_donut", "rose", "treemap", "sunburst", "funnel"})


def _refuse_negative_parts(chart_type: ChartType, slots: dict[str, Any], table: ResultSet) -> None:
    names = [n for n in (slots.get("value"), *(slots.get("y") or [])) if isinstance(n, str)]
    for name in names:
        if any(number is not None and number < 0 for number in table.numbers(name)):
            raise ChartError(
                f"A {chart_type.name.lower()} shows parts of a whole, and {name} has values below zero; "
                "a bar chart shows them."
            )


def _effective_options(chart_type: ChartType, options: ChartOptions) -> ChartOptions:
    presets = {k: v for k, v in chart_type.presets.items() if k in ChartOptions.model_fields}
    return options.model_copy(update=presets)


def _needs_error(chart_type: ChartType, problem: str) -> ChartError:
    return ChartError(
        f"A {chart_type.name} chart needs {chart_type.needs.summary}; {problem}.",
        details={"type": chart_type.id, "needs": chart_type.needs.summary},
    )


def _with_aliases(chart_type: ChartType, given: dict[str, Any]) -> dict[str, Any]:
    """Map plain x/y onto a type's own slots (a pie's label/value), so generic specs still work."""
    slot_names = {s.name for s in (*chart_type.needs.dimensions, *chart_type.needs.measures)}
    given = dict(given)
    if "x" in given and "x" not in slot_names:
        free = [s.name for s in chart_type.needs.dimensions if s.name not in given]
        if free:
            given[free[0]] = given.pop("x")
    if "y" in given and "y" not in slot_names:
        extra = list(given.pop("y"))
        for slot in chart_type.needs.measures:
            if slot.name not in given and extra:
                given[slot.name] = extra.pop(0)
        if extra:
            given["y"] = extra
    return given


def resolve_slots(chart_type: ChartType, encoding: Encoding, table: ResultSet) -> dict[str, Any]:
    """Check the encoding against the type's slots and the result's columns; return slot → column(s)."""
    needs = chart_type.needs
    if needs.any_columns:
        if not table.columns:
            raise _needs_error(chart_type, "the result has no columns")
        return {}
    given = _with_aliases(chart_type, encoding.model_dump(exclude_defaults=True))
    slots = {s.name: s for s in (*needs.dimensions, *needs.measures)}
    unused = [name for name in given if name not in slots]
    if unused:
        extra = ", ".join(f"{name}={given[name]!r}" for name in unused)
        raise _needs_error(chart_type, f"it has no place for {extra}")
    types = {c.name: c.type for c in table.columns}
    resolved: dict[str, Any] = {}
    for slot in needs.dimensions:
        if _check_slot(chart_type, slot, given.get(slot.name), types, measure=False):
            resolved[slot.name] = given[slot.name]
    for slot in needs.measures:
        if _check_slot(chart_type, slot, given.get(slot.name), types, measure=True):
            resolved[slot.name] = given[slot.name]
    return resolved


def _check_slot(
    chart_type: ChartType, slot: Slot, value: Any, types: Mapping[str, str], *, measure: bool
) -> bool:
    names = value if isinstance(value, list) else ([] if value is None else [value])
    if len(names) < slot.min:
        what = "a measure" if measure else "a column"
        raise _needs_error(chart_type, f"{what} for {slot.name!r} is missing")
    if len(names) > slot.max:
        raise _needs_error(chart_type, f"{slot.name!r} takes at most {slot.max} column(s), got {len(names)}")
    for name in names:
        if name not in types:
            raise _needs_error(chart_type, f"column {name!r} ({slot.name}) is not in the query result")
        kind = types[name]
        if measure and kind not in NUMERIC_TYPES:
            raise _needs_error(chart_type, f"{name!r} ({slot.name}) is {kind}, not a number")
        if slot.kind == "temporal" and kind not in TEMPORAL_TYPES:
            raise _needs_error(chart_type, f"{name!r} ({slot.name}) is {kind}, not a date")
        if slot.kind == "categorical" and kind in TEMPORAL_TYPES:
            raise _needs_error(chart_type, f"{name!r} ({slot.name}) is a date, not a category")
    return bool(names)


def _cut_to_top_n(
    chart_type: ChartType, options: ChartOptions, slots: dict[str, Any], table: ResultSet
) -> tuple[ResultSet, list[str]]:
    """Group categories beyond the readable count (or the spec's top_n) as "Other", noting it."""
    slot = chart_type.category_slot
    column = slots.get(slot) if slot else None
    if column is None or table.is_temporal(column):
        return table, []
    limit = options.top_n or chart_type.category_limit
    position = table.index(column)
    distinct = list(dict.fromkeys("" if row[position] is None else str(row[position]) for row in table.rows))
    if limit is None or len(distinct) <= limit:
        return table, []
    # Keep one place for "Other" when cutting to the type's own limit; a user's top_n is exact.
    keep_count = options.top_n or max(1, limit - 1)
    measure_columns = [
        table.index(c)
        for v in slots.values()
        for c in (v if isinstance(v, list) else [v])
        if c in {m.name for m in table.columns if m.is_numeric}
    ]
    # Sums and counts can be added into "Other"; averages, medians, extremes and distinct counts cannot,
    # so their extra categories are left out instead (the query's columns say which is which).
    additive = all(table.columns[i].aggregation in (None, "sum", "count") for i in measure_columns)
    totals: dict[str, float] = dict.fromkeys(distinct, 0.0)
    for row in table.rows:
        key = "" if row[position] is None else str(row[position])
        totals[key] += sum(abs(to_number(row[i]) or 0) for i in measure_columns)
    keep = set(sorted(distinct, key=lambda k: totals[k], reverse=True)[:keep_count])

    def kept(row: tuple[Any, ...]) -> bool:
        return ("" if row[position] is None else str(row[position])) in keep

    if not additive:
        rows = [row for row in table.rows if kept(row)]
        left_out = len(distinct) - len(keep)
        note = f"Top {len(keep)} of {len(distinct)} categories; the other {left_out} are left out."
        return table.with_rows(rows), [note]
    rows = [row if kept(row) else (*row[:position], OTHER, *row[position + 1 :]) for row in table.rows]
    note = (
        f"Top {len(keep)} of {len(distinct)} categories; the other {len(distinct) - len(keep)} "
        f"are grouped as \u201c{OTHER}\u201d."
    )
    return table.with_rows(rows), [note]


# Types whose series column is a second category axis or a rank, not a colour: never collapsed.
_SERIES_NOT_COLOUR = frozenset({"marimekko", "heatmap", "bump", "pivot_table"})
# Types whose rows are points: a collapsed series only changes colour, nothing is added up.
_POINTS = frozenset({"relationship"})
# Aggregations whose values may be added: a sum of sums, a sum of counts, raw values (summed by the builder).
ADDITIVE_AGGREGATIONS = (None, "sum", "count")


def collapse_series(
    chart_type: ChartType, slots: dict[str, Any], table: ResultSet, *, limit: int = MAX_SERIES
) -> tuple[ResultSet, list[str]]:
    """Keep the `limit - 1` largest series (by the absolute sum of their measures) and group the
    rest as one "Other" series, so more series than palette colours stay readable.

    "Other" is the exact sum of the collapsed series only when every measure is additive (a sum, a
    count or raw values). For an average, median, minimum, maximum or distinct count a sum would be
    a wrong number, so nothing is collapsed: the `limit` largest series are drawn, the rest are left
    out, and the returned note says so. Point charts (scatter) only recolour the collapsed points.
    """
    column = slots.get("series")
    if not isinstance(column, str) or chart_type.id in _SERIES_NOT_COLOUR:
        return table, []
    position = table.index(column)

    def key(row: tuple[Any, ...]) -> str:
        return "" if row[position] is None else str(row[position])

    distinct = list(dict.fromkeys(key(row) for row in table.rows))
    if len(distinct) <= limit:
        return table, []
    measures = [
        table.index(c)
        for v in slots.values()
        for c in (v if isinstance(v, list) else [v])
        if isinstance(c, str) and c != column and table.column(c).is_numeric
    ]
    totals: dict[str, float] = dict.fromkeys(distinct, 0.0)
    for row in table.rows:
        totals[key(row)] += sum(abs(to_number(row[i]) or 0) for i in measures)
    ranked = sorted(distinct, key=lambda name: totals[name], reverse=True)
    additive = chart_type.family in _POINTS or all(
        table.columns[i].aggregation in ADDITIVE_AGGREGATIONS for i in measures
    )
    if not additive:
        keep = set(ranked[:limit])
        what = ", ".join(sorted({str(table.columns[i].aggregation) for i in measures} - {"sum", "count"}))
        note = (
            f"The {limit} largest of {len(distinct)} series; the other {len(distinct) - limit} are left out, "
            f"not grouped as \u201c{OTHER}\u201d, because {what} values cannot be added up."
        )
        return table.with_rows(row for row in table.rows if key(row) in keep), [note]
    keep = set(ranked[: limit - 1])
    rows = [row if key(row) in keep else (*row[:position], OTHER, *row[position + 1 :]) for row in table.rows]
    note = (
        f"The {limit - 1} largest of {len(distinct)} series; the other {len(distinct) - len(keep)} "
        f"are added up as \u201c{OTHER}\u201d."
    )
    return table.with_rows(rows), [note]


def _add_data_zoom(option: dict[str, Any]) -> None:
    axis = option.get("xAxis")
    if isinstance(axis, dict) and axis.get("type") == "time":
        longest = max((len(s.get("data") or []) for s in _as_list(option.get("series"))), default=0)
        if longest > ZOOM_AFTER:
            option["dataZoom"] = [{"type": "inside", "xAxisIndex": 0}, {"type": "slider", "xAxisIndex": 0}]
            for grid in _as_list(option.get("grid")):
                grid["bottom"] = grid.get("bottom", 44) + 40
            if "legend" in option:
                option["dataZoom"][1]["bottom"] = 36
        return
    for axis_key, index_key in (("xAxis", "xAxisIndex"), ("yAxis", "yAxisIndex")):
        axis = option.get(axis_key)
        axis = axis[0] if isinstance(axis, list) and axis else axis
        if (
            isinstance(axis, dict)
            and axis.get("type") == "category"
            and len(axis.get("data", [])) > ZOOM_AFTER
        ):
            option["dataZoom"] = [{"type": "inside", index_key: 0}, {"type": "slider", index_key: 0}]
            if axis_key == "xAxis":
                for grid in _as_list(option.get("grid")):
                    grid["bottom"] = grid.get("bottom", 44) + 40
                if "legend" in option:
                    option["legend"]["bottom"] = 4
                    option["dataZoom"][1]["bottom"] = 36
            else:
                option["dataZoom"][1]["right"] = 4
            return


def _tune_large_series(option: dict[str, Any]) -> None:
    for series in _as_list(option.get("series")):
        points = len(series.get("data") or [])
        if series.get("type") == "scatter" and points > LARGE_SCATTER:
            series.update({"large": True, "largeThreshold": LARGE_SCATTER, "symbolSize": 3})
        if series.get("type") == "line" and points > LARGE_SCATTER:
            series.update({"sampling": "lttb", "showSymbol": False})


def _as_list(value: Any) -> list[dict[str, Any]]:
    if isinstance(value, dict):
        return [value]
    return [v for v in value if isinstance(v, dict)] if isinstance(value, list) else []
