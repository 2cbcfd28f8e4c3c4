# SPDX-License-Identifier: MIT
"""The fields a dashboard filter can pick: the columns of the tables its widgets read (and the
dimensions of the data models its member widgets ask), each with its type, for the editor's picker and
the check that refuses a filter on a field no widget has."""

from __future__ import annotations

from dataclasses import dataclass

from chat2chart.dashboards.member_widgets import is_member_query
from chat2chart.dashboards.models import Dashboard, Widget
from chat2chart.semantic import selectors as semantic_selectors
from chat2chart.semantic.yaml_io import load_model
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.models import SourceTable

TEXT_KINDS = (Widget.Kind.TEXT, Widget.Kind.HEADING)


@dataclass(frozen=True)
class FilterField:
    """A column a filter can use: its name, type ("number", "text", "date"...) and the tables with it."""

    name: str
    type: str
    tables: tuple[str, ...]


def dashboard_fields(dashboard: Dashboard) -> list[FilterField]:
    """Every column of the dashboard's widget tables, by name (first seen type wins), sorted by name."""
    found: dict[str, tuple[str, list[str]]] = {}
    for widget in dashboard.widgets.select_related("chart"):
        for name, kind, table in _widget_columns(widget):
            entry = found.setdefault(name, (kind, []))
            if table not in entry[1]:
                entry[1].append(table)
    return [FilterField(name=n, type=t, tables=tuple(tables)) for n, (t, tables) in sorted(found.items())]


def _widget_columns(widget: Widget) -> list[tuple[str, str, str]]:
    if widget.kind in TEXT_KINDS:
        return []
    query = widget.query or (widget.chart.query if widget.chart is not None else None)
    if not isinstance(query, dict):
        return []
    if is_member_query(query):
        stored = semantic_selectors.semantic_model_get(model_id=query["model"])
        model = load_model(stored.yaml)
        # Both "cube.dimension" and the bare name a filter may use (see member_widgets.dimension_member).
        full = [(f"{c.name}.{d.name}", str(d.type), stored.name) for c in model.cubes for d in c.dimensions]
        bare = [(d.name, str(d.type), stored.name) for c in model.cubes for d in c.dimensions]
        return full + bare
    source, name = query.get("source"), query.get("table")
    if not isinstance(source, int) or not isinstance(name, str):
        return []
    table = SourceTable.objects.filter(source_id=source, name=name, is_current=True).first()
    if table is None or not table.catalogue:
        return []
    label = table.name
    return [(c.name, str(c.type), label) for c in TableInfo.from_dict(table.catalogue).columns]
