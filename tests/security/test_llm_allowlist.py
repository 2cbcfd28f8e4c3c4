# SPDX-License-Identifier: MIT
"""Security #6: an organisation picks its model only from the operator's allow-list, never sets an endpoint,
and the platform's API base and key go only to the platform's own provider."""

from __future__ import annotations

import json
from typing import Any

import pytest

from chat2chart.conversations import pipeline
from chat2chart.core.errors import ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.sources.catalogue import ColumnInfo, TableInfo

PLATFORM_MODEL = "openai/gpt-4o-mini"
PLATFORM_BASE = "https://llm.platform.example/v1"
PLATFORM_KEY = "sk-platform-secret"
TABLE = TableInfo(
    "sales",
    [ColumnInfo("region", "text", samples=["North"], distinct_count=2), ColumnInfo("revenue", "decimal")],
    row_count=10,
)
PLAN = json.dumps(
    {
        "intent": "comparison",
        "measures": [{"field": "revenue", "agg": "sum"}],
        "dimensions": [{"field": "region"}],
        "chart_type": "bar",
        "explanation": "Revenue by region",
    }
)


@pytest.fixture(autouse=True)
def _platform(settings: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    settings.AISER_LLM_MODEL = PLATFORM_MODEL
    settings.AISER_LLM_API_BASE = PLATFORM_BASE
    settings.AISER_LLM_API_KEY = PLATFORM_KEY
    settings.AISER_LLM_ALLOWED_MODELS = [PLATFORM_MODEL, "openai/gpt-4o", "anthropic/claude-3-haiku"]


@pytest.fixture
def completions(monkeypatch: pytest.MonkeyPatch) -> list[dict[str, Any]]:
    """Every call LiteLLM is asked to make, answered with a mock plan (no network)."""
    import litellm

    calls: list[dict[str, Any]] = []
    real = litellm.completion

    def spy(**kwargs: Any) -> Any:
        calls.append(kwargs)
        return real(**kwargs, mock_response=PLAN)

    monkeypatch.setattr(litellm, "completion", spy)
    return calls


def choose(workspace: Any, model: str) -> None:
    from chat2chart.workspaces.services import workspace_settings_update

    with workspace.activate():
        workspace_settings_update(principal=Principal.for_user(workspace.users["admin"]), llm_model=model)


def ask(workspace: Any) -> Any:
    with workspace.activate():
        return pipeline.plan_for("total revenue by region", TABLE, source_id=1, history=[])


def test_a_model_outside_the_allow_list_is_refused_with_the_choices(alpha):
    from chat2chart.workspaces.selectors import workspace_settings

    with pytest.raises(ValidationFailed) as refused:
        choose(alpha, "ollama/x")
    assert refused.value.message == (
        "The model 'ollama/x' is not offered on this platform. "
        "Choose one of: openai/gpt-4o-mini, openai/gpt-4o, anthropic/claude-3-haiku."
    )
    with alpha.activate():
        assert workspace_settings().llm_model == ""


def test_the_platform_key_goes_only_to_the_platform_provider(alpha, beta, completions):
    choose(alpha, "anthropic/claude-3-haiku")
    choose(beta, "openai/gpt-4o")
    alpha_plan, beta_plan = ask(alpha), ask(beta)
    assert (alpha_plan.planner, beta_plan.planner) == ("llm:anthropic/claude-3-haiku", "llm:openai/gpt-4o")
    to_alpha, to_beta = completions
    assert to_alpha["model"] == "anthropic/claude-3-haiku"
    assert "api_base" not in to_alpha
    assert "api_key" not in to_alpha
    assert PLATFORM_KEY not in json.dumps(to_alpha, default=str)
    assert (to_beta["model"], to_beta["api_base"], to_beta["api_key"]) == (
        "openai/gpt-4o",
        PLATFORM_BASE,
        PLATFORM_KEY,
    )


def test_a_model_the_operator_withdrew_gives_way_to_the_platform_model(alpha, beta, completions, settings):
    choose(alpha, "anthropic/claude-3-haiku")
    settings.AISER_LLM_ALLOWED_MODELS = [PLATFORM_MODEL]
    assert ask(alpha).planner == f"llm:{PLATFORM_MODEL}"
    assert ask(beta).planner == f"llm:{PLATFORM_MODEL}"
    assert [(c["model"], c["api_key"]) for c in completions] == [
        (PLATFORM_MODEL, PLATFORM_KEY),
        (PLATFORM_MODEL, PLATFORM_KEY),
    ]


@pytest.mark.enterprise
def test_the_settings_page_offers_only_allowed_models_and_no_endpoint(alpha, beta):
    from chat2chart.workspaces.selectors import workspace_settings

    page = alpha.client("admin").get("/settings/organization/").content.decode()
    for model in ("openai/gpt-4o-mini", "openai/gpt-4o", "anthropic/claude-3-haiku"):
        assert f'value="{model}"' in page
    assert "api_base" not in page
    assert "api_key" not in page

    response = alpha.client("admin").post(
        "/settings/organization/",
        {
            "name": "Alpha",
            "llm_model": "ollama/x",
            "llm_send_samples": "",
            "api_base": "http://localhost:11434",
        },
    )
    assert response.status_code == 200
    assert "The model ollama/x is not offered on this platform" in response.content.decode()
    ok = beta.client("admin").post(
        "/settings/organization/", {"name": "Beta", "llm_model": "openai/gpt-4o", "llm_send_samples": "false"}
    )
    assert ok.status_code == 302
    with alpha.activate():
        assert workspace_settings().llm_model == ""
    with beta.activate():
        assert (workspace_settings().llm_model, workspace_settings().llm_send_samples) == (
            "openai/gpt-4o",
            False,
        )


def test_the_api_refuses_a_model_outside_the_allow_list_and_has_no_endpoint_field(alpha, beta):
    from chat2chart.workspaces.selectors import workspace_settings

    body = {"llm_model": "ollama/x", "api_base": "http://localhost:11434", "api_key": "stolen"}
    response = alpha.client("admin").patch(
        "/api/v1/workspace/settings/", json.dumps(body), content_type="application/json"
    )
    assert response.status_code == 400
    assert response.json()["error"]["code"] == "model_not_allowed"
    assert (
        "Choose one of: openai/gpt-4o-mini, openai/gpt-4o, anthropic/claude-3-haiku"
        in (response.json()["error"]["message"])
    )
    ok = beta.client("admin").patch(
        "/api/v1/workspace/settings/",
        json.dumps({"llm_model": "openai/gpt-4o"}),
        content_type="application/json",
    )
    assert ok.status_code == 200
    assert "api_base" not in ok.json()
    with alpha.activate():
        assert workspace_settings().llm_model == ""
    with beta.activate():
        assert workspace_settings().llm_model == "openai/gpt-4o"


def _settings_in_a_fresh_process(*names: str, **env: str) -> list[str]:
    """What `aiser/settings` makes of `env` (settings are read once, at start-up)."""
    import os
    import subprocess
    import sys
    from pathlib import Path

    code = "from django.conf import settings; " + "; ".join(f"print(settings.{name})" for name in names)
    base = {k: v for k, v in os.environ.items() if not k.startswith(("AISER_LLM_", "AISER_USAGE_HOOKS"))}
    result = subprocess.run(
        [sys.executable, "manage.py", "shell", "-v", "0", "-c", code],
        cwd=Path(__file__).resolve().parents[2],
        env={**base, **env},
        capture_output=True,
        text=True,
        timeout=120,
        check=True,
    )
    return result.stdout.strip().splitlines()


def test_by_default_only_the_platform_model_is_on_offer():
    assert _settings_in_a_fresh_process("AISER_LLM_ALLOWED_MODELS", AISER_LLM_MODEL="openai/gpt-4o-mini") == [
        "['openai/gpt-4o-mini']"
    ]
    assert _settings_in_a_fresh_process("AISER_LLM_ALLOWED_MODELS") == ["[]"]
    assert _settings_in_a_fresh_process(
        "AISER_LLM_ALLOWED_MODELS", AISER_LLM_MODEL="openai/gpt-4o-mini", AISER_LLM_ALLOWED_MODELS="a/b, c/d"
    ) == ["['a/b', 'c/d']"]
