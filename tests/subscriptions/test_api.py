# SPDX-License-Identifier: MIT
"""The subscriptions and alerts JSON API: the same rules as the pages (a viewer subscribes only
themselves, tokens in webhook paths are not shown, alerts one may not change answer 404), the send
history through the API, and two organisations that never see each other's."""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.dashboards.conftest import build_sales_data, make_dashboard


@pytest.fixture
def report(alpha: Any, tmp_path: Any) -> Any:
    with alpha.activate():
        data = build_sales_data(alpha, tmp_path)
        return data, make_dashboard(
            data, widgets=("revenue",), filters=[{"field": "region", "kind": "values"}]
        )


def _post(client: Any, path: str, body: dict[str, Any]) -> Any:
    return client.post(path, json.dumps(body), content_type="application/json")


@pytest.mark.django_db
def test_a_subscription_is_created_listed_read_and_deleted_through_the_api(
    alpha: Any, beta: Any, report: Any
) -> None:
    _, dashboard = report
    owner = alpha.client("owner")
    created = _post(
        owner,
        "/api/v1/subscriptions/",
        {
            "dashboard": dashboard.pk,
            "frequency": "weekly",
            "time": "07:30",
            "weekdays": [0, 3],
            "recipients": [alpha.users["owner"].email, alpha.users["editor"].email],
            "filters": {"region": ["North"]},
            "webhook_url": "http://127.0.0.1:9/hook/secret-token",
            "formats": ["csv"],
        },
    )
    assert created.status_code == 201, created.content
    body = created.json()
    assert body["schedule"] == "Weekly on Mon, Thu at 07:30"
    assert sorted(body["members"]) == sorted([alpha.users["owner"].pk, alpha.users["editor"].pk])
    assert body["webhook"] == "127.0.0.1:9"
    assert "secret-token" not in created.content.decode()
    assert body["webhook_secret"]  # its owner sees the signing secret
    assert body["filters"] == {"region": ["North"]}
    assert body["next_run_at"]

    listed = owner.get("/api/v1/subscriptions/").json()["subscriptions"]
    assert [s["id"] for s in listed] == [body["id"]]
    editor_view = alpha.client("editor").get(f"/api/v1/subscriptions/{body['id']}/").json()
    assert "webhook_secret" not in editor_view
    assert editor_view["history"] == []
    assert beta.client("owner").get(f"/api/v1/subscriptions/{body['id']}/").status_code == 404
    assert beta.client("owner").get("/api/v1/subscriptions/").json()["subscriptions"] == []

    assert owner.delete(f"/api/v1/subscriptions/{body['id']}/").status_code == 204
    assert owner.get("/api/v1/subscriptions/").json()["subscriptions"] == []


@pytest.mark.django_db
def test_the_api_refuses_what_the_page_refuses(alpha: Any, report: Any, settings: Any) -> None:
    data, dashboard = report
    viewer = alpha.client("viewer")
    if settings.ENTERPRISE:  # roles are the enterprise edition's; in the core every member edits
        others = _post(
            viewer,
            "/api/v1/subscriptions/",
            {"dashboard": dashboard.pk, "frequency": "daily", "recipients": [alpha.users["owner"].email]},
        )
        assert others.status_code == 403
        assert "only themselves" in others.json()["error"]["message"]
    themselves = _post(
        viewer,
        "/api/v1/subscriptions/",
        {"dashboard": dashboard.pk, "frequency": "daily", "recipients": [alpha.users["viewer"].email]},
    )
    assert themselves.status_code == 201, themselves.content
    for bad, words in (
        ({"frequency": "daily"}, "either a dashboard or a chart"),
        ({"dashboard": dashboard.pk, "frequency": "cron", "cron": "* * * * *"}, "once an hour"),
        ({"dashboard": dashboard.pk, "frequency": "daily", "time": "25:00"}, "from 00:00 to 23:59"),
        ({"dashboard": dashboard.pk, "frequency": "daily", "time": "99:99"}, "from 00:00 to 23:59"),
        ({"dashboard": dashboard.pk, "frequency": "daily", "recipients": ["someone@elsewhere.example"]}, ""),
        ({"dashboard": dashboard.pk, "frequency": "daily", "filters": {"nope": ["x"]}}, "nope"),
        # A chart is sent as saved: filter values on it would be named in the email yet not applied.
        (
            {"chart": data.charts["revenue"].pk, "frequency": "daily", "filters": {"region": ["North"]}},
            "dashboard",
        ),
    ):
        answer = _post(
            alpha.client("owner"),
            "/api/v1/subscriptions/",
            {"recipients": [alpha.users["owner"].email], **bad},
        )
        assert answer.status_code == 400, (bad, answer.content)
        message = answer.json()["error"]["message"]
        assert words.lower() in message.lower()
        assert "Traceback" not in message


@pytest.mark.django_db
def test_alerts_are_created_snoozed_read_and_deleted_through_the_api(
    alpha: Any, beta: Any, report: Any
) -> None:
    data, _ = report
    from chat2chart.charts import services as chart_services
    from chat2chart.core.principal import Principal

    with alpha.activate():
        chart = chart_services.chart_create(
            principal=Principal.for_user(alpha.users["owner"]),
            title="Total revenue",
            spec={"type": "kpi", "encoding": {"value": "revenue"}},
            query={
                "source": data.sales.pk,
                "table": data.sales_table,
                "measures": [{"field": "revenue", "agg": "sum"}],
            },
        )
    owner = alpha.client("owner")
    created = _post(
        owner,
        "/api/v1/alerts/",
        {
            "chart": chart.pk,
            "condition": "above",
            "threshold": 1000,
            "slack_url": "https://hooks.slack.example/services/T0/B0/secret-token",
        },
    )
    assert created.status_code == 201, created.content
    alert = created.json()
    assert alert["state"]
    assert alert["condition"] == "above"
    assert alert["threshold"] == 1000
    assert {r["kind"] for r in alert["recipients"]} == {"member", "slack"}
    assert "secret-token" not in created.content.decode()

    snoozed = _post(owner, f"/api/v1/alerts/{alert['id']}/snooze/", {"minutes": 60})
    assert snoozed.status_code == 200
    assert snoozed.json()["snoozed_until"]
    assert _post(owner, f"/api/v1/alerts/{alert['id']}/snooze/", {"minutes": 7}).status_code == 400
    woken = _post(owner, f"/api/v1/alerts/{alert['id']}/snooze/", {"minutes": None})
    assert woken.json()["snoozed_until"] is None

    detail = owner.get(f"/api/v1/alerts/{alert['id']}/").json()
    assert detail["history"] == []
    assert detail["can_change"] is True
    # A viewer who does not own it cannot snooze or delete it; the other organisation cannot see it.
    assert (
        _post(alpha.client("viewer"), f"/api/v1/alerts/{alert['id']}/snooze/", {"minutes": 60}).status_code
        == 404
    )
    assert alpha.client("viewer").delete(f"/api/v1/alerts/{alert['id']}/").status_code == 404
    assert beta.client("owner").get(f"/api/v1/alerts/{alert['id']}/").status_code == 404
    assert beta.client("owner").get("/api/v1/alerts/").json()["alerts"] == []
    assert (
        _post(
            beta.client("owner"), "/api/v1/alerts/", {"chart": chart.pk, "condition": "above", "threshold": 1}
        ).status_code
        == 404
    )

    bad = _post(owner, "/api/v1/alerts/", {"chart": chart.pk, "condition": "above"})
    assert bad.status_code == 400
    assert "threshold" in bad.json()["error"]["message"].lower()

    assert owner.delete(f"/api/v1/alerts/{alert['id']}/").status_code == 204
    assert owner.get("/api/v1/alerts/").json()["alerts"] == []


@pytest.mark.django_db
def test_a_subscription_is_changed_through_the_api_and_the_edit_page_with_the_same_checks(
    alpha: Any, beta: Any, report: Any
) -> None:
    _, dashboard = report
    owner = alpha.client("owner")
    made = _post(
        owner,
        "/api/v1/subscriptions/",
        {"dashboard": dashboard.pk, "frequency": "daily", "recipients": [alpha.users["owner"].email]},
    ).json()
    path = f"/api/v1/subscriptions/{made['id']}/"

    changed = owner.patch(
        path,
        json.dumps(
            {"frequency": "weekly", "weekdays": [4], "time": "17:15", "filters": {"region": ["South"]}}
        ),
        content_type="application/json",
    )
    assert changed.status_code == 200, changed.content
    body = changed.json()
    assert body["schedule"] == "Weekly on Fri at 17:15"
    assert body["filters"] == {"region": ["South"]}
    assert body["members"] == [alpha.users["owner"].pk]  # not sent: kept
    assert body["next_run_at"] != made["next_run_at"]

    # The same refusals as a new subscription; a refused change changes nothing.
    for bad in ({"cron": "* * * * *", "frequency": "cron"}, {"filters": {"nope": ["x"]}}, {"dashboard": 1}):
        refused = owner.patch(path, json.dumps(bad), content_type="application/json")
        assert refused.status_code == 400, (bad, refused.content)
    assert owner.get(path).json()["schedule"] == "Weekly on Fri at 17:15"
    # An editor who does not own it may not change it; a viewer and another organisation do not see it.
    assert (
        alpha.client("editor")
        .patch(path, json.dumps({"title": "x"}), content_type="application/json")
        .status_code
        == 403
    )
    assert (
        alpha.client("viewer")
        .patch(path, json.dumps({"title": "x"}), content_type="application/json")
        .status_code
        == 404
    )
    assert (
        beta.client("owner")
        .patch(path, json.dumps({"title": "x"}), content_type="application/json")
        .status_code
        == 404
    )

    # The edit page shows the settings and saves through the same service.
    page = owner.get(f"/subscriptions/{made['id']}/edit/")
    assert page.status_code == 200
    assert b"Edit the subscription to" in page.content
    assert b'value="17:15"' in page.content
    saved = owner.post(
        f"/subscriptions/{made['id']}/edit/",
        {
            "title": "Monthly sales",
            "frequency": "monthly",
            "time": "06:00",
            "day_of_month": "2",
            "recipients": alpha.users["owner"].email,
            "formats": ["csv", "pdf"],
        },
    )
    assert saved.status_code == 302
    final = owner.get(path).json()
    assert final["title"] == "Monthly sales"
    assert final["schedule"].startswith("Monthly")
    assert sorted(final["formats"]) == ["csv", "pdf"]
    assert final["filters"] == {}
