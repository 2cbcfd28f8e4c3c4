# SPDX-License-Identifier: MIT
"""Home: a new workspace gets the first-run checklist (with a one-click sample dataset); once there
is content, recent and most used items, only of the organisation in scope."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

import pytest
from django.conf import settings
from model_bakery import baker


def _empty(workspace: Any) -> None:
    from chat2chart.dashboards.models import Dashboard
    from chat2chart.sources.models import Source

    with workspace.activate():  # browser tests commit rows; this test's deletions are rolled back
        Dashboard.objects.all().delete()
        Source.objects.all().delete()


def _steps(html: str) -> dict[str, bool]:
    return {key: done == "true" for key, done in re.findall(r'data-step="(\w+)" data-done="(\w+)"', html)}


def test_a_new_workspace_shows_the_first_run_checklist(alpha):
    _empty(alpha)
    html = alpha.client("owner").get("/").content.decode()
    expected = {"data": False, "question": False, "chart": False, "dashboard": False}
    if settings.ENTERPRISE:
        expected["invite"] = True  # the fixture organisation already has four members
    assert _steps(html) == expected
    assert "Use a sample dataset" in html
    assert "data-recent" not in html


def test_the_sample_dataset_is_one_click_and_holds_the_sample_rows(alpha):
    from chat2chart.sources import demo
    from chat2chart.sources.models import Source

    _empty(alpha)
    response = alpha.client("editor").post("/home/sample-data/")
    assert response.status_code == 302
    with alpha.activate():
        source = Source.objects.get(name=demo.SAMPLE_FOR_NEW_WORKSPACES)
        assert response["Location"] == f"/sources/{source.pk}/"
        assert source.status == Source.Status.READY
        stored = sum(table.row_count for table in source.tables.filter(is_current=True))
    assert stored == len(demo.sales_orders(dt.date.today()))
    # A second click does not make a second copy.
    alpha.client("editor").post("/home/sample-data/")
    with alpha.activate():
        assert Source.objects.filter(name=demo.SAMPLE_FOR_NEW_WORKSPACES).count() == 1
    assert _steps(alpha.client("owner").get("/").content.decode())["data"] is True


@pytest.mark.enterprise  # the core edition has no roles: everyone signed in may add data
def test_a_viewer_gets_no_sample_button_and_cannot_add_one(alpha):
    from chat2chart.sources.models import Source

    _empty(alpha)
    assert "Use a sample dataset" not in alpha.client("viewer").get("/").content.decode()
    alpha.client("viewer").post("/home/sample-data/")
    with alpha.activate():
        assert not Source.objects.exists()


def _content(workspace: Any, title: str) -> None:
    with workspace.activate():
        source = baker.make("sources.Source", name=f"{title} data", kind="file", status="ready")
        chart = baker.make("charts.SavedChart", title=title, source=source, spec={}, query={})
        baker.make("charts.SavedChart", title=f"{title} unused", source=source, spec={}, query={})
        for number in range(2):
            dashboard = baker.make("dashboards.Dashboard", title=f"{title} board {number}")
            baker.make("dashboards.Widget", dashboard=dashboard, kind="chart", chart=chart)


def test_with_content_home_lists_recent_and_most_used_items(alpha):
    _empty(alpha)
    _content(alpha, "Revenue by month")
    html = alpha.client("viewer").get("/").content.decode()
    recent = html.split("data-recent", 1)[1].split("</ul>", 1)[0]
    popular = html.split("data-popular", 1)[1].split("</ul>", 1)[0]
    assert "Revenue by month board 1" in recent
    assert "Revenue by month unused" in recent
    assert "just now" in recent
    # Used on two dashboards; the chart on none is not "most used"; the data has two saved charts.
    assert 'Revenue by month</a> <span class="kind">Chart · on 2 dashboards' in popular
    assert "unused" not in popular
    assert 'Revenue by month data</a> <span class="kind">Data · 2 saved charts' in popular


@pytest.mark.enterprise
def test_home_shows_only_the_organisations_own_items(alpha, beta):
    _empty(alpha)
    _empty(beta)
    _content(alpha, "Alpha revenue")
    _content(beta, "Beta churn")
    alpha_home = alpha.client("owner").get("/").content.decode()
    beta_home = beta.client("owner").get("/").content.decode()
    assert "Alpha revenue" in alpha_home
    assert "Beta churn" not in alpha_home
    assert "Beta churn" in beta_home
    assert "Alpha revenue" not in beta_home
