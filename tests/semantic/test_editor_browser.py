# SPDX-License-Identifier: MIT
"""The model editor in a real Chromium against daphne: try a measure by a joined dimension, see a
problem beside its line, add a filter and a title to the measure, save, and see the chart change to
the numbers pandas computes from the same rows."""

from __future__ import annotations

import uuid
import zipfile
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chat2chart.core.principal import Principal
from tests.conversations.test_chat_browser import ARTIFACTS
from tests.semantic.shop import shop_frames
from tests.semantic.test_api import ROWS, workbook_bytes

pytestmark = pytest.mark.browser

MODEL_YAML = """\
source: {source}
cubes:
  - name: customers
    sql_table: customers
    dimensions:
      - name: id
        type: number
        primary_key: true
      - name: segment
        type: string
        title: Segment
  - name: orders
    sql_table: orders
    joins:
      - name: customers
        relationship: many_to_one
        sql: "{{CUBE}}.customer_id = {{customers}}.id"
    measures:
      - name: shipping
        type: sum
        sql: shipping
        title: Shipping
    dimensions:
      - name: id
        type: number
        primary_key: true
      - name: status
        type: string
    pre_aggregations:
      - name: by_segment
        measures: [shipping]
        dimensions: [customers.segment]
"""
FILTERED = """      - name: shipping
        type: sum
        sql: shipping
        title: Paid shipping
        filters:
          - sql: "{CUBE}.status = 'paid'"
"""
PAINTED = """
() => {
  const canvas = document.querySelector("#try-chart canvas");
  if (!canvas || !canvas.width) return 0;
  const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
  let painted = 0;
  for (let i = 0; i < pixels.length; i += 4) {
    if (pixels[i + 3] > 16 && !(pixels[i] > 245 && pixels[i + 1] > 245 && pixels[i + 2] > 245)) painted += 1;
  }
  return painted;
}
"""


def _expected(paid_only: bool) -> dict[str, float]:
    frames = shop_frames(ROWS)
    orders = frames["orders"]
    if paid_only:
        orders = orders[orders["status"] == "paid"]
    joined = orders.merge(frames["customers"], left_on="customer_id", right_on="id", how="left")
    sums = joined.groupby("segment")["shipping"].sum()
    return {segment: round(float(total), 2) for segment, total in sums.items()}


@pytest.fixture
def shop_model(workspaces, live_server, page, committed, settings, tmp_path) -> Iterator[tuple[Any, Any]]:
    from chat2chart.semantic import services as semantic_services
    from chat2chart.sources import services as source_services

    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    upload = tmp_path / "shop.xlsx"
    upload.write_bytes(workbook_bytes())
    with committed(), alpha.activate():
        owner = Principal.for_user(alpha.users["owner"])  # inside the workspace: it carries the role
        source = source_services.source_create_file(
            name="Browser shop",
            upload=upload,
            original_name=upload.name,
            on_bad_rows="error",
            principal=owner,
        )
        model = None
        try:
            source.refresh_from_db()
            assert source.status == "ready", source.error
            model = semantic_services.semantic_model_create(
                principal=owner, name="Browser shop model", yaml_text=MODEL_YAML.format(source=source.pk)
            )
            yield alpha, model
        finally:
            if model is not None:
                semantic_services.semantic_model_delete(model=model, principal=owner)
            source_services.source_delete(source=source, principal=owner)


def _drawn(page: Any) -> dict[str, float]:
    page.wait_for_function("() => document.getElementById('try-chart').dataset.rows")
    page.wait_for_function(f"() => ({PAINTED})() > 2000")
    rows = page.evaluate("() => JSON.parse(document.getElementById('try-chart').dataset.rows)")
    return {segment: round(float(total), 2) for segment, total in rows}


def test_editing_a_measure_in_the_page_changes_the_try_it_chart(shop_model, live_server, page, login):
    alpha, model = shop_model
    login(page, alpha, "editor")
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(live_server.url(alpha, f"/models/{model.pk}/"))
    page.get_by_text("No problems found.").wait_for()
    rollups = page.locator("#rollups")
    rollups.wait_for()  # the rollups endpoint answers: the section shows the declared rollup
    assert "orders.by_segment" in rollups.inner_text()

    page.get_by_label("Orders · Shipping").check()
    page.get_by_label("By").select_option("customers.segment")
    page.get_by_role("button", name="Run").click()
    assert _drawn(page) == _expected(paid_only=False)
    page.get_by_text("SQL", exact=True).click()
    assert "Answered from rollup orders.by_segment" in page.locator("#try-explain").inner_text()

    text = page.get_by_label("Model YAML")
    original = text.input_value()
    text.fill(original.replace("type: sum", "type: total"))
    page.locator("#yaml-lines .bad").first.wait_for()
    line = original.splitlines().index("        type: sum") + 1
    assert page.locator("#yaml-lines .bad").first.inner_text() == str(line)
    assert "orders.shipping.type" in page.locator("#yaml-notes").inner_text()

    before = "      - name: shipping\n        type: sum\n        sql: shipping\n        title: Shipping\n"
    edited = original.replace(before, FILTERED)
    assert edited != original
    text.fill(edited)
    page.get_by_text("No problems found.").wait_for()
    page.get_by_role("button", name="Save").click()
    page.get_by_text("Saved as a new version.").wait_for()
    assert page.locator("#model-version").inner_text() == "version 2"
    history = page.locator("#history-rows")
    assert "Roll back to 1" in history.inner_text()
    assert "Roll back to 2" not in history.inner_text()  # version 2 is the current one
    assert "Current version" in history.locator("tr").first.inner_text()
    assert alpha.users["editor"].email in page.locator("#history-rows tr").first.inner_text()

    page.evaluate("() => { delete document.getElementById('try-chart').dataset.rows; }")
    page.get_by_label("Orders · Paid shipping").check()
    page.get_by_role("button", name="Run").click()
    paid = _drawn(page)
    assert paid == _expected(paid_only=True)
    assert paid != _expected(paid_only=False)
    assert "Paid shipping by Segment" in page.locator("#try-chart").inner_text() or page.evaluate(
        "() => echarts.getInstanceByDom(document.querySelector('#try-chart .aiser-chart__body'))"
        ".getOption().title?.[0]?.text || ''"
    ).startswith("Paid shipping by Segment")

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "model-editor-1440.png"), full_page=True)

    page.once("dialog", lambda dialog: dialog.accept())  # "Make version 1 current again?"
    page.get_by_role("button", name="Roll back to 1").click()
    page.get_by_text("Rolled back to version 1.").wait_for()
    assert page.locator("#model-version").inner_text() == "version 3"
    rollbacks = page.locator("#history-rows button").all_inner_texts()
    assert rollbacks == ["Roll back to 2", "Roll back to 1"]
    assert page.get_by_label("Model YAML").input_value() == original
    page.evaluate("() => { delete document.getElementById('try-chart').dataset.rows; }")
    page.get_by_label("Orders · Shipping").check()
    page.get_by_role("button", name="Run").click()
    assert _drawn(page) == _expected(paid_only=False)
    page.set_viewport_size({"width": 390, "height": 844})
    # Nothing scrolls sideways once the chart has followed its box (ECharts resizes on the next frame).
    page.wait_for_function("() => document.documentElement.scrollWidth <= 390")
    page.screenshot(path=str(ARTIFACTS / "model-editor-390.png"), full_page=True)
    unexpected = [e for e in page.console_errors if "404" not in e]  # the optional rollups endpoint
    assert unexpected == [], f"console errors: {unexpected}"


def test_a_cube_project_is_imported_in_the_page_with_its_report(
    shop_model, live_server, page, login, committed, tmp_path
):
    alpha, _model = shop_model
    project = Path(__file__).parent / "cube_project"
    archive = tmp_path / "cube_project.zip"
    with zipfile.ZipFile(archive, "w") as zipped:
        for path in sorted(project.rglob("*")):
            if path.is_file():
                zipped.write(path, path.relative_to(project).as_posix())
    login(page, alpha, "editor")
    page.goto(live_server.url(alpha, "/models/"))
    assert page.locator("#model-list").get_by_text("Browser shop model").count() == 1
    name = f"Imported shop {uuid.uuid4().hex[:6]}"
    try:
        page.get_by_label("Model name").fill(name)
        page.get_by_label("Source its tables are in").select_option(label="Browser shop")
        page.get_by_label("A zip of the project, or its model YAML files").set_input_files(str(archive))
        page.get_by_role("button", name="Import").click()
        link = page.get_by_role("link", name=f"Open '{name}'")
        link.wait_for()
        report = page.locator("#import-skipped").inner_text()
        assert "model/views/shop.yml — view shop: views are not imported yet" in report
        assert "cube.js — file: only YAML models are read" in report
        assert "refresh_key" in report  # a cube-level refresh key is not imported
        link.click()
        page.get_by_text("No problems found.").wait_for()
        for chosen in page.locator("#try-measures input:checked").all():
            chosen.uncheck()  # the first measure is chosen when the page opens
        page.get_by_label("orders · shipping", exact=True).check()
        page.get_by_role("button", name="Run").click()
        rows = _drawn_rows(page)
        total = round(float(shop_frames(ROWS)["orders"]["shipping"].sum()), 2)
        assert [[round(float(v), 2) for v in row] for row in rows] == [[total]]
    finally:
        from chat2chart.semantic import selectors as semantic_selectors
        from chat2chart.semantic import services as semantic_services

        with committed(), alpha.activate():
            owner = Principal.for_user(alpha.users["owner"])
            for found in semantic_selectors.semantic_model_list().filter(name=name):
                semantic_services.semantic_model_delete(model=found, principal=owner)


def _drawn_rows(page: Any) -> list[list[Any]]:
    page.wait_for_function("() => document.getElementById('try-chart').dataset.rows")
    return page.evaluate("() => JSON.parse(document.getElementById('try-chart').dataset.rows)")
