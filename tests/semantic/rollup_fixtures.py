# SPDX-License-Identifier: MIT
"""Sales rows for the rollup tests: a CSV to upload, the same rows as a pandas frame to check answers
against, and a model with a daily rollup partitioned by month."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

import pandas as pd

from tests.sources.fixtures_api import post_json, upload_source

REGIONS = ["North", "South", "East", "West"]
PRODUCTS = ["Widget", "Gadget", "Gizmo"]

MODEL_YAML = """\
source: {source}
cubes:
  - name: sales
    sql_table: sales
    measures:
      - {{name: count, type: count}}
      - {{name: amount, type: sum, sql: amount}}
      - {{name: average, type: avg, sql: amount}}
      - {{name: smallest, type: min, sql: quantity}}
      - {{name: largest, type: max, sql: quantity}}
      - {{name: buyers, type: count_distinct, sql: customer}}
      - {{name: per_sale, type: number, sql: "{{amount}} / {{count}}"}}
      - name: last_week
        type: sum
        sql: amount
        rolling_window: {{trailing: 7 day}}
    dimensions:
      - {{name: id, type: number, primary_key: true}}
      - {{name: region, type: string}}
      - {{name: product, type: string}}
      - {{name: sold_at, type: time}}
    segments:
      - {{name: north, sql: "{{CUBE}}.region = 'North'"}}
      - {{name: gadgets, sql: "{{CUBE}}.product = 'Gadget'"}}
    pre_aggregations:
      - name: by_day
        measures: [count, amount, average, smallest, largest, buyers]
        dimensions: [region]
        time_dimension: sold_at
        granularity: day
        partition_granularity: month
"""


def sales_rows(count: int = 600, seed: int = 7) -> list[tuple[Any, ...]]:
    """(id, sold_at, region, product, customer, quantity, amount), January to mid-April 2024."""
    rng = random.Random(seed)
    start = datetime(2024, 1, 1)
    rows = []
    for i in range(1, count + 1):
        moment = start + timedelta(minutes=rng.randrange(0, 105 * 24 * 60))
        amount = round(rng.uniform(1, 250), 2) if rng.random() > 0.05 else None
        rows.append(
            (
                i,
                moment.strftime("%Y-%m-%d %H:%M:%S"),
                rng.choice(REGIONS),
                rng.choice(PRODUCTS),
                f"c{rng.randrange(60)}",
                rng.randrange(1, 20),
                amount,
            )
        )
    return rows


def sales_csv(rows: list[tuple[Any, ...]]) -> str:
    lines = ["id,sold_at,region,product,customer,quantity,amount"]
    lines += [",".join("" if v is None else str(v) for v in row) for row in rows]
    return "\n".join(lines) + "\n"


def sales_frame(rows: list[tuple[Any, ...]]) -> pd.DataFrame:
    frame = pd.DataFrame(
        rows, columns=["id", "sold_at", "region", "product", "customer", "quantity", "amount"]
    )
    frame["sold_at"] = pd.to_datetime(frame["sold_at"])
    frame["amount"] = frame["amount"].astype(float)
    return frame


def upload_sales(client: Any, rows: list[tuple[Any, ...]], name: str = "Sales") -> int:
    created = upload_source(client, sales_csv(rows), file_name="sales.csv", name=name)
    assert created.status_code == 201, created.content
    return created.json()["id"]


def create_model(client: Any, source: int, text: str = MODEL_YAML, name: str = "Sales") -> int:
    response = post_json(
        client, "/api/v1/semantic/models/", {"name": name, "yaml": text.format(source=source)}
    )
    assert response.status_code == 201, response.content
    return response.json()["id"]


def build(client: Any, model: int, name: str = "sales.by_day") -> dict[str, Any]:
    response = client.post(f"/api/v1/semantic/models/{model}/rollups/{name}/build/")
    assert response.status_code == 200, response.content
    return response.json()


def rollups(client: Any, model: int) -> dict[str, dict[str, Any]]:
    response = client.get(f"/api/v1/semantic/models/{model}/rollups/")
    assert response.status_code == 200, response.content
    return {entry["name"]: entry for entry in response.json()}


def ask(client: Any, model: int, query: dict[str, Any], *, use_rollups: bool = True) -> dict[str, Any]:
    body = {"model": model, "query": query, "use_rollups": use_rollups}
    response = post_json(client, "/api/v1/semantic/query/", body)
    assert response.status_code == 200, response.content
    return response.json()
