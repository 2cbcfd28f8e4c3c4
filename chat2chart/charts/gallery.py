# SPDX-License-Identifier: MIT
"""Every chart type drawn on its sample data, for the gallery page and the browser check."""

from __future__ import annotations

from typing import Any

from chat2chart.charts.registry import chart_types
from chat2chart.charts.render import build_option
from chat2chart.charts.samples import sample_for
from chat2chart.charts.spec import auto_spec
from chat2chart.sources.results import ResultSet


def gallery_examples(*, theme: str = "light") -> list[dict[str, Any]]:
    """One dict per registered type: type, name, family, option, and the sample data (for CSV)."""
    examples = []
    for chart_type in chart_types():
        data, title = sample_for(chart_type.id)
        result = ResultSet.from_rows(data["columns"], data["rows"])
        spec = auto_spec(chart_type.id, result.columns_json(), title=title, options={"theme": theme})
        examples.append(
            {
                "type": chart_type.id,
                "name": chart_type.name,
                "family": chart_type.family,
                "option": build_option(spec, result),
                "data": data,
            }
        )
    return examples
