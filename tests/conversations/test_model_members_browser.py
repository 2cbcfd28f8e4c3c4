# SPDX-License-Identifier: MIT
"""The chat page draws an answer from a model's members ("margin by customer segment" across the join)
with the model's titles, offers no "Save chart" for it, and redraws it as another chart type."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from chat2chart.core.principal import Principal
from tests.conversations.test_chat_browser import ARTIFACTS, PAINTED_PIXELS
from tests.conversations.test_model_members import MODEL_YAML, _margin_by_segment
from tests.semantic.test_api import workbook_bytes

pytestmark = pytest.mark.browser


@pytest.fixture
def modelled_shop(workspaces, live_server, page, committed, settings, tmp_path) -> Iterator[Any]:
    from chat2chart.semantic import services as semantic_services
    from chat2chart.sources import services as source_services

    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    upload = tmp_path / "shop.xlsx"
    upload.write_bytes(workbook_bytes())
    with committed(), alpha.activate():
        owner = Principal.for_user(alpha.users["owner"])
        source = source_services.source_create_file(
            name="Modelled shop",
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
                principal=owner, name="Modelled shop", yaml_text=MODEL_YAML.format(source=source.pk)
            )
            yield alpha
        finally:
            if model is not None:
                semantic_services.semantic_model_delete(model=model, principal=owner)
            source_services.source_delete(source=source, principal=owner)


def test_an_answer_from_model_members_is_drawn_on_the_chat_page(modelled_shop, live_server, page, login):
    alpha = modelled_shop
    login(page, alpha, "editor")
    page.goto(live_server.url(alpha, "/chat/"))
    page.get_by_label("Data source").select_option(label="Modelled shop")
    page.get_by_label("Table").select_option("orders")
    page.get_by_role("button", name="Start").click()
    page.wait_for_url(lambda url: url.rstrip("/").split("/")[-1].isdigit())

    page.get_by_label("Your question").fill("margin by customer segment")
    page.keyboard.press("Enter")
    answer = page.locator("#chat-log article").last
    answer.locator(".chat__chart canvas").first.wait_for()
    page.wait_for_function(f"() => ({PAINTED_PIXELS})() > 2000")

    top = max(_margin_by_segment().items(), key=lambda item: item[1])
    assert answer.locator(".chat__narrative").inner_text().startswith(f"{top[0]} has the highest margin")
    answer.get_by_text("Show data").click()
    table = answer.locator("table").inner_text()
    assert "Customer segment" in table
    assert "Margin" in table
    assert answer.get_by_role("button", name="Save chart").count() == 0

    answer.get_by_role("button", name="Edit query").click()
    answer.get_by_role("form", name="Edit the query").get_by_label("Chart type").select_option("table")
    answer.get_by_role("button", name="Re-run").click()
    redrawn = page.locator("#chat-log article").last
    redrawn.locator(".chat__chart table").first.wait_for()
    assert "Customer segment" in redrawn.locator(".chat__chart table").first.inner_text()

    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / "chat-model-members.png"), full_page=True)
    assert page.console_errors == [], f"console errors: {page.console_errors}"
