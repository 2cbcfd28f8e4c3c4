# SPDX-License-Identifier: MIT
"""One sentence saying what the planner understood, e.g. "Total revenue by region, top 10, highest first"."""

from __future__ import annotations

from collections.abc import Sequence

from chat2chart.conversations.planner.periods import describe_date_range
from chat2chart.sources.semantic import Calculation, Filter, Measure

from .shape import Shape

_AGG_WORDS = {"sum": "Total", "avg": "Average", "min": "Minimum", "max": "Maximum", "median": "Median"}
_GRAIN_WORDS = {
    "hour": "hour",
    "day": "day",
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
    "weekday": "day of the week",
    "month_of_year": "month of the year",
    "hour_of_day": "hour of the day",
}
_OPS = {"gt": ">", "gte": "\u2265", "lt": "<", "lte": "\u2264", "neq": "\u2260"}


def label(name: str) -> str:
    """A column name as words: order_date -> order date."""
    return name.replace("_", " ")


def describe_measure(measure: Measure) -> str:
    if measure.agg == "count" and measure.field is None:
        return "Number of rows"
    if measure.agg == "count":
        return f"Number of {label(measure.field or 'rows')} values"
    if measure.agg == "count_distinct":
        return f"Number of distinct {label(measure.field or '')}"
    return f"{_AGG_WORDS.get(measure.agg, measure.agg.title())} {label(measure.field or '')}"


def describe_calculation(
    calculation: Calculation, measures: Sequence[Measure], granularity: str | None = None
) -> str:
    """A calculated measure in words, naming what it divides or compares (`measures`: the query's)."""
    by_name = {m.output_name: m for m in measures}
    base = by_name.get(calculation.of or "")
    of = describe_measure(base).lower() if base else label(calculation.of or "")
    grain = granularity or "period"
    if calculation.kind == "share_of_total":
        return f"Share of {of}"
    if calculation.kind == "running_total":
        return f"Cumulative {of}"
    if calculation.kind in ("difference", "percent_change"):
        what = "Change" if calculation.kind == "difference" else "Growth (%)"
        against = (
            "the same period a year before"
            if calculation.compare_to == "previous_year"
            else f"the previous {grain}"
        )
        return f"{what} of {of} against {against}"
    formula = calculation.formula or ""
    for name, measure in sorted(by_name.items(), key=lambda item: -len(item[0])):
        formula = formula.replace(name, describe_measure(measure).lower())
    return f"{label(calculation.alias).capitalize()} = {formula}"


def describe_filter(flt: Filter) -> str:
    name = label(flt.field)
    value = flt.value
    if flt.op == "eq":
        return f"{name} is {value}"
    if flt.op == "in" and isinstance(value, list):
        return f"{name} in {', '.join(str(v) for v in value)}"
    if flt.op == "neq":
        return f"{name} is not {value}"
    if flt.op == "not_in" and isinstance(value, list):
        return f"{name} not in {', '.join(str(v) for v in value)}"
    if flt.op == "between" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return f"{name} in {describe_date_range(value[0], value[1])}"
    if flt.op == "between" and isinstance(value, list):
        return f"{name} from {value[0]} to {value[1]}"
    if flt.op == "last_n":
        return f"last {value} {flt.unit}s of {name}"
    if flt.op == "previous_n":
        return f"the {value} whole {flt.unit}s before this one ({name})"
    if flt.op == "this_period":
        return f"this {flt.unit} ({name})"
    if flt.op == "previous_period":
        return f"last {flt.unit} ({name})"
    return f"{name} {_OPS.get(flt.op, flt.op)} {value}"


def explain(shape: Shape) -> str:
    """The sentence shown above the chart; it names every choice a user might want to correct."""
    if shape.kind == "scatter":
        x, y = shape.dims[0], shape.dims[1]
        text = f"{label(y.field).capitalize()} against {label(x.field)}, one point per row"
        text += _extra_dims(shape.dims[2:])
    elif shape.kind == "histogram":
        text = f"Distribution of {label(shape.dims[0].field)} (number of rows per bin)"
        text += _extra_dims(shape.dims[1:])
    else:
        described = [describe_measure(m) for m in shape.measures if not m.hidden]
        grain = next((d.granularity for d in shape.dims if d.granularity), None)
        described += [describe_calculation(c, shape.measures, grain) for c in shape.calculations]
        text = " and ".join(described)
        text = text[:1].upper() + text[1:].replace(" And ", " and ")
        if shape.dims:
            first = shape.dims[0]
            grain = f" ({_GRAIN_WORDS[first.granularity]})" if first.granularity else ""
            text += f" by {label(first.field)}{grain}"
            text += _extra_dims(shape.dims[1:])
    if shape.compare_previous_year:
        text += ", this year vs last year"
    if shape.filters:
        text += ", where " + " and ".join(describe_filter(f) for f in shape.filters)
    text += _ordering(shape)
    return text


def title(shape: Shape) -> str:
    """A chart title from what was computed: the measures, the first grouping and the period, e.g.
    "Revenue per order by channel, Q1 2024"; never the question's own words."""
    if shape.kind == "scatter" and len(shape.dims) >= 2:
        text = f"{label(shape.dims[1].field).capitalize()} against {label(shape.dims[0].field)}"
    elif shape.kind == "histogram" and shape.dims:
        text = f"Distribution of {label(shape.dims[0].field)}"
    else:
        grain = next((d.granularity for d in shape.dims if d.granularity), None)
        parts = [describe_measure(m) for m in shape.measures if not m.hidden]
        parts += [_calculation_title(c, shape.measures, grain) for c in shape.calculations]
        text = " and ".join(parts) or "Number of rows"
        text = text[:1].upper() + text[1:]
        if shape.dims:
            first = shape.dims[0]
            grain_words = f" ({_GRAIN_WORDS[first.granularity]})" if first.granularity else ""
            text += f" by {label(first.field)}{grain_words}"
    periods = [p for p in (_period_words(f) for f in shape.filters) if p]
    if periods:
        text += ", " + ", ".join(periods)
    return text


def _period_words(flt: Filter) -> str:
    """A date filter as the period it names ("Q1 2024", "last 7 days", "this month"); "" otherwise."""
    value = flt.value
    if flt.op == "between" and isinstance(value, list) and all(isinstance(v, str) for v in value):
        return describe_date_range(value[0], value[1])
    if flt.op == "last_n":
        return f"last {value} {flt.unit}s"
    if flt.op == "previous_n":
        return f"last {value} whole {flt.unit}s"
    if flt.op == "this_period":
        return "today" if flt.unit == "day" else f"this {flt.unit}"
    if flt.op == "previous_period":
        return "yesterday" if flt.unit == "day" else f"last {flt.unit}"
    return ""


def _calculation_title(calculation: Calculation, measures: Sequence[Measure], granularity: str | None) -> str:
    if calculation.kind == "formula":
        return label(calculation.alias).capitalize()
    return describe_calculation(calculation, measures, granularity)


def _extra_dims(dims: list) -> str:
    parts = []
    for dim in dims:
        if dim.role == "facet":
            parts.append(f", in separate charts per {label(dim.field)}")
        else:
            parts.append(f", split by {label(dim.field)}")
    return "".join(parts)


def _ordering(shape: Shape) -> str:
    if shape.rank:
        direction, n = shape.rank
        first = "highest first" if direction == "desc" else "lowest first"
        if n:
            return f", {'top' if direction == 'desc' else 'bottom'} {n}, {first}"
        return f", {first}"
    if shape.sort:
        return ", highest first" if shape.sort == "desc" else ", lowest first"
    return ""
