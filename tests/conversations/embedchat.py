# SPDX-License-Identifier: MIT
"""Shared by the embedded chat tests: an orders file of two customers (42 and 43, who alone sells in
the West), chat tokens as a customer's backend signs them, and the expected numbers computed with
pandas from the same file."""

from __future__ import annotations

import io
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pandas as pd

from tests.dashboards.conftest import create_file_source


def _orders_csv() -> str:
    lines = ["customer_id,order_date,region,revenue"]
    for month in range(1, 7):
        lines.append(f"42,2024-{month:02d}-05,North,{100 + 10 * month}")
        lines.append(f"42,2024-{month:02d}-20,South,{50 + 5 * month}")
        lines.append(f"43,2024-{month:02d}-07,North,{1000 + 100 * month}")
        lines.append(f"43,2024-{month:02d}-22,West,{700 + 3 * month}")
    return "\n".join(lines) + "\n"


ORDERS_CSV = _orders_csv()
FRAME = pd.read_csv(io.StringIO(ORDERS_CSV), parse_dates=["order_date"])
NOT_AVAILABLE = "This chat is not available."


def total_revenue(customer: int) -> float:
    return float(FRAME[FRAME.customer_id == customer].revenue.sum())


def revenue_by_region(customer: int) -> dict[str, float]:
    rows = FRAME[FRAME.customer_id == customer].groupby("region").revenue.sum()
    return {str(region): float(value) for region, value in rows.items()}


def create_orders(workspace: Any, folder: Path) -> tuple[Any, str]:
    """The orders source and its table name (call inside `workspace.activate()`)."""
    source = create_file_source(
        name="Orders",
        file_name="orders.csv",
        content=ORDERS_CSV,
        owner=workspace.users["owner"],
        folder=folder,
    )
    return source, source.tables.get(is_current=True).name


def sign_chat(
    workspace: Any,
    secret: str,
    source_id: int,
    table: str,
    *,
    user: str = "end-user-42",
    name: str = "Ada",
    params: Any = None,
    minutes: float = 10,
    **optional: Any,
) -> str:
    from chat2chart.conversations.embed import sign_chat_token

    return sign_chat_token(
        secret=secret,
        audience=workspace.workspace_name,
        source_id=source_id,
        table=table,
        user_id=user,
        user_name=name,
        expires_at=datetime.now(UTC) + timedelta(minutes=minutes),
        params={"customer_id": 42} if params is None else params,
        **optional,
    )


def ask_embedded(
    workspace: Any, token: str, question: str, *, follows: int | None = None, **headers: Any
) -> Any:
    """POST a question as the widget does: from the product's own origin (override with HTTP_ORIGIN)."""
    headers.setdefault("HTTP_ORIGIN", f"https://{workspace.host}")
    return workspace.anonymous_client().post(
        f"/embed/chat/{token}/messages/",
        json.dumps({"content": question, "follows": follows}),
        content_type="application/json",
        **headers,
    )


def sse_events(response: Any) -> list[dict[str, Any]]:
    """The events of a Server-Sent Events response, in order."""
    text = b"".join(response.streaming_content).decode()
    events = []
    for block in text.split("\n\n"):
        data = [line[6:] for line in block.split("\n") if line.startswith("data: ")]
        if data:
            events.append(json.loads(data[0]))
    return events


def answer_values(answer: dict[str, Any]) -> dict[str, float]:
    """{first column: last column} of an answer's data (a grouping and its measure)."""
    return {str(row[0]): float(row[-1]) for row in answer["data"]["rows"]}


def single_value(answer: dict[str, Any]) -> float:
    rows = answer["data"]["rows"]
    assert len(rows) == 1, rows
    return float(rows[0][-1])
