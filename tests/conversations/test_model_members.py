# SPDX-License-Identifier: MIT
"""Questions in the words of a semantic model, through the conversations API: "margin by customer
segment" on the orders table answers from `orders.margin` by `customers.segment` across the join, with
the model's titles and formats, and the numbers pandas computes from the uploaded sheets. Words that
are not members, and tables without a model, are answered as before; another organisation's model
never answers."""

from __future__ import annotations

from typing import Any

import pandas as pd
import pytest

from tests.semantic.shop import shop_frames
from tests.semantic.test_api import ROWS, upload_shop
from tests.sources.fixtures_api import post_json

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
        title: Customer segment
        synonyms: [tier]
  - name: orders
    sql_table: orders
    joins:
      - name: customers
        relationship: many_to_one
        sql: "{{CUBE}}.customer_id = {{customers}}.id"
    measures:
      - name: count
        type: count
        title: Orders
      - name: margin
        type: sum
        sql: "{{CUBE}}.shipping * 0.4"
        title: Margin
        synonyms: [profit]
        format: currency
        currency: EUR
    dimensions:
      - name: id
        type: number
        primary_key: true
      - name: status
        type: string
      - name: created_at
        type: time
        title: Order date
"""


@pytest.fixture
def shop(alpha) -> dict[str, Any]:
    client = alpha.client("editor")
    source = upload_shop(client)
    created = post_json(
        client, "/api/v1/semantic/models/", {"name": "Shop", "yaml": MODEL_YAML.format(source=source)}
    )
    assert created.status_code == 201, created.content
    return {"client": client, "source": source}


def _conversation(client: Any, source: int, table: str) -> Any:
    created = post_json(client, "/api/v1/conversations/", {"source": source, "table": table})
    assert created.status_code == 201, created.content
    conversation = created.json()["id"]

    def ask(question: str) -> dict[str, Any]:
        response = post_json(client, f"/api/v1/conversations/{conversation}/messages/", {"content": question})
        assert response.status_code == 201, response.content
        answer = response.json()
        assert answer["status"] == "done", answer
        return answer

    return ask


def _rows(answer: dict[str, Any]) -> dict[Any, float]:
    return {row[0]: round(float(row[1]), 4) for row in answer["data"]["rows"]}


def _margin_by_segment() -> dict[str, float]:
    frames = shop_frames(ROWS)
    joined = frames["orders"].merge(frames["customers"], left_on="customer_id", right_on="id", how="left")
    joined["margin"] = joined["shipping"].astype(float) * 0.4
    return {k: round(float(v), 4) for k, v in joined.groupby("segment")["margin"].sum().items()}


def test_margin_by_customer_segment_answers_across_the_join_like_pandas(shop):
    ask = _conversation(shop["client"], shop["source"], "orders")

    answer = ask("margin by customer segment")

    assert answer["planner"] == "model"
    assert _rows(answer) == _margin_by_segment()
    columns = answer["data"]["columns"]
    assert [c["name"] for c in columns] == ["Customer segment", "Margin"]
    assert [c["member"] for c in columns] == ["customers.segment", "orders.margin"]
    assert columns[1]["format"] == "currency:EUR"
    assert answer["query"]["measures"] == ["orders.margin"]
    assert answer["chart"]["type"] in ("bar", "column", "pie", "donut")
    assert "Margin by Customer segment" in answer["explanation"]
    top = max(_margin_by_segment().items(), key=lambda item: item[1])
    assert answer["narrative"].startswith(f"{top[0]} has the highest margin")


def test_synonyms_from_the_model_name_the_same_members(shop):
    ask = _conversation(shop["client"], shop["source"], "orders")

    answer = ask("profit per tier")

    assert answer["planner"] == "model"
    assert _rows(answer) == _margin_by_segment()


def test_a_top_n_and_a_named_chart_are_kept(shop):
    ask = _conversation(shop["client"], shop["source"], "orders")

    answer = ask("top 2 customer segments by margin as a pie chart")

    ranked = sorted(_margin_by_segment().items(), key=lambda item: -item[1])[:2]
    assert answer["planner"] == "model"
    assert [(row[0], round(float(row[1]), 4)) for row in answer["data"]["rows"]] == ranked
    assert answer["chart"]["type"] == "pie"


def test_a_value_of_a_joined_dimension_filters_the_measure(shop):
    ask = _conversation(shop["client"], shop["source"], "orders")

    answer = ask("margin by status for retail customers")

    frames = shop_frames(ROWS)
    joined = frames["orders"].merge(frames["customers"], left_on="customer_id", right_on="id", how="left")
    retail = joined[joined["segment"] == "retail"]
    want = {k: round(float(v) * 0.4, 4) for k, v in retail.groupby("status")["shipping"].sum().items()}
    assert answer["planner"] == "model"
    assert {k: round(v, 2) for k, v in _rows(answer).items()} == {k: round(v, 2) for k, v in want.items()}
    assert answer["query"]["filters"] == [{"field": "customers.segment", "op": "eq", "value": "retail"}]


def test_a_count_by_month_uses_the_measures_time_dimension(shop):
    ask = _conversation(shop["client"], shop["source"], "orders")

    answer = ask("number of orders by month")

    orders = shop_frames(ROWS)["orders"]
    months = pd.to_datetime(orders["created_at"]).dt.to_period("M").dt.start_time.dt.date
    want = {str(month): count for month, count in months.value_counts().sort_index().items()}
    got = {str(row[0])[:10]: row[1] for row in answer["data"]["rows"]}
    assert answer["planner"] == "model"
    assert got == want
    assert answer["data"]["columns"][0]["name"] == "Order date (month)"


def test_words_that_are_not_members_are_answered_by_the_table_planner(shop):
    ask = _conversation(shop["client"], shop["source"], "orders")

    answer = ask("total shipping by status")  # shipping is a column of orders, not a member

    assert answer["planner"] != "model"
    orders = shop_frames(ROWS)["orders"]
    want = {k: round(float(v), 4) for k, v in orders.groupby("status")["shipping"].sum().items()}
    assert _rows(answer) == want


def test_a_table_without_a_model_keeps_todays_answers(shop):
    ask = _conversation(shop["client"], shop["source"], "order_lines")

    answer = ask("total quantity by product")

    assert answer["planner"] != "model"
    lines = shop_frames(ROWS)["order_lines"]
    assert _rows(answer) == {k: float(v) for k, v in lines.groupby("product")["quantity"].sum().items()}


def test_another_organisations_model_never_answers(shop, beta):
    client = beta.client("editor")
    ask = _conversation(client, upload_shop(client), "orders")

    answer = ask("margin by customer segment")

    assert answer["planner"] != "model"
    assert answer["data"] is None or _rows(answer) != _margin_by_segment()
