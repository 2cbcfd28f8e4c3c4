# SPDX-License-Identifier: MIT
"""The columns a model query answers with: name, type, and the aggregation, granularity and format
that let charts and tables read them without guessing."""

from __future__ import annotations

from chat2chart.semantic.model import Cube, Dimension, Measure
from chat2chart.semantic.query import DimensionRef

_PARTS = frozenset({"weekday", "month_of_year", "hour_of_day"})


def dimension_column(ref: DimensionRef, dim: Dimension) -> dict[str, str]:
    types = {"string": "text", "number": "decimal", "boolean": "boolean", "time": "datetime"}
    column = {"name": ref.output_name, "type": types[dim.type]}
    if ref.granularity:
        column["type"] = (
            "integer" if ref.granularity in _PARTS else "datetime" if ref.granularity == "hour" else "date"
        )
        column["granularity"] = ref.granularity
    if dim.format:
        column["format"] = dim.format
    return column


def measure_column(cube: Cube, measure: Measure) -> dict[str, str]:
    counts = ("count", "count_distinct", "count_distinct_approx")
    column = {
        "name": f"{cube.name}.{measure.name}",
        "type": "integer" if measure.type in counts else "decimal",
    }
    if measure.type != "number":
        column["agg"] = measure.type
    if measure.format:
        column["format"] = measure.format
    if measure.currency:
        column["currency"] = measure.currency
    return column
