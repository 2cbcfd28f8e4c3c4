# SPDX-License-Identifier: MIT
"""Analysis widgets on dashboards (forecast, unusual values, what changed, insight) read the data the
dashboard's filters and an embed's locked values allow, like every widget: a region filter changes the
forecast's input, a token locked to one customer forecasts that customer's revenue only, and two
organisations each see their own numbers. Checked against the engine run on series made with pandas."""

from __future__ import annotations

import io
import json
from datetime import date, timedelta
from typing import Any

import pandas as pd
import pytest

from chat2chart.analytics import forecast
from chat2chart.core.principal import Principal
from tests.dashboards.conftest import create_file_source, set_up_embedding, sign, widgets_by_title


def _csv(scale: float) -> str:
    lines = ["order_date,customer_id,region,revenue"]
    day, n = date(2023, 1, 1), 0
    while day <= date(2024, 12, 31):
        for customer, region, base in ((1, "North", 100.0), (2, "South", 400.0), (3, "North", 50.0)):
            revenue = scale * base * (1 + 0.0005 * n) * (1.3 if day.weekday() == 5 else 1.0) + (n * 7) % 11
            if customer == 2 and (day.year, day.month) == (2024, 12):
                revenue *= 0.5  # the South customer halves in December: the driver of the change
            lines.append(f"{day},{customer},{region},{revenue:.2f}")
        day += timedelta(days=1)
        n += 1
    return "\n".join(lines) + "\n"


WIDGETS = {"Forecast": "forecast", "Unusual": "anomalies", "What changed": "drivers", "Insight": "insight"}


def _dashboard(workspace: Any, folder: Any, csv: str) -> Any:
    from chat2chart.dashboards import services

    owner = workspace.users["owner"]
    with workspace.activate():
        source = create_file_source(
            name="Orders", file_name="orders.csv", content=csv, owner=owner, folder=folder
        )
        table = source.tables.get(is_current=True).name
        dashboard = services.dashboard_create(principal=Principal.for_user(owner), title="Orders analysis")
        for index, (title, kind) in enumerate(WIDGETS.items()):
            dimensions = [{"field": "order_date", "granularity": "month"}]
            if kind in ("drivers", "insight"):
                dimensions += [{"field": "region"}, {"field": "customer_id"}]
            services.widget_create(
                dashboard=dashboard,
                principal=Principal.for_user(owner),
                kind=kind,
                title=title,
                query={
                    "source": source.pk,
                    "table": table,
                    "measures": [{"field": "revenue", "agg": "sum"}],
                    "dimensions": dimensions,
                },
                x=(index % 2) * 6,
                y=(index // 2) * 4,
            )
        # A filter names a column of the dashboard's tables, so it comes once the widgets read one.
        dashboard = services.dashboard_update(
            dashboard=dashboard,
            principal=Principal.for_user(owner),
            filters=[{"field": "region", "kind": "values"}],
        )
    return dashboard


def _monthly(csv: str, **where: Any) -> pd.Series:
    frame = pd.read_csv(io.StringIO(csv), parse_dates=["order_date"])
    for column, value in where.items():
        frame = frame[frame[column] == value]
    return frame.set_index("order_date").revenue.resample("MS").sum()


def _forecast_means(widget: dict) -> list[float]:
    series = {s["name"]: s for s in widget["option"]["series"]}
    return [v for v in series["Forecast"]["data"] if v is not None]


def _gold(monthly: pd.Series) -> list[float]:
    found = forecast.forecast(list(monthly.index), monthly.to_numpy(), horizon=6, measure="revenue")
    return [max(p.mean, 0.0) for p in found.points]


@pytest.fixture
def alpha_board(alpha, tmp_path):
    return _dashboard(alpha, tmp_path, _csv(1.0))


def _data(workspace: Any, dashboard: Any, query: str = "") -> dict[str, dict]:
    response = workspace.client("viewer").get(f"/api/v1/dashboards/{dashboard.pk}/data/{query}")
    return widgets_by_title(response)


def test_each_analysis_widget_draws_the_engines_evidence(alpha, alpha_board):
    widgets = _data(alpha, alpha_board)
    assert all("error" not in w for w in widgets.values()), widgets
    assert _forecast_means(widgets["Forecast"]) == pytest.approx(_gold(_monthly(_csv(1.0))), rel=1e-6)
    assert widgets["Forecast"]["insight"].startswith("Forecast of revenue for the next 6 months")
    assert "markPoint" in widgets["Unusual"]["option"]["series"][0]
    changed = widgets["What changed"]
    monthly = _monthly(_csv(1.0))
    assert changed["insight"].startswith(
        f"Revenue fell from {monthly['2024-11-01']:,.0f} in November 2024 to {monthly['2024-12-01']:,.0f}"
    )
    south = _monthly(_csv(1.0), region="South")
    south_change = south["2024-12-01"] - south["2024-11-01"]
    total_change = monthly["2024-12-01"] - monthly["2024-11-01"]
    from chat2chart.conversations.narrative_shapes import format_number

    # South fell by more than the whole drop (others rose): said in plain words, never as a share > 100 %.
    assert south_change / total_change > 1
    assert (
        f"Region South fell by {format_number(-south_change)}, more than the whole drop of "
        f"{format_number(-total_change)}, because the other region values together rose by "
        f"{format_number(total_change - south_change)}"
    ) in changed["insight"]
    assert "most of it customer id 2 (100 % of it" in changed["insight"]
    assert widgets["Insight"]["insight"]
    assert widgets["Insight"]["option"]["series"]


def test_a_dashboard_filter_changes_the_forecasts_input(alpha, alpha_board):
    widget = _data(alpha, alpha_board, "?filter.region=North")["Forecast"]
    north = _monthly(_csv(1.0), region="North")
    history = [v for v in widget["option"]["series"][0]["data"] if v is not None]
    assert history == pytest.approx(north.tolist())
    assert _forecast_means(widget) == pytest.approx(_gold(north), rel=1e-6)


def test_an_embed_locked_to_one_customer_forecasts_only_that_customer(alpha, alpha_board):
    with alpha.activate():
        secret = set_up_embedding(alpha)
    token = sign(alpha, secret, alpha_board.pk, params={"customer_id": 1})
    response = alpha.anonymous_client().get(f"/embed/dashboard/{token}/data/")
    widgets = widgets_by_title(response)
    customer = _monthly(_csv(1.0), customer_id=1)
    history = [v for v in widgets["Forecast"]["option"]["series"][0]["data"] if v is not None]
    assert history == pytest.approx(customer.tolist())
    assert _forecast_means(widgets["Forecast"]) == pytest.approx(_gold(customer), rel=1e-6)
    # The breakdown is of the customer's own change only: no other customer appears in it.
    changed = widgets["What changed"]
    assert "customer id 2" not in json.dumps(changed["option"])
    assert f"from {customer['2024-11-01']:,.0f} in November 2024" in changed["insight"]


def test_two_organisations_each_see_the_analysis_of_their_own_data(alpha, beta, alpha_board, tmp_path):
    (tmp_path / "beta").mkdir()
    beta_board = _dashboard(beta, tmp_path / "beta", _csv(3.0))
    alpha_forecast = _data(alpha, alpha_board)["Forecast"]
    beta_forecast = _data(beta, beta_board)["Forecast"]
    assert _forecast_means(alpha_forecast) == pytest.approx(_gold(_monthly(_csv(1.0))), rel=1e-6)
    assert _forecast_means(beta_forecast) == pytest.approx(_gold(_monthly(_csv(3.0))), rel=1e-6)
