# SPDX-License-Identifier: MIT
"""Hierarchy charts: treemap, sunburst, tree and radial tree.

The parent and child columns are read one of two ways: as an adjacency list when some child is
also a parent (an org chart: employee, manager), otherwise as two grouping levels (region,
country), where the same child name under two parents stays two nodes.
"""

from __future__ import annotations

from typing import Any

from chat2chart.charts.builders.base import BLANK, ChartInput, base_option, clean, top_offset
from chat2chart.core.errors import ChartError

EXPANDED_NODES = 150  # trees larger than this open collapsed below the second level


def _rows(chart: ChartInput) -> list[tuple[str | None, str, float | None]]:
    children = chart.labels("child")
    parents = chart.labels("parent") if chart.column("parent") else [None] * len(children)
    value = chart.column("value")
    values = chart.table.numbers(value) if value else [None] * len(children)
    return list(zip(parents, children, values, strict=True))


def hierarchy(chart: ChartInput) -> list[dict[str, Any]]:
    """Root nodes as ECharts tree data ({name, value, children})."""
    rows = _rows(chart)
    parent_names = {p for p, _, _ in rows if p is not None and p != BLANK}
    if parent_names & {c for _, c, _ in rows}:
        return _adjacency(chart, rows)
    return _levels(rows)


def _levels(rows: list[tuple[str | None, str, float | None]]) -> list[dict[str, Any]]:
    groups: dict[str | None, dict[str, float]] = {}
    for parent, child, value in rows:
        leaves = groups.setdefault(parent, {})
        leaves[child] = leaves.get(child, 0.0) + (value or 0)
    if list(groups) == [None]:
        return [{"name": name, "value": clean(v)} for name, v in groups[None].items()]
    return [
        {
            "name": parent if parent is not None else BLANK,
            "children": [{"name": name, "value": clean(v)} for name, v in leaves.items()],
        }
        for parent, leaves in groups.items()
    ]


def _adjacency(chart: ChartInput, rows: list[tuple[str | None, str, float | None]]) -> list[dict[str, Any]]:
    kids: dict[str, list[str]] = {}
    values: dict[str, float] = {}
    has_parent: set[str] = set()
    for parent, child, value in rows:
        if value is not None:
            values[child] = values.get(child, 0.0) + value
        if parent is None or parent in (BLANK, child):
            kids.setdefault(child, [])
            continue
        kids.setdefault(parent, [])
        if child not in kids[parent]:
            kids[parent].append(child)
        has_parent.add(child)
    roots = [name for name in kids if name not in has_parent]
    if not roots:
        raise ChartError(
            f"A {chart.chart_type.name} chart needs {chart.chart_type.needs.summary}; every "
            "row's parent is also someone's child, so there is no top of the hierarchy."
        )
    seen: set[str] = set()

    def node(name: str) -> dict[str, Any]:
        seen.add(name)  # a loop further down is cut rather than followed forever
        item: dict[str, Any] = {"name": name}
        children = [node(kid) for kid in kids.get(name, []) if kid not in seen]
        if children:
            item["children"] = children
        elif name in values:
            item["value"] = clean(values[name])
        return item

    return [node(root) for root in roots]


def build_treemap(chart: ChartInput) -> dict[str, Any]:
    option = base_option(chart, legend=False)
    option["series"] = [
        {
            "type": "treemap",
            # The breadcrumb's root reads the measure: the chart's title is drawn once, above.
            "name": chart.column("value") or "All",
            "data": hierarchy(chart),
            "top": top_offset(chart),
            "bottom": 32,
            "left": 8,
            "right": 8,
            "roam": False,
            "breadcrumb": {"show": True, "bottom": 4},
            # Each tile shows its value; charts.js swaps in the chart's number format and locale.
            "label": {"show": True, "formatter": "{b}\n{c}"},
            "upperLabel": {"show": True, "height": 22, "formatter": "{b}: {c}"},
            "levels": [
                {"itemStyle": {"borderWidth": 0, "gapWidth": 3}},
                {"itemStyle": {"gapWidth": 1}, "colorSaturation": [0.35, 0.55]},
            ],
        }
    ]
    return option


def build_sunburst(chart: ChartInput) -> dict[str, Any]:
    option = base_option(chart, legend=False)
    option["series"] = [
        {
            "type": "sunburst",
            "data": hierarchy(chart),
            "radius": ["12%", "78%"],
            "center": ["50%", "56%"],
            "sort": None,
            "emphasis": {"focus": "ancestor"},
            "label": {"rotate": "radial", "minAngle": 8},
            "itemStyle": {"borderWidth": 1},
        }
    ]
    return option


def build_tree(chart: ChartInput) -> dict[str, Any]:
    """A left-to-right tree, or a radial one; several tops hang under one root named after the chart."""
    roots = hierarchy(chart)
    root = roots[0] if len(roots) == 1 else {"name": chart.spec.title or "All", "children": roots}
    radial = chart.flag("radial")
    size = len(chart.table.rows)
    top = top_offset(chart)
    option = base_option(chart, legend=False)
    option["series"] = [
        {
            "type": "tree",
            "data": [root],
            "layout": "radial" if radial else "orthogonal",
            "top": top + (30 if radial else 0),
            "bottom": 24,
            "left": 80 if not radial else 40,
            "right": 140 if not radial else 40,
            "symbolSize": 8,
            "roam": True,
            "initialTreeDepth": -1 if size <= EXPANDED_NODES else 2,
            "expandAndCollapse": True,
            "label": {"position": "left", "verticalAlign": "middle", "align": "right"},
            "leaves": {"label": {"position": "right", "verticalAlign": "middle", "align": "left"}},
            "emphasis": {"focus": "descendant"},
            "animationDurationUpdate": 500,
        }
    ]
    if radial:
        option["series"][0]["label"] = {"position": "right", "rotate": 0}
        option["series"][0].pop("leaves")
    return option
