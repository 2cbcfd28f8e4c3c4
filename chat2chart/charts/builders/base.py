# SPDX-License-Identifier: MIT
"""What every builder shares: the validated input (`ChartInput`: a spec and the typed `ResultSet`
it draws), the common option skeleton (title, safe tooltip, toolbox, legend) and category x series
matrices. Builders read each column's type, role, format and granularity from the ResultSet.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from chat2chart.charts.builders.formats import (
    currency_for,
    default_date_format,
    format_date,
    format_number,
    number_locale,
    parse_number_format,
    parse_temporal,
    pattern_for,
)
from chat2chart.charts.palette import PALETTE
from chat2chart.charts.registry import ChartType
from chat2chart.charts.spec import ChartOptions, ChartSpec
from chat2chart.core.errors import ChartError
from chat2chart.sources.results import ResultSet

BLANK = "(blank)"
OTHER = "Other"
LABEL_EVERY_UP_TO = 40  # category axes with more labels than this let ECharts thin them


def clean(number: float | None) -> float | int | None:
    """Round float noise away and keep whole numbers whole, so options stay small and readable."""
    if number is None:
        return None
    rounded = round(float(number), 6)
    return int(rounded) if rounded.is_integer() and abs(rounded) < 2**53 else rounded


# Time parts come from the query engine as numbers (weekday 1 = Monday); people read names.
PART_NAMES: dict[str, dict[int, str]] = {
    "weekday": dict(enumerate(["Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun"], start=1)),
    "month_of_year": dict(enumerate(calendar.month_abbr[1:], start=1)),
}


@dataclass(frozen=True)
class ChartInput:
    """A spec checked against its data: `slots` maps each encoding slot the type reads to columns."""

    spec: ChartSpec
    chart_type: ChartType
    options: ChartOptions  # the spec's options with the type's presets applied
    table: ResultSet
    slots: dict[str, Any]
    notes: list[str] = field(default_factory=list)
    locale: str | None = None  # the organisation's locale tag ("de-DE"); None = en-US

    def column(self, slot: str) -> str | None:
        value = self.slots.get(slot)
        return value[0] if isinstance(value, list) else value

    def required(self, slot: str) -> str:
        """The column in a slot the fit check has already made sure is set."""
        name = self.column(slot)
        if name is None:
            raise ChartError(f"A {self.chart_type.name} chart needs {self.chart_type.needs.summary}.")
        return name

    def number_format(self) -> str | None:
        """The spec's number format, else the one the first measure's column format asks for."""
        if self.options.number_format:
            return self.options.number_format
        first = self.first_measure()
        return pattern_for(self.table.column(first).format) if first else None

    def first_measure(self) -> str | None:
        return next((name for name in (*self.measures(), self.column("value")) if name), None)

    def currency(self) -> str | None:
        """The ISO code the values are in: the spec's $/€/£ pattern, else the first measure's column."""
        if self.options.number_format:
            return parse_number_format(self.options.number_format).currency or None
        first = self.first_measure()
        return currency_for(self.table.column(first).format) if first else None

    def format(self, value: float | int | None) -> str:
        """A value as text in the chart's number format, currency and locale (KPI, labels)."""
        return format_number(value, self.number_format(), locale=self.locale, currency=self.currency())

    def measures(self) -> list[str]:
        return list(self.slots.get("y") or [])

    def flag(self, name: str) -> bool:
        return bool(self.chart_type.presets.get(name))

    def labels(self, slot: str) -> list[str]:
        """Category text for a dimension slot: dates formatted, nulls shown as (blank)."""
        name = self.column(slot)
        if name is None:
            return []
        if self.table.is_temporal(name):
            values = self.table.values(name)
            pattern = self.options.date_format or default_date_format(values)
            return [format_date(v, pattern) if v is not None else BLANK for v in values]
        names = PART_NAMES.get(self.table.column(name).granularity or "")
        if names:
            return [BLANK if v is None else names.get(v, str(v)) for v in self.table.values(name)]
        return [BLANK if v is None else str(v) for v in self.table.values(name)]

    def ordered_labels(self, slot: str) -> list[str]:
        """Distinct labels in first-seen order, or in date order for a date column."""
        name = self.column(slot)
        labels = self.labels(slot)
        if name and self.table.is_temporal(name):
            moments: dict[str, datetime | None] = {}
            for raw, label in zip(self.table.values(name), labels, strict=True):
                moments.setdefault(label, parse_temporal(raw))
            return sorted(moments, key=lambda label: (moments[label] is None, moments[label] or 0))
        distinct = list(dict.fromkeys(labels))
        if OTHER in distinct:  # the top-N remainder goes last
            distinct.remove(OTHER)
            distinct.append(OTHER)
        return distinct


@dataclass
class Matrix:
    """Values per category (rows) and series (columns), duplicates summed."""

    categories: list[str]
    series: list[str]
    values: dict[str, list[float | None]]  # series name → one value per category

    def totals(self) -> list[float]:
        return [sum(self.values[s][i] or 0 for s in self.series) for i in range(len(self.categories))]


def matrix(
    chart: ChartInput, *, x_slot: str = "x", series_slot: str = "series", measures: list[str] | None = None
) -> Matrix:
    """Pivot rows into categories x series: one series per value of the series column, or per measure."""
    measures = measures if measures is not None else chart.measures()
    categories = chart.ordered_labels(x_slot)
    position = {label: i for i, label in enumerate(categories)}
    x_labels = chart.labels(x_slot)
    series_labels = chart.labels(series_slot) if chart.column(series_slot) else None
    values: dict[str, list[float | None]] = {}
    for measure in measures:
        numbers = chart.table.numbers(measure)
        for row, (label, number) in enumerate(zip(x_labels, numbers, strict=True)):
            name = measure
            if series_labels is not None:
                name = series_labels[row] if len(measures) == 1 else f"{series_labels[row]} · {measure}"
            cells = values.setdefault(name, [None] * len(categories))
            if number is not None:
                cells[position[label]] = (cells[position[label]] or 0) + number
    names = [name for name in values if name != OTHER] + ([OTHER] if OTHER in values else [])
    result = Matrix(categories, names, values)
    _sort(result, chart.options.sort)
    return result


def _sort(result: Matrix, order: str) -> None:
    if order == "none":
        return
    totals = result.totals()
    ranked = sorted(range(len(result.categories)), key=lambda i: totals[i], reverse=order == "desc")
    result.categories = [result.categories[i] for i in ranked]
    for name in result.series:
        result.values[name] = [result.values[name][i] for i in ranked]


def normalised(result: Matrix) -> dict[str, list[float | None]]:
    """Each category's series as percentages of that category's total."""
    totals = result.totals()
    return {
        name: [
            None if v is None or not totals[i] else round(100 * v / totals[i], 2) for i, v in enumerate(cells)
        ]
        for name, cells in result.values.items()
    }


def pairs(chart: ChartInput, label_slot: str, value_slot: str) -> list[tuple[str, float]]:
    """(label, summed value) per distinct label in order, nulls skipped; for pies, funnels."""
    totals: dict[str, float] = {}
    for label in chart.ordered_labels(label_slot):
        totals[label] = 0.0
    value_column = chart.required(value_slot)
    for label, number in zip(chart.labels(label_slot), chart.table.numbers(value_column), strict=True):
        if number is not None:
            totals[label] += number
    items = list(totals.items())
    if chart.options.sort != "none":
        items.sort(key=lambda item: item[1], reverse=chart.options.sort == "desc")
    return items


def subtitle(chart: ChartInput) -> str:
    return " ".join(part for part in [chart.spec.subtitle, *chart.notes] if part)


def base_option(chart: ChartInput, *, trigger: str = "item", legend: bool = True) -> dict[str, Any]:
    """The skeleton every chart shares.

    The tooltip uses `renderMode: "richText"`: ECharts draws it on the canvas instead of as HTML, so a
    category called `<img onerror=…>` is shown as text, whatever formatter a theme or user adds.
    """
    options = chart.options
    option: dict[str, Any] = {
        "title": {"text": chart.spec.title, "subtext": subtitle(chart), "left": 8, "top": 4},
        "tooltip": {"trigger": trigger, "renderMode": "richText", "confine": True},
        "toolbox": {
            "right": 8,
            "top": 4,
            "feature": {
                "saveAsImage": {
                    "type": "png",
                    "title": "Save as PNG",
                    "name": _file_name(chart),
                    "pixelRatio": 2,
                }
            },
        },
        "aria": {"enabled": True},
        "color": list(PALETTE),
        "animationDuration": 400,
        "aiser": {
            "kind": "echarts",
            "type": chart.chart_type.id,
            "theme": options.theme,
            "numberFormat": chart.number_format(),
            "currency": chart.currency(),
            "numberLocale": number_locale(chart.locale).to_json(),
            "percent": bool(options.normalize),
        },
    }
    if trigger == "axis":
        option["tooltip"]["axisPointer"] = {
            "type": "shadow" if chart.chart_type.family != "trend" else "line"
        }
    if legend:
        option["legend"] = {"type": "scroll", "bottom": 4}
    return option


def _file_name(chart: ChartInput) -> str:
    words = "".join(ch if ch.isalnum() else " " for ch in (chart.spec.title or chart.chart_type.name))
    return "-".join(words.lower().split())[:60] or "chart"


def top_offset(chart: ChartInput) -> int:
    """Room above the plot for the title and subtitle."""
    return 40 + (22 if chart.spec.title else 0) + (18 if subtitle(chart) else 0)


def grid(chart: ChartInput, *, legend: bool = True, right: int = 24) -> dict[str, Any]:
    return {
        "left": 16,
        "right": right,
        "top": top_offset(chart),
        "bottom": (44 if legend else 24) + 16,  # room for the category axis's title
        "containLabel": True,
        # ECharts 6: keep axis titles inside the chart too, not only the tick labels.
        "outerBoundsContain": "all",
    }


def measure_unit(chart: ChartInput, measure: str | None = None) -> str:
    """The unit a measure's values are in, for axis titles: a currency code, "%" or ""."""
    if chart.options.normalize:
        return "%"
    pattern = chart.number_format() or ""
    if pattern.endswith("%"):
        return "%"
    name = measure or chart.first_measure()
    column_format = chart.table.column(name).format if name else None
    if column_format == "percent":
        return "%"
    return (
        (currency_for(column_format) if not chart.options.number_format else None) or chart.currency() or ""
    )


def axis_title(chart: ChartInput, names: list[str] | None = None) -> str:
    """A value axis's title from its measures' column names and unit: "revenue (EUR)"."""
    given: list[str | None] = (
        list(names) if names is not None else [*chart.measures()] or [chart.first_measure()]
    )
    names = [n for n in given if n]
    if not names:
        return ""
    unit = measure_unit(chart, names[0])
    return f"{', '.join(names)} ({unit})" if unit else ", ".join(names)


def dimension_title(chart: ChartInput, slot: str = "x") -> str:
    """A category or time axis's title: the column's name, with its grain ("order_date by month")."""
    name = chart.column(slot)
    if not name:
        return ""
    grain = chart.table.column(name).granularity
    if not grain or grain not in ("hour", "day", "week", "month", "quarter", "year"):
        return name
    # The query engine names a cut date "<field>_<grain>": the title says it in words.
    return f"{name.removesuffix('_' + grain)} by {grain}"


def category_axis(labels: list[str], *, boundary_gap: bool = True, name: str = "") -> dict[str, Any]:
    return {
        "type": "category",
        "data": labels,
        "name": name,
        "nameLocation": "middle",
        "nameGap": 28,
        "boundaryGap": boundary_gap,
        # Try every label when there are few, hiding only the ones that would overlap.
        "axisLabel": {
            "hideOverlap": True,
            "overflow": "truncate",
            "width": 120,
            **({"interval": 0} if len(labels) <= LABEL_EVERY_UP_TO else {}),
        },
        "axisTick": {"alignWithLabel": True},
    }


def value_axis(chart: ChartInput, *, name: str | None = None, percent: bool = False) -> dict[str, Any]:
    """A value axis titled `name`, by default from the chart's measures and unit (`axis_title`)."""
    axis: dict[str, Any] = {
        "type": "log" if chart.options.log_axis and not percent else "value",
        "name": axis_title(chart) if name is None else name,
        # Above the axis, where it never collides with tick labels of any width.
        "nameLocation": "end",
        "nameGap": 10,
        "nameTextStyle": {"align": "left"},
    }
    if percent:
        axis.update({"max": 100, "axisLabel": {"formatter": "{value}%"}})
    return axis


def label(chart: ChartInput, position: str = "top") -> dict[str, Any]:
    return {"show": chart.options.show_labels, "position": position}
