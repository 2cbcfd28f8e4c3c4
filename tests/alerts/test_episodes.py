# SPDX-License-Identifier: MIT
"""Alerts through the scheduler: one notification when a threshold is crossed, none while it stays
crossed, one "recovered"; percent change, no data and anomalies; snooze; a crashed run sends once; a
backlog evaluates once; two organisations apart. Emails go to a local SMTP server and webhooks to a local
HTTP receiver; the clock is moved with time-machine."""

from __future__ import annotations

import datetime as dt
import io

import numpy as np
import pandas as pd
import pytest
import time_machine

from chat2chart.alerts.models import AlertDelivery, AlertEvent
from chat2chart.alerts.selectors import alert_display_state
from chat2chart.alerts.sending import send_pending
from chat2chart.alerts.services import alert_check, alert_snooze, slot_for
from chat2chart.core.principal import Principal
from chat2chart.subscriptions.delivery import verify_webhook
from tests.alerts.fixtures import TOTAL, chart_on_csv, daily, make_alert, monthly, reload, replace_data, tick

# Tomorrow, half a minute past nine (alerts made now are due by then); the data ends the day before.
T0 = dt.datetime.combine(dt.date.today() + dt.timedelta(days=1), dt.time(9, 0, 30), tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def _csv(revenues: list[float]) -> str:
    days = pd.date_range(end=T0.date() - dt.timedelta(days=1), periods=len(revenues), freq="D")
    lines = ["order_date,region,revenue"] + [
        f"{d.date()},North,{r}" for d, r in zip(days, revenues, strict=True)
    ]
    return "\n".join(lines) + "\n"


def _total(csv: str) -> float:
    return float(pd.read_csv(io.StringIO(csv))["revenue"].sum())


def test_crossing_a_threshold_notifies_once_and_recovery_once(alpha, smtp, webhook):
    low, high = _csv([40, 60]), _csv([120, 80])
    chart = chart_on_csv(alpha, low, TOTAL)
    alert = make_alert(
        alpha,
        chart,
        title="Revenue above 150",
        condition="above",
        threshold=150,
        webhook_url=webhook.url,
        webhook_secret="s3cret-signing-key",
    )
    editor = alpha.users["editor"].email
    with time_machine.travel(T0, tick=False) as clock:
        tick(alpha)
        assert reload(alpha, alert).state == "ok"
        assert smtp.messages == []
        assert webhook.posts == []

        replace_data(alpha, chart, high)
        clock.shift(HOUR)
        tick(alpha)
        assert reload(alpha, alert).state == "triggered"
        [mail] = smtp.to(editor)
        assert "Triggered: Revenue above 150" in mail["Subject"]
        body = smtp.text(mail)
        assert f"Value: {_total(high):,.0f}" in body  # 200, computed from the file
        assert "Threshold: above 150" in body
        assert f"/charts/{chart.pk}/" in body
        html = mail.get_body(preferencelist=("html",)).get_content()
        assert f'/charts/{chart.pk}/">Open the chart</a>' in html
        [post] = webhook.posts
        verify_webhook(post["body"], post["headers"], "s3cret-signing-key", now=T0.timestamp() + 3600)
        assert post["json"]["event"] == "alert.triggered"
        assert post["json"]["value"] == _total(high)
        assert post["json"]["alert"]["threshold"] == 150

        for _ in range(3):  # still above: checked, nothing sent
            clock.shift(HOUR)
            tick(alpha)
        assert len(smtp.to(editor)) == 1
        assert len(webhook.posts) == 1

        replace_data(alpha, chart, low)
        clock.shift(HOUR)
        tick(alpha)
    assert reload(alpha, alert).state == "ok"
    subjects = [m["Subject"] for m in smtp.to(editor)]
    assert len(subjects) == 2
    assert "Recovered: Revenue above 150" in subjects[1]
    assert [p["json"]["event"] for p in webhook.posts] == ["alert.triggered", "alert.recovered"]
    with alpha.activate():
        assert list(
            AlertEvent.objects.filter(alert=alert).order_by("slot").values_list("state", "notice")
        ) == [
            ("ok", ""),
            ("triggered", "triggered"),
            ("ok", "recovered"),
        ]


def test_percent_change_against_the_previous_month_matches_pandas(alpha, smtp):
    rng = np.random.default_rng(7)
    days = pd.date_range("2026-01-01", "2026-03-31", freq="D")
    revenue = np.where(days.month == 3, 150.0, 100.0) + rng.integers(0, 5, len(days))
    frame = pd.DataFrame({"order_date": days.date, "region": "North", "revenue": revenue})
    csv = frame.to_csv(index=False)
    chart = chart_on_csv(alpha, csv, monthly())
    alert = make_alert(alpha, chart, condition="change", threshold=25)

    by_month = (
        frame.assign(month=pd.to_datetime(frame["order_date"]).dt.to_period("M"))
        .groupby("month")["revenue"]
        .sum()
    )
    expected = (by_month.iloc[-1] - by_month.iloc[-2]) / by_month.iloc[-2]
    assert expected > 0.25  # the planted jump
    with time_machine.travel(T0, tick=False):
        tick(alpha)
    with alpha.activate():
        event = AlertEvent.objects.get(alert=alert)
    assert event.notice == "triggered"
    assert event.details["change"] == pytest.approx(expected, rel=1e-9)
    assert event.details["previous"] == pytest.approx(by_month.iloc[-2])
    [mail] = smtp.to(alpha.users["editor"].email)
    assert f"Change: {expected:+.1%}" in smtp.text(mail)


def test_an_alert_on_missing_data_fires_when_the_last_week_is_empty(alpha, smtp):
    csv = _csv([10] * 31)  # the month before T0
    query = {**TOTAL, "filters": [{"field": "order_date", "op": "last_n", "value": 7, "unit": "day"}]}
    chart = chart_on_csv(alpha, csv, query)
    alert = make_alert(alpha, chart, condition="no_data")
    with time_machine.travel(T0, tick=False) as clock:
        tick(alpha)  # the last week has data
        assert reload(alpha, alert).state == "ok"
        clock.shift(dt.timedelta(days=10))
        tick(alpha)
    assert reload(alpha, alert).state == "triggered"
    [mail] = smtp.to(alpha.users["editor"].email)
    assert "has no data" in smtp.text(mail)


def test_an_anomaly_alert_fires_on_a_planted_spike_only(alpha, smtp, webhook):
    rng = np.random.default_rng(3)
    calm = list(np.round(100 + rng.normal(0, 3, 40), 2))
    chart = chart_on_csv(alpha, _csv(calm[:-1]), daily())
    alert = make_alert(alpha, chart, condition="anomaly", webhook_url=webhook.url, notify_me=False)
    with time_machine.travel(T0, tick=False) as clock:
        tick(alpha)
        assert reload(alpha, alert).state == "ok"
        replace_data(alpha, chart, _csv([*calm[:-1], 180.0]))
        clock.shift(HOUR)
        tick(alpha)
    assert reload(alpha, alert).state == "triggered"
    [post] = webhook.posts
    payload = post["json"]
    assert payload["value"] == 180.0
    assert payload["low"] < float(np.mean(calm)) < payload["high"] < 180.0
    assert payload["period"].startswith(str(T0.date() - dt.timedelta(days=1)))


def test_a_snoozed_alert_keeps_its_state_but_sends_nothing(alpha, smtp):
    chart = chart_on_csv(alpha, _csv([10, 10]), TOTAL)
    alert = make_alert(alpha, chart, condition="above", threshold=5)
    with alpha.activate():
        alert_snooze(principal=Principal.for_user(alpha.users["editor"]), alert=alert, minutes=240)
    with time_machine.travel(dt.datetime.now(dt.UTC) + dt.timedelta(minutes=1), tick=False) as clock:
        tick(alpha)
        snoozed = reload(alpha, alert)
        assert snoozed.state == "triggered"
        assert alert_display_state(snoozed) == "snoozed"
        clock.shift(dt.timedelta(hours=5))  # awake again, still above: the episode began while snoozed
        tick(alpha)
        assert alert_display_state(reload(alpha, alert)) == "triggered"
        replace_data(alpha, chart, _csv([1, 1]))
        clock.shift(HOUR)
        tick(alpha)  # recovered, but nobody was told it began, so nobody is told it ended
    assert reload(alpha, alert).state == "ok"
    assert smtp.messages == []


def test_a_run_repeated_after_a_crash_sends_once(alpha, smtp):
    chart = chart_on_csv(alpha, _csv([10, 10]), TOTAL)
    alert = make_alert(alpha, chart, condition="above", threshold=5)
    editor = alpha.users["editor"].email
    slot = slot_for(T0, 60)
    with time_machine.travel(T0, tick=False), alpha.activate():
        # The worker evaluated and committed, then died before sending: the same run again evaluates
        # nothing, and the restarted scheduler sends the queued notice.
        assert alert_check(alert_id=alert.pk, slot=slot) is not None
        assert alert_check(alert_id=alert.pk, slot=slot) is None
        assert smtp.messages == []
    tick(alpha)
    tick(alpha)
    assert len(smtp.to(editor)) == 1
    # It died after the SMTP server took the message but before marking it sent: the retry is a duplicate.
    with alpha.activate():
        AlertDelivery.objects.filter(event__alert=alert).update(status="pending")
        assert send_pending(workspace=alpha.workspace_name) == {"skipped_duplicate": 1}
        assert AlertDelivery.objects.get(event__alert=alert).status == "sent"
    assert len(smtp.to(editor)) == 1


def test_a_backlog_of_missed_checks_is_evaluated_once(alpha, smtp):
    chart = chart_on_csv(alpha, _csv([10, 10]), TOTAL)
    alert = make_alert(alpha, chart, condition="above", threshold=5, interval_minutes=15)
    with time_machine.travel(T0, tick=False) as clock:
        tick(alpha)
        clock.shift(dt.timedelta(hours=30))  # the scheduler was down for 120 slots
        assert tick(alpha) == [alert.pk]
        assert tick(alpha) == []  # not due again until the next slot
        after = reload(alpha, alert)
    assert after.next_check_at == slot_for(T0 + dt.timedelta(hours=30), 15) + dt.timedelta(minutes=15)
    with alpha.activate():
        assert AlertEvent.objects.filter(alert=alert).count() == 1
    assert len(smtp.messages) == 1


def test_the_beat_entry_checks_every_organisation_in_its_own_workspace(alpha, beta, smtp):
    from chat2chart.alerts.tasks import check_due_everywhere

    alert_a = make_alert(alpha, chart_on_csv(alpha, _csv([10, 10]), TOTAL), condition="above", threshold=5)
    alert_b = make_alert(beta, chart_on_csv(beta, _csv([1, 1]), TOTAL), condition="above", threshold=5)
    with time_machine.travel(T0, tick=False):
        assert {alpha.workspace_name, beta.workspace_name} <= set(check_due_everywhere())
    assert (reload(alpha, alert_a).state, reload(beta, alert_b).state) == ("triggered", "ok")
    assert [address for address, _ in smtp.messages] == [alpha.users["editor"].email]


def test_organisations_are_checked_and_listed_apart(alpha, beta, smtp):
    chart_a = chart_on_csv(alpha, _csv([10, 10]), TOTAL, title="Alpha revenue")
    chart_b = chart_on_csv(beta, _csv([10, 10]), TOTAL, title="Beta revenue")
    alert_a = make_alert(alpha, chart_a, title="Alpha alert", condition="above", threshold=5)
    alert_b = make_alert(beta, chart_b, title="Beta alert", condition="above", threshold=5)
    with time_machine.travel(T0, tick=False):
        assert tick(alpha) == [alert_a.pk]
    assert reload(beta, alert_b).state == "pending"
    assert [address for address, _ in smtp.messages] == [alpha.users["editor"].email]
    page = beta.client("owner").get("/alerts/")
    assert "Beta alert" in page.content.decode()
    assert "Alpha alert" not in page.content.decode()
    outsider = beta.client("owner")
    outsider.defaults["HTTP_HOST"] = alpha.host
    assert outsider.get(f"/alerts/{alert_a.pk}/").status_code in (302, 403, 404)


def test_slack_gets_what_was_measured_and_the_link(alpha, webhook):
    chart = chart_on_csv(alpha, _csv([300, 200]), TOTAL, title="Daily takings")
    make_alert(
        alpha,
        chart,
        title="Takings below 1000",
        condition="below",
        threshold=1000,
        notify_me=False,
        slack_url=webhook.url,
    )
    with time_machine.travel(T0, tick=False):
        tick(alpha)
    [post] = webhook.posts
    text = post["json"]["text"]
    assert "Triggered: Takings below 1000" in text
    assert "revenue on the chart “Daily takings”" in text
    assert "Value: 500" in text
    assert "Threshold: below 1,000" in text
    assert f"/charts/{chart.pk}/" in text


def test_a_chart_changed_into_something_unreadable_is_reported_not_crashed(alpha, smtp):
    chart = chart_on_csv(alpha, _csv([10, 10]), TOTAL)
    alert = make_alert(alpha, chart, condition="above", threshold=5)
    with alpha.activate():
        chart.query = {**chart.query, "dimensions": [{"field": "region"}]}
        chart.save()
    with time_machine.travel(T0, tick=False):
        assert tick(alpha) == [alert.pk]
    checked = reload(alpha, alert)
    assert checked.state == "no_data"
    assert "grouped by region" in checked.last_summary
    assert smtp.messages == []


def test_a_failed_send_is_tried_again_on_the_next_tick_and_arrives_once(alpha, webhook):
    chart = chart_on_csv(alpha, _csv([10, 10]), TOTAL)
    alert = make_alert(alpha, chart, condition="above", threshold=5, notify_me=False, webhook_url=webhook.url)
    webhook.failures[0] = 1  # the receiver is down for the first try
    with time_machine.travel(T0, tick=False) as clock:
        tick(alpha)
        assert webhook.posts == []
        with alpha.activate():
            delivery = AlertDelivery.objects.get(event__alert=alert)
        assert (delivery.status, delivery.attempts) == ("failed", 1)
        assert "503" in delivery.error
        clock.shift(dt.timedelta(minutes=1))
        tick(alpha)
        tick(alpha)
    assert len(webhook.posts) == 1
    with alpha.activate():
        assert AlertDelivery.objects.get(event__alert=alert).status == "sent"


def test_a_month_not_yet_over_is_not_judged(alpha, smtp):
    # Data through yesterday, the 14th: April holds half a month. Judged with it, "below 3,000" would fire
    # (April so far is about 1,400); the last complete month, March, is about 3,100.
    today = dt.datetime(2026, 4, 15, 9, 0, 30, tzinfo=dt.UTC)
    days = pd.date_range("2026-01-01", "2026-04-14", freq="D")
    frame = pd.DataFrame({"order_date": days.date, "region": "North", "revenue": 100.0})
    with time_machine.travel(today - dt.timedelta(hours=1), tick=False):
        chart = chart_on_csv(alpha, frame.to_csv(index=False), monthly())
        alert = make_alert(alpha, chart, condition="below", threshold=3_000)
    march = float(frame[pd.to_datetime(frame["order_date"]).dt.month == 3]["revenue"].sum())
    assert march > 3_000 > float(frame[pd.to_datetime(frame["order_date"]).dt.month == 4]["revenue"].sum())
    with time_machine.travel(today, tick=False), alpha.activate():
        alert_check(alert_id=alert.pk, slot=slot_for(today, reload(alpha, alert).interval_minutes))
    assert reload(alpha, alert).state == "ok"
    with alpha.activate():
        assert not AlertEvent.objects.filter(alert=alert, notice="triggered").exists()
    assert smtp.to(alpha.users["editor"].email) == []
