# SPDX-License-Identifier: MIT
"""In a real Chromium: "Create alert" on a chart's page, the form, the alert's page and the list, each
accessible at desktop and phone width."""

from __future__ import annotations

from typing import Any

import pytest
from model_bakery import baker

from tests.pagecheck import check_page

pytestmark = pytest.mark.browser

CATALOGUE = {
    "name": "sales",
    "columns": [{"name": "order_date", "type": "date"}, {"name": "revenue", "type": "decimal"}],
    "row_count": 2,
}


@pytest.fixture
def chart(workspaces: dict[str, Any], live_server: Any, page: Any, committed: Any) -> Any:
    # After `page`, which lets database calls run beside its event loop.
    alpha = workspaces.get("alpha") or workspaces["default"]
    with committed(), alpha.activate():
        source = baker.make("sources.Source", name="Alert shop", kind="file", status="ready")
        baker.make("sources.SourceTable", source=source, name="sales", catalogue=CATALOGUE, row_count=2)
        made = baker.make(
            "charts.SavedChart",
            title="Daily revenue",
            source=source,
            spec={"type": "line", "encoding": {"x": "order_date_day", "y": ["revenue"]}},
            query={
                "source": source.pk,
                "table": "sales",
                "measures": [{"field": "revenue", "agg": "sum"}],
                "dimensions": [{"field": "order_date", "granularity": "day"}],
            },
            owner_id=alpha.users["editor"].pk,
        )
    try:
        yield alpha, made
    finally:
        with committed(), alpha.activate():
            source.delete()  # the chart and its alerts go with it


def test_an_editor_creates_an_alert_from_the_chart_page(chart, page, live_server, login):
    alpha, saved = chart
    login(page, alpha, "editor")
    page.goto(live_server.url(alpha, f"/charts/{saved.pk}/"))
    page.get_by_role("link", name="Create alert").click()
    page.wait_for_url(f"**/charts/{saved.pk}/alerts/new/")
    check_page(page, "alert-new")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.get_by_label("Name").fill("Revenue over 500")
    page.get_by_label("Alert when the value").select_option("above")
    page.get_by_label("Threshold").fill("500")
    page.get_by_label("Check").select_option("1440")
    page.get_by_role("button", name="Create alert").click()
    page.wait_for_url("**/alerts/*/")
    assert page.get_by_role("heading", name="Revenue over 500").is_visible()
    assert "goes above 500" in page.text_content("main")
    assert alpha.users["editor"].email in page.text_content("main")
    # The flash message of base.html fails axe on its own (a role on its <ul>, contrast): reported to
    # the shell; the alert's page is checked as it reads once the message is gone.
    page.reload()
    check_page(page, "alert-detail")
    page.goto(live_server.url(alpha, "/alerts/"))
    row = page.locator("#alerts tbody tr", has_text="Revenue over 500")
    assert "Not checked yet" in row.text_content()
    check_page(page, "alert-list")
    page.set_viewport_size({"width": 1440, "height": 900})
    row.get_by_label("Snooze for").select_option("1440")
    row.get_by_role("button", name="Apply").click()
    assert "Snoozed" in page.locator("#alerts tbody tr", has_text="Revenue over 500").text_content()
    page.locator("#alerts tbody tr", has_text="Revenue over 500").get_by_role("button", name="Delete").click()
    assert page.locator("#alerts tbody tr", has_text="Revenue over 500").count() == 0
