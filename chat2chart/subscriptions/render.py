# SPDX-License-Identifier: MIT
"""Render a subscription's dashboard or chart for one viewer: data, PNG per chart, PDF of the whole, CSV.

The data comes from the same functions the pages use (`dashboard_data`, `chart_data`), run as the
recipient's principal, so their permissions (and row-level access, which the query service applies
per principal) decide what they get. The pictures are drawn by headless Chromium (Playwright driving
`AISER_CHROMIUM_PATH`) from the same ECharts options the page draws, in a print layout; the page
loads nothing from the network. A widget that fails or has no rows, or a chart whose canvas stays
blank, raises `RenderFailed`: the caller retries and then tells the owner rather than send a blank
report.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from django.conf import settings
from django.template.loader import render_to_string

from chat2chart.charts import policy as chart_policy
from chat2chart.charts.services import chart_data
from chat2chart.core.errors import AiserError
from chat2chart.core.principal import Principal
from chat2chart.dashboards import policy as dashboard_policy
from chat2chart.dashboards.filters import parse_definitions, parse_picked
from chat2chart.dashboards.models import Dashboard
from chat2chart.dashboards.widget_data import Audience, dashboard_data
from chat2chart.sources.ingest import escape_formula
from chat2chart.subscriptions.models import Subscription

ECHARTS = Path(settings.BASE_DIR) / "static" / "vendor" / "echarts" / "echarts.min.js"
CHART_WIDTH, CHART_HEIGHT = 760, 360
# A chart whose canvas has fewer drawn pixels than this is blank (an axis alone has thousands).
MIN_DRAWN_PIXELS = 200
BROWSER_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--no-first-run"]


class RenderFailed(AiserError):
    code = "render_failed"


@dataclass(frozen=True)
class RenderedWidget:
    """One widget as the viewer sees it: `option` (None for text and plain tables), its data, its PNG."""

    key: str
    title: str
    option: Mapping[str, Any] | None
    columns: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    html: str = ""
    png: bytes = b""

    @property
    def csv(self) -> bytes:
        """The widget's data as CSV, text that a spreadsheet would run as a formula defused."""
        out = io.StringIO()
        writer = csv.writer(out)
        writer.writerow([escape_formula(name) for name in self.columns])
        writer.writerows([escape_formula(value) for value in row] for row in self.rows)
        return out.getvalue().encode()


@dataclass(frozen=True)
class Report:
    title: str
    widgets: tuple[RenderedWidget, ...]
    pdf: bytes = b""
    page_png: bytes = b""


def report_data(subscription: Subscription, principal: Principal) -> Report:
    """The widgets `principal` sees in the subscription's dashboard or chart, with its filter values.

    Raises RenderFailed when the viewer may not see it, a widget fails or a chart has no rows."""
    if subscription.chart_id is not None:
        chart = subscription.chart
        assert chart is not None
        if not chart_policy.can_view_chart(principal, chart):
            raise RenderFailed("The recipient may not see this chart.", code="no_access")
        try:
            rendered = chart_data(chart=chart, principal=principal, use_cache=False)
        except AiserError as error:
            raise RenderFailed(f"{chart.title}: {error.message}") from error
        widget = RenderedWidget(
            key="chart",
            title=chart.title,
            option=rendered.option,
            columns=tuple(column.name for column in rendered.result.columns),
            rows=tuple(tuple(row) for row in rendered.result.rows),
        )
        _refuse_empty([widget])
        return Report(title=chart.title, widgets=(widget,))
    dashboard = subscription.dashboard
    assert dashboard is not None
    if not dashboard_policy.can_view_dashboard(principal, dashboard):
        raise RenderFailed("The recipient may not see this dashboard.", code="no_access")
    report = dashboard_report(
        dashboard, principal, params={"filters": json.dumps(subscription.filters or {})}
    )
    _refuse_empty(report.widgets)
    return report


def dashboard_report(dashboard: Dashboard, principal: Principal, *, params: Any) -> Report:
    """Every widget of `dashboard` as `principal` sees it with the filter values in `params` (the page's
    query parameters: `filter.<field>=...` or a JSON `filters` object; see `parse_picked`). The caller has
    checked the principal may view the dashboard. Raises ValidationFailed for a filter the dashboard does
    not offer, RenderFailed when a widget fails (empty widgets are kept: an export shows them)."""
    picked = parse_picked(params, parse_definitions(dashboard.filters))
    items = dashboard_data(dashboard=dashboard, audience=Audience(principal=principal), picked=picked)
    return Report(title=dashboard.title, widgets=tuple(_widget(item) for item in items))


def render_pictures(report: Report, *, pdf: bool, page_png: bool = False) -> Report:
    """`report` with a PNG per chart and, when `pdf`, a PDF of the whole (when `page_png`, a PNG of the
    whole page in `page_png`), drawn by headless Chromium.

    Raises RenderFailed when the browser fails or a chart's canvas stays blank."""
    html = render_to_string(
        "subscriptions/report.html",
        {"report": report, "width": CHART_WIDTH, "height": CHART_HEIGHT},
    )
    charts = [{"id": f"w-{w.key}", "option": w.option} for w in report.widgets if w.option is not None]
    # Playwright's sync API refuses a thread that runs an event loop (ASGI, a browser test's own
    # Playwright); a thread of its own has none.
    with ThreadPoolExecutor(max_workers=1) as pool:
        pngs, document, whole = pool.submit(_draw, html, charts, pdf, page_png).result()
    widgets = tuple(
        RenderedWidget(**{**w.__dict__, "png": pngs.get(f"w-{w.key}", b"")}) for w in report.widgets
    )
    return Report(title=report.title, widgets=widgets, pdf=document, page_png=whole)


def _widget(item: Mapping[str, Any]) -> RenderedWidget:
    title = str(item.get("title") or "Untitled")
    if "error" in item:
        message = item["error"].get("message") if isinstance(item["error"], Mapping) else item["error"]
        raise RenderFailed(f"{title}: {message}")
    data = item.get("data") or {}
    option = item.get("option")
    drawable = isinstance(option, Mapping) and ("series" in option or "graphic" in option)
    return RenderedWidget(
        key=str(item["id"]),
        title=title,
        option=option if drawable else None,
        columns=tuple(str(column.get("name")) for column in data.get("columns", [])),
        rows=tuple(tuple(row) for row in data.get("rows", [])),
        html=str(item.get("html") or ""),
    )


def _refuse_empty(widgets: Sequence[RenderedWidget]) -> None:
    for widget in widgets:
        if not widget.html and not widget.rows:
            raise RenderFailed(f"{widget.title}: the query returned no rows, so the chart would be empty.")


_DRAW_JS = """
([charts, minDrawn]) => {
  const blank = [];
  for (const spec of charts) {
    const element = document.getElementById(spec.id);
    const chart = echarts.init(element, null, {renderer: 'canvas'});
    // No animation (drawn at once) and no toolbox: a picture in an email has no buttons.
    chart.setOption(Object.assign({}, spec.option, {animation: false, toolbox: {show: false}}));
    const canvas = element.querySelector('canvas');
    const pixels = canvas.getContext('2d').getImageData(0, 0, canvas.width, canvas.height).data;
    let drawn = 0;
    for (let i = 3; i < pixels.length; i += 4) { if (pixels[i] > 0) drawn++; }
    if (drawn < minDrawn) blank.push(spec.id);
  }
  return blank;
}
"""


def _draw(
    html: str, charts: list[dict[str, Any]], pdf: bool, page_png: bool = False
) -> tuple[dict[str, bytes], bytes, bytes]:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    try:
        with sync_playwright() as playwright:
            browser = playwright.chromium.launch(
                executable_path=settings.AISER_CHROMIUM_PATH, args=BROWSER_ARGS
            )
            try:
                page = browser.new_page(viewport={"width": CHART_WIDTH + 80, "height": 900})
                # The report loads nothing: an image in a text widget must not call out from the worker.
                page.route("**/*", lambda route: route.abort())
                page.set_content(html, wait_until="domcontentloaded")
                page.add_script_tag(path=str(ECHARTS))
                blank = page.evaluate(_DRAW_JS, [charts, MIN_DRAWN_PIXELS])
                if blank:
                    raise RenderFailed(f"{len(blank)} chart(s) drew nothing; the report was not sent blank.")
                pngs = {spec["id"]: page.locator(f"#{spec['id']}").screenshot() for spec in charts}
                document = page.pdf(format="A4", print_background=True) if pdf else b""
                whole = page.screenshot(full_page=True) if page_png else b""
            finally:
                browser.close()
    except PlaywrightError as error:
        raise RenderFailed(f"the browser could not draw the report: {error.message}") from error
    return pngs, document, whole
