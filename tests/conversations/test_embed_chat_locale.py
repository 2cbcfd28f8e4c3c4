# SPDX-License-Identifier: MIT
"""The fixed sentences around embedded chat answers follow the token's locale (French, German): refusals,
the monthly quota, the per-minute rate, an empty question and a missing table; the numbers are the same
as in English (checked with pandas), and an unknown language falls back to English."""

from __future__ import annotations

from typing import Any

import pytest

from chat2chart.core.principal import Principal
from tests.conversations.embedchat import ask_embedded, create_orders, sign_chat, single_value, total_revenue
from tests.dashboards.conftest import set_up_embedding


@pytest.fixture(autouse=True)
def _rule_planner(settings: Any) -> None:
    settings.AISER_LLM_MODEL = ""


@pytest.fixture
def orders(alpha: Any, tmp_path: Any) -> tuple[Any, str, str]:
    with alpha.activate():
        source, table = create_orders(alpha, tmp_path)
        return source, table, set_up_embedding(alpha)


def test_refusals_are_in_the_tokens_language(alpha, orders, settings):
    from chat2chart.workspaces.services import workspace_settings_update

    source, table, secret = orders
    french = sign_chat(alpha, secret, source.pk, table, locale="fr-CA")
    german = sign_chat(alpha, secret, source.pk, table, user="end-user-de", locale="de")

    answered = ask_embedded(alpha, french, "total revenue")
    assert answered.status_code == 201
    assert single_value(answered.json()) == total_revenue(42)  # the numbers do not change

    empty = ask_embedded(alpha, german, "   ")
    assert empty.status_code == 400
    assert empty.json()["error"]["message"] == "Stellen Sie eine Frage zur Tabelle."

    gone = sign_chat(alpha, secret, source.pk, "no_such_table", locale="fr")
    assert (
        ask_embedded(alpha, gone, "total revenue").json()["error"]["message"]
        == "Ce chat n’est pas disponible."
    )
    assert (
        "Ce chat n’est pas disponible."
        in alpha.anonymous_client().get(f"/embed/chat/{gone}").content.decode()
    )

    with alpha.activate():
        workspace_settings_update(
            principal=Principal.for_user(alpha.users["owner"]), embed_questions_per_user_month=1
        )
    used_up = ask_embedded(alpha, french, "total revenue")
    assert used_up.status_code == 429
    assert used_up.json()["error"]["message"] == (
        "Vous avez posé toutes les questions auxquelles ce chat répond ce mois-ci. "
        "Posez-en de nouvelles le mois prochain."
    )

    settings.AISER_EMBED_CHAT_RATE = "0/m"
    limited = ask_embedded(alpha, german, "total revenue")
    assert limited.status_code == 429
    assert limited.json()["error"]["message"].startswith("Zu viele Fragen. Versuchen Sie es in ")


def test_an_unknown_language_and_an_unreadable_token_stay_in_english(alpha, orders):
    source, table, secret = orders
    gone = sign_chat(alpha, secret, source.pk, "no_such_table", locale="ja")
    assert (
        ask_embedded(alpha, gone, "total revenue").json()["error"]["message"] == "This chat is not available."
    )
    # A token that cannot be read names no language: the refusal is English.
    forged = sign_chat(alpha, "not-the-secret", source.pk, table, locale="fr")
    assert (
        ask_embedded(alpha, forged, "total revenue").json()["error"]["message"]
        == "This chat is not available."
    )


def test_a_no_rows_answer_and_an_error_event_read_in_the_tokens_language():
    from chat2chart.conversations.embed import embed_event, embed_message

    body = {"narrative": "No rows match this question; try widening the filters.", "sql": "SELECT 1"}
    shown = embed_message(body, locale="de-AT")
    assert shown == {
        "narrative": "Keine Zeilen passen zu dieser Frage; versuchen Sie, die Filter zu erweitern."
    }
    error = {"type": "error", "code": "not_available", "message": "This chat is not available."}
    assert embed_event(error, locale="fr")["message"] == "Ce chat n’est pas disponible."
    # A narrative with numbers in it stays as written (English).
    assert (
        embed_message({"narrative": "North leads with 810."}, locale="fr")["narrative"]
        == "North leads with 810."
    )
