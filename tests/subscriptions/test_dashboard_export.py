# SPDX-License-Identifier: MIT
"""A dashboard exported from its Share menu: a PDF document or a PNG of the whole page, drawn on the
server by headless Chromium as the signed-in viewer sees it, with the filters picked on the page."""

from __future__ import annotations

from typing import Any

import pytest

from tests.dashboards.conftest import build_sales_data, make_dashboard
from tests.subscriptions.test_subscriptions import _drawn_pixels

pytestmark = pytest.mark.django_db


@pytest.fixture
def report(alpha: Any, tmp_path: Any) -> Any:
    """A sales dashboard (revenue by month, filterable by region) in alpha."""
    with alpha.activate():
        data = build_sales_data(alpha, tmp_path)
        return make_dashboard(data, widgets=("revenue",), filters=[{"field": "region", "kind": "values"}])


def test_the_dashboard_downloads_as_a_pdf_with_its_title_as_the_file_name(alpha: Any, report: Any) -> None:
    response = alpha.client("viewer").get(f"/dashboards/{report.pk}/export.pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == f'attachment; filename="{report.title}.pdf"'
    assert response.content.startswith(b"%PDF-")
    assert response.content.rstrip().endswith(b"%%EOF")


def test_the_dashboard_downloads_as_a_drawn_png_of_the_whole_page(alpha: Any, report: Any) -> None:
    response = alpha.client("viewer").get(f"/dashboards/{report.pk}/export.png", {"filter.region": "North"})
    assert response.status_code == 200
    assert response["Content-Type"] == "image/png"
    assert _drawn_pixels(response.content) > 2_000  # the chart, its axes and labels, not a blank page


def test_a_filter_the_dashboard_does_not_offer_is_refused_with_a_message(alpha: Any, report: Any) -> None:
    client = alpha.client("viewer")
    response = client.get(f"/dashboards/{report.pk}/export.pdf", {"filter.regoin": "North"})
    assert response.status_code == 302
    page = client.get(response["Location"]).content.decode()
    assert "The export failed" in page


def test_other_formats_and_other_organisations_get_404(alpha: Any, beta: Any, report: Any) -> None:
    assert alpha.client("viewer").get(f"/dashboards/{report.pk}/export.svg").status_code == 404
    with beta.activate():
        from chat2chart.dashboards.models import Dashboard

        assert not Dashboard.objects.filter(pk=report.pk).exists()
    assert beta.client("owner").get(f"/dashboards/{report.pk}/export.pdf").status_code == 404
    assert alpha.anonymous_client().get(f"/dashboards/{report.pk}/export.pdf").status_code == 302  # sign in
