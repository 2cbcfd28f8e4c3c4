# SPDX-License-Identifier: MIT
"""Cross-filtering and drill-through: clicking a chart element filters the dashboard by its value (the
data endpoint with that value picked) and lists the rows behind it through the normal query path, with
the dashboard's filters kept. Numbers are checked against pandas over the uploaded file."""

from __future__ import annotations

import io
import json
from urllib.parse import urlencode

import pandas as pd
import pytest

from chat2chart.core.principal import Principal
from tests.dashboards.conftest import SALES_CSV, widgets_by_title

API = "/api/v1/dashboards/"
SALES = pd.read_csv(io.StringIO(SALES_CSV))


@pytest.fixture
def by_region(alpha, sales, dashboard):
    """A table widget of revenue by region on the sales dashboard."""
    from chat2chart.dashboards import services

    with alpha.activate():
        widget = services.widget_create(
            dashboard=dashboard,
            principal=Principal.for_user(alpha.users["owner"]),
            kind="table",
            title="Revenue by region",
            query={
                "source": sales.sales.pk,
                "table": sales.sales_table,
                "dimensions": [{"field": "region"}],
                "measures": [{"field": "revenue", "agg": "sum"}],
            },
        )
    return widget


def drill(client, dashboard, widget_id, **params):
    return client.get(f"{API}{dashboard.pk}/widgets/{widget_id}/drill/?{urlencode(params, doseq=True)}")


def frame(body):
    columns = [c["name"] for c in body["columns"]]
    return pd.DataFrame(body["rows"], columns=columns)


def test_the_rows_behind_a_region_are_that_regions_rows(alpha, dashboard, by_region):
    response = drill(alpha.client("viewer"), dashboard, by_region.pk, field="region", value="North")
    assert response.status_code == 200, response.content
    rows = frame(response.json())
    expected = SALES[SALES.region == "North"]
    assert rows["rows"].sum() == len(expected)
    assert (rows["revenue"] * rows["rows"]).sum() == expected.revenue.sum()
    assert set(rows["region"]) == {"North"}


def test_the_rows_behind_a_month_keep_the_dashboard_filters(alpha, sales, dashboard):
    with alpha.activate():
        chart = dashboard.widgets.get(chart_id=sales.charts["revenue"].pk)
    response = drill(
        alpha.client("viewer"),
        dashboard,
        chart.pk,
        field="month",
        value="2024-01-01",
        **{"filter.region": "South"},
    )
    assert response.status_code == 200, response.content
    rows = frame(response.json())
    expected = SALES[(SALES.month == "2024-01-01") & (SALES.region == "South")]
    assert rows["rows"].sum() == len(expected) == 1
    assert rows["revenue"].tolist() == expected.revenue.tolist()
    assert rows["customer_id"].tolist() == expected.customer_id.tolist()


def test_cross_filtering_by_a_clicked_region_changes_every_widget_that_has_it(
    alpha, sales, dashboard, by_region
):
    """The page turns a click into the region filter; the data endpoint then answers with that value."""
    body = widgets_by_title(alpha.client("viewer").get(f"{API}{dashboard.pk}/data/?filter.region=South"))
    by_month = body["Revenue by month"]["data"]["rows"]
    expected = SALES[SALES.region == "South"].groupby("month").revenue.sum()
    assert [row[1] for row in by_month] == expected.tolist()
    assert body["Revenue by region"]["data"]["rows"] == [
        ["South", SALES[SALES.region == "South"].revenue.sum()]
    ]


def test_drill_through_is_refused_on_a_field_the_widget_does_not_group_by(alpha, dashboard, by_region):
    response = drill(alpha.client("viewer"), dashboard, by_region.pk, field="revenue", value="100")
    assert response.status_code == 400
    assert "groups by region" in response.json()["error"]["message"]


def test_another_organisation_cannot_drill_into_a_dashboard(alpha, beta, dashboard, by_region):
    response = drill(beta.client("owner"), dashboard, by_region.pk, field="region", value="North")
    assert response.status_code == 404
    assert drill(
        alpha.anonymous_client(), dashboard, by_region.pk, field="region", value="North"
    ).status_code in (
        401,
        403,
    )
    assert json.loads(
        drill(alpha.client("viewer"), dashboard, by_region.pk, field="region", value="North").content
    )["rows"]


# --- embedded dashboards: drill-through only when the token asks for it, inside the locked values ----


def _embed_drill(workspace, token, widget_id, **params):
    return workspace.anonymous_client().get(
        f"/embed/dashboard/{token}/widgets/{widget_id}/drill/?{urlencode(params, doseq=True)}"
    )


def test_an_embed_token_drills_only_when_it_asks_and_only_inside_its_locked_values(
    alpha, beta, dashboard, by_region
):
    from tests.dashboards.conftest import set_up_embedding, sign

    with alpha.activate():
        secret = set_up_embedding(alpha)
    plain = sign(alpha, secret, dashboard.pk, params={"customer_id": 1})
    drilling = sign(alpha, secret, dashboard.pk, params={"customer_id": 1}, drill=True)

    # The page offers drill-through only to the token that asks for it.
    assert b"data-drill-dialog" not in alpha.anonymous_client().get(f"/embed/dashboard/{plain}").content
    page = alpha.anonymous_client().get(f"/embed/dashboard/{drilling}")
    assert b"data-drill-dialog" in page.content
    assert b"/widgets/0/drill/" in page.content

    refused = _embed_drill(alpha, plain, by_region.pk, field="region", value="North")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "This dashboard is not available."

    response = _embed_drill(alpha, drilling, by_region.pk, field="region", value="North")
    assert response.status_code == 200, response.content
    rows = frame(response.json())
    expected = SALES[(SALES.region == "North") & (SALES.customer_id == 1)]
    assert rows["rows"].sum() == len(expected)
    assert (rows["revenue"] * rows["rows"]).sum() == pytest.approx(expected.revenue.sum())
    assert set(rows["customer_id"]) <= {1}

    # Asking for another customer's rows through the clicked value or the URL stays inside the lock.
    crossed = _embed_drill(alpha, drilling, by_region.pk, field="region", value="North", customer_id=2)
    assert set(frame(crossed.json())["customer_id"]) <= {1}
    # Another organisation's host does not accept the token.
    assert _embed_drill(beta, drilling, by_region.pk, field="region", value="North").status_code in (403, 404)
