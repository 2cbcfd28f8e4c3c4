# SPDX-License-Identifier: MIT
"""A cached answer of `POST /api/v1/query/` is the stored body, byte for byte, with only `cached` and
`elapsed_ms` new: the same rows, columns, SQL and truncation as the answer that filled the cache."""

import io

import orjson
import pandas as pd

from chat2chart.core.principal import Principal
from chat2chart.sources.querying import query_run
from chat2chart.sources.semantic import SemanticQuery
from tests.sources.fixtures_api import REVENUE_BY_REGION, SALES_CSV, run_query, upload_source


def _without_timing(body: dict) -> dict:
    return {key: value for key, value in body.items() if key not in ("cached", "elapsed_ms")}


def test_a_cached_answer_is_the_stored_answer_with_only_cached_and_time_new(alpha):
    client = alpha.client("viewer")
    source = upload_source(alpha.client("editor")).json()["id"]
    first = run_query(client, source)
    second = run_query(client, source)
    assert first.status_code == second.status_code == 200
    miss, hit = orjson.loads(first.content), orjson.loads(second.content)
    assert (miss["cached"], hit["cached"]) == (False, True)
    assert _without_timing(hit) == _without_timing(miss)
    assert list(hit) == list(miss)  # the same keys in the same order

    expected = pd.read_csv(io.StringIO(SALES_CSV)).groupby("region")["revenue"].sum()
    assert {region: revenue for region, revenue in hit["rows"]} == expected.to_dict()

    # The service's own cache hit (charts, dashboards, answers) gives the same body.
    with alpha.activate():
        service_hit = query_run(
            query=SemanticQuery.parse({"source": source, **REVENUE_BY_REGION}),
            principal=Principal.for_user(alpha.users["viewer"]),
        )
    assert service_hit.cached is True
    assert _without_timing(orjson.loads(service_hit.to_json_bytes())) == _without_timing(hit)


def test_a_cached_truncated_answer_stays_truncated(alpha, settings):
    settings.AISER_QUERY_MAX_ROWS = 2
    client = alpha.client("viewer")
    source = upload_source(alpha.client("editor")).json()["id"]
    miss = run_query(client, source).json()
    hit = run_query(client, source).json()
    assert miss["truncated"] is True
    assert len(miss["rows"]) == 2
    assert hit["cached"] is True
    assert _without_timing(hit) == _without_timing(miss)


def test_a_cached_answer_is_refused_to_a_member_who_may_not_ask(alpha, beta):
    source = upload_source(alpha.client("editor")).json()["id"]
    assert run_query(alpha.client("viewer"), source).status_code == 200
    outsider = beta.client("owner")
    outsider.defaults["HTTP_HOST"] = alpha.host
    assert run_query(outsider, source).status_code == 404
    assert run_query(alpha.anonymous_client(), source).status_code in (401, 403)


def _revenue(csv: str) -> dict[str, float]:
    return pd.read_csv(io.StringIO(csv)).groupby("region")["revenue"].sum().to_dict()


def test_a_new_version_is_answered_on_the_very_next_request_in_each_organisation(alpha, beta):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from tests.sources.fixtures_api import SALES_CSV_V2, upload_new_version

    sources = {ws.slug: upload_source(ws.client("editor")).json()["id"] for ws in (alpha, beta)}
    for ws in (alpha, beta):
        assert run_query(ws.client("viewer"), sources[ws.slug]).json()["cached"] is False
        with CaptureQueriesContext(connection) as queries:
            hit = run_query(ws.client("viewer"), sources[ws.slug]).json()
        assert hit["cached"] is True
        # The source's version came from the cache: the hit read no source row.
        assert not [q for q in queries.captured_queries if '"sources_source"' in q["sql"]]

    for changed, other in ((alpha, beta), (beta, alpha)):
        uploaded = upload_new_version(changed.client("editor"), sources[changed.slug], SALES_CSV_V2)
        assert uploaded.status_code < 300
        fresh = run_query(changed.client("viewer"), sources[changed.slug]).json()
        assert fresh["cached"] is False
        assert {region: revenue for region, revenue in fresh["rows"]} == _revenue(SALES_CSV_V2)
        # The other organisation's cached answer is untouched by this one's new version.
        untouched = run_query(other.client("viewer"), sources[other.slug]).json()
        assert untouched["cached"] is True
        expected_other = SALES_CSV_V2 if other is alpha else SALES_CSV
        assert {region: revenue for region, revenue in untouched["rows"]} == _revenue(expected_other)
