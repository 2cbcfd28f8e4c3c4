# SPDX-License-Identifier: MIT
"""Words under the chart: a short offline narrative of a plan's result, and suggested questions.

The narrative names the top and bottom values, the total, the change over the period (first vs last for
a time series) and the leader's share, with numbers formatted for reading rather than for machines.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from chat2chart.charts.builders.base import PART_NAMES
from chat2chart.conversations.narrative_shapes import distribution, format_number, number_of, relationship
from chat2chart.conversations.periodnames import day_name, period_bounds, period_name
from chat2chart.conversations.planner import Plan
from chat2chart.conversations.planner.explain import describe_calculation, describe_measure
from chat2chart.conversations.planner.suggest import first_questions, suggest_followups
from chat2chart.sources.results import ResultSet

__all__ = ["Coverage", "first_questions", "format_number", "suggest_followups", "write_narrative"]

_ADDITIVE = frozenset({"sum", "count", "count_distinct"})
EMPTY_GROUP = "(empty)"


@dataclass(frozen=True)
class Coverage:
    """The first and last date of the rows an answer covers (its filters applied), from the source."""

    first: date
    last: date


@dataclass(frozen=True)
class _Value:
    """The answer's value column: its name, words, whether it adds up across groups, and its format."""

    name: str
    what: str
    additive: bool
    percent: bool

    def show(self, number: float | None) -> str:
        if number is None:
            return "no value"
        return f"{100 * number:.1f}%" if self.percent else format_number(number)


def write_narrative(plan: Plan, result: ResultSet, *, coverage: Coverage | None = None) -> str:
    """A few sentences about the result, about the value that was drawn (a measure or a calculation).

    Empty results and empty columns say so; a share of the total is stated only when every value is
    non-negative; a time series leaves incomplete first and last periods out of its change and names
    them; a date range that reaches past the data says where the data stops (`coverage`).
    """
    names = result.names
    records = [dict(zip(names, row, strict=True)) for row in result.rows]
    stop = _data_stops(plan, coverage)
    if not records:
        return "No rows match this question; try widening the filters." + stop
    query = plan.query
    dims = [d.output_name for d in query.dimensions]
    if plan.intent == "relationship" and len(dims) >= 2:
        return relationship(records, dims[0], dims[1])
    if plan.intent == "distribution" and dims:
        return distribution(records, dims[0], query.measures[0].output_name if query.measures else None)
    value = _value_column(plan, result)
    if value is None:
        return f"{len(records)} rows."
    if not dims:
        number = number_of(records[0].get(value.name))
        if number is None:
            return f"{value.what}: there is no value to show (no rows with a value in this period)." + stop
        return f"{value.what}: {value.show(number)}." + stop
    if all(number_of(r.get(value.name)) is None for r in records):
        return f"{value.what} has no values in these rows: the column is empty where these rows are." + stop
    granularity = query.dimensions[0].granularity
    if len(dims) >= 2 and query.dimensions[1].granularity == "year" and granularity in _PARTS:
        return _year_over_year(records, dims[0], dims[1], value, granularity) + stop
    totals = _totals(records, dims[0], value)
    part_names = PART_NAMES.get(granularity or "")
    if part_names:
        totals = [
            (part_names.get(int(float(key)), key) if number_of(key) is not None else key, number)
            for key, number in totals
        ]
    if plan.intent == "trend":
        return _trend(totals, value, granularity, coverage) + stop
    # A "top N" answer may leave groups out: its total is of the groups shown, not of everything.
    limited = query.limit is not None and len(totals) >= query.limit
    return _comparison(totals, value, limited=limited) + stop


_PARTS = frozenset({"month_of_year", "weekday", "hour_of_day"})


def _value_column(plan: Plan, result: ResultSet) -> _Value | None:
    query = plan.query
    present = set(result.names)
    for measure in query.measures:
        if not measure.hidden and measure.output_name in present:
            column = result.column(measure.output_name)
            return _Value(
                measure.output_name,
                describe_measure(measure),
                measure.agg in _ADDITIVE,
                column.format == "percent",
            )
    grain = next((d.granularity for d in query.dimensions if d.granularity), None)
    for calculation in query.calculations:
        if calculation.output_name in present:
            column = result.column(calculation.output_name)
            additive = (
                calculation.kind == "formula"
                and calculation.format != "percent"
                and "/" not in (calculation.formula or "/")
            )
            return _Value(
                calculation.output_name,
                describe_calculation(calculation, query.measures, grain),
                additive,
                column.format == "percent",
            )
    return None


def _group_label(key: Any) -> str:
    return EMPTY_GROUP if key is None or key == "" else str(key)


def _totals(records: list[dict[str, Any]], key: str, value: _Value) -> list[tuple[str, float]]:
    # Series are folded into their x value only when the value adds up; otherwise the highest stays.
    folded: dict[str, float] = {}
    for record in records:
        number = number_of(record.get(value.name))
        if number is None:
            continue
        label_ = _group_label(record.get(key))
        if value.additive:
            folded[label_] = folded.get(label_, 0.0) + number
        else:
            folded[label_] = max(folded.get(label_, number), number)
    return list(folded.items())


def _comparison(totals: list[tuple[str, float]], value: _Value, *, limited: bool = False) -> str:
    ordered = sorted(totals, key=lambda item: item[1], reverse=True)
    top, bottom = ordered[0], ordered[-1]
    count = len(ordered)
    groups = f"{count} group" if count == 1 else f"{count} groups"
    text = f"{top[0]} leads with {value.show(top[1])}"
    if count > 1:
        text += f"; {bottom[0]} is lowest with {value.show(bottom[1])}"
    text += f" ({value.what.lower()}, {groups}{' shown' if limited else ''})."
    negative = [name for name, number in ordered if number < 0]
    if value.additive and count > 1:
        total = sum(number for _, number in ordered)
        # A share of the total means something only when no part is negative.
        share = f"{100 * top[1] / total:.0f}%" if not negative and total > 0 else ""
        if limited:
            # Only the groups shown: saying "of the total" would read as a share of everything.
            text += f" These {count} together: {value.show(total)}."
            if share:
                text += f" {top[0]} is {share} of these {count}."
        else:
            text += f" Total: {value.show(total)}."
            if share:
                text += f" {top[0]} accounts for {share} of it."
    if negative:
        text += f" {len(negative)} of the {count} groups are below zero."
    return text


_PERIOD_NOUNS = {
    "hour": "hours",
    "day": "days",
    "week": "weeks",
    "month": "months",
    "quarter": "quarters",
    "year": "years",
}


def _trend(
    totals: list[tuple[str, float]], value: _Value, granularity: str | None, coverage: Coverage | None
) -> str:
    ordered = sorted(totals, key=lambda item: item[0])
    notes: list[str] = []
    complete = list(ordered)
    if coverage is not None and granularity in _PERIOD_NOUNS and granularity != "hour":
        complete, notes = _leave_out_partial(ordered, granularity, coverage)
    if not complete:
        complete = ordered
    (first_label, first), (last_label, last) = complete[0], complete[-1]
    text = ""
    if len(complete) == 1:
        text = f"{value.what} was {value.show(first)} in {period_name(first_label, granularity)}."
    else:
        text = (
            f"{value.what} went from {value.show(first)} ({period_name(first_label, granularity)}) to "
            f"{value.show(last)} ({period_name(last_label, granularity)})"
        )
        if first and not value.percent and (first > 0) == (last > 0) and first > 0:
            change = 100 * (last - first) / abs(first)
            text += f", {'+' if change >= 0 else ''}{change:.0f}%"
        text += "."
        peak = max(complete, key=lambda item: item[1])
        low = min(complete, key=lambda item: item[1])
        text += (
            f" Highest in {period_name(peak[0], granularity)} ({value.show(peak[1])}), lowest in "
            f"{period_name(low[0], granularity)} ({value.show(low[1])})."
        )
    if value.additive:
        overall = value.show(sum(number for _, number in ordered))
        periods = _PERIOD_NOUNS.get(granularity or "", "periods")
        text += f" Total over the {len(ordered)} {periods}: {overall}."
    return " ".join([text, *notes])


def _leave_out_partial(
    ordered: list[tuple[str, float]], granularity: str, coverage: Coverage
) -> tuple[list[tuple[str, float]], list[str]]:
    """Drop a first or last period the data covers only in part, with a sentence naming each."""
    notes: list[str] = []
    kept = list(ordered)
    for position in (0, -1):
        if not kept:
            break
        label_ = kept[position][0]
        bounds = period_bounds(label_, granularity)
        if bounds is None:
            continue
        start, end = bounds
        covered_from, covered_to = max(start, coverage.first), min(end, coverage.last)
        if covered_from <= start and covered_to >= end:
            continue
        days = (covered_to - covered_from).days + 1
        span = day_name(covered_from) if days == 1 else f"{day_name(covered_from)} to {day_name(covered_to)}"
        notes.append(
            f"{period_name(label_, granularity)} holds only {days} day{'s' if days != 1 else ''} of data "
            f"({span}), so it is left out of the change."
        )
        kept.pop(position)
        if position == 0 and len(ordered) == 1:
            break
    return kept, notes


def _year_over_year(
    records: list[dict[str, Any]], part: str, year: str, value: _Value, granularity: str | None
) -> str:
    """This year against the year before over the same months (or weekdays): never the two added up."""
    by_year: dict[str, dict[Any, float]] = {}
    for record in records:
        number = number_of(record.get(value.name))
        if number is not None:
            by_year.setdefault(str(record.get(year))[:4], {})[record.get(part)] = number
    years = sorted(by_year)
    if len(years) < 2:
        return f"{value.what}: only {years[0] if years else 'no'} year in these rows, nothing to compare."
    latest, before = years[-1], years[-2]
    shared = sorted(set(by_year[latest]) & set(by_year[before]), key=str)
    if not shared or not value.additive:
        period = _PERIOD_NOUNS.get(granularity or "", "periods")[:-1]
        return f"{value.what} by {period}, {latest} against {before}."
    now_total = sum(by_year[latest][k] for k in shared)
    then_total = sum(by_year[before][k] for k in shared)
    names = PART_NAMES.get(granularity or "", {})
    span = ", ".join(
        str(names.get(int(float(k)), k)) if number_of(k) is not None else str(k) for k in shared[:12]
    )
    text = f"Over the same periods ({span}), {value.what.lower()} was {value.show(now_total)} in {latest}"
    text += f" against {value.show(then_total)} in {before}"
    if then_total > 0:
        change = 100 * (now_total - then_total) / then_total
        text += f" ({'+' if change >= 0 else ''}{change:.0f}%)"
    return text + "."


def _data_stops(plan: Plan, coverage: Coverage | None) -> str:
    """ " The data stops on …" when the question's date range reaches past the last date of the data."""
    if coverage is None:
        return ""
    for flt in plan.query.filters:
        end: date | None = None
        if flt.op == "between" and isinstance(flt.value, list) and len(flt.value) == 2:
            try:
                end = date.fromisoformat(str(flt.value[1])[:10])
            except ValueError:
                end = None
        if end is not None and coverage.last < end:
            return f" The data stops on {day_name(coverage.last)}."
    return ""
