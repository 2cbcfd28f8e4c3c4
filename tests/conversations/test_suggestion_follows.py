# SPDX-License-Identifier: MIT
"""A suggestion under an older answer builds on that answer, not on the latest one: the question carries the
answer it follows (`follows`), over the JSON API and the websocket; an answer of another conversation or
organisation is refused."""

from __future__ import annotations

import io

import pandas as pd
import pytest

from tests.sources.fixtures_api import SALES_CSV, upload_source


@pytest.fixture(autouse=True)
def _rule_planner(settings):
    settings.AISER_LLM_MODEL = ""


def _conversation(client) -> int:
    uploaded = upload_source(client, SALES_CSV, file_name="sales.csv")
    assert uploaded.status_code == 201, uploaded.content
    created = client.post(
        "/api/v1/conversations/",
        {"source": uploaded.json()["id"], "table": "sales"},
        content_type="application/json",
    )
    assert created.status_code == 201, created.content
    return created.json()["id"]


def _ask(client, conversation: int, question: str, **extra) -> tuple[int, dict]:
    response = client.post(
        f"/api/v1/conversations/{conversation}/messages/",
        {"content": question, **extra},
        content_type="application/json",
    )
    return response.status_code, response.json()


def test_a_follow_up_of_an_older_answer_builds_on_that_answer(alpha):
    client = alpha.client()
    conversation = _conversation(client)
    _, by_region = _ask(client, conversation, "total revenue by region")
    _, by_product = _ask(client, conversation, "total quantity by product")
    assert next(c["name"] for c in by_product["data"]["columns"]) == "product"

    frame = pd.read_csv(io.StringIO(SALES_CSV))
    # Without `follows` the words build on the latest answer...
    _, latest = _ask(client, conversation, "as a pie chart")
    assert {row[0] for row in latest["data"]["rows"]} == set(frame["product"])

    # ...with it, on the answer the suggestion was under.
    status, answer = _ask(client, conversation, "as a pie chart", follows=by_region["id"])
    assert status == 201, answer
    assert answer["chart"]["type"] == "pie"
    expected = frame.groupby("region").revenue.sum().to_dict()
    got = {row[0]: row[1] for row in answer["data"]["rows"]}
    assert got == pytest.approx(expected)


def test_follows_must_name_an_answer_of_this_conversation(alpha, beta):
    client = alpha.client()
    first = _conversation(client)
    second = _conversation(client)
    _, answer = _ask(client, first, "total revenue by region")
    status, body = _ask(client, second, "as a pie chart", follows=answer["id"])
    assert status == 404, body
    assert "no answer" in str(body).lower()

    other_client = beta.client()
    other = _conversation(other_client)
    status, body = _ask(other_client, other, "as a pie chart", follows=answer["id"])
    assert status == 404, body


def test_follows_is_validated(alpha):
    client = alpha.client()
    conversation = _conversation(client)
    status, body = _ask(client, conversation, "revenue by region", follows="first")
    assert status == 400, body
