# SPDX-License-Identifier: MIT
"""Alert pages and the rules on who may create, receive, snooze and delete: the "Create alert" form on a
chart, the list with states, snooze and delete, recipients limited to members who may see the chart and
the organisation's allowed domains, and the plan limit through the limits hook."""

from __future__ import annotations

import pytest

from chat2chart.alerts.models import Alert
from chat2chart.core.errors import LimitExceeded, ValidationFailed
from tests.alerts.fixtures import TOTAL, chart_on_csv, daily, make_alert

CSV = "order_date,region,revenue\n2026-01-01,North,10\n2026-01-02,North,20\n"


def _form(**fields):
    return {
        "title": "Big day",
        "condition": "above",
        "threshold": "100",
        "sensitivity": "balanced",
        "interval_minutes": "60",
        "notify_me": "on",
        "emails": "",
        "slack_url": "",
        "webhook_url": "",
        "webhook_secret": "",
        **fields,
    }


def test_the_chart_page_offers_create_alert_and_the_form_creates_one(alpha):
    chart = chart_on_csv(alpha, CSV, TOTAL)
    client = alpha.client("editor")
    page = client.get(f"/charts/{chart.pk}/").content.decode()
    assert f"/charts/{chart.pk}/alerts/new/" in page
    assert "Create alert" in page
    response = client.post(f"/charts/{chart.pk}/alerts/new/", _form(emails=alpha.users["viewer"].email))
    assert response.status_code == 302
    with alpha.activate():
        alert = Alert.objects.get(chart=chart)
        assert (alert.condition, alert.threshold, alert.state) == ("above", 100.0, "pending")
        assert sorted(r.address for r in alert.recipients.all()) == sorted(
            [alpha.users["editor"].email, alpha.users["viewer"].email]
        )
    listing = client.get("/alerts/").content.decode()
    assert "Big day" in listing
    assert "goes above 100" in listing
    assert "Not checked yet" in listing


def test_a_form_error_says_what_to_fix(alpha):
    chart = chart_on_csv(alpha, CSV, TOTAL)
    client = alpha.client("editor")
    response = client.post(f"/charts/{chart.pk}/alerts/new/", _form(threshold=""))
    assert response.status_code == 400
    assert "this condition needs a threshold" in response.content.decode()
    response = client.post(f"/charts/{chart.pk}/alerts/new/", _form(condition="anomaly"))
    assert "needs a chart over time" in response.content.decode()
    with alpha.activate():
        assert not Alert.objects.exists()


def test_an_outside_address_is_refused_without_an_allowed_domain(alpha):
    chart = chart_on_csv(alpha, CSV, TOTAL)
    with pytest.raises(ValidationFailed, match="only members and addresses at the organisation's allowed"):
        make_alert(alpha, chart, condition="above", threshold=1, emails=["someone@elsewhere.example"])


def test_an_outside_address_at_an_allowed_domain_is_emailed(alpha):
    from chat2chart.core.principal import Principal
    from chat2chart.subscriptions.services import subscription_settings_update

    chart = chart_on_csv(alpha, CSV, TOTAL)
    with alpha.activate():
        subscription_settings_update(
            principal=Principal.for_user(alpha.users["owner"]), allowed_domains=["partner.example"]
        )
    alert = make_alert(alpha, chart, condition="above", threshold=1, emails=["Ops@Partner.example"])
    with alpha.activate():
        assert [(r.kind, r.address) for r in alert.recipients.all()][-1] == ("email", "ops@partner.example")
    with pytest.raises(ValidationFailed, match=r"allowed domains \(partner.example\)"):
        make_alert(alpha, chart, condition="above", threshold=1, emails=["ops@elsewhere.example"])


def test_a_member_of_another_organisation_is_not_a_member_here(alpha, beta):
    chart = chart_on_csv(alpha, CSV, TOTAL)
    with pytest.raises(ValidationFailed, match="is not a member"):
        make_alert(alpha, chart, condition="above", threshold=1, emails=[beta.users["owner"].email])


def test_snooze_and_delete_from_the_list(alpha):
    chart = chart_on_csv(alpha, CSV, daily())
    alert = make_alert(alpha, chart, title="Watch", condition="anomaly")
    client = alpha.client("editor")
    assert client.post(f"/alerts/{alert.pk}/snooze/", {"minutes": "1440"}).status_code == 302
    assert "Snoozed" in client.get("/alerts/").content.decode()
    assert client.post(f"/alerts/{alert.pk}/snooze/", {"minutes": "0"}).status_code == 302
    assert "Snoozed" not in client.get("/alerts/").content.decode()
    assert client.post(f"/alerts/{alert.pk}/delete/").status_code == 302
    with alpha.activate():
        assert not Alert.objects.filter(pk=alert.pk).exists()


@pytest.mark.enterprise
def test_a_viewer_sees_an_alert_but_may_not_delete_someone_elses(alpha):
    chart = chart_on_csv(alpha, CSV, TOTAL)
    alert = make_alert(alpha, chart, title="Watch", condition="above", threshold=1)
    viewer = alpha.client("viewer")
    assert "Watch" in viewer.get("/alerts/").content.decode()
    assert viewer.post(f"/alerts/{alert.pk}/delete/").status_code == 404
    assert viewer.post(f"/alerts/{alert.pk}/snooze/", {"minutes": "60"}).status_code == 404
    with alpha.activate():
        assert Alert.objects.get(pk=alert.pk).snoozed_until is None


@pytest.mark.enterprise
def test_the_plans_limit_on_alerts_holds_at_the_edge_and_the_page_says_so(alpha, beta):
    from enterprise.billing.limits import limit_check
    from enterprise.billing.models import PlanLimit

    PlanLimit.objects.create(organization=alpha.organization, event="alerts", monthly_quantity=2)
    PlanLimit.objects.create(organization=beta.organization, event="alerts", monthly_quantity=2)
    chart = chart_on_csv(alpha, CSV, TOTAL)
    make_alert(alpha, chart, condition="above", threshold=1)
    make_alert(alpha, chart, condition="below", threshold=1)  # exactly at the limit
    with pytest.raises(LimitExceeded, match="allows 2 alerts"):
        make_alert(alpha, chart, condition="no_data")
    response = alpha.client("editor").post(f"/charts/{chart.pk}/alerts/new/", _form())
    assert "allows 2 alerts" in response.content.decode()
    with alpha.activate():
        assert Alert.objects.count() == 2
    limit_check(beta.organization, "alerts")  # the other organisation's allowance is its own
