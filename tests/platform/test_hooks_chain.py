# SPDX-License-Identifier: MIT
"""Usage, audit and limits hooks are ordered chains named in settings: every listener hears every event,
a broken listener is logged and skipped, and any limits implementation can stop the work."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings as django_settings
from django.core.exceptions import ImproperlyConfigured

from chat2chart.core import hooks
from chat2chart.core.errors import LimitExceeded
from chat2chart.core.principal import Principal

LISTENERS = "tests.platform.hook_listeners"


@pytest.fixture
def listeners(settings: Any) -> Any:
    """Name the test listeners in AISER_HOOK_PLUGINS (in place of the edition's) and hand back their log."""
    from tests.platform import hook_listeners

    hook_listeners.received.clear()

    def configure(**chains: list[str]) -> list[tuple[str, Any]]:
        settings.AISER_HOOK_PLUGINS = {
            hook: [f"{LISTENERS}.{name}" for name in chains.get(hook, [])] for hook in hooks.CHAINS
        }
        return hook_listeners.received

    yield configure
    hook_listeners.received.clear()


def test_two_usage_listeners_both_receive_every_event_in_order(alpha, listeners):
    received = listeners(usage=["metrics_exporter", "second_listener"])
    with alpha.activate():
        hooks.record_usage("rows_ingested", 500, source=7)
    assert [(who, e.name, e.quantity, e.workspace, e.data) for who, e in received] == [
        ("metrics", "rows_ingested", 500, alpha.workspace_name, {"source": 7}),
        ("second", "rows_ingested", 500, alpha.workspace_name, {"source": 7}),
    ]


def test_a_failing_usage_listener_is_logged_and_the_next_still_receives(alpha, listeners, caplog):
    received = listeners(usage=["broken_exporter", "second_listener"])
    with alpha.activate(), caplog.at_level(logging.ERROR, logger="chat2chart.core.hooks"):
        hooks.record_usage("query_run")
    assert [who for who, _ in received] == ["broken", "second"]
    assert "broken_exporter" in caplog.text
    assert "metrics endpoint unreachable" in caplog.text


def test_a_listener_whose_sql_fails_leaves_the_transaction_usable(alpha, listeners):
    from chat2chart.workspaces.models import WorkspaceSettings

    received = listeners(audit=["broken_sql_listener", "second_listener"])
    with alpha.activate():
        hooks.record_audit(
            action="source.create", actor=alpha.users["owner"], target_type="source", target_id=3
        )
        # Without its own savepoint the failed statement would abort the test's transaction here.
        assert WorkspaceSettings.objects.count() in (0, 1)
    assert [(who, e.action, e.target_id) for who, e in received] == [
        ("broken_sql", "source.create", "3"),
        ("second", "source.create", "3"),
    ]


def test_a_listener_may_hand_a_changed_event_to_the_next(alpha, listeners):
    received = listeners(audit=["redacting_listener", "second_listener"])
    with alpha.activate():
        hooks.record_audit(
            action="member.invite", actor=None, target_type="invitation", target_id=1, data={"email": "a@b.c"}
        )
    assert [(who, e.data) for who, e in received] == [
        ("redacting", {"email": "a@b.c"}),
        ("second", {"redacted": True}),
    ]


CHANGED = {"fiscal_year_start_month": 4, "changes": {"fiscal_year_start_month": [1, 4]}}


def test_a_real_change_reaches_every_audit_listener(alpha, listeners):
    from chat2chart.workspaces.services import workspace_settings_update

    received = listeners(audit=["metrics_exporter", "second_listener"])
    with alpha.activate():
        workspace_settings_update(
            principal=Principal.for_user(alpha.users["admin"]), fiscal_year_start_month=4
        )
    assert [(who, e.action, e.actor_id, e.data) for who, e in received] == [
        ("metrics", "workspace.settings_update", alpha.users["admin"].pk, CHANGED),
        ("second", "workspace.settings_update", alpha.users["admin"].pk, CHANGED),
    ]


def test_limits_run_in_order_and_a_refusal_stops_the_rest(alpha, listeners):
    received = listeners(limits=["allow_everything", "refuse_questions", "allow_everything"])
    with alpha.activate():
        hooks.check_limit("rows_ingested", 10)
        assert [who for who, _ in received] == ["allow", "refuse", "allow"]
        received.clear()
        with pytest.raises(LimitExceeded, match="no more questions"):
            hooks.check_limit("question_asked")
    assert received == [
        ("allow", ("question_asked", alpha.workspace_name, 1)),
        ("refuse", ("question_asked", alpha.workspace_name, 1)),
    ]


SALES_CSV = "region,revenue\nNorth,100\nSouth,250\nNorth,50\n"


def test_a_limit_refusal_stops_a_question_asked_through_the_api(alpha, listeners, settings, tmp_path: Path):
    from chat2chart.conversations.models import Message
    from chat2chart.sources import services as source_services

    settings.AISER_LLM_MODEL = ""
    upload = tmp_path / "sales.csv"
    upload.write_text(SALES_CSV)
    with alpha.activate():
        source = source_services.source_create_file(
            name="Sales",
            upload=upload,
            original_name="sales.csv",
            on_bad_rows="error",
            principal=Principal.for_user(alpha.users["owner"]),
        )
        table = source.tables.get(is_current=True).name
    client = alpha.client("viewer")
    conversation = client.post(
        "/api/v1/conversations/", {"source": source.pk, "table": table}, content_type="application/json"
    ).json()
    listeners(limits=["allow_everything", "refuse_questions"])
    response = client.post(
        f"/api/v1/conversations/{conversation['id']}/messages/",
        {"content": "total revenue by region"},
        content_type="application/json",
    )
    assert response.status_code == 429
    assert response.json()["error"]["message"] == "This workspace may ask no more questions this month."
    with alpha.activate():
        assert not Message.objects.filter(conversation_id=conversation["id"]).exists()


def test_an_unknown_hook_or_path_in_the_setting_is_a_configuration_error(alpha, settings):
    settings.AISER_HOOK_PLUGINS = {"usage": [], "billing": ["x.y"]}
    with pytest.raises(ImproperlyConfigured, match="unknown hooks: billing"):
        hooks.chain("usage")
    settings.AISER_HOOK_PLUGINS = {"usage": [f"{LISTENERS}.no_such_listener"]}
    with alpha.activate(), pytest.raises(ImproperlyConfigured, match="no_such_listener"):
        hooks.record_usage("query_run")


def test_the_edition_names_its_own_implementations():
    plugins = django_settings.AISER_HOOK_PLUGINS
    if django_settings.ENTERPRISE:
        assert plugins == {
            "usage": [
                "enterprise.billing.services.usage_record",
                "enterprise.console.daily.daily_usage_record",
                "enterprise.monitoring.metrics.usage_observe",
            ],
            "audit": ["enterprise.audit.services.audit_entry_record"],
            "limits": [
                "enterprise.billing.services.usage_limit_check",
                "enterprise.console.limits.llm_tokens_check",
            ],
            "metrics": ["enterprise.monitoring.metrics.observation_record"],
            "row_filters": ["enterprise.rbac.sandboxes.row_rules_for"],
        }
    else:
        assert plugins == {"usage": [], "audit": [], "limits": [], "metrics": [], "row_filters": []}
