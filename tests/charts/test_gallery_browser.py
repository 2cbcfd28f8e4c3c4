# SPDX-License-Identifier: MIT
"""Charts in a real Chromium: every gallery type draws something, and hostile category names stay text."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chat2chart.charts.registry import chart_type_ids
from chat2chart.core.principal import Principal

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
HOSTILE = "<img src=x onerror=alert(1)>"

# For each figure: how much it drew. Canvases count pixels that are neither transparent nor the
# white page (ECharts draws on a transparent canvas); DOM charts (tables) count their cell text.
MEASURE_FIGURES = """
() => [...document.querySelectorAll("figure[data-chart-type]")].map((figure) => {
  let painted = 0, colours = new Set();
  for (const canvas of figure.querySelectorAll("canvas")) {
    if (!canvas.width || !canvas.height) continue;
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < pixels.length; i += 4) {
      const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
      if (a > 16 && !(r > 245 && g > 245 && b > 245)) {
        painted += 1;
        colours.add(`${r >> 4},${g >> 4},${b >> 4}`);
      }
    }
  }
  const cells = [...figure.querySelectorAll("td, th")].map((cell) => cell.textContent.trim()).filter(Boolean);
  return {
    type: figure.dataset.chartType,
    rendered: figure.dataset.rendered || "",
    canvases: figure.querySelectorAll("canvas").length,
    painted,
    colours: colours.size,
    cells: cells.length,
  };
})
"""
ALL_RENDERED = """
() => {
  const figures = [...document.querySelectorAll("figure[data-chart-type]")];
  return figures.length > 0 && figures.every((figure) => figure.dataset.rendered);
}
"""
MIN_PAINTED = 2000  # a title and a legend alone stay well under this on a 340 px tall chart
MIN_COLOURS = 3


def _blank_reason(result: dict[str, Any]) -> str | None:
    if result["rendered"] != "ok":
        return f"rendered={result['rendered'] or 'never'}"
    if result["canvases"] == 0:
        return None if result["cells"] >= 2 else f"no canvas and {result['cells']} table cells"
    if result["painted"] < MIN_PAINTED or result["colours"] < MIN_COLOURS:
        return f"canvas nearly blank: {result['painted']} painted pixels in {result['colours']} colours"
    return None


def test_every_chart_type_draws_in_the_gallery(workspaces, live_server, page, login):
    alpha = workspaces.get("alpha") or workspaces["default"]
    login(page, alpha, "viewer")
    page.goto(live_server.url(alpha, "/charts/gallery/"))
    page.wait_for_function(ALL_RENDERED)
    # ECharts animates in; poll until every canvas has drawn (or give up and report which did not).
    results: list[dict[str, Any]] = []
    for _ in range(40):
        results = page.evaluate(MEASURE_FIGURES)
        if all(_blank_reason(r) is None for r in results):
            break
        page.wait_for_timeout(250)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "gallery.png"), full_page=True)

    drawn = {r["type"] for r in results}
    missing = sorted(set(chart_type_ids()) - drawn)
    assert not missing, f"types missing from the gallery: {missing}"
    blank = {r["type"]: reason for r in results if (reason := _blank_reason(r))}
    assert not blank, f"types that did not draw: {blank}"
    assert page.console_errors == [], f"console errors: {page.console_errors}"


@pytest.fixture
def hostile_chart(workspaces, live_server, page, committed, settings, tmp_path):
    """A source whose category is an HTML payload, and a column chart of it (committed, then removed)."""
    # `page` first: it lets this synchronous ORM code run beside Playwright's event loop.
    from chat2chart.charts import services as chart_services
    from chat2chart.sources import services as source_services

    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    upload = tmp_path / "regions.csv"
    upload.write_text(f'region,amount\nNorth,120\n"{HOSTILE}",80\nEast,42\n')
    owner = alpha.users["owner"]
    with committed(), alpha.activate():
        source = source_services.source_create_file(
            name="Hostile regions",
            upload=upload,
            original_name="regions.csv",
            on_bad_rows="error",
            principal=Principal.for_user(owner),
        )
        try:
            source.refresh_from_db()
            assert source.status == "ready", source.error
            table = source.tables.get(is_current=True).name
            chart = chart_services.chart_create(
                principal=Principal.for_user(owner),
                title="Amount by region",
                spec={"type": "column", "encoding": {"x": "region", "y": ["amount"]}},
                query={
                    "source": source.pk,
                    "table": table,
                    "dimensions": [{"field": "region"}],
                    "measures": [{"field": "amount", "agg": "sum"}],
                    "order": [{"field": "region"}],
                },
            )
            yield alpha, chart
        finally:
            source_services.source_delete(
                source=source, principal=Principal.for_user(owner)
            )  # its charts and files go with it


def test_hostile_category_is_drawn_as_text_on_the_chart_page(hostile_chart, live_server, page, login):
    alpha, chart = hostile_chart
    dialogs: list[str] = []
    page.on("dialog", lambda dialog: (dialogs.append(dialog.message), dialog.dismiss()))
    login(page, alpha, "editor")
    page.goto(live_server.url(alpha, f"/charts/{chart.pk}/"))
    canvas = page.locator("#chart canvas").first
    canvas.wait_for()
    page.wait_for_function("() => document.querySelector('#chart-type').options.length > 1")

    # Hover along the plot so the tooltip shows each bar's category, the hostile one included.
    box = canvas.bounding_box()
    for fraction in (0.8, 0.65, 0.5, 0.35, 0.2):  # ends on the first bar, the hostile one
        page.mouse.move(box["x"] + box["width"] * fraction, box["y"] + box["height"] * 0.6)
        page.wait_for_timeout(150)

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chart-page-tooltip.png"))

    # The same result as a table puts the name in a cell, as text.
    page.select_option("#chart-type", "table")
    page.wait_for_function("() => document.querySelector('#chart table td') !== null")
    cells = page.locator("#chart td").all_text_contents()
    assert HOSTILE in cells
    assert page.locator("#main img").count() == 0
    assert dialogs == []
    assert page.locator("#chart-error").is_hidden()
    assert page.locator("#chart .aiser-chart__csv").is_visible()
    assert page.console_errors == [], f"console errors: {page.console_errors}"
    page.screenshot(path=str(ARTIFACTS / "chart-page-table.png"))
