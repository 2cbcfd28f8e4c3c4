# SPDX-License-Identifier: MIT
"""Usage is metered per organisation and month, and plan limits stop work with a clear 429."""

import pytest

from chat2chart.core import hooks
from chat2chart.core.errors import LimitExceeded

pytestmark = pytest.mark.enterprise


def _used(workspace, event):
    from enterprise.billing.models import UsageCounter
    from enterprise.billing.services import usage_drain

    usage_drain()  # counts wait in Redis until the drain moves them into the database
    counter = UsageCounter.objects.filter(organization=workspace.organization, event=event).first()
    return counter.quantity if counter else 0


def test_usage_is_counted_per_organisation(alpha, beta):
    # Other tests that commit (websocket, browser) meter usage too: compare with what was there.
    alpha_before, beta_before = _used(alpha, "rows_ingested"), _used(beta, "rows_ingested")
    with alpha.activate():
        hooks.record_usage("rows_ingested", 500)
        hooks.record_usage("rows_ingested", 250)
    with beta.activate():
        hooks.record_usage("rows_ingested", 7)
    assert _used(alpha, "rows_ingested") - alpha_before == 750
    assert _used(beta, "rows_ingested") - beta_before == 7


def test_limit_stops_only_the_organisation_that_spent_it(alpha, beta):
    from enterprise.billing.models import PlanLimit

    already = _used(alpha, "question_asked")
    PlanLimit.objects.create(
        organization=alpha.organization, event="question_asked", monthly_quantity=already + 2
    )
    with alpha.activate():
        hooks.record_usage("question_asked", 2)
        with pytest.raises(LimitExceeded, match="AI questions a month"):
            hooks.check_limit("question_asked")
    with beta.activate():
        hooks.record_usage("question_asked", 2)
        hooks.check_limit("question_asked")
