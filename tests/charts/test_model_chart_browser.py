# SPDX-License-Identifier: MIT
"""The chat page's "Data model" builder: pick the shop model, margin by customer segment (across the
join), draw it with the model's titles, save it, and see it on its chart page with pandas' numbers."""

from __future__ import annotations

import pytest

from tests.charts.test_chart_page_browser import CHART, DRAWN
from tests.conversations.test_model_members import _margin_by_segment
from tests.conversations.test_model_members_browser import modelled_shop  # noqa: F401  (a fixture)
from tests.pagecheck import check_page

pytestmark = pytest.mark.browser


def test_a_model_chart_is_built_saved_and_opened_on_its_page(modelled_shop, live_server, page, login):  # noqa: F811
    alpha = modelled_shop
    login(page, alpha, "editor")
    page.goto(live_server.url(alpha, "/chat/"))
    builder = page.locator("#model-form")
    builder.get_by_label("Data model").select_option(label="Modelled shop")
    builder.get_by_label("orders · Margin", exact=True).check()
    builder.get_by_label("orders · Orders", exact=True).uncheck()
    builder.get_by_label("Group by").select_option("customers.segment")
    builder.get_by_role("button", name="Draw").click()
    result = page.locator("#model-result")
    result.locator("canvas").first.wait_for()
    assert result.locator("h2").inner_text() == "Margin by Customer segment"
    check_page(page, "chat-model-builder")
    page.set_viewport_size({"width": 1440, "height": 900})

    result.get_by_role("button", name="Save chart").click()
    dialog = page.get_by_role("dialog")
    assert dialog.get_by_label("Name").input_value() == "Margin by Customer segment"
    dialog.get_by_role("button", name="Save").click()
    link = result.get_by_role("link", name="Saved as “Margin by Customer segment”")
    link.click()
    page.wait_for_url(lambda url: "/charts/" in url)
    page.wait_for_function(DRAWN)

    assert page.locator("h1").inner_text() == "Margin by Customer segment"
    series = page.evaluate(f"() => {CHART}.getOption().series[0].data")
    categories = page.evaluate(
        f"() => ({CHART}.getOption().xAxis[0].data || {CHART}.getOption().yAxis[0].data)"
    )
    values = [item["value"] if isinstance(item, dict) else item for item in series]
    values = [v[-1] if isinstance(v, list) else v for v in values]
    drawn = {c: round(float(v), 4) for c, v in zip(categories, values, strict=True)}
    assert drawn == _margin_by_segment()
    assert not page.console_errors, page.console_errors
    check_page(page, "chart-page-model")
