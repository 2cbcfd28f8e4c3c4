# SPDX-License-Identifier: MIT
"""An organisation limits the questions each embedded chat end user may ask per calendar month (read in
the organisation's time zone): the end user gets a plain refusal in the chat, other end users and other
organisations are untouched, and the next month starts afresh."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

import pytest
import time_machine

from chat2chart.core.principal import Principal
from tests.conversations.embedchat import ask_embedded, create_orders, sign_chat, single_value, total_revenue
from tests.dashboards.conftest import set_up_embedding

YOUR_QUESTIONS_USED_UP = (
    "You have asked all the questions this chat answers this month. Ask again next month."
)
# 23:30 in Berlin on the last day of January, then 00:30 on the first of February (still January in UTC).
LAST_HOUR_OF_JANUARY = datetime(2027, 1, 31, 22, 30, tzinfo=UTC)
FIRST_HOUR_OF_FEBRUARY = datetime(2027, 1, 31, 23, 30, tzinfo=UTC)


@pytest.fixture(autouse=True)
def _rule_planner(settings: Any) -> None:
    settings.AISER_LLM_MODEL = ""


def _orders(workspace: Any, folder: Any) -> tuple[Any, str, str]:
    folder.mkdir()
    with workspace.activate():
        source, table = create_orders(workspace, folder)
        return source, table, set_up_embedding(workspace)


def test_admins_set_the_monthly_questions_per_end_user_in_the_embed_settings(alpha, beta):
    refused = alpha.client("viewer").patch(
        "/api/v1/embedding/", {"questions_per_user_month": 5}, content_type="application/json"
    )
    assert refused.status_code == 403
    response = alpha.client("owner").patch(
        "/api/v1/embedding/", {"questions_per_user_month": 5}, content_type="application/json"
    )
    assert response.status_code == 200, response.content
    assert response.json()["questions_per_user_month"] == 5
    assert alpha.client("owner").get("/api/v1/embedding/").json()["questions_per_user_month"] == 5
    assert beta.client("owner").get("/api/v1/embedding/").json()["questions_per_user_month"] is None
    bad = alpha.client("owner").patch(
        "/api/v1/embedding/", {"questions_per_user_month": -1}, content_type="application/json"
    )
    assert bad.status_code == 400
    cleared = alpha.client("owner").patch(
        "/api/v1/embedding/", {"questions_per_user_month": None}, content_type="application/json"
    )
    assert cleared.json()["questions_per_user_month"] is None


def test_an_end_user_is_refused_after_the_monthly_questions_until_the_next_month(alpha, beta, tmp_path):
    from chat2chart.workspaces.services import workspace_settings_update

    source, table, secret = _orders(alpha, tmp_path / "a")
    other_source, other_table, other_secret = _orders(beta, tmp_path / "b")
    with alpha.activate():
        workspace_settings_update(
            principal=Principal.for_user(alpha.users["owner"]),
            timezone="Europe/Berlin",
            embed_questions_per_user_month=2,
        )

    with time_machine.travel(LAST_HOUR_OF_JANUARY, tick=False):
        token = sign_chat(alpha, secret, source.pk, table, user="end-user-42")
        for _ in range(2):
            answered = ask_embedded(alpha, token, "total revenue")
            assert answered.status_code == 201, answered.content
            assert single_value(answered.json()) == total_revenue(42)
        refused = ask_embedded(alpha, token, "total revenue")
        assert refused.status_code == 429
        assert refused.json()["error"]["message"] == YOUR_QUESTIONS_USED_UP
        # The refusal saved nothing: the end user's conversation holds two questions.
        history = alpha.anonymous_client().get(f"/embed/chat/{token}/history/").json()
        assert [m["role"] for m in history["messages"]].count("user") == 2

        # Another end user of the same organisation has their own questions left.
        other_user = sign_chat(
            alpha, secret, source.pk, table, user="end-user-43", params={"customer_id": 43}
        )
        assert ask_embedded(alpha, other_user, "total revenue").status_code == 201
        # The same external id in another organisation (no monthly limit there) is not counted here.
        elsewhere = sign_chat(beta, other_secret, other_source.pk, other_table, user="end-user-42")
        for _ in range(3):
            assert ask_embedded(beta, elsewhere, "total revenue").status_code == 201

    # Midnight in Berlin: a new calendar month for the organisation, though UTC is still in January.
    with time_machine.travel(FIRST_HOUR_OF_FEBRUARY, tick=False):
        token = sign_chat(alpha, secret, source.pk, table, user="end-user-42")
        answered = ask_embedded(alpha, token, "total revenue")
        assert answered.status_code == 201, answered.content
        assert single_value(answered.json()) == total_revenue(42)
