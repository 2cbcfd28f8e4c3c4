# SPDX-License-Identifier: MIT
"""A dashboard with the four analysis widgets in a real Chromium against daphne: each widget says its finding
above its chart and the charts are drawn."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from tests.analytics.test_widgets import WIDGETS, _csv, _dashboard
from tests.dashboards.test_embed_browser import ALL_LOADED, ARTIFACTS, PAINTED_PIXELS

pytestmark = pytest.mark.browser


@pytest.fixture
def analysis_board(
    workspaces: dict[str, Any], live_server: Any, page: Any, committed: Any, settings: Any, tmp_path: Path
):
    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    with committed():
        dashboard = _dashboard(alpha, tmp_path, _csv(1.0))
        try:
            yield alpha, dashboard
        finally:
            with alpha.activate():
                sources = {w.query["source"] for w in dashboard.widgets.all()}
                dashboard.delete()
                from chat2chart.sources.models import Source

                Source.objects.filter(pk__in=sources).delete()


def test_analysis_widgets_say_their_finding_and_draw_their_chart(analysis_board, live_server, page, login):
    alpha, dashboard = analysis_board
    login(page, alpha, "viewer")
    page.goto(live_server.url(alpha, f"/dashboards/{dashboard.pk}/"))
    page.wait_for_function(ALL_LOADED, timeout=60_000)
    findings = page.locator(".widget__insight").all_inner_texts()
    assert len(findings) == len(WIDGETS), findings
    assert any(text.startswith("Forecast of revenue for the next 6 months") for text in findings)
    assert any(text.startswith("Revenue fell from") for text in findings)
    assert page.locator(".widget__error").count() == 0
    page.wait_for_function(f"() => ({PAINTED_PIXELS})() > 20000")
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "dashboard-analysis-widgets.png"), full_page=True)
    assert page.console_errors == [], f"console errors: {page.console_errors}"
