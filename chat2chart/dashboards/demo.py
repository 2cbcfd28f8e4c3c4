# SPDX-License-Identifier: MIT
"""Demo dashboard: "Sales overview", built from the demo saved charts (chat2chart.charts.demo).

Idempotent: an existing "Sales overview" is left alone. Without the demo charts it is skipped with a
log line; a chart that is missing only leaves its widget out.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from chat2chart.charts.models import SavedChart
from chat2chart.core import hooks
from chat2chart.core.errors import AiserError
from chat2chart.core.principal import Principal
from chat2chart.dashboards import services
from chat2chart.dashboards.models import Dashboard
from chat2chart.dashboards.widget_data import table_fields
from chat2chart.sources.semantic import SemanticQuery

TITLE = "Sales overview"
NOTES = """**Sales overview** of the sample orders.

- Pick a *region* or a date range above: every widget whose table has the field follows.
- Edit the dashboard to move, resize or add widgets.
"""
# (kind, chart title, widget title, x, y, w, h)
WIDGETS = (
    ("kpi", "Revenue by month", "Revenue, last month", 0, 0, 3, 3),
    ("chart", "Revenue by month", "", 3, 0, 9, 6),
    ("text", "", "About", 0, 3, 3, 3),
    ("chart", "Revenue by region", "", 0, 6, 6, 5),
    ("chart", "Revenue by category and channel", "", 6, 6, 6, 5),
    ("table", "Revenue by region", "Regions table", 0, 11, 12, 4),
)
FILTERS = (
    {"field": "region", "kind": "values", "label": "Region"},
    {"field": "order_date", "kind": "date_range", "label": "Order date"},
)


def seed_demo_content(*, owner: Any, log: Callable[[str], Any] = print) -> None:
    # Enter the workspace properly (the caller may have set only a schema), so the permission hook
    # can read the owner's role there.
    with hooks.workspace_context(hooks.current_workspace()):
        _seed(owner=owner, log=log)


def _seed(*, owner: Any, log: Callable[[str], Any]) -> None:
    if Dashboard.objects.filter(title=TITLE).exists():
        return
    charts = {c.title: c for c in SavedChart.objects.filter(title__in={w[1] for w in WIDGETS if w[1]})}
    if not charts:
        log(f"Demo dashboard '{TITLE}' skipped: there are no demo saved charts.")
        return
    fields = _fields_of(next(iter(charts.values())), log)
    principal = Principal.for_user(owner)
    dashboard = services.dashboard_create(
        principal=principal,
        title=TITLE,
        description="Revenue of the sample sales orders: trend, regions, categories and channels.",
    )
    for kind, chart_title, title, x, y, w, h in WIDGETS:
        chart = charts.get(chart_title)
        if kind != "text" and chart is None:
            log(f"Demo widget '{title or chart_title}' skipped: the chart is missing.")
            continue
        services.widget_create(
            dashboard=dashboard,
            principal=principal,
            kind=kind,
            title=title,
            chart_id=chart.pk if chart else None,
            text=NOTES if kind == "text" else "",
            x=x,
            y=y,
            w=w,
            h=h,
        )
    # Filters name columns of the widgets' tables, so they come once the widgets are there.
    filters = [f for f in FILTERS if f["field"] in fields]
    if filters:
        services.dashboard_update(dashboard=dashboard, principal=principal, filters=filters)
    log(f"Demo dashboard '{TITLE}' created.")


def _fields_of(chart: SavedChart, log: Callable[[str], Any]) -> set[str]:
    try:
        return table_fields(SemanticQuery.parse(chart.query))
    except AiserError as error:  # a dashboard without filters is still a good demo
        log(f"Demo dashboard filters left out: {error.message}")
        return set()
