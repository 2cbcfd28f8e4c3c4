# SPDX-License-Identifier: MIT
"""The workspace settings API: admins read and change their own workspace's settings, values are checked,
and one organisation's settings never show in another's."""

from __future__ import annotations

import json
from typing import Any

import pytest

URL = "/api/v1/workspace/settings/"


def patch(workspace: Any, body: dict[str, Any], role: str = "admin") -> Any:
    return workspace.client(role).patch(URL, json.dumps(body), content_type="application/json")


def test_it_shows_the_defaults_and_the_models_on_offer(alpha, settings):
    from chat2chart.workspaces.models import WorkspaceSettings

    settings.AISER_LLM_ALLOWED_MODELS = ["openai/gpt-4o-mini"]
    settings.AISER_DEFAULT_TIMEZONE = "Europe/Berlin"
    with alpha.activate():  # tests that commit (browser) may have saved a row; this one is rolled back
        WorkspaceSettings.objects.all().delete()
    response = alpha.client("admin").get(URL)
    assert response.status_code == 200
    assert response.json() == {
        "llm_model": "",
        "llm_send_samples": None,
        "allowed_models": ["openai/gpt-4o-mini"],
        "embed_allowed_origins": [],
        "embed_questions_per_user_month": None,
        "timezone": "Europe/Berlin",
        "fiscal_year_start_month": 1,
        "locale": "",  # numbers in charts: blank = AISER_DEFAULT_LOCALE
        "effective_locale": "en-US",
    }


def test_it_changes_only_the_given_settings(alpha):
    from chat2chart.workspaces.selectors import workspace_settings

    assert patch(alpha, {"embed_allowed_origins": ["https://app.example.com/"]}).status_code == 200
    response = patch(alpha, {"timezone": "America/New_York", "fiscal_year_start_month": 4})
    assert response.status_code == 200
    with alpha.activate():
        stored = workspace_settings()
        assert (stored.timezone, stored.fiscal_year_start_month) == ("America/New_York", 4)
        assert stored.embed_allowed_origins == ["https://app.example.com"]


@pytest.mark.parametrize(
    ("body", "message"),
    [
        (
            {"timezone": "Mars/Olympus"},
            "'Mars/Olympus' is not a time zone; use an IANA name such as Europe/Berlin.",
        ),
        (
            {"fiscal_year_start_month": 13},
            "The fiscal year's first month is a number from 1 (January) to 12.",
        ),
        ({"fiscal_year_start_month": 0}, "The fiscal year's first month is a number from 1 (January) to 12."),
        ({"embed_allowed_origins": ["https://a.example/path"]}, "without a path"),
    ],
)
def test_values_that_do_not_fit_are_refused_with_a_message(alpha, body, message):
    from django.forms.models import model_to_dict

    from chat2chart.workspaces.selectors import workspace_settings

    with alpha.activate():
        before = model_to_dict(workspace_settings())
    response = patch(alpha, body)
    assert response.status_code == 400
    assert message in response.json()["error"]["message"]
    with alpha.activate():
        assert model_to_dict(workspace_settings()) == before


@pytest.mark.enterprise
def test_only_admins_may_read_or_change_them(alpha):
    for role in ("viewer", "editor"):
        assert alpha.client(role).get(URL).status_code == 403
        assert patch(alpha, {"fiscal_year_start_month": 7}, role=role).status_code == 403
    assert patch(alpha, {"fiscal_year_start_month": 7}, role="owner").status_code == 200


@pytest.mark.enterprise
def test_a_change_is_audited_in_that_organisation_only(alpha, beta):
    from enterprise.audit.models import AuditEntry

    def latest_entry(workspace: Any) -> int:
        # Tests that commit (browser) leave entries behind: compare with what was there.
        with workspace.activate():
            return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0

    alpha_before, beta_before = latest_entry(alpha), latest_entry(beta)
    beta_month = beta.client("admin").get(URL).json()["fiscal_year_start_month"]
    assert patch(alpha, {"fiscal_year_start_month": 10}).status_code == 200
    assert alpha.client("admin").get(URL).json()["fiscal_year_start_month"] == 10
    assert beta.client("admin").get(URL).json()["fiscal_year_start_month"] == beta_month != 10
    with alpha.activate():
        entry = AuditEntry.objects.get(action="workspace.settings_update", pk__gt=alpha_before)
        assert (entry.actor_id, entry.data) == (alpha.users["admin"].pk, {"fiscal_year_start_month": 10})
    with beta.activate():
        assert not AuditEntry.objects.filter(action="workspace.settings_update", pk__gt=beta_before).exists()
