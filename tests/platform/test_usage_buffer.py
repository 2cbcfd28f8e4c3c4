# SPDX-License-Identifier: MIT
"""Usage is counted in Redis on the hot path and drained into the database without losing or repeating
a count, also when a drain fails half-way; without Redis it is written at once."""

import pytest

from chat2chart.core import hooks
from tests.sources.fixtures_api import REVENUE_BY_REGION, upload_source

pytestmark = pytest.mark.enterprise


def _counted(workspace, event):
    from enterprise.billing.models import UsageCounter

    row = UsageCounter.objects.filter(organization=workspace.organization, event=event).first()
    return row.quantity if row else 0


@pytest.fixture
def buffered(settings):
    if not settings.REDIS_URL:
        pytest.skip("the usage buffer needs Redis (REDIS_URL)")
    from enterprise.billing.services import usage_drain

    usage_drain()  # start from an empty buffer


def test_queries_are_counted_exactly_after_a_drain_in_each_organisation(alpha, beta, buffered):
    from enterprise.billing.services import usage_drain

    requests = {"alpha": 7, "beta": 3}
    before = {w.slug: _counted(w, "query_run") for w in (alpha, beta)}
    for workspace in (alpha, beta):
        client = workspace.client("viewer")
        source = upload_source(workspace.client("editor")).json()["id"]
        for _ in range(requests[workspace.slug]):
            response = client.post(
                "/api/v1/query/", {**REVENUE_BY_REGION, "source": source}, content_type="application/json"
            )
            assert response.status_code == 200, response.content
    # Nothing reached the database yet: the requests only appended to the buffer.
    assert {w.slug: _counted(w, "query_run") for w in (alpha, beta)} == before
    assert usage_drain() == 1
    assert {w.slug: _counted(w, "query_run") - before[w.slug] for w in (alpha, beta)} == requests
    assert usage_drain() == 0  # nothing is added twice
    assert {w.slug: _counted(w, "query_run") - before[w.slug] for w in (alpha, beta)} == requests


def test_a_drain_that_fails_in_the_database_loses_nothing(alpha, beta, buffered, monkeypatch):
    from enterprise.billing import services

    with alpha.activate():
        hooks.record_usage("rows_ingested", 500)
    with beta.activate():
        hooks.record_usage("rows_ingested", 7)
    before = (_counted(alpha, "rows_ingested"), _counted(beta, "rows_ingested"))

    real_upsert = services._UPSERT
    monkeypatch.setattr(services, "_UPSERT", real_upsert.replace("INSERT INTO", "INSERT INTO no_such_table"))
    with pytest.raises(Exception, match="no_such_table"):
        services.usage_drain()
    monkeypatch.setattr(services, "_UPSERT", real_upsert)
    assert (_counted(alpha, "rows_ingested"), _counted(beta, "rows_ingested")) == before

    # Counted while the failed batch waited: both end up in the database, once each.
    with alpha.activate():
        hooks.record_usage("rows_ingested", 250)
    assert services.usage_drain() == 2
    assert _counted(alpha, "rows_ingested") - before[0] == 750
    assert _counted(beta, "rows_ingested") - before[1] == 7


def test_a_drain_that_dies_after_its_commit_does_not_count_twice(alpha, buffered, monkeypatch):
    import redis

    from enterprise.billing import services

    with alpha.activate():
        hooks.record_usage("question_asked", 4)
    before = _counted(alpha, "question_asked")

    def dies(self, *args, **kwargs):
        raise redis.ConnectionError("the worker died before it cleaned up")

    with monkeypatch.context() as patch:
        patch.setattr(redis.client.Pipeline, "execute", dies)
        with pytest.raises(redis.ConnectionError):
            services.usage_drain()
    assert _counted(alpha, "question_asked") - before == 4  # committed with its batch id
    assert services.usage_drain() == 0  # the leftover batch is recognised and only cleaned up
    assert _counted(alpha, "question_asked") - before == 4


def test_without_redis_usage_is_written_at_once(alpha, settings):
    settings.REDIS_URL = ""
    before = _counted(alpha, "rows_ingested")
    with alpha.activate():
        hooks.record_usage("rows_ingested", 42)
    assert _counted(alpha, "rows_ingested") - before == 42


def test_plan_limits_count_what_waits_in_the_buffer(alpha, buffered):
    from chat2chart.core.errors import LimitExceeded
    from enterprise.billing.models import PlanLimit

    already = _counted(alpha, "question_asked")
    PlanLimit.objects.create(
        organization=alpha.organization, event="question_asked", monthly_quantity=already + 3
    )
    with alpha.activate():
        hooks.record_usage("question_asked", 3)  # still in Redis
        with pytest.raises(LimitExceeded):
            hooks.check_limit("question_asked")
