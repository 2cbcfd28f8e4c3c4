# SPDX-License-Identifier: MIT
"""The dashboard page in a real Chromium at desktop and phone width: filters (value picker with search
and counts, date presets), the note of filters on each widget, tabs, the share menu, and a click on a
bar that filters the dashboard or lists the rows behind it. Numbers are checked against pandas."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from chat2chart.core.principal import Principal
from tests.dashboards.conftest import SALES_CSV, build_sales_data
from tests.dashboards.test_embed_browser import ALL_LOADED
from tests.pagecheck import check_page

pytestmark = pytest.mark.browser
SALES = pd.read_csv(io.StringIO(SALES_CSV))

# A pixel near a bar's foot (reached at once by the bar's grow animation), by the chart's own coordinates.
BAR_POINT = """
(holder, index) => {
  const chart = echarts.getInstanceByDom(holder);
  const option = chart.getOption();
  const category = option.xAxis[0].data[index];
  const value = option.series[0].data[index];
  const raw = Array.isArray(value) ? value[1] : (value && value.value !== undefined ? value.value : value);
  const [x, y] = chart.convertToPixel({ seriesIndex: 0 }, [category, raw / 10]);
  const box = holder.getBoundingClientRect();
  return { x: box.left + x, y: box.top + y, category };
}
"""


def bar_point(page: Any, title: str, index: int) -> dict[str, Any]:
    section = page.locator("section.widget", has=page.get_by_role("heading", name=title, exact=True))
    return section.locator("[_echarts_instance_]").evaluate(BAR_POINT, index)


@pytest.fixture
def shown(
    workspaces: dict[str, Any], live_server: Any, page: Any, committed: Any, settings: Any, tmp_path: Path
):
    """alpha's sales dashboard with a region filter, a date filter, two tabs, a heading and a text."""
    alpha = workspaces["alpha"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    with committed(), alpha.activate():
        from chat2chart.charts.models import SavedChart
        from chat2chart.dashboards import services
        from chat2chart.dashboards.models import Dashboard
        from chat2chart.sources.models import Source

        def clean() -> None:
            # Rows are committed for the server: remove everything this fixture made, even after a failure.
            Dashboard.objects.filter(title="Browser sales").delete()
            SavedChart.objects.filter(
                title__in=["Revenue by month", "Revenue rows", "Targets", "Revenue by region"]
            ).delete()
            Source.objects.filter(name__in=["Sales", "Targets"]).delete()

        clean()
        try:
            data = build_sales_data(alpha, tmp_path)
            owner = Principal.for_user(alpha.users["owner"])
            dashboard = services.dashboard_create(principal=owner, title="Browser sales")
            dashboard = services.dashboard_update(
                dashboard=dashboard, principal=owner, layout={"tabs": ["Overview", "Notes"]}
            )
            services.widget_create(
                dashboard=dashboard, principal=owner, kind="heading", text="Revenue", w=12, h=1
            )
            services.widget_create(
                dashboard=dashboard, principal=owner, kind="chart", chart_id=_region_chart(data, owner).pk
            )
            services.widget_create(
                dashboard=dashboard, principal=owner, kind="chart", chart_id=data.charts["revenue"].pk
            )
            services.widget_create(
                dashboard=dashboard,
                principal=owner,
                kind="text",
                title="About",
                text="Sales **notes**",
                tab=1,
            )
            dashboard = services.dashboard_update(
                dashboard=dashboard,
                principal=owner,
                filters=[
                    {"field": "region", "kind": "values", "label": "Region"},
                    {"field": "month", "kind": "date_range", "label": "Month"},
                ],
            )
            yield alpha, dashboard
        finally:
            clean()


def _region_chart(data: Any, owner: Principal) -> Any:
    from chat2chart.charts import services as chart_services

    chart = chart_services.chart_create(
        principal=owner,
        title="Revenue by region",
        spec={"type": "column", "encoding": {"x": "region", "y": ["revenue"]}},
        query={
            "source": data.sales.pk,
            "table": data.sales_table,
            "dimensions": [{"field": "region"}],
            "measures": [{"field": "revenue", "agg": "sum"}],
            "order": [{"field": "region"}],
        },
    )
    data.charts["region"] = chart
    return chart


def test_a_viewer_filters_shares_and_drills_into_a_dashboard(shown, live_server, page, login):
    alpha, dashboard = shown
    login(page, alpha, "owner")
    page.goto(live_server.url(alpha, f"/dashboards/{dashboard.pk}/"))
    page.wait_for_function(ALL_LOADED, timeout=60_000)
    assert page.locator(".widget__error").count() == 0

    # Titles once; each chart says which filters apply to it; the heading is a heading.
    assert page.get_by_role("heading", name="Revenue by region").count() == 1
    assert page.locator("[data-widget-filters]").first.inner_text() == "Filtered by Region, Month"
    assert page.get_by_role("heading", name="Revenue", exact=True).is_visible()

    # Value picker: search, counts from the data.
    picker = page.get_by_role("group", name="Region")
    page.get_by_label("Search Region").fill("nor")
    north = picker.locator("label", has_text="North")
    north.wait_for()
    assert north.inner_text().split() == ["North", str((SALES.region == "North").sum())]
    assert picker.locator("label", has_text="South").is_hidden()

    # Date presets, shown in the page's locale.
    page.get_by_label("Period").select_option(label="Last year")
    assert page.get_by_label("From").input_value().endswith("-01-01")

    # Tabs: the text widget is on the second tab.
    assert page.get_by_text("Sales notes").is_hidden()
    page.get_by_role("tab", name="Notes").click()
    assert page.get_by_text("Sales notes").is_visible()
    page.get_by_role("tab", name="Overview").click()
    page.get_by_label("Period").select_option(label="Any time")
    page.wait_for_function(ALL_LOADED, timeout=60_000)

    # Share menu: a public link, shown again after the page reloads, with the embedding docs linked.
    page.get_by_text("Share", exact=True).click()
    page.get_by_role("button", name="Create public link").click()
    page.wait_for_url("**share=1")
    link = page.get_by_label("Public link 1").input_value()
    assert "/public/dashboard/" in link
    assert page.get_by_role("button", name="Copy", exact=True).is_visible()
    page.goto(live_server.url(alpha, f"/dashboards/{dashboard.pk}/?share=1"))
    assert page.get_by_label("Public link 1").input_value() == link
    check_page(page, "dashboard-share")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(live_server.url(alpha, f"/dashboards/{dashboard.pk}/"))
    page.wait_for_function(ALL_LOADED, timeout=60_000)

    # Click the South bar: filter the dashboard by it.
    point = bar_point(page, "Revenue by region", 1)
    assert point["category"] == "South"
    page.mouse.click(point["x"], point["y"])
    page.get_by_role("menuitem", name="Filter the dashboard by South").click()
    page.wait_for_function("() => location.search.includes('filter.region=South')")
    page.wait_for_function(ALL_LOADED, timeout=60_000)
    assert picker.locator("input[value=South]").is_checked()

    # Clear, then the rows behind the South bar.
    page.get_by_role("button", name="Clear filters").click()
    page.wait_for_function(ALL_LOADED, timeout=60_000)
    point = bar_point(page, "Revenue by region", 1)
    page.mouse.click(point["x"], point["y"])
    page.get_by_role("menuitem", name="See the rows behind this").click()
    dialog = page.locator("[data-drill-dialog]")
    dialog.get_by_role("table").wait_for()
    south_rows = SALES[SALES.region == "South"]
    assert dialog.get_by_role("status").inner_text().startswith(f"{len(south_rows)} rows"), (
        dialog.inner_text()
    )
    assert dialog.locator("tbody tr").count() == len(south_rows)
    check_page(page, "dashboard-drill")
    assert page.console_errors == [], f"console errors: {page.console_errors}"


def test_at_phone_width_widgets_stack_and_date_filters_fit(shown, live_server, page, login):
    alpha, dashboard = shown
    page.set_viewport_size({"width": 390, "height": 844})
    login(page, alpha, "viewer")
    page.goto(live_server.url(alpha, f"/dashboards/{dashboard.pk}/"))
    page.wait_for_function(ALL_LOADED, timeout=60_000)
    bar = page.locator("[data-filter-bar]").bounding_box()
    dates = page.locator(".filter-dates").bounding_box()
    assert dates["x"] >= bar["x"]
    assert dates["x"] + dates["width"] <= bar["x"] + bar["width"] + 0.5
    lefts = {
        round(box["x"]) for box in (s.bounding_box() for s in page.locator("section.widget:visible").all())
    }
    assert len(lefts) == 1, f"widgets are not in one column: {lefts}"
    check_page(page, "dashboard-phone", sizes=((390, 844),))
