# SPDX-License-Identifier: MIT
"""A saved chart's page in a real Chromium at desktop and phone width: the title is shown once,
bar labels do not overlap at 390 px, a dated line offers its grain, more than ten series end in
"Other", and numbers read in the workspace's locale exactly as the server writes them."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pandas as pd
import pytest

from chat2chart.charts.builders.formats import format_number, number_locale
from tests.dashboards.conftest import create_file_source
from tests.pagecheck import PHONE, check_page

pytestmark = pytest.mark.browser

PRODUCTS = [f"Ergonomic office chair model {chr(65 + i)}" for i in range(14)]

CHART = "echarts.getInstanceByDom(document.querySelector('#chart .aiser-chart__body'))"
DRAWN = f"() => !!document.querySelector('#chart canvas') && !!{CHART}"
# Category labels ECharts drew on the x axis, as screen rectangles, for an overlap check.
X_LABEL_RECTS = f"""
(names) => {{
  const chart = {CHART};
  const rects = [];
  for (const el of chart.getZr().storage.getDisplayList()) {{
    const text = el.style && el.style.text;
    if (!text || el.invisible || el.ignore) continue;
    const plain = String(text).replace(/…$/, "");
    if (!names.some((name) => name.startsWith(plain))) continue;
    const r = el.getBoundingRect();
    const m = el.getComputedTransform() || [1, 0, 0, 1, 0, 0];
    const corners = [[r.x, r.y], [r.x + r.width, r.y], [r.x + r.width, r.y + r.height], [r.x, r.y + r.height]]
      .map(([x, y]) => [m[0] * x + m[2] * y + m[4], m[1] * x + m[3] * y + m[5]]);
    rects.push({{ text, corners }});
  }}
  return rects;
}}
"""


def _orders() -> pd.DataFrame:
    start = dt.date(2025, 1, 6)
    rows = []
    for day in range(0, 150, 3):
        for i, product in enumerate(PRODUCTS):
            rows.append(
                {
                    "order_date": (start + dt.timedelta(days=day)).isoformat(),
                    "product": product,
                    "revenue": round(1000 + 137.5 * i + day * 3.25, 2),
                }
            )
    return pd.DataFrame(rows)


@pytest.fixture
def charts(
    workspaces: dict[str, Any], live_server: Any, page: Any, committed: Any, settings: Any, tmp_path: Path
):
    from chat2chart.charts import services as chart_services
    from chat2chart.core.principal import Principal
    from chat2chart.sources import services as source_services
    from chat2chart.workspaces.services import workspace_settings_update

    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    orders = _orders()
    with committed(), alpha.activate():
        owner = Principal.for_user(alpha.users["owner"])
        source = create_file_source(
            name="Chair orders",
            file_name="chairs.csv",
            content=orders.to_csv(index=False),
            owner=alpha.users["owner"],
            folder=tmp_path,
        )
        table = source.tables.get(is_current=True).name
        made = {
            "bars": chart_services.chart_create(
                principal=owner,
                title="Revenue by product",
                spec={
                    "type": "column",
                    "title": "Revenue by product",
                    "encoding": {"x": "product", "y": ["revenue"]},
                },
                query={
                    "source": source.pk,
                    "table": table,
                    "dimensions": [{"field": "product"}],
                    "measures": [{"field": "revenue", "agg": "sum"}],
                },
            ),
            "lines": chart_services.chart_create(
                principal=owner,
                title="Revenue over time by product",
                spec={
                    "type": "line",
                    "encoding": {"x": "order_date_week", "series": "product", "y": ["revenue"]},
                },
                query={
                    "source": source.pk,
                    "table": table,
                    "dimensions": [{"field": "order_date", "granularity": "week"}, {"field": "product"}],
                    "measures": [{"field": "revenue", "agg": "sum"}],
                    "order": [{"field": "order_date_week"}],
                },
            ),
        }
        workspace_settings_update(principal=Principal.for_user(alpha.users["admin"]), locale="de-DE")
    try:
        yield alpha, made, orders
    finally:
        with committed(), alpha.activate():
            workspace_settings_update(principal=Principal.for_user(alpha.users["admin"]), locale="")
            for chart in made.values():
                chart.delete()
            source_services.source_delete(source=source, principal=Principal.for_user(alpha.users["owner"]))


def _overlap(a: list[list[float]], b: list[list[float]], slack: float = 0.5) -> bool:
    """Whether two convex quadrilaterals (rotated label boxes) overlap: the separating axis test."""
    for shape in (a, b):
        for i in range(4):
            (x1, y1), (x2, y2) = shape[i], shape[(i + 1) % 4]
            normal = (y1 - y2, x2 - x1)
            pa = [normal[0] * x + normal[1] * y for x, y in a]
            pb = [normal[0] * x + normal[1] * y for x, y in b]
            length = (normal[0] ** 2 + normal[1] ** 2) ** 0.5 or 1
            if min(pa) >= max(pb) - slack * length or min(pb) >= max(pa) - slack * length:
                return False
    return True


def _open(page: Any, live_server: Any, login: Any, alpha: Any, chart: Any) -> None:
    login(page, alpha, "viewer")
    page.goto(live_server.url(alpha, f"/charts/{chart.pk}/"))
    page.wait_for_function(DRAWN)


def test_a_bar_chart_reads_well_on_a_desktop_and_a_phone(charts, live_server, login, page):
    alpha, made, _ = charts
    _open(page, live_server, login, alpha, made["bars"])
    assert page.locator("h1").inner_text() == "Revenue by product"
    assert page.evaluate(f"() => {CHART}.getOption().title[0].text") == ""  # the heading is the title
    csv = page.get_by_role("button", name="Download CSV")
    assert "button" in csv.get_attribute("class").split()
    assert page.evaluate(f"() => {CHART}.getOption().yAxis[0].name") == "revenue"

    page.set_viewport_size({"width": PHONE[0], "height": PHONE[1]})
    page.wait_for_function(f"() => {CHART}.getOption().xAxis[0].axisLabel.rotate === 45")
    page.wait_for_timeout(600)  # the resize animation settles before the labels are measured
    rects = page.evaluate(X_LABEL_RECTS, PRODUCTS)
    assert len(rects) >= 3, rects
    assert any(r["text"].endswith("…") for r in rects)  # long names are cut, the tooltip has them whole
    for i, a in enumerate(rects):
        for b in rects[i + 1 :]:
            assert not _overlap(a["corners"], b["corners"]), f"{a['text']} overlaps {b['text']}"
    assert not page.console_errors
    check_page(page, "chart-page-bars")


def test_a_dated_chart_offers_its_grain_and_collapses_small_series(charts, live_server, login, page):
    alpha, made, orders = charts
    _open(page, live_server, login, alpha, made["lines"])
    grain = page.get_by_label("Grain")
    assert grain.input_value() == "week"
    option = page.evaluate(f"() => {CHART}.getOption()")
    assert option["xAxis"][0]["type"] == "time"
    names = [series["name"] for series in option["series"]]
    assert len(names) == 10
    assert names[-1] == "Other"

    grain.select_option("month")
    page.wait_for_function(f"() => {CHART} && {CHART}.getOption().xAxis[0].name === 'order_date by month'")
    option = page.evaluate(f"() => {CHART}.getOption()")
    months = pd.to_datetime(orders["order_date"]).dt.to_period("M").nunique()
    assert len(option["series"][0]["data"]) == months
    # "Other" is the sum of the five smallest products in each month (pandas over the same CSV).
    frame = orders.assign(month=pd.to_datetime(orders["order_date"]).dt.to_period("M").dt.start_time)
    smallest = frame.groupby("product")["revenue"].sum().sort_values().index[:5]
    other = frame[frame["product"].isin(smallest)].groupby("month")["revenue"].sum()
    drawn = {point[0][:10]: point[1] for point in option["series"][-1]["data"]}
    assert drawn == pytest.approx({m.strftime("%Y-%m-%d"): v for m, v in other.items()})
    check_page(page, "chart-page-lines")

    # The chosen grain is in the address, so a reload (or a shared link) shows the same grain.
    assert "grain=month" in page.url
    page.reload()
    page.wait_for_function(DRAWN)
    page.wait_for_function(f"() => {CHART}.getOption().xAxis[0].name === 'order_date by month'")
    assert page.get_by_label("Grain").input_value() == "month"
    assert len(page.evaluate(f"() => {CHART}.getOption()")["series"][0]["data"]) == months

    # The workspace writes de-DE: the time axis names months in German, from the browser's CLDR data.
    german = page.evaluate(
        """() => Array.from({ length: 12 }, (_, m) => new Intl.DateTimeFormat(
             "de-DE", { month: "short", timeZone: "UTC" }).format(new Date(Date.UTC(2024, m, 1))))"""
    )
    drawn_text = page.evaluate(
        f"() => {CHART}.getZr().storage.getDisplayList()"
        ".map((el) => el.style && el.style.text).filter(Boolean)"
    )
    english_only = {"Mar", "May", "Oct", "Dec"}
    assert set(drawn_text) & set(german), drawn_text
    assert not set(drawn_text) & english_only, drawn_text


def test_a_grain_the_chart_does_not_offer_in_the_link_falls_back_to_the_saved_chart(
    charts, live_server, login, page
):
    alpha, made, _ = charts
    login(page, alpha, "viewer")
    page.goto(live_server.url(alpha, f"/charts/{made['lines'].pk}/?grain=bogus"))
    page.wait_for_function(DRAWN)
    assert page.get_by_label("Grain").input_value() == "week"  # as saved
    assert "grain=" not in page.url
    assert 'The grain "bogus" in the link does not apply' in page.locator("#chart-error").inner_text()
    # A chart with no date has no grain: an old link with one still draws it.
    page.goto(live_server.url(alpha, f"/charts/{made['bars'].pk}/?grain=month"))
    page.wait_for_function(DRAWN)
    assert page.get_by_label("Grain").is_hidden()


def test_the_browser_formats_numbers_as_the_server_does(charts, live_server, login, page):
    alpha, made, _ = charts
    _open(page, live_server, login, alpha, made["bars"])
    cases = [
        (-1234567.891, "0,0.00", None),
        (0.256, "0.0%", None),
        (1234.5, "0,0.00", "EUR"),
        (1234.5, "0,0", "CHF"),
        (1_234_567, "0.0a", None),
        (1.005, "0.00", None),
        (-0.0001, "0.0%", None),
    ]
    for locale in ("en-US", "de-DE", "fr-FR", "nl-NL"):
        conventions = number_locale(locale).to_json()
        browser = page.evaluate(
            """async ([cases, conventions]) => {
              const { formatNumber } = await import("/static/js/charts.js");
              return cases.map(([value, pattern, currency]) =>
                formatNumber(value, pattern, { locale: conventions, currency }));
            }""",
            [cases, conventions],
        )
        server = [format_number(v, p, locale=locale, currency=c) for v, p, c in cases]
        assert browser == server, locale
