# SPDX-License-Identifier: MIT
"""An embedded dashboard in a real Chromium, framed by a customer's page on another origin: the
charts draw, and only the locked customer's rows reach the page."""

from __future__ import annotations

import functools
import http.server
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from chat2chart.core.principal import Principal
from tests.dashboards.conftest import build_sales_data, make_dashboard, set_up_embedding, sign

pytestmark = pytest.mark.browser

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
ALL_LOADED = """
() => {
  const widgets = [...document.querySelectorAll("[data-widget-id]")];
  return widgets.length > 0 && widgets.every((w) => w.dataset.loaded === "true");
}
"""
PAINTED_PIXELS = """
() => {
  let painted = 0;
  for (const canvas of document.querySelectorAll("canvas")) {
    if (!canvas.width || !canvas.height) continue;
    const pixels = canvas.getContext("2d").getImageData(0, 0, canvas.width, canvas.height).data;
    for (let i = 0; i < pixels.length; i += 4) {
      const [r, g, b, a] = [pixels[i], pixels[i + 1], pixels[i + 2], pixels[i + 3]];
      if (a > 16 && !(r > 245 && g > 245 && b > 245)) painted += 1;
    }
  }
  return painted;
}
"""


@contextmanager
def customer_site(directory: Path) -> Iterator[str]:
    """A plain static site on another localhost port: the customer's page that frames the embed."""
    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()


@pytest.fixture
def embedded(
    workspaces: dict[str, Any], live_server: Any, page: Any, committed: Any, settings: Any, tmp_path: Path
) -> Any:
    """A committed sales dashboard with an embedding secret; removed afterwards. (After `page`, which
    lets ORM calls run beside Playwright's event loop.)"""
    from chat2chart.dashboards.embedding import embed_origins_update
    from chat2chart.dashboards.models import EmbedSettings
    from chat2chart.sources import services as source_services

    alpha = workspaces.get("alpha") or workspaces["default"]
    settings.MEDIA_ROOT = Path(live_server.data_dir) / "files"
    admin = alpha.users["admin"]
    with committed(), alpha.activate():
        data = build_sales_data(alpha, tmp_path)
        try:
            dashboard = make_dashboard(data, widgets=("revenue", "rows"))
            secret = set_up_embedding(alpha)
            yield alpha, dashboard, secret
        finally:
            embed_origins_update(actor=Principal.for_user(admin), origins=[])
            EmbedSettings.objects.all().delete()
            for source in (data.sales, data.targets):
                source_services.source_delete(
                    source=source, principal=Principal.for_user(alpha.users["owner"])
                )
            dashboard.delete()


def test_an_embedded_dashboard_draws_only_the_locked_customers_rows(
    embedded, live_server, page, committed, tmp_path
):
    from chat2chart.dashboards.embedding import embed_origins_update

    alpha, dashboard, secret = embedded
    token = sign(alpha, secret, dashboard.pk, params={"customer_id": 1}, minutes=10)
    embed_url = live_server.url(alpha, f"/embed/dashboard/{token}")
    site = tmp_path / "site"
    site.mkdir()
    (site / "index.html").write_text(
        "<!DOCTYPE html><html><head><title>Customer portal</title>"
        '<link rel="icon" href="data:,"></head><body>'
        "<h1>Acme customer portal</h1>"
        f'<iframe id="report" src="{embed_url}" width="1200" height="760" title="Sales report"></iframe>'
        "</body></html>"
    )
    with customer_site(site) as origin:
        with committed(), alpha.activate():
            embed_origins_update(actor=Principal.for_user(alpha.users["admin"]), origins=[origin])
        page.goto(f"{origin}/index.html")
        frame = page.frame_locator("#report")
        frame.locator("[data-widget-id]").first.wait_for()
        embedded_frame = next(f for f in page.frames if "/embed/dashboard/" in f.url)
        embedded_frame.wait_for_function(ALL_LOADED)

        painted = 0
        for _ in range(40):  # ECharts animates in
            painted = embedded_frame.evaluate(PAINTED_PIXELS)
            if painted > 2000:
                break
            page.wait_for_timeout(250)
        assert painted > 2000, f"the chart canvas is nearly blank ({painted} painted pixels)"

        cells = frame.locator("table td").all_text_contents()
        assert cells, "the table widget shows no rows"
        first_column = frame.locator("table tbody tr td:first-child").all_text_contents()
        assert set(first_column) == {"1"}, first_column
        assert frame.locator(".widget__error").count() == 0

        # All widgets at once (the server runs them in parallel threads) agree with the page.
        everything = embedded_frame.evaluate(
            "async (url) => (await fetch(url)).json()", f"/embed/dashboard/{token}/data/"
        )
        assert [w.get("error") for w in everything["widgets"]] == [None, None]
        rows = next(w for w in everything["widgets"] if w["kind"] == "table")["data"]["rows"]
        assert {row[0] for row in rows} == {1}

        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "embed.png"), full_page=True)
    assert page.console_errors == [], page.console_errors


def test_an_origin_not_allowed_cannot_frame_the_embed(embedded, live_server, page, tmp_path):
    alpha, dashboard, secret = embedded
    token = sign(alpha, secret, dashboard.pk, params={"customer_id": 1})
    site = tmp_path / "site"
    site.mkdir()
    embed_url = live_server.url(alpha, f"/embed/dashboard/{token}")
    (site / "index.html").write_text(
        f'<iframe id="report" src="{embed_url}" width="800" height="400"></iframe>'
    )
    with customer_site(site) as origin:
        page.goto(f"{origin}/index.html")
        page.wait_for_timeout(1500)
        framed = [f for f in page.frames if "/embed/dashboard/" in f.url]
        # Chromium blocks the frame (frame-ancestors 'self'): nothing of the dashboard loads in it.
        assert not framed or framed[0].locator("[data-widget-id]").count() == 0
