# SPDX-License-Identifier: MIT
"""Reads of the chart layer: the chart-type catalogue and the workspace's saved charts."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from chat2chart.charts.models import SavedChart
from chat2chart.charts.registry import FAMILIES, ChartType, Slot, chart_types
from chat2chart.collections.access import in_reach
from chat2chart.core import hooks
from chat2chart.core.errors import NotFound
from chat2chart.core.principal import Principal


def _slot(slot: Slot) -> dict[str, Any]:
    return {"name": slot.name, "kind": slot.kind, "min": slot.min, "max": slot.max}


def chart_type_summary(chart_type: ChartType) -> dict[str, Any]:
    """What a client needs to offer a type: its id, name, family and the data it needs."""
    needs = chart_type.needs
    return {
        "id": chart_type.id,
        "name": chart_type.name,
        "family": chart_type.family,
        "description": chart_type.description,
        "needs": {
            "summary": needs.summary,
            "dimensions": [_slot(s) for s in needs.dimensions],
            "measures": [_slot(s) for s in needs.measures],
            "any_columns": needs.any_columns,
        },
    }


def chart_type_list() -> list[dict[str, Any]]:
    """Every registered chart type, in registry order (grouped by family)."""
    order = {family: position for position, family in enumerate(FAMILIES)}
    return [chart_type_summary(t) for t in sorted(chart_types(), key=lambda t: order[t.family])]


def chart_list() -> QuerySet[SavedChart]:
    """The saved charts of the workspace in scope (rows live in its schema), newest change first."""
    return SavedChart.objects.select_related("source", "collection").all()


def chart_list_visible(principal: Principal, *, archived: bool = False) -> QuerySet[SavedChart]:
    """The saved charts `principal` may see (object permissions: `hooks.visible`; not those in someone
    else's personal collection), outside the archive, or only the archived ones with `archived`."""
    charts = in_reach(principal, hooks.visible(principal, "chart", chart_list()))
    return charts.filter(archived_at__isnull=not archived)


def chart_dashboards(chart: SavedChart) -> list[dict[str, Any]]:
    """The dashboards that show `chart` (id and title, each once): what deleting it would change."""
    rows = chart.widgets.values_list("dashboard_id", "dashboard__title").order_by("dashboard__title")
    return [{"id": pk, "title": title} for pk, title in dict(rows).items()]


def chart_get(*, chart_id: int) -> SavedChart:
    chart = chart_list().filter(pk=chart_id).first()
    if chart is None:
        raise NotFound("There is no such chart in this workspace.")
    return chart
