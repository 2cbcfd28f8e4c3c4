# SPDX-License-Identifier: MIT
"""The `<aiser-chat>` web component in a real Chromium, on a customer's page served from another
localhost port: one script tag, a question typed in a 360 px side panel, the answer drawn, and the
page hears the component's `answer` event with only the locked customer's numbers."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from chat2chart.core.principal import Principal
from tests.conversations.embedchat import create_orders, revenue_by_region, sign_chat
from tests.dashboards.conftest import set_up_embedding
from tests.dashboards.test_embed_browser import customer_site
from tests.pagecheck import check_page

pytestmark = pytest.mark.browser


@pytest.fixture
def chat_setup(
    workspaces: dict[str, Any], live_server: Any, page: Any, committed: Any, settings: Any, tmp_path: Path
) -> Any:
    """A committed orders source and embedding secret in alpha; removed afterwards. (After `page`, which
    lets ORM calls run beside Playwright's event loop.)"""
    from chat2chart.dashboards.embedding import embed_origins_update
    from chat2chart.dashboards.models import EmbedSettings
    from chat2chart.sources import services as source_services

    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"  # where the server reads uploaded files
    with committed(), alpha.activate():
        source, table = create_orders(alpha, tmp_path)
        try:
            yield alpha, source, table, set_up_embedding(alpha)
        finally:
            embed_origins_update(actor=Principal.for_user(alpha.users["admin"]), origins=[])
            EmbedSettings.objects.all().delete()
            source_services.source_delete(source=source, principal=Principal.for_user(alpha.users["owner"]))


def customer_page(script_url: str, token: str) -> str:
    return (
        '<!DOCTYPE html><html lang="en"><head><title>Customer portal</title><link rel="icon" href="data:,">'
        f'<script src="{script_url}" defer></script></head><body style="display:flex;margin:0">'
        '<main style="flex:1"><h1>Acme portal</h1></main>'
        '<aside style="width:360px;height:720px"><aiser-chat id="chat" theme="dark" accent="#0a7d5a" '
        f'token="{token}"></aiser-chat></aside>'
        "<script>window.answers = []; window.errors = [];"
        'document.addEventListener("answer", (e) => window.answers.push(e.detail));'
        'document.addEventListener("error", (e) => window.errors.push(e.detail));</script>'
        "</body></html>"
    )


@pytest.mark.parametrize("customer", [42])
def test_the_web_component_answers_within_the_locked_rows(
    chat_setup, live_server, page, committed, tmp_path, customer
):
    from chat2chart.dashboards.embedding import embed_origins_update

    alpha, source, table, secret = chat_setup
    token = sign_chat(
        alpha, secret, source.pk, table, user=f"end-user-{customer}", params={"customer_id": customer}
    )
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(customer_page(live_server.url(alpha, "/embed/chat.js"), token))
    with customer_site(site) as origin:
        with committed(), alpha.activate():
            embed_origins_update(actor=Principal.for_user(alpha.users["admin"]), origins=[origin])
        page.goto(f"{origin}/index.html")
        frame = page.frame_locator("aiser-chat iframe")
        frame.locator("body[data-ready=true]").wait_for()
        frame.get_by_label("Your question").fill("total revenue by region")
        frame.get_by_role("button", name="Ask").click()
        page.wait_for_function("window.answers.length > 0 || window.errors.length > 0", timeout=30_000)
        assert page.evaluate("window.errors") == []
        detail = page.evaluate("window.answers[0]")
        assert {str(r[0]): float(r[-1]) for r in detail["data"]["rows"]} == revenue_by_region(customer)
        frame.locator(".chat__chart canvas").first.wait_for()
        assert "West" not in frame.locator("#chat-log").inner_text()
        assert frame.get_by_text("Show SQL").count() == 0
        assert frame.get_by_role("button", name="Edit query").count() == 0
        assert not frame.get_by_role("button", name="Download CSV").is_visible()  # the token allows no CSV
        width = page.evaluate("document.querySelector('aiser-chat').getBoundingClientRect().width")
        assert width == 360
        page.screenshot(path=str(Path(__file__).resolve().parents[2] / "test-artifacts" / "embed-chat.png"))
    assert page.console_errors == [], page.console_errors


def test_the_chat_page_is_accessible_on_its_own(chat_setup, live_server, page):
    alpha, source, table, secret = chat_setup
    token = sign_chat(alpha, secret, source.pk, table, csv=True)
    # axe-core is injected as an inline script, which the page's CSP (rightly) refuses: this context
    # lets it in, for the check only.
    context = page.context.browser.new_context(bypass_csp=True, viewport={"width": 1400, "height": 1000})
    try:
        checked = context.new_page()
        checked.goto(live_server.url(alpha, f"/embed/chat/{token}"))
        checked.locator("body[data-ready=true]").wait_for()
        checked.get_by_label("Your question").fill("total revenue by region")
        checked.get_by_role("button", name="Ask").click()
        download_button = checked.get_by_role("button", name="Download CSV")
        download_button.wait_for(timeout=30_000)
        with checked.expect_download() as download:
            download_button.click()
        csv = Path(download.value.path()).read_text(encoding="utf-8-sig").splitlines()
        assert csv[0] == "region,revenue"
        assert {line.split(",")[0]: float(line.split(",")[1]) for line in csv[1:]} == revenue_by_region(42)
        check_page(checked, "embed-chat")
    finally:
        context.close()


def test_an_origin_not_allowed_cannot_frame_the_chat(chat_setup, live_server, page, tmp_path):
    alpha, source, table, secret = chat_setup
    token = sign_chat(alpha, secret, source.pk, table)
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(customer_page(live_server.url(alpha, "/embed/chat.js"), token))
    with customer_site(site) as origin:
        page.goto(f"{origin}/index.html")
        page.wait_for_timeout(1500)
        framed = [f for f in page.frames if "/embed/chat/" in f.url]
        # Chromium blocks the frame (frame-ancestors 'self'): no chat loads in it.
        assert not framed or framed[0].locator("#chat-ask").count() == 0


def test_admins_read_the_embedded_conversations_page(chat_setup, live_server, page, committed, login):
    from chat2chart.conversations.models import Conversation

    alpha, source, table, secret = chat_setup
    token = sign_chat(alpha, secret, source.pk, table, user="end-user-42", name="Ada")
    try:
        # Asked from the chat page itself, over HTTP as the widget's fallback does: under the page's
        # no-referrer policy the request still carries the page's own Origin, which the endpoint needs.
        page.goto(live_server.url(alpha, f"/embed/chat/{token}"))
        page.locator("body[data-ready=true]").wait_for()
        status = page.evaluate(
            """async (url) => (await fetch(url, {method: "POST", referrerPolicy: "origin",
                 headers: {"Content-Type": "application/json"},
                 body: JSON.stringify({content: "total revenue by region"})})).status""",
            f"/embed/chat/{token}/messages/",
        )
        assert status == 201
        login(page, alpha, "admin")
        page.goto(live_server.url(alpha, "/chat/embedded/"))
        section = page.locator('[data-end-user="end-user-42"]')
        assert "Ada" in section.get_by_role("heading").inner_text()
        assert section.locator("[data-question]").first.inner_text() == "total revenue by region"
        assert section.locator("[data-answer]").first.inner_text().strip()
        check_page(page, "embedded-conversations")
    finally:
        with committed(), alpha.activate():
            Conversation.objects.filter(embed_user_id="end-user-42").delete()
