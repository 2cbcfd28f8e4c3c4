# SPDX-License-Identifier: MIT
"""The chat page draws the analytics engine's evidence: a forecast with its interval band and a series with
its unusual days marked, in a real Chromium against daphne."""

from __future__ import annotations

from datetime import date, timedelta
from pathlib import Path

import pytest

from tests.conversations.test_chat_browser import ARTIFACTS, PAINTED_PIXELS, _file_source, _open_conversation

pytestmark = pytest.mark.browser
SPIKE_MONTH = (2025, 6)


def _csv() -> str:
    # Two whole years of days ending before today, one month planted at six times the usual revenue.
    lines = ["order_date,revenue"]
    day, n = date(2023, 11, 1), 0
    while day <= date(2025, 10, 31):
        revenue = (100 + 0.15 * n) * (6 if (day.year, day.month) == SPIKE_MONTH else 1) + (n * 7) % 13
        lines.append(f"{day.isoformat()},{revenue:.2f}")
        day += timedelta(days=1)
        n += 1
    return "\n".join(lines) + "\n"


@pytest.fixture
def daily_source(workspaces, live_server, page, committed, settings, tmp_path):
    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    upload = tmp_path / "daily.csv"
    upload.write_text(_csv())
    with _file_source(alpha, committed, upload, "Daily revenue") as source:
        yield alpha, source


def _ask(page, question: str):
    page.get_by_label("Your question").fill(question)
    page.keyboard.press("Enter")
    page.wait_for_function("() => !document.getElementById('chat-send').disabled")
    answer = page.locator("#chat-log article").last
    answer.locator(".chat__chart canvas").first.wait_for()
    page.wait_for_function(f"() => ({PAINTED_PIXELS})() > 2000")
    return answer


def test_a_forecast_band_and_anomaly_markers_are_drawn(daily_source, live_server, page, login):
    alpha, _source = daily_source
    login(page, alpha, "viewer")
    _open_conversation(page, live_server, alpha, "Daily revenue")

    forecast = _ask(page, "forecast revenue for the next 3 months")
    narrative = forecast.locator(".chat__narrative").inner_text()
    assert "Forecast of revenue for the next 3 months" in narrative
    assert "80 % interval" in narrative
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-forecast.png"), full_page=True)

    unusual = _ask(page, "any anomalies in revenue?")
    assert (
        "June 2025" in unusual.locator(".chat__narrative").inner_text()
        or "Jun 2025" in unusual.locator(".chat__narrative").inner_text()
    )
    page.screenshot(path=str(ARTIFACTS / "chat-anomalies.png"), full_page=True)
    assert page.console_errors == [], f"console errors: {page.console_errors}"


def test_a_trend_answer_with_its_theil_sen_line_is_drawn(daily_source, live_server, page, login):
    alpha, _source = daily_source
    login(page, alpha, "viewer")
    _open_conversation(page, live_server, alpha, "Daily revenue")

    trend = _ask(page, "how is revenue trending")
    narrative = trend.locator(".chat__narrative").inner_text()
    assert narrative.startswith("Revenue is going up"), narrative
    assert "Theil–Sen" in narrative
    # The chart holds the series and its trend line (two series drawn, the legend names both).
    legend = page.evaluate(
        "() => { const el = [...document.querySelectorAll("
        "'#chat-log article .chat__chart .aiser-chart__body')]"
        ".pop(); return echarts.getInstanceByDom(el).getOption().series.map((s) => s.name); }"
    )
    assert legend == ["revenue", "Trend (Theil–Sen)"]
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-trend.png"), full_page=True)

    feed = _ask(page, "what is interesting in this table?")
    assert "1. " in feed.locator(".chat__narrative").inner_text()
    page.screenshot(path=str(ARTIFACTS / "chat-insights.png"), full_page=True)
    assert page.console_errors == [], f"console errors: {page.console_errors}"
