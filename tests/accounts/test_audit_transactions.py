# SPDX-License-Identifier: MIT
"""A change and its audit entry commit together (a change that fails leaves no entry, and an entry that
cannot be completed undoes the change), and updates record the fields' values before and after."""

from __future__ import annotations

from typing import Any

import pytest

from chat2chart.core.principal import Principal
from tests.alerts.fixtures import chart_on_csv, make_alert

pytestmark = pytest.mark.enterprise

CSV = "order_date,region,revenue\n2024-01-05,North,10\n2024-01-06,North,12\n"
TOTAL = {"table": "sales", "measures": [{"field": "revenue", "agg": "sum"}]}


class AuditListenerFailed(Exception):
    pass


def fail_after_the_entry(event: Any) -> None:
    """An audit listener after the audit trail's own one that fails: the entry is written, then the
    event cannot be delivered, so the change must not stay either."""
    raise AuditListenerFailed(event.action)


fail_after_the_entry.aiser_required = True  # type: ignore[attr-defined]


@pytest.fixture
def failing_audit(settings: Any) -> Any:
    """Call it to make every audit event fail after its entry is written (set-up done first)."""

    def arm() -> None:
        settings.AISER_HOOK_PLUGINS = {
            **settings.AISER_HOOK_PLUGINS,
            "audit": [*settings.AISER_HOOK_PLUGINS["audit"], f"{__name__}.fail_after_the_entry"],
        }

    return arm


def _entries(workspace: Any, action: str, after: int = 0) -> list[Any]:
    """The organisation's entries of `action` after entry `after` (browser tests commit entries that stay:
    the table is append-only)."""
    from enterprise.audit.models import AuditEntry

    with workspace.activate():
        return list(AuditEntry.objects.filter(action=action, pk__gt=after).order_by("pk"))


def _last_entry(workspace: Any) -> int:
    from enterprise.audit.models import AuditEntry

    with workspace.activate():
        return AuditEntry.objects.order_by("-pk").values_list("pk", flat=True).first() or 0


def test_a_snooze_whose_audit_fails_leaves_neither_the_change_nor_an_entry(alpha, failing_audit):
    from chat2chart.alerts.models import Alert
    from chat2chart.alerts.services import alert_snooze

    chart = chart_on_csv(alpha, CSV, TOTAL)
    alert = make_alert(alpha, chart, condition="above", threshold=5)
    before = _last_entry(alpha)
    failing_audit()
    with alpha.activate(), pytest.raises(AuditListenerFailed):
        alert_snooze(principal=Principal.for_user(alpha.users["editor"]), alert=alert, minutes=60)
    with alpha.activate():
        assert Alert.objects.get(pk=alert.pk).snoozed_until is None
    assert _entries(alpha, "alert.snooze", before) == []


def test_allowed_domains_whose_audit_fails_are_not_changed(alpha, beta, failing_audit):
    from chat2chart.subscriptions.services import subscription_settings, subscription_settings_update

    before = _last_entry(alpha)
    failing_audit()
    with alpha.activate(), pytest.raises(AuditListenerFailed):
        subscription_settings_update(
            principal=Principal.for_user(alpha.users["owner"]), allowed_domains=["partner.example"]
        )
    with alpha.activate():
        assert list(subscription_settings().allowed_domains or []) == []
    assert _entries(alpha, "subscription_settings.update", before) == []


def test_a_snooze_records_when_the_alert_slept_until_before_and_after(alpha):
    from chat2chart.alerts.services import alert_snooze

    chart = chart_on_csv(alpha, CSV, TOTAL)
    alert = make_alert(alpha, chart, condition="above", threshold=5)
    before = _last_entry(alpha)
    with alpha.activate():
        snoozed = alert_snooze(principal=Principal.for_user(alpha.users["editor"]), alert=alert, minutes=60)
    [entry] = _entries(alpha, "alert.snooze", before)
    assert entry.changes == {"snoozed_until": [None, snoozed.snoozed_until.isoformat()]}


def test_updates_record_the_changed_fields_before_and_after(alpha, beta):
    before, beta_before = _last_entry(alpha), _last_entry(beta)
    owner = alpha.client("owner")
    made = owner.post("/api/v1/collections/", {"name": "Sales"}, content_type="application/json")
    assert made.status_code == 201, made.content
    renamed = owner.patch(
        f"/api/v1/collections/{made.json()['id']}/", {"name": "Revenue"}, content_type="application/json"
    )
    assert renamed.status_code == 200, renamed.content
    [entry] = _entries(alpha, "collection.update", before)
    assert entry.changes == {"name": ["Sales", "Revenue"]}

    changed = owner.patch(
        "/api/v1/workspace/settings/", {"timezone": "Europe/Berlin"}, content_type="application/json"
    )
    assert changed.status_code == 200, changed.content
    [entry] = _entries(alpha, "workspace.settings_update", before)
    assert entry.changes["timezone"][1] == "Europe/Berlin"
    assert entry.changes["timezone"][0] != "Europe/Berlin"
    # The other organisation's trail has none of it.
    assert _entries(beta, "collection.update", beta_before) == []
    assert _entries(beta, "workspace.settings_update", beta_before) == []
