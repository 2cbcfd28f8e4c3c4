# SPDX-License-Identifier: MIT
"""The chat page in a real Chromium against daphne: a question asked over the websocket is answered with
a chart drawn on the page, its SQL and data one click away; the query editor re-runs an answer without
losing what the server's query can express (an hourly grouping)."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest

from chat2chart.core.principal import Principal
from tests.pagecheck import check_page

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


# Orders at times of day: the hours they fall in are counted below in plain Python.
ORDERS_CSV = (
    "ordered_at,region,revenue\n"
    "2024-01-15 09:05:00,North,120\n"
    "2024-01-15 09:40:00,South,80\n"
    "2024-01-15 10:15:00,East,200\n"
    "2024-01-15 13:30:00,North,50\n"
    "2024-01-15 13:55:00,West,70\n"
    "2024-01-16 09:20:00,North,90\n"
    "2024-01-16 17:45:00,South,300\n"
)


@contextmanager
def _file_source(workspace: Any, committed: Any, upload: Path, name: str) -> Iterator[Any]:
    """A file source in `workspace`, committed so the server sees it, and deleted afterwards."""
    from chat2chart.sources import services as source_services

    owner = workspace.users["owner"]
    with committed(), workspace.activate():
        source = source_services.source_create_file(
            name=name,
            upload=upload,
            original_name=upload.name,
            on_bad_rows="error",
            principal=Principal.for_user(owner),
        )
        try:
            source.refresh_from_db()
            assert source.status == "ready", source.error
            yield source
        finally:
            # Its conversations and messages go with it (cascade), and its files.
            source_services.source_delete(source=source, principal=Principal.for_user(owner))


@pytest.fixture
def sales_source(workspaces, live_server, page, committed, settings, tmp_path):
    """A small sales file in alpha."""
    # `page` first: it lets this synchronous ORM code run beside Playwright's event loop.
    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    upload = tmp_path / "sales.csv"
    upload.write_text(SALES_CSV)
    with _file_source(alpha, committed, upload, "Chat sales") as source:
        yield alpha, source


@pytest.fixture
def orders_source(workspaces, live_server, page, committed, settings, tmp_path):
    """Orders with a date-time column in alpha."""
    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    upload = tmp_path / "orders.csv"
    upload.write_text(ORDERS_CSV)
    with _file_source(alpha, committed, upload, "Chat orders") as source:
        yield alpha, source


def _open_conversation(page: Any, live_server: Any, workspace: Any, source_name: str) -> None:
    page.goto(live_server.url(workspace, "/chat/"))
    page.get_by_label("Data source").select_option(label=source_name)
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(lambda url: url.rstrip("/").split("/")[-1].isdigit())
    page.locator("#chat-first .chip").first.wait_for()


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


def test_the_query_editor_re_runs_an_hourly_grouping_by_hour(
    orders_source, committed, live_server, page, login
):
    alpha, source = orders_source
    login(page, alpha, "viewer")
    _open_conversation(page, live_server, alpha, "Chat orders")

    page.get_by_label("Your question").fill("total revenue by hour")
    page.keyboard.press("Enter")
    first = page.locator("#chat-log article").first
    first.locator(".chat__chart canvas").first.wait_for()
    page.wait_for_function("() => !document.getElementById('chat-send').disabled")

    first.get_by_role("button", name="Edit query").click()
    granularity = first.get_by_label("Date granularity")
    assert granularity.input_value() == "hour"
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-editor.png"), full_page=True)
    first.get_by_role("button", name="Re-run").click()
    page.locator("#chat-log article").nth(1).locator(".chat__chart canvas").first.wait_for()
    # The chart is drawn from the streamed events; the tools come with the finished answer.
    page.wait_for_function("() => !document.getElementById('chat-send').disabled")
    rerun = page.locator("#chat-log article").nth(1)

    assert "(hour)" in rerun.locator(".chat__explanation").inner_text()
    hours = {
        datetime.fromisoformat(line.split(",")[0]).replace(minute=0, second=0)
        for line in ORDERS_CSV.strip().splitlines()[1:]
    }
    assert f"Show data ({len(hours)} rows)" in rerun.locator(".chat__tools").inner_text()
    from chat2chart.conversations.models import Message

    with committed(), alpha.activate():
        answer = Message.objects.filter(conversation__source=source, rerun_of__isnull=False).get()
        assert [d.get("granularity") for d in answer.query["dimensions"]] == ["hour"]
    assert page.locator("#chat-log .error:visible").count() == 0
    assert page.console_errors == [], f"console errors: {page.console_errors}"


def test_a_re_run_keeps_the_sort_on_columns_left_as_they_were(
    orders_source, committed, live_server, page, login
):
    alpha, source = orders_source
    login(page, alpha, "viewer")
    _open_conversation(page, live_server, alpha, "Chat orders")
    page.get_by_label("Your question").fill("top 2 regions by total revenue")
    page.keyboard.press("Enter")
    first = page.locator("#chat-log article").first
    first.locator(".chat__chart canvas").first.wait_for()
    page.wait_for_function("() => !document.getElementById('chat-send').disabled")

    first.get_by_role("button", name="Edit query").click()
    first.get_by_role("button", name="Re-run").click()
    rerun = page.locator("#chat-log article").nth(1)
    rerun.locator(".chat__chart canvas").first.wait_for()
    page.wait_for_function("() => !document.getElementById('chat-send').disabled")
    rerun.get_by_text("Show data").click()

    totals: dict[str, int] = {}
    for line in ORDERS_CSV.strip().splitlines()[1:]:
        _, region, revenue = line.split(",")
        totals[region] = totals.get(region, 0) + int(revenue)
    top = sorted(totals, key=totals.get, reverse=True)[:2]
    # The table is drawn after the click: wait for its rows before reading them.
    rerun.locator("table tbody tr").first.wait_for()
    cells = rerun.locator("table tbody tr td:first-child").all_inner_texts()
    assert cells == top
    from chat2chart.conversations.models import Message

    with committed(), alpha.activate():
        answer = Message.objects.filter(conversation__source=source, rerun_of__isnull=False).get()
        assert answer.query["order"]
        assert answer.query["order"] == answer.rerun_of.query["order"]
    assert page.console_errors == [], f"console errors: {page.console_errors}"


# Keeps every WebSocket the page opens, so a test can drop the connection as a dying node would.
KEEP_SOCKETS = """
window.__sockets = [];
const Native = window.WebSocket;
window.WebSocket = class extends Native {
  constructor(...args) {
    super(...args);
    window.__sockets.push(this);
  }
};
"""
# Records every text the connection status region shows.
WATCH_CONNECTION = """
() => {
  window.__connection = [];
  const region = document.getElementById("chat-connection");
  new MutationObserver(() => window.__connection.push(region.textContent)).observe(region, {
    childList: true, characterData: true, subtree: true,
  });
}
"""


def _revenue_by_region() -> dict[str, int]:
    """The expected answer, computed by pandas over the uploaded file."""
    import io

    import pandas as pd

    frame = pd.read_csv(io.StringIO(SALES_CSV))
    return {str(k): int(v) for k, v in frame.groupby("region")["revenue"].sum().items()}


def _shown_table(answer: Any) -> dict[str, int]:
    """The answer card's data table as {region: revenue}."""
    answer.get_by_text("Show data").click()
    answer.locator("table tbody tr").first.wait_for()
    rows = answer.locator("table tbody tr").all()
    return {
        row.locator("td").nth(0).inner_text(): int(row.locator("td").nth(1).inner_text().replace(",", ""))
        for row in rows
    }


def test_the_chat_page_reconnects_and_shows_questions_asked_elsewhere(sales_source, live_server, page, login):
    alpha, _source = sales_source
    page.add_init_script(KEEP_SOCKETS)
    login(page, alpha, "viewer")
    _open_conversation(page, live_server, alpha, "Chat sales")
    page.wait_for_function("() => window.__sockets.some((s) => s.readyState === WebSocket.OPEN)")
    page.evaluate(WATCH_CONNECTION)

    # The connection drops: the page says so, opens a new socket, and clears the notice.
    page.evaluate("() => window.__sockets.at(-1).close()")
    page.wait_for_function("() => window.__connection.includes('Reconnecting…')")
    page.wait_for_function(
        "() => window.__sockets.at(-1).readyState === WebSocket.OPEN"
        " && document.getElementById('chat-connection').textContent === ''"
        " && !document.getElementById('chat-send').disabled"
    )
    assert page.evaluate("() => window.__sockets.length") == 2

    # A question on the new socket: exactly one bubble and one answer card, the numbers pandas gives.
    page.get_by_label("Your question").fill("total revenue by region")
    page.keyboard.press("Enter")
    page.locator("#chat-log article .chat__chart canvas").first.wait_for()
    page.wait_for_function("() => !document.getElementById('chat-send').disabled")
    assert page.locator("#chat-log article").count() == 1
    assert page.locator("#chat-log .chat__msg--user").count() == 1
    assert _shown_table(page.locator("#chat-log article").first) == _revenue_by_region()

    # Asked through the HTTP API (from another tab) while the page is open: its bubble, then its answer.
    other = page.context.new_page()
    other.goto(live_server.url(alpha, "/chat/"))
    status = other.evaluate(
        """async (url) => {
          const token = document.querySelector("input[name=csrfmiddlewaretoken]").value;
          const response = await fetch(url, {
            method: "POST",
            credentials: "same-origin",
            headers: { "Content-Type": "application/json", Accept: "application/json", "X-CSRFToken": token },
            body: JSON.stringify({ content: "revenue by region" }),
          });
          return response.status;
        }""",
        f"/api/v1/conversations/{page.url.rstrip('/').split('/')[-1]}/messages/",
    )
    other.close()
    assert status in (200, 201), status
    page.locator("#chat-log article").nth(1).locator(".chat__chart canvas").first.wait_for()
    page.wait_for_function("() => !document.querySelector('#chat-log article:last-child[aria-busy]')")
    bubbles = page.locator("#chat-log .chat__msg--user")
    assert bubbles.count() == 2
    assert bubbles.nth(1).inner_text().startswith("revenue by region")
    assert page.locator("#chat-log article").count() == 2
    # In order: question, answer, question, answer.
    classes = page.eval_on_selector_all("#chat-log > *", "(nodes) => nodes.map((n) => n.tagName)")
    assert classes == ["DIV", "ARTICLE", "DIV", "ARTICLE"]
    assert _shown_table(page.locator("#chat-log article").nth(1)) == _revenue_by_region()
    assert page.locator("#chat-status").inner_text() == ""  # no stage left behind

    check_page(page, "chat-reconnect")
    assert page.locator("#chat-log .error:visible").count() == 0
    assert page.console_errors == [], f"console errors: {page.console_errors}"


def test_an_answer_whose_node_died_is_finished_on_the_open_page(
    sales_source, committed, live_server, page, login
):
    """The node answering died a moment ago: its answer is `running` with no lease. The page shows it
    running; when nothing comes past the lease, the page opens its socket again and that connection's
    server answers it again, so the page ends with the finished answer, in one card."""
    alpha, source = sales_source
    from chat2chart.conversations import services
    from chat2chart.conversations.models import Message

    viewer = alpha.users["viewer"]
    with committed(), alpha.activate():
        table = source.tables.values_list("name", flat=True).get()
        conversation = services.conversation_start(
            principal=Principal.for_user(viewer), source_id=source.pk, table=table
        )
        question = Message.objects.create(
            conversation=conversation,
            role="user",
            kind="question",
            content="total revenue by region",
            status="done",
        )
        Message.objects.create(
            conversation=conversation, role="assistant", reply_to=question, status="running"
        )
    page.add_init_script(KEEP_SOCKETS)
    login(page, alpha, "viewer")
    page.goto(live_server.url(alpha, f"/chat/{conversation.pk}/"))
    page.locator("#chat-log article[aria-busy]").wait_for()

    page.locator("#chat-log article .chat__chart canvas").first.wait_for(timeout=45_000)
    page.wait_for_function("() => !document.querySelector('#chat-log article[aria-busy]')")
    assert page.evaluate("() => window.__sockets.length") >= 2  # it was answered on a new connection
    assert page.locator("#chat-log article").count() == 1
    assert page.locator("#chat-log .chat__msg--user").count() == 1
    assert _shown_table(page.locator("#chat-log article").first) == _revenue_by_region()
    assert page.locator("#chat-log .error:visible").count() == 0
    assert page.console_errors == [], f"console errors: {page.console_errors}"
