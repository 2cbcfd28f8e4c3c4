# SPDX-License-Identifier: MIT
"""Small ECharts option dicts for the insights feed (the chart beside each sentence)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any


def line_option(
    title: str, labels: Sequence[str], values: Sequence[float], *, marks: Sequence[int] = ()
) -> dict[str, Any]:
    """A line over time; `marks` are indices drawn as highlighted points (anomalies)."""
    return {
        "title": {"text": title},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": list(labels)},
        "yAxis": {"type": "value"},
        "series": [
            {
                "type": "line",
                "data": [float(v) for v in values],
                "markPoint": {"data": [{"coord": [labels[i], float(values[i])]} for i in marks]},
            }
        ],
    }


def bar_option(title: str, categories: Sequence[str], values: Sequence[float]) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "tooltip": {"trigger": "axis"},
        "xAxis": {"type": "category", "data": list(categories)},
        "yAxis": {"type": "value"},
        "series": [{"type": "bar", "data": [float(v) for v in values]}],
    }


def scatter_option(
    title: str, x: Sequence[float], y: Sequence[float], *, x_name: str, y_name: str
) -> dict[str, Any]:
    return {
        "title": {"text": title},
        "tooltip": {"trigger": "item"},
        "xAxis": {"type": "value", "name": x_name},
        "yAxis": {"type": "value", "name": y_name},
        "series": [
            {"type": "scatter", "data": [[float(a), float(b)] for a, b in zip(x, y, strict=True)][:2000]}
        ],
    }
