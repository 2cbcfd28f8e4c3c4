# SPDX-License-Identifier: MIT
"""The upload page and the table page in a real Chromium: a workbook uploads and shows what was
decided, and a number format chosen on the table page reads the file again."""

from __future__ import annotations

from typing import Any

import pytest

from chat2chart.core.principal import Principal
from tests.sources.test_excel_upload import ORDERS, sales_workbook

pytestmark = pytest.mark.browser

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def cleanup(workspaces: dict[str, Any], page: Any, committed: Any) -> Any:
    """Deletes the sources a test created through the pages (they are committed by the server)."""
    from chat2chart.sources import services
    from chat2chart.sources.models import Source

    alpha = workspaces.get("alpha") or workspaces["default"]
    names: list[str] = []
    yield alpha, names
    with committed(), alpha.activate():
        for source in Source.objects.filter(name__in=names):
            services.source_delete(source=source, principal=Principal.for_user(alpha.users["owner"]))


def _upload(page: Any, live_server: Any, alpha: Any, name: str, file: dict[str, Any]) -> None:
    page.goto(live_server.url(alpha, "/sources/upload/"))
    page.fill("#upload-name", name)
    page.set_input_files("#upload-file", file)
    page.click("form[data-upload-form] button[type=submit]")
    page.wait_for_selector("[data-progress][data-state]")
    assert page.get_attribute("[data-progress]", "data-state") == "ready", page.inner_text("[data-progress]")


def test_a_workbook_uploaded_on_the_page_is_ready_with_its_sheets_and_values(
    live_server, page, login, cleanup
):
    alpha, names = cleanup
    names.append("Browser workbook")
    login(page, alpha, "editor")

    _upload(
        page,
        live_server,
        alpha,
        "Browser workbook",
        {"name": "book.xlsx", "mimeType": XLSX, "buffer": sales_workbook()},
    )

    assert "rows in 2 tables" in page.inner_text("[data-progress-detail]")
    assert "'Notes'" in page.inner_text("[data-progress-warnings]")
    page.click("[data-progress-done] a")
    page.click("a:text-is('sales_2024')")
    page.wait_for_url("**/tables/sales_2024/")
    header = page.locator("table").nth(1).locator("thead th").all_inner_texts()
    assert header == ["Region", "Ordered", "Order Units", "Order Unit price", "Total"]
    first = page.locator("table").nth(1).locator("tbody tr").first.locator("td").all_inner_texts()
    region, ordered, units, price = ORDERS[0]
    assert first[:3] == [region, ordered.isoformat(), str(units)]
    assert float(first[4]) == pytest.approx(units * price)
    assert page.console_errors == []


def test_a_number_format_chosen_on_the_table_page_reads_the_file_again(live_server, page, login, cleanup):
    alpha, names = cleanup
    names.append("Browser weights")
    login(page, alpha, "editor")
    content = b"item;weight\nbolt;1.200\nnut;3\n"
    _upload(
        page,
        live_server,
        alpha,
        "Browser weights",
        {"name": "weights.csv", "mimeType": "text/csv", "buffer": content},
    )
    assert page.inner_text("[data-progress-read-as] [data-read-as=number_format]") == "1.234,56"
    page.click("[data-progress-done] a")
    page.click("a:text-is('weights')")
    page.wait_for_url("**/tables/weights/")
    assert page.locator("table").nth(1).locator("tbody tr").first.locator("td").all_inner_texts() == [
        "bolt",
        "1200",
    ]

    page.select_option("select[aria-label='Number format of weight']", "1,234.56")
    page.click("form[data-override-form] button[type=submit]")
    page.wait_for_selector("tr[data-column=weight] [data-column-read-as]:has-text('1,234.56')")

    assert page.locator("table").nth(1).locator("tbody tr").first.locator("td").all_inner_texts() == [
        "bolt",
        "1.2",
    ]
    assert page.console_errors == []
