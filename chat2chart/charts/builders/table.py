# SPDX-License-Identifier: MIT
"""Table and pivot table. ECharts draws neither, so the option carries the cells in a `dataset` and
`aiser.kind` tells `static/js/charts.js` to build an HTML table from them with textContent."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any

from chat2chart.charts.builders.base import ChartInput, base_option, clean, matrix
from chat2chart.charts.builders.formats import currency_for, pattern_for

MAX_TABLE_ROWS = 2000  # rows put in the option; the CSV download has them all


def _cell(value: Any) -> Any:
    if isinstance(value, Decimal):
        return clean(float(value))
    if isinstance(value, datetime | date):
        return value.isoformat()
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _table_option(
    chart: ChartInput, kind: str, columns: list[dict[str, Any]], rows: list[list[Any]]
) -> dict[str, Any]:
    option = base_option(chart, legend=False)
    option.pop("tooltip")
    option["aiser"].update({"kind": kind, "columns": columns})
    option["dataset"] = {"dimensions": [c["name"] for c in columns], "source": rows}
    return option


def build_table(chart: ChartInput) -> dict[str, Any]:
    table = chart.table
    rows = [[_cell(v) for v in row] for row in table.rows[:MAX_TABLE_ROWS]]
    if len(table.rows) > MAX_TABLE_ROWS:
        chart.notes.append(
            f"Showing the first {MAX_TABLE_ROWS:,} of {len(table.rows):,} rows; "
            "download the CSV for all of them."
        )
    # Each column keeps the role and format its ResultSet gives it, and says how its numbers read.
    columns = [
        {"name": c.name, "type": c.type, "role": c.role, "format": c.format, **_number_look(chart, c.format)}
        for c in table.columns
    ]
    return _table_option(chart, "table", columns, rows)


def _number_look(chart: ChartInput, column_format: str | None) -> dict[str, Any]:
    """`numberFormat` and `currency` of one column's cells: the spec's own number format when it has
    one (a person chose it for the whole chart), else the column's format ("currency:EUR" reads
    €1,234.50, "percent" 25.6%). Each column reads its own, so a table of a margin in EUR and a share
    in percent shows both right (the chart-wide look follows only the first measure)."""
    if chart.options.number_format:
        return {"numberFormat": chart.number_format(), "currency": chart.currency()}
    return {"numberFormat": pattern_for(column_format), "currency": currency_for(column_format)}


def build_pivot(chart: ChartInput) -> dict[str, Any]:
    """Rows are x values, columns series values, cells the summed measure, with row and column totals."""
    measure = chart.required("value")
    pivot = matrix(chart, measures=[measure])
    row_totals = pivot.totals()
    rows = [
        [category, *[clean(pivot.values[s][i]) for s in pivot.series], clean(row_totals[i])]
        for i, category in enumerate(pivot.categories)
    ]
    column_totals = [clean(sum(v or 0 for v in pivot.values[s])) for s in pivot.series]
    rows.append(["Total", *column_totals, clean(sum(row_totals))])
    columns = [
        {"name": str(chart.column("x")), "type": "text"},
        *[{"name": s, "type": "decimal"} for s in pivot.series],
        {"name": "Total", "type": "decimal"},
    ]
    return _table_option(chart, "pivot", columns, rows)
