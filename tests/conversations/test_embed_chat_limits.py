# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Embedded chat questions count in the organisation's usage and stop at its plan's monthly question
limit, with a plain message for the end user (no plan details), only for that organisation."""

from __future__ import annotations

from typing import Any

import pytest

from tests.conversations.embedchat import ask_embedded, create_orders, sign_chat
from tests.dashboards.conftest import set_up_embedding

pytestmark = pytest.mark.enterprise


@pytest.fixture(autouse=True)
def _rule_planner(settings: Any) -> None:
    settings.AISER_LLM_MODEL = ""


ask = ask_embedded


def test_embedded_questions_count_and_stop_at_the_monthly_limit(alpha, beta, tmp_path):
    from enterprise.billing.limits import usage_of
    from enterprise.billing.models import PlanLimit
    from enterprise.billing.services import usage_drain

    with alpha.activate():
        source, table = create_orders(alpha, tmp_path)
        secret = set_up_embedding(alpha)
    token = sign_chat(alpha, secret, source.pk, table)
    usage_drain()
    before = usage_of(alpha.organization, "question_asked")

    assert ask(alpha, token, "total revenue").status_code == 201
    usage_drain()
    assert usage_of(alpha.organization, "question_asked") == before + 1
    assert usage_of(alpha.organization, "embed_question_asked") >= 1
    assert usage_of(beta.organization, "embed_question_asked") == 0

    PlanLimit.objects.create(
        organization=alpha.organization, event="question_asked", monthly_quantity=before + 1
    )
    refused = ask(alpha, token, "total revenue by region")
    assert refused.status_code == 429
    assert refused.json()["error"]["message"] == "This chat cannot answer more questions this month."
