# SPDX-License-Identifier: MIT
"""The chat page in a real Chromium against daphne: a question asked over the websocket is answered with
a chart drawn on the page, its SQL and data one click away."""

from __future__ import annotations

from pathlib import Path

import pytest

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
SALES_CSV = (
    "order_date,region,revenue\n"
    "2024-01-15,North,1200\n"
    "2024-02-03,South,400\n"
    "2024-02-17,East,1300\n"
    "2024-03-05,North,1250\n"
    "2024-03-09,West,700\n"
)
# Pixels of the chart's canvas that are neither transparent nor white: a drawn chart has thousands.
PAINTED_PIXELS = """
() => {
  const canvas = document.querySelector("#chat-log article .chat__chart canvas");
  if (!canvas || !canvas.width) return 0;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] > 16 && !(pixels[i] > 245 && pixels[i + 1] > 245 && pixels[i + 2] > 245)) painted += 1;
  }
  return painted;
}
"""


@pytest.fixture
def sales_source(workspaces, live_server, page, committed, settings, tmp_path):
    """A small sales file in alpha, committed so the server sees it, and deleted afterwards."""
    # `page` first: it lets this synchronous ORM code run beside Playwright's event loop.
    from chat2chart.sources import services as source_services

    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    upload = tmp_path / "sales.csv"
    upload.write_text(SALES_CSV)
    owner = alpha.users["owner"]
    with committed(), alpha.activate():
        source = source_services.source_create_file(
            name="Chat sales", upload=upload, original_name="sales.csv", on_bad_rows="error", actor=owner
        )
        try:
            source.refresh_from_db()
            assert source.status == "ready", source.error
            yield alpha, source
        finally:
            # Its conversations and messages go with it (cascade), and its files.
            source_services.source_delete(source=source, actor=owner)


def test_a_question_on_the_chat_page_is_answered_with_a_drawn_chart(sales_source, live_server, page, login):
    alpha, _source = sales_source
    login(page, alpha, "viewer")
    page.goto(live_server.url(alpha, "/chat/"))
    page.get_by_label("Data source").select_option(label="Chat sales")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(lambda url: url.rstrip("/").split("/")[-1].isdigit())
    page.locator("#chat-first .chip").first.wait_for()
    assert page.locator("#chat-first .chip").count() >= 2

    page.get_by_label("Your question").fill("total revenue by region")
    page.keyboard.press("Enter")
    answer = page.locator("#chat-log article").last
    answer.locator(".chat__chart canvas").first.wait_for()
    page.wait_for_function("() => !document.getElementById('chat-send').disabled")
    # ECharts animates in: wait until the canvas holds a drawn chart.
    page.wait_for_function(f"() => ({PAINTED_PIXELS})() > 2000")

    assert "North leads" in answer.locator(".chat__narrative").inner_text()
    answer.get_by_text("Show SQL").click()
    assert "revenue" in answer.locator("pre code").inner_text().lower()
    answer.get_by_text("Show data").click()
    assert "North" in answer.locator("table").inner_text()
    assert answer.locator(".chat__chips .chip").count() >= 1
    assert page.locator("#chat-log .error:visible").count() == 0

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat.png"), full_page=True)
    assert page.console_errors == [], f"console errors: {page.console_errors}"
