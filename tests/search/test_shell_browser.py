# SPDX-License-Identifier: MIT
"""The product shell in a real Chromium: find things with `/` and the search box; switch an answer's
chart type in place and undo it; save an answer with a name and collection and add it to a dashboard;
delete a chart after the warning names its dashboards; pin, move, archive and restore in collections.
Each page is checked at desktop and phone width with axe-core."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.conversations.test_chat_browser import SALES_CSV, _file_source, _open_conversation
from tests.pagecheck import check_page

pytestmark = pytest.mark.browser


@pytest.fixture
def shell_source(workspaces, live_server, page, committed, settings, tmp_path):
    """A small sales file in alpha; charts, dashboards and collections made in the test go with it."""
    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    upload = tmp_path / "sales.csv"
    upload.write_text(SALES_CSV)
    with _file_source(alpha, committed, upload, "Shell sales") as source:
        try:
            yield alpha, source
        finally:
            with committed(), alpha.activate():
                from chat2chart.charts.models import SavedChart
                from chat2chart.collections.models import Collection
                from chat2chart.dashboards.models import Dashboard

                SavedChart.objects.filter(source=source).delete()
                Dashboard.objects.filter(title__startswith="Shell ").delete()
                Collection.objects.filter(name__startswith="Shell ").delete()


def _revenue_by_region() -> dict[str, float]:
    totals: dict[str, float] = {}
    for line in SALES_CSV.strip().splitlines()[1:]:
        _, region, revenue = line.split(",")
        totals[region] = totals.get(region, 0) + float(revenue)
    return totals


def _ask(page: Any, question: str) -> Any:
    page.get_by_label("Your question").fill(question)
    page.keyboard.press("Enter")
    answer = page.locator("#chat-log article").last
    answer.locator(".chat__chart canvas").first.wait_for()
    page.wait_for_function("() => !document.getElementById('chat-send').disabled")
    return answer


def test_an_answer_switches_type_in_place_and_is_saved_and_added_to_a_dashboard(
    shell_source, committed, live_server, page, login
):
    alpha, source = shell_source
    login(page, alpha, "editor")
    _open_conversation(page, live_server, alpha, "Shell sales")
    answer = _ask(page, "totl revenu by regoin")

    # Switch the chart type: the same answer is redrawn; nothing is added below; undo goes back.
    switch = answer.locator("select[id^=switch-]")
    first_type = switch.input_value()
    other = next(
        v for v in switch.locator("option").evaluate_all("os => os.map(o => o.value)") if v != first_type
    )
    switch.select_option(other)
    answer.get_by_role("button", name="Undo").wait_for()
    assert page.locator("#chat-log article").count() == 1
    assert answer.locator("select[id^=switch-]").input_value() == other
    answer.get_by_role("button", name="Undo").click()
    page.wait_for_function(
        "t => document.querySelector('#chat-log article select[id^=switch-]').value === t", arg=first_type
    )
    assert page.locator("#chat-log article").count() == 1

    # The numbers drawn are the file's, summed independently.
    answer.get_by_text("Show data").click()
    answer.locator(".chat__data tbody tr").first.wait_for()
    cells = answer.locator(".chat__data tbody tr").evaluate_all(
        "rows => rows.map(r => [...r.cells].map(c => c.textContent))"
    )
    shown = {region: float(value.replace(",", "")) for region, value in cells}
    assert shown == _revenue_by_region()

    # Save: the dialog offers the title of what was computed, not the misspelt question.
    answer.get_by_role("button", name="Save chart").click()
    dialog = page.get_by_role("dialog", name="Save chart")
    name = dialog.get_by_label("Name")
    assert name.input_value() == "Total revenue by region"
    check_page(page, "shell-save-dialog")
    page.set_viewport_size({"width": 1440, "height": 900})
    name.fill("Revenue per region (shell)")
    dialog.get_by_label("Description (optional)").fill("All orders.")
    dialog.get_by_label("Collection").select_option(label="My personal collection")
    dialog.get_by_role("button", name="Save").click()
    answer.get_by_role("link", name="Saved as “Revenue per region (shell)”").wait_for()

    # Add to a new dashboard from the answer: the saved chart is reused, not saved twice.
    answer.get_by_role("button", name="Add to dashboard").click()
    dialog = page.get_by_role("dialog", name="Add to dashboard")
    dialog.get_by_label("Dashboard", exact=True).select_option(label="A new dashboard…")
    dialog.get_by_label("New dashboard name").fill("Shell board")
    dialog.get_by_role("button", name="Add").click()
    answer.get_by_role("link", name="Added to “Shell board”").wait_for()
    with committed(), alpha.activate():
        from chat2chart.charts.models import SavedChart
        from chat2chart.dashboards.models import Dashboard

        charts = list(SavedChart.objects.filter(source=source))
        assert [(c.title, c.description, c.collection.is_personal) for c in charts] == [
            ("Revenue per region (shell)", "All orders.", True)
        ]
        board = Dashboard.objects.get(title="Shell board")
        assert [w.chart_id for w in board.widgets.all()] == [charts[0].pk]
    assert page.console_errors == [], f"console errors: {page.console_errors}"


def test_search_with_the_slash_key_and_collections_and_deleting_a_used_chart(
    shell_source, committed, live_server, page, login
):
    alpha, source = shell_source
    from chat2chart.charts.services import chart_create
    from chat2chart.core.principal import Principal
    from chat2chart.dashboards.services import dashboard_create, widget_create

    with committed(), alpha.activate():
        editor = Principal.for_user(alpha.users["editor"])
        table = source.tables.get(is_current=True)
        query = {
            "source": source.pk,
            "table": table.name,
            "measures": [{"field": "revenue"}],
            "dimensions": [{"field": "region"}],
        }
        spec = {"type": "column", "encoding": {"x": "region", "y": ["revenue"]}}
        chart = chart_create(principal=editor, title="Shell revenue split", spec=spec, query=query)
        boards = [dashboard_create(principal=editor, title=f"Shell board {n}") for n in (1, 2)]
        for board in boards:
            widget_create(dashboard=board, principal=editor, kind="chart", chart_id=chart.pk)

    login(page, alpha, "editor")
    page.goto(live_server.url(alpha, "/charts/"))
    # `/` from anywhere focuses the search box; results appear as you type; Enter opens the first.
    page.locator("body").press("/")
    box = page.get_by_role("combobox", name="Search charts, dashboards, conversations and data")
    assert box.evaluate("el => el === document.activeElement")
    box.type("shell rev")
    page.get_by_role("option", name="Shell revenue split").wait_for()
    check_page(page, "shell-search-box")
    page.set_viewport_size({"width": 1440, "height": 900})
    box.press("ArrowDown")
    box.press("Enter")
    page.wait_for_url(lambda url: url.endswith(f"/charts/{chart.pk}/"))

    # The search page lists every kind it found.
    page.goto(live_server.url(alpha, "/search/?q=shell"))
    assert page.get_by_role("heading", name="Charts").is_visible()
    assert page.get_by_role("heading", name="Dashboards").is_visible()
    assert page.get_by_role("link", name="Shell board 2").is_visible()
    check_page(page, "shell-search-page")
    page.set_viewport_size({"width": 1440, "height": 900})

    # Collections: make one, move the chart into it, pin it, archive and restore it.
    page.goto(live_server.url(alpha, "/collections/"))
    page.get_by_label("New collection").fill("Shell finance")
    page.get_by_role("button", name="Create").click()
    page.get_by_role("heading", name="Shell finance").wait_for()
    page.goto(live_server.url(alpha, "/collections/"))
    row = page.locator("tr", has_text="Shell revenue split")
    row.get_by_label("Move Shell revenue split to").select_option(label="Shell finance")
    row.get_by_role("button", name="Move Shell revenue split").click()
    page.locator("tr", has_text="Shell revenue split").wait_for(state="detached")
    page.get_by_role("link", name="Shell finance").click()
    page.get_by_role("heading", name="Shell finance").wait_for()
    row = page.locator("tr", has_text="Shell revenue split")
    row.get_by_role("button", name="Pin Shell revenue split").click()
    page.get_by_role("heading", name="Pinned").wait_for()
    check_page(page, "shell-collection")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.locator("tr", has_text="Shell revenue split").get_by_role(
        "button", name="Archive Shell revenue split"
    ).click()
    page.get_by_text("Nothing is filed here yet.").wait_for()
    page.get_by_role("link", name="Archive").click()
    page.locator("tr", has_text="Shell revenue split").get_by_role("button", name="Restore").click()
    page.get_by_text("Nothing is archived.").wait_for()

    # A dashboard is pinned and moved from its own page, as on the collections pages.
    page.goto(live_server.url(alpha, f"/dashboards/{boards[0].pk}/"))
    with page.expect_navigation():
        page.get_by_role("button", name="Pin", exact=True).click()
    page.get_by_role("button", name="Unpin").wait_for()
    page.get_by_role("button", name="Move…").click()
    page.get_by_role("dialog", name="Move to collection").get_by_label("Collection").select_option(
        label="Shell finance"
    )
    check_page(page, "shell-dashboard-move")
    page.set_viewport_size({"width": 1440, "height": 900})
    with page.expect_navigation():  # the page reloads to show the server's state
        page.get_by_role("dialog", name="Move to collection").get_by_role("button", name="Move").click()
    page.get_by_role("button", name="Unpin").wait_for()
    with alpha.activate():
        from chat2chart.dashboards.models import Dashboard

        moved = Dashboard.objects.get(pk=boards[0].pk)
        assert moved.pinned
        assert moved.collection is not None
        assert moved.collection.name == "Shell finance"
    page.goto(live_server.url(alpha, f"/collections/{moved.collection_id}/"))
    page.get_by_role("heading", name="Pinned").wait_for()
    assert page.locator("tr", has_text="Shell board 1").count() == 1

    # Deleting the chart warns which dashboards use it; their widgets then say it was removed.
    page.goto(live_server.url(alpha, f"/charts/{chart.pk}/"))
    check_page(page, "shell-chart-manage")
    page.set_viewport_size({"width": 1440, "height": 900})
    warnings: list[str] = []
    page.once("dialog", lambda dialog: (warnings.append(dialog.message), dialog.accept()))
    page.get_by_role("button", name="Delete (used in 2 dashboards)").click()
    page.wait_for_url(lambda url: url.endswith("/charts/"))
    assert "used in 2 dashboards" in warnings[0]
    assert "Shell board 1" in warnings[0]
    assert "Shell board 2" in warnings[0]
    page.goto(live_server.url(alpha, f"/dashboards/{boards[0].pk}/"))
    page.get_by_text("“Shell revenue split” was removed").wait_for()
    assert page.console_errors == [], f"console errors: {page.console_errors}"
