# SPDX-License-Identifier: MIT
"""At phone width (390 px) the data pages never scroll sideways: a wide table scrolls inside its box."""

from __future__ import annotations

import pytest

from tests.sources.test_excel_upload import sales_workbook

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def test_data_pages_fit_a_phone_screen(live_server, page, login, committed, workspaces):
    from chat2chart.core.principal import Principal
    from chat2chart.sources import services
    from chat2chart.sources.models import Source

    alpha = workspaces.get("alpha") or workspaces["default"]
    login(page, alpha, "owner")
    page.goto(live_server.url(alpha, "/sources/upload/"))
    page.fill("#upload-name", "Phone workbook")
    page.set_input_files("#upload-file", {"name": "book.xlsx", "mimeType": XLSX, "buffer": sales_workbook()})
    page.click("form[data-upload-form] button[type=submit]")
    page.wait_for_selector("[data-progress][data-state]")
    try:
        page.click("[data-progress-done] a")
        page.click("a:text-is('sales_2024')")
        table_page = page.url
        page.set_viewport_size({"width": 390, "height": 844})
        pages = ["/sources/", "/charts/", "/settings/api-keys/"]
        for url in [table_page, *(live_server.url(alpha, path) for path in pages)]:
            page.goto(url)
            width = page.evaluate("() => document.documentElement.scrollWidth")
            assert width <= 390, f"{url} is {width} px wide at 390 px"
    finally:
        with committed(), alpha.activate():
            for source in Source.objects.filter(name="Phone workbook"):
                services.source_delete(source=source, principal=Principal.for_user(alpha.users["owner"]))
