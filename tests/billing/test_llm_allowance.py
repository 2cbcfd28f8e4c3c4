# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Language-model tokens as a metered, limited resource: counted per organisation, capped per day (fair use)
and per month (the plan); past either cap the rule planner answers with a note, never an error, and the
other organisation keeps its model. Questions go through the upload and conversations APIs."""

from __future__ import annotations

import json
from typing import Any

import pandas as pd
import pytest

from chat2chart.core import hooks
from chat2chart.core.errors import LimitExceeded
from tests.conversations.asking import conversation_on

pytestmark = pytest.mark.enterprise

SALES_CSV = (
    "order_date,region,product,revenue,quantity\n"
    "2024-01-15,North,Laptop,1200,2\n"
    "2024-01-20,South,Chair,150,3\n"
    "2024-02-03,North,Desk,400,1\n"
    "2024-02-17,East,Laptop,1300,2\n"
    "2024-03-05,South,Laptop,1250,1\n"
    "2024-03-22,West,Chair,90,2\n"
    "2024-04-09,North,Chair,100,4\n"
)
MODEL = "gpt-4o-mini"
PLAN = {
    "intent": "comparison",
    "measures": [{"field": "quantity", "agg": "sum"}],
    "dimensions": [{"field": "product"}],
    "chart_type": "bar",
    "explanation": "Units by product",
}
QUESTION = "how many units of each product did we sell?"


@pytest.fixture
def model_answers(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """Every LiteLLM call answers PLAN through LiteLLM's own `mock_response` (no provider is called)."""
    import litellm

    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    real = litellm.completion
    monkeypatch.setattr(
        litellm, "completion", lambda **kwargs: real(**kwargs, mock_response=json.dumps(PLAN))
    )
    settings.AISER_LLM_MODEL = MODEL


def units_by_product() -> dict[str, int]:
    frame = pd.read_csv(pd.io.common.StringIO(SALES_CSV))
    return {product: int(units) for product, units in frame.groupby("product")["quantity"].sum().items()}


def answered(answer: dict[str, Any]) -> dict[str, int]:
    return {row[0]: int(row[1]) for row in answer["data"]["rows"]}


def tokens_counted(workspace: Any) -> int:
    from enterprise.billing.models import UsageCounter
    from enterprise.billing.services import usage_drain

    usage_drain()  # counts wait in Redis until the drain moves them into the database
    counter = UsageCounter.objects.filter(organization=workspace.organization, event="llm_tokens").first()
    return counter.quantity if counter else 0


def test_model_tokens_are_metered_per_organisation(alpha, beta, model_answers):
    before_alpha, before_beta = tokens_counted(alpha), tokens_counted(beta)
    ask = conversation_on(alpha.client("editor"), SALES_CSV, file_name="sales.csv")
    answer = ask(QUESTION)
    assert answer["planner"] == f"llm:{MODEL}"
    spent = answer["usage"]["prompt_tokens"] + answer["usage"]["completion_tokens"]
    assert spent > 0
    assert tokens_counted(alpha) - before_alpha == spent
    assert tokens_counted(beta) == before_beta


def test_past_its_daily_model_tokens_an_organisation_is_answered_by_the_rules_and_not_another(
    alpha, beta, settings, model_answers
):
    from chat2chart.accounts.models import User
    from enterprise.console.services import terms_update

    settings.AISER_LLM_TOKENS_PER_DAY = 500
    with alpha.activate():
        hooks.record_usage("llm_tokens", 500)  # today's allowance, spent
    ask = conversation_on(alpha.client("editor"), SALES_CSV, file_name="sales.csv")
    capped = ask(QUESTION)
    assert capped["planner"] == "rules"
    assert "today's language-model allowance (500 tokens)" in capped["fallback_reason"]
    assert "rule planner answered" in capped["fallback_reason"]
    assert answered(capped) == units_by_product()
    with beta.activate():
        hooks.check_limit("llm_tokens")  # the other organisation's allowance is untouched
    with alpha.activate(), pytest.raises(LimitExceeded):
        hooks.check_limit("llm_tokens")
    # Staff raise alpha's allowance: the model answers again.
    staff = User.objects.create_user(
        email="staff@platform.test", password="a-long-staff-passphrase", is_staff=True
    )
    terms_update(organization=alpha.organization, actor=staff, changes={"llm_tokens_per_day": 100_000})
    again = ask(QUESTION)
    assert again["planner"] == f"llm:{MODEL}"
    assert not again["fallback_reason"]


def test_past_its_monthly_plan_tokens_an_organisation_is_answered_by_the_rules_and_not_another(
    alpha, beta, model_answers
):
    from enterprise.billing.models import PlanLimit

    PlanLimit.objects.create(organization=alpha.organization, event="llm_tokens", monthly_quantity=1_000)
    PlanLimit.objects.create(organization=beta.organization, event="llm_tokens", monthly_quantity=1_000)
    with alpha.activate():
        hooks.record_usage("llm_tokens", 1_000)  # this month's plan allowance, spent
    ask_alpha = conversation_on(alpha.client("editor"), SALES_CSV, file_name="sales.csv")
    capped = ask_alpha(QUESTION)
    assert capped["planner"] == "rules"
    assert "1,000 LLM tokens a month" in capped["fallback_reason"]
    assert "rule planner answered" in capped["fallback_reason"]
    assert answered(capped) == units_by_product()
    # The other organisation, on the same cap with nothing spent, still gets the model.
    ask_beta = conversation_on(beta.client("editor"), SALES_CSV, file_name="sales.csv")
    assert ask_beta(QUESTION)["planner"] == f"llm:{MODEL}"
    # A bigger allowance (an upgrade) gives alpha its model back.
    PlanLimit.objects.filter(organization=alpha.organization, event="llm_tokens").update(
        monthly_quantity=1_000_000
    )
    assert ask_alpha(QUESTION)["planner"] == f"llm:{MODEL}"
