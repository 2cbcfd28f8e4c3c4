# SPDX-License-Identifier: MIT
"""An organisation can choose its own language model; another organisation keeps the platform's choice."""

import pytest

from chat2chart.conversations import pipeline
from chat2chart.conversations.planner import Plan
from chat2chart.core.principal import Principal
from chat2chart.sources.catalogue import ColumnInfo, TableInfo

pytestmark = pytest.mark.enterprise

TABLE = TableInfo(
    "sales",
    [
        ColumnInfo("region", "text", samples=["North", "South"], distinct_count=2),
        ColumnInfo("revenue", "decimal"),
    ],
    row_count=10,
)


@pytest.fixture(autouse=True)
def _restore_organisation(alpha):
    """`alpha.organization` is shared by the whole session; give it back as the test found it."""
    organization = alpha.organization
    saved = organization.name
    yield
    organization.name = saved


@pytest.fixture(autouse=True)
def _allowed_models(settings):
    settings.AISER_LLM_ALLOWED_MODELS = ["openai/gpt-4o-mini", "anthropic/claude-3-haiku"]


@pytest.fixture
def llm_calls(monkeypatch):
    from chat2chart.conversations.planner import llm

    calls = []

    def fake_plan_with_llm(question, table, **kwargs):
        calls.append(kwargs)
        return pipeline.plan_question(question, table, source_id=kwargs["source_id"])

    monkeypatch.setattr(llm, "plan_with_llm", fake_plan_with_llm)
    return calls


def test_organisation_model_is_used_only_in_that_organisation(alpha, beta, llm_calls, settings):
    from chat2chart.workspaces.services import workspace_settings_update

    settings.AISER_LLM_MODEL = ""
    with alpha.activate():
        workspace_settings_update(
            principal=Principal.for_user(alpha.users["admin"]),
            llm_model="openai/gpt-4o-mini",
            llm_send_samples=False,
        )
        plan = pipeline.plan_for("total revenue by region", TABLE, source_id=1, history=[])
    assert isinstance(plan, Plan)
    assert [(c["model"], c["include_samples"]) for c in llm_calls] == [("openai/gpt-4o-mini", False)]
    with beta.activate():
        pipeline.plan_for("total revenue by region", TABLE, source_id=1, history=[])
    assert len(llm_calls) == 1  # beta has no model: the rule planner answered


def test_settings_page_saves_the_model_for_admins_only(alpha):
    from chat2chart.workspaces.selectors import workspace_settings
    from enterprise.audit.models import AuditEntry

    assert alpha.client("editor").get("/settings/organization/").status_code == 404
    response = alpha.client("admin").post(
        "/settings/organization/",
        {"name": "Alpha", "llm_model": "anthropic/claude-3-haiku", "llm_send_samples": ""},
    )
    assert response.status_code == 302
    with alpha.activate():
        stored = workspace_settings()
        assert stored.llm_model == "anthropic/claude-3-haiku"
        assert stored.llm_send_samples is None
        assert AuditEntry.objects.filter(action="organization.update").exists()
        assert AuditEntry.objects.filter(action="workspace.settings_update").exists()
