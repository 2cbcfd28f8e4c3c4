# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Metered usage reaches Stripe's billing meters exactly: a fake Stripe that fails (or loses the answer
of) every other call loses and doubles nothing, and the daily reconciliation sends only what is missing."""

from __future__ import annotations

import contextlib
from datetime import UTC, datetime, timedelta

import pytest
import time_machine

from chat2chart.core import hooks

pytestmark = pytest.mark.enterprise

MID_MONTH = datetime(2026, 3, 15, 10, 0, tzinfo=UTC)
QUESTIONS = "aiser_ai_questions"


@pytest.fixture
def march():
    with time_machine.travel(MID_MONTH, tick=True) as traveller:
        yield traveller


def _customer(workspace) -> str:
    from enterprise.billing.plans import subscription_of
    from enterprise.billing.subscriptions import customer_ensure

    return customer_ensure(subscription_of(workspace.organization))


def _use(workspace, event, quantity):
    from enterprise.billing.services import usage_drain

    with workspace.activate():
        hooks.record_usage(event, quantity, user_id=workspace.users["editor"].pk)
    usage_drain()


def _counted(workspace, event):
    from enterprise.billing.models import UsageCounter

    row = UsageCounter.objects.filter(
        organization=workspace.organization, event=event, month=MID_MONTH.date().replace(day=1)
    ).first()
    return row.quantity if row else 0


def _report_until_done(attempts=10):
    from enterprise.billing.metering import MeterReportFailed, meter_report

    for _ in range(attempts):
        try:
            return meter_report()
        except MeterReportFailed:
            continue
    raise AssertionError("meter_report kept failing")


@pytest.mark.parametrize("failure", ["every_other", "lose_every_other"])
def test_failing_stripe_never_loses_or_doubles_usage(fake_stripe, alpha, march, failure):
    from enterprise.billing.metering import MeterReportFailed, meter_report

    customer = _customer(alpha)
    fake_stripe.meter_failure = failure
    for quantity in (3, 5, 7):
        _use(alpha, "question_asked", quantity)
        with contextlib.suppress(MeterReportFailed):  # the row stays pending; the next run resends it
            meter_report()
    _report_until_done()

    assert _counted(alpha, "question_asked") == 15
    assert fake_stripe.metered(customer, QUESTIONS) == 15


def test_each_report_sends_only_new_usage_with_a_fixed_identifier(fake_stripe, alpha, march):
    from enterprise.billing.metering import meter_report
    from enterprise.billing.models import MeterReport

    customer = _customer(alpha)
    _use(alpha, "question_asked", 4)
    meter_report()
    _use(alpha, "question_asked", 2)
    meter_report()
    meter_report()  # nothing new: nothing sent

    rows = MeterReport.objects.filter(organization=alpha.organization, event="question_asked").order_by("pk")
    assert [(row.quantity, row.sent_at is not None) for row in rows] == [(4, True), (2, True)]
    assert sorted(fake_stripe.meter_events) == sorted(row.identifier for row in rows)
    assert fake_stripe.metered(customer, QUESTIONS) == 6


def test_only_organisations_with_a_stripe_customer_are_reported_and_each_to_its_own(
    fake_stripe, alpha, beta, march
):
    from enterprise.billing.metering import meter_report

    customer = _customer(alpha)
    _use(alpha, "llm_tokens", 1200)
    _use(beta, "llm_tokens", 999)

    meter_report()

    assert fake_stripe.metered(customer, "aiser_llm_tokens") == 1200
    assert {event["payload"]["stripe_customer_id"] for event in fake_stripe.meter_events.values()} == {
        customer
    }


def test_reconciliation_sends_only_what_stripe_lacks(fake_stripe, alpha, march):
    from enterprise.billing.metering import meter_reconcile, meter_report
    from enterprise.billing.models import MeterReport

    customer = _customer(alpha)
    _use(alpha, "question_asked", 10)
    meter_report()
    _use(alpha, "question_asked", 5)
    meter_report()
    lost = next(key for key, value in fake_stripe.meter_events.items() if value["payload"]["value"] == "5")
    del fake_stripe.meter_events[lost]  # Stripe dropped one event
    march.shift(timedelta(hours=2))  # past the hour reconciliation waits for Stripe's totals

    assert meter_reconcile() == 5
    assert fake_stripe.metered(customer, QUESTIONS) == 15
    assert meter_reconcile() == 0  # nothing is missing any more
    assert fake_stripe.metered(customer, QUESTIONS) == 15
    _use(alpha, "question_asked", 1)
    meter_report()  # the regular report is not confused by the reconciliation's row
    assert fake_stripe.metered(customer, QUESTIONS) == 16
    assert MeterReport.objects.filter(organization=alpha.organization, reconciliation=True).count() == 1


def test_celery_task_asks_for_a_retry_and_a_retry_completes_the_report(fake_stripe, alpha, march):
    from celery.exceptions import Retry

    from enterprise.billing import tasks

    customer = _customer(alpha)
    fake_stripe.meter_failure = "every_other"
    _use(alpha, "embed_view", 8)
    _use(alpha, "rows_ingested", 500)

    with pytest.raises(Retry):
        tasks.meter_report.apply()  # eager mode raises what a worker would schedule
    for _ in range(5):
        try:
            tasks.meter_report.apply()
            break
        except Retry:
            continue

    assert fake_stripe.metered(customer, "aiser_embed_views") == 8
    assert fake_stripe.metered(customer, "aiser_rows_ingested") == 500
