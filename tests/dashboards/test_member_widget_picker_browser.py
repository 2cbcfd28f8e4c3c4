# SPDX-License-Identifier: MIT
"""The dashboard editor in a real Chromium: an editor adds a widget from a data model (measures by a
dimension) without writing a query, and its numbers are the model's, checked against pandas over the
uploaded workbook; the table shows the member's format (a margin in EUR) as the charts do."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.dashboards.conftest import widgets_by_title
from tests.dashboards.test_embed_browser import ALL_LOADED, ARTIFACTS
from tests.dashboards.test_member_widgets import Shop, margin, rows_of
from tests.pagecheck import check_page

pytestmark = pytest.mark.browser


@pytest.fixture
def shop(workspaces: dict[str, Any], live_server: Any, page: Any, committed: Any, settings: Any):
    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    with committed():
        made = Shop(alpha, seed=23)
        try:
            yield made
        finally:
            with alpha.activate():
                from chat2chart.dashboards.models import Dashboard
                from chat2chart.semantic.models import SemanticModel
                from chat2chart.sources.models import Source

                Dashboard.objects.filter(pk=made.dashboard).delete()
                SemanticModel.objects.filter(pk=made.model).delete()
                Source.objects.filter(name="Shop").delete()


def test_an_editor_adds_a_widget_from_a_data_model(shop, live_server, page, login):
    login(page, shop.workspace, "editor")
    page.goto(live_server.url(shop.workspace, f"/dashboards/{shop.dashboard}/edit/"))
    page.wait_for_function(ALL_LOADED, timeout=60_000)
    form = page.locator("[data-add-widget]")
    form.get_by_label("Kind").select_option("table")
    form.get_by_label("From").select_option("model")
    assert form.get_by_label("Saved chart").is_hidden()
    form.get_by_label("Data model").select_option(label="Shop")
    form.get_by_label("Measures").select_option(label="orders · Margin")
    form.get_by_label("By").select_option(label="customers · Region")
    form.get_by_label("Title").fill("Margin per region, picked")
    form.get_by_role("button", name="Add").click()
    page.wait_for_function("() => document.querySelector('[data-status]').textContent === 'Widget added.'")
    page.wait_for_function(ALL_LOADED, timeout=60_000)
    assert page.locator(".widget__error").count() == 0
    # The table reads the margin as the model formats it: euros with two decimals, per region.
    expected = margin(shop.frames, "region")
    table = page.locator("section.widget--table", has_text="Margin per region, picked").locator("table")
    cells = {
        row.locator("td").nth(0).inner_text(): row.locator("td").nth(1).inner_text()
        for row in table.locator("tbody tr").all()
    }
    assert cells == {region: f"€{value:,.2f}" for region, value in expected.items()}
    check_page(page, "dashboard-member-table-currency")
    page.set_viewport_size({"width": 1440, "height": 900})
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-member-widget-picker.png"), full_page=True)
    assert page.console_errors == [], f"console errors: {page.console_errors}"

    # The widget the page made answers with the model's numbers.
    with shop.workspace.activate():
        widgets = widgets_by_title(shop.client.get(f"/api/v1/dashboards/{shop.dashboard}/data/"))
    picked = widgets["Margin per region, picked"]
    assert rows_of(picked) == margin(shop.frames, "region")
    assert picked["kind"] == "table"
