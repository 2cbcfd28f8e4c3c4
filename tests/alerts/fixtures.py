# SPDX-License-Identifier: MIT
"""Helpers for the alert tests: a CSV uploaded and a chart saved through the real endpoints, and one
scheduler tick of a workspace (the Celery task, run in-process)."""

from __future__ import annotations

from typing import Any

from chat2chart.alerts.models import Alert
from chat2chart.alerts.services import alert_create
from chat2chart.alerts.tasks import check_due
from chat2chart.charts.models import SavedChart
from chat2chart.core.principal import Principal
from tests.sources.fixtures_api import post_json, upload_new_version, upload_source

TOTAL = {"table": "sales", "measures": [{"field": "revenue", "agg": "sum"}]}


def monthly(field: str = "order_date") -> dict[str, Any]:
    return {
        "table": "sales",
        "measures": [{"field": "revenue", "agg": "sum"}],
        "dimensions": [{"field": field, "granularity": "month"}],
    }


def daily(field: str = "order_date") -> dict[str, Any]:
    return {
        "table": "sales",
        "measures": [{"field": "revenue", "agg": "sum"}],
        "dimensions": [{"field": field, "granularity": "day"}],
    }


def chart_on_csv(workspace: Any, csv: str, query: dict[str, Any], *, title: str = "Revenue") -> SavedChart:
    """Upload `csv` as a source and save a chart of `query` on it, as the workspace's editor."""
    editor = workspace.client("editor")
    uploaded = upload_source(editor, csv)
    assert uploaded.status_code == 201, uploaded.content
    source = uploaded.json()["id"]
    time = (query.get("dimensions") or [{}])[0]
    x = f"{time['field']}_{time['granularity']}" if time else None
    spec = (
        {"type": "line", "encoding": {"x": x, "y": ["revenue"]}}
        if x
        else {"type": "kpi", "encoding": {"value": "revenue"}}
    )
    saved = post_json(
        editor,
        "/api/v1/charts/",
        {"title": title, "spec": spec, "query": {"source": source, **query}, "source": source},
    )
    assert saved.status_code == 201, saved.content
    with workspace.activate():
        return SavedChart.objects.get(pk=saved.json()["id"])


def replace_data(workspace: Any, chart: SavedChart, csv: str) -> None:
    """A new version of the chart's file (what a person uploading fresh data does)."""
    response = upload_new_version(workspace.client("editor"), chart.source_id, csv)
    assert response.status_code in (200, 202), response.content


def make_alert(workspace: Any, chart: SavedChart, role: str = "editor", **fields: Any) -> Alert:
    with workspace.activate():
        return alert_create(principal=Principal.for_user(workspace.users[role]), chart=chart, **fields)


def tick(workspace: Any) -> list[int]:
    """One scheduler tick for the workspace: the beat's per-organisation task."""
    return check_due(workspace.workspace_name)


def reload(workspace: Any, alert: Alert) -> Alert:
    with workspace.activate():
        return Alert.objects.get(pk=alert.pk)
