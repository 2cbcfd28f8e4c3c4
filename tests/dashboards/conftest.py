# SPDX-License-Identifier: MIT
"""Dashboards over a small sales file: revenue per month for two customers, and a targets file
without a customer column (so a locked customer cannot limit it)."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from chat2chart.core.principal import Principal

SALES_CSV = (
    "customer_id,month,revenue,region\n"
    "1,2024-01-01,100,North\n"
    "1,2024-02-01,150,North\n"
    "1,2024-03-01,175,South\n"
    "2,2024-01-01,900,South\n"
    "2,2024-02-01,950,South\n"
    "2,2024-03-01,990,South\n"
)
TARGETS_CSV = "month,target\n2024-01-01,500\n2024-02-01,600\n2024-03-01,700\n"


@dataclass
class SalesData:
    """What a test builds dashboards from: the sources, their tables and saved charts."""

    workspace: Any
    sales: Any
    sales_table: str
    targets: Any
    targets_table: str
    charts: dict[str, Any] = field(default_factory=dict)

    def revenue_query(self, **extra: Any) -> dict[str, Any]:
        return {
            "source": self.sales.pk,
            "table": self.sales_table,
            "dimensions": [{"field": "month"}],
            "measures": [{"field": "revenue", "agg": "sum"}],
            "order": [{"field": "month"}],
            **extra,
        }


def create_file_source(*, name: str, file_name: str, content: str, owner: Any, folder: Path) -> Any:
    from chat2chart.sources import services as source_services

    upload = folder / file_name
    upload.write_text(content)
    source = source_services.source_create_file(
        name=name,
        upload=upload,
        original_name=file_name,
        on_bad_rows="error",
        principal=Principal.for_user(owner),
    )
    source.refresh_from_db()
    assert source.status == "ready", source.error
    return source


def build_sales_data(workspace: Any, folder: Path) -> SalesData:
    """Sources and saved charts in `workspace`; call inside `workspace.activate()`."""
    from chat2chart.charts import services as chart_services

    owner = workspace.users["owner"]
    sales = create_file_source(
        name="Sales", file_name="sales.csv", content=SALES_CSV, owner=owner, folder=folder
    )
    targets = create_file_source(
        name="Targets", file_name="targets.csv", content=TARGETS_CSV, owner=owner, folder=folder
    )
    data = SalesData(
        workspace=workspace,
        sales=sales,
        sales_table=sales.tables.get(is_current=True).name,
        targets=targets,
        targets_table=targets.tables.get(is_current=True).name,
    )
    data.charts["revenue"] = chart_services.chart_create(
        principal=Principal.for_user(owner),
        title="Revenue by month",
        spec={"type": "column", "encoding": {"x": "month", "y": ["revenue"]}},
        query=data.revenue_query(),
    )
    data.charts["rows"] = chart_services.chart_create(
        principal=Principal.for_user(owner),
        title="Revenue rows",
        spec={"type": "table"},
        query={
            "source": sales.pk,
            "table": data.sales_table,
            "dimensions": [{"field": "customer_id"}, {"field": "month"}],
            "measures": [{"field": "revenue", "agg": "sum"}],
            "order": [{"field": "customer_id"}, {"field": "month"}],
        },
    )
    data.charts["targets"] = chart_services.chart_create(
        principal=Principal.for_user(owner),
        title="Targets",
        spec={"type": "column", "encoding": {"x": "month", "y": ["target"]}},
        query={
            "source": targets.pk,
            "table": data.targets_table,
            "dimensions": [{"field": "month"}],
            "measures": [{"field": "target", "agg": "sum"}],
            "order": [{"field": "month"}],
        },
    )
    return data


@pytest.fixture
def sales(alpha: Any, tmp_path: Path) -> SalesData:
    with alpha.activate():
        return build_sales_data(alpha, tmp_path)


def make_dashboard(
    data: SalesData,
    *,
    widgets: tuple[str, ...] = ("revenue", "rows"),
    filters: Any = None,
    title: str = "Sales overview",
) -> Any:
    """A dashboard with a widget per named chart, then its filters (a filter must name a column of
    the dashboard's tables, so they are set once the widgets are there); call inside the workspace."""
    from chat2chart.dashboards import services
    from chat2chart.dashboards.models import Dashboard

    owner = data.workspace.users["owner"]
    dashboard = services.dashboard_create(principal=Principal.for_user(owner), title=title)
    for index, name in enumerate(widgets):
        kind = "table" if name == "rows" else "chart"
        services.widget_create(
            dashboard=dashboard,
            principal=Principal.for_user(owner),
            kind=kind,
            chart_id=data.charts[name].pk,
            x=(index % 2) * 6,
            y=(index // 2) * 4,
        )
    if filters and widgets:
        dashboard = services.dashboard_update(
            dashboard=dashboard, principal=Principal.for_user(owner), filters=filters
        )
    elif filters:
        # No widget yet: the test adds the widgets the filters are for afterwards.
        Dashboard.objects.filter(pk=dashboard.pk).update(filters=filters)
        dashboard.refresh_from_db()
    return dashboard


@pytest.fixture
def dashboard(sales: SalesData) -> Any:
    with sales.workspace.activate():
        return make_dashboard(
            sales, filters=[{"field": "region", "kind": "values"}, {"field": "month", "kind": "date_range"}]
        )


def set_up_embedding(workspace: Any) -> str:
    """Create the workspace's embedding secret; returns it (call inside the workspace)."""
    from chat2chart.dashboards.embedding import embed_secret_rotate

    return embed_secret_rotate(actor=Principal.for_user(workspace.users["admin"]))


def sign(
    workspace: Any,
    secret: str,
    dashboard_id: int,
    *,
    params: Any = None,
    minutes: float = 10,
    audience: str | None = None,
    **claims: Any,
) -> str:
    from chat2chart.dashboards.embedding import sign_embed_token

    return sign_embed_token(
        secret=secret,
        audience=audience or workspace.workspace_name,
        dashboard_id=dashboard_id,
        expires_at=datetime.now(UTC) + timedelta(minutes=minutes),
        params=params,
        **claims,
    )


def widgets_by_title(response: Any) -> dict[str, dict[str, Any]]:
    assert response.status_code == 200, response.content
    return {w["title"]: w for w in json.loads(response.content)["widgets"]}
