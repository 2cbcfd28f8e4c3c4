# SPDX-License-Identifier: MIT
"""Flow charts: sankey, network graph, chord and funnel. Links are summed per (source, target)."""

from __future__ import annotations

from typing import Any

from chat2chart.charts.builders.base import BLANK, ChartInput, base_option, clean, pairs, top_offset
from chat2chart.core.errors import ChartError

NODE_SIZES = (10, 44)  # graph node diameters in px, by total link weight


def _links(chart: ChartInput) -> dict[tuple[str, str], float]:
    sources, targets = chart.labels("source"), chart.labels("target")
    value = chart.column("value")
    weights = chart.table.numbers(value) if value else [1.0] * len(sources)
    links: dict[tuple[str, str], float] = {}
    for source, target, weight in zip(sources, targets, weights, strict=True):
        if weight is None or source == BLANK or target == BLANK:
            continue
        links[(source, target)] = links.get((source, target), 0.0) + weight
    if not links:
        raise ChartError(
            f"A {chart.chart_type.name} chart needs {chart.chart_type.needs.summary}; "
            "no row has a source, a target and a value."
        )
    return links


def _nodes(links: dict[tuple[str, str], float]) -> list[str]:
    return list(dict.fromkeys(name for pair in links for name in pair))


def _find_cycle(links: dict[tuple[str, str], float]) -> list[str] | None:
    """A loop in the flows (a → b → a), which a sankey cannot lay out."""
    graph: dict[str, list[str]] = {}
    for source, target in links:
        graph.setdefault(source, []).append(target)
    state: dict[str, int] = {}  # 1 = on the current path, 2 = done

    def visit(node: str, path: list[str]) -> list[str] | None:
        state[node] = 1
        for following in graph.get(node, []):
            if state.get(following) == 1:
                return [*path[path.index(following) :], following] if following in path else [node, following]
            if following not in state:
                found = visit(following, [*path, following])
                if found:
                    return found
        state[node] = 2
        return None

    for start in graph:
        if start not in state:
            found = visit(start, [start])
            if found:
                return found
    return None


def build_sankey(chart: ChartInput) -> dict[str, Any]:
    links = _links(chart)
    loop = _find_cycle(links)
    if loop:
        raise ChartError(
            f"A Sankey chart needs flows that never loop back, but {' → '.join(loop)} does. "
            "Name the stages apart (e.g. 'A (in)' and 'A (out)') or use a network graph."
        )
    option = base_option(chart, legend=False)
    option["series"] = [
        {
            "type": "sankey",
            "top": top_offset(chart),
            "bottom": 16,
            "left": 16,
            "right": 96,
            "emphasis": {"focus": "adjacency"},
            "nodeAlign": "justify",
            "data": [{"name": name} for name in _nodes(links)],
            "links": [{"source": s, "target": t, "value": clean(v)} for (s, t), v in links.items()],
            "lineStyle": {"color": "gradient", "curveness": 0.5},
        }
    ]
    return option


def build_graph(chart: ChartInput) -> dict[str, Any]:
    """A force-directed network; node size grows with the total weight of its links."""
    links = _links(chart)
    weight: dict[str, float] = {}
    for (source, target), value in links.items():
        weight[source] = weight.get(source, 0.0) + abs(value)
        weight[target] = weight.get(target, 0.0) + abs(value)
    heaviest = max(weight.values()) or 1.0
    small, large = NODE_SIZES
    option = base_option(chart, legend=False)
    option["series"] = [
        {
            "type": "graph",
            "layout": "force",
            "roam": True,
            "draggable": True,
            "top": top_offset(chart),
            "force": {"repulsion": 160, "edgeLength": [40, 120], "gravity": 0.1},
            "data": [
                {
                    "name": name,
                    "value": clean(weight[name]),
                    "symbolSize": round(small + (large - small) * weight[name] / heaviest, 1),
                }
                for name in _nodes(links)
            ],
            "links": [{"source": s, "target": t, "value": clean(v)} for (s, t), v in links.items()],
            "label": {"show": True, "position": "right"},
            "edgeSymbol": ["none", "arrow"],
            "edgeSymbolSize": 6,
            "lineStyle": {"opacity": 0.6, "curveness": 0.1},
            "emphasis": {"focus": "adjacency"},
        }
    ]
    return option


def build_chord(chart: ChartInput) -> dict[str, Any]:
    links = _links(chart)
    option = base_option(chart, legend=False)
    option["series"] = [
        {
            "type": "chord",
            "center": ["50%", "55%"],
            "radius": ["58%", "64%"],
            "padAngle": 2,
            "data": [{"name": name} for name in _nodes(links)],
            "links": [{"source": s, "target": t, "value": clean(v)} for (s, t), v in links.items() if v > 0],
            "lineStyle": {"color": "source", "opacity": 0.35},
            "label": {"show": True},
        }
    ]
    return option


def build_funnel(chart: ChartInput) -> dict[str, Any]:
    stages = pairs(chart, "label", "value")
    top = top_offset(chart)
    option = base_option(chart)
    option["series"] = [
        {
            "type": "funnel",
            "name": chart.column("value"),
            "top": top,
            "bottom": 40,
            "left": "10%",
            "width": "80%",
            "sort": "ascending" if chart.options.sort == "asc" else "descending",
            "gap": 2,
            "data": [{"name": name, "value": clean(value)} for name, value in stages],
            "label": {
                "show": True,
                "position": "inside",
                "formatter": "{b}: {c}" if chart.options.show_labels else "{b}",
            },
        }
    ]
    return option
