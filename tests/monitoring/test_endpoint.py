# SPDX-License-Identifier: MIT
"""`/metrics`: only with the bearer token or from an allowed address, on any host, never naming an
organisation; the core edition serves none."""

from __future__ import annotations

import pytest
from django.test import Client

from tests.monitoring.conftest import TOKEN, value


def get_metrics(host: str = "127.0.0.1", **extra: str):
    return Client(HTTP_HOST=host).get("/metrics", **extra)


@pytest.mark.enterprise
def test_metrics_refuses_a_request_without_the_token(settings, db):
    settings.AISER_METRICS_TOKEN = TOKEN
    settings.AISER_METRICS_ALLOWED_ADDRESSES = []
    missing = get_metrics()
    assert missing.status_code == 401
    assert missing["WWW-Authenticate"].startswith("Bearer")
    assert "token" in missing.json()["error"]["message"]
    assert get_metrics(HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert get_metrics(HTTP_AUTHORIZATION=TOKEN).status_code == 401  # the word Bearer is required
    allowed = get_metrics(HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert allowed.status_code == 200
    assert allowed["Content-Type"].startswith("text/plain")
    assert b"django_http_requests_total_by_method_total" in allowed.content


@pytest.mark.enterprise
def test_metrics_refuses_an_address_not_on_the_allow_list(settings, db):
    settings.AISER_METRICS_TOKEN = ""
    settings.AISER_METRICS_ALLOWED_ADDRESSES = ["10.0.0.0/8", "192.0.2.7"]
    refused = get_metrics(REMOTE_ADDR="127.0.0.1")
    assert refused.status_code == 403
    assert refused.json()["error"]["message"] == "This address may not read the metrics."
    assert get_metrics(REMOTE_ADDR="192.0.2.8").status_code == 403
    assert get_metrics(REMOTE_ADDR="10.20.30.40").status_code == 200
    assert get_metrics(REMOTE_ADDR="192.0.2.7").status_code == 200


@pytest.mark.enterprise
def test_metrics_are_off_until_a_token_or_an_address_is_set(settings, db):
    settings.AISER_METRICS_TOKEN = ""
    settings.AISER_METRICS_ALLOWED_ADDRESSES = []
    response = get_metrics(HTTP_AUTHORIZATION="Bearer ")
    assert response.status_code == 403
    assert "AISER_METRICS_TOKEN" in response.json()["error"]["message"]


@pytest.mark.enterprise
def test_metrics_only_allow_reading(settings, db):
    settings.AISER_METRICS_TOKEN = TOKEN
    response = Client(HTTP_HOST="127.0.0.1").post("/metrics", HTTP_AUTHORIZATION=f"Bearer {TOKEN}")
    assert response.status_code == 405


@pytest.mark.enterprise
def test_metrics_answer_on_an_organisation_host_and_on_a_bare_address(settings, alpha, scrape):
    settings.AISER_METRICS_TOKEN = TOKEN
    for host in (alpha.host, "127.0.0.1:8000", "10.1.2.3"):
        assert get_metrics(host, HTTP_AUTHORIZATION=f"Bearer {TOKEN}").status_code == 200, host


@pytest.mark.enterprise
def test_the_scrape_says_whether_the_database_and_redis_answer(settings, scrape):
    samples = scrape()
    assert value(samples, "aiser_dependency_up", dependency="database") == 1
    if settings.REDIS_URL:
        assert value(samples, "aiser_dependency_up", dependency="redis") == 1
        assert ("aiser_celery_queue_length", frozenset({("queue", "celery")})) in samples
    assert value(samples, "aiser_ready") == 1
    assert value(samples, "aiser_data_dir_size_bytes") > value(samples, "aiser_data_dir_free_bytes") > 0


@pytest.mark.enterprise
def test_an_unreachable_redis_reads_as_down_and_not_ready(settings, scrape):
    import socket

    with socket.socket() as sock:  # a port nothing listens on: connection refused at once
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    settings.REDIS_URL = f"redis://127.0.0.1:{closed}/0"
    samples = scrape()
    assert value(samples, "aiser_dependency_up", dependency="redis") == 0
    assert value(samples, "aiser_dependency_up", dependency="database") == 1
    assert value(samples, "aiser_ready") == 0


@pytest.mark.core
def test_the_core_edition_serves_no_metrics(db):
    assert Client().get("/metrics").status_code == 404


@pytest.mark.enterprise
@pytest.mark.redis
def test_requests_database_queries_and_cache_reads_are_counted(settings, alpha, scrape):
    from django.core.cache import cache

    if not settings.REDIS_URL:
        pytest.skip("the cache is Redis only with REDIS_URL")
    before = scrape()
    assert alpha.client("owner").get("/api/v1/me/").status_code == 200
    assert cache.get("metrics-test-missing") is None
    cache.set("metrics-test-present", 0)
    assert cache.get("metrics-test-present") == 0  # a stored falsy value is a hit, returned as stored
    assert cache.get_many(["metrics-test-present", "metrics-test-missing"]) == {"metrics-test-present": 0}
    after = scrape()

    def grew(name: str, **labels: str) -> float:
        return value(after, name, **labels) - value(before, name, **labels)

    assert (
        grew(
            "django_http_requests_total_by_view_transport_method_total",
            view="api-me",
            transport="http",
            method="GET",
        )
        == 1
    )
    assert grew("django_db_execute_total", alias="default", vendor="postgresql") > 0
    assert grew("django_cache_get_hits_total", backend="redis") >= 2
    assert grew("django_cache_get_misses_total", backend="redis") >= 2
