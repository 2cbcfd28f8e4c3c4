# SPDX-License-Identifier: MIT
"""Structured logs: one JSON line per request with its id, organisation, person, route, status and
duration; the id in the X-Request-ID header and in every JSON error body; slow queries logged by hash."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from chat2chart.core.logs import formatter
from tests.sources.fixtures_api import run_query, upload_source


@pytest.fixture
def captured() -> Iterator[io.StringIO]:
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(formatter("json"))
    logging.getLogger().addHandler(handler)
    try:
        yield stream
    finally:
        logging.getLogger().removeHandler(handler)


def _events(stream: io.StringIO, name: str) -> list[dict]:
    return [line for line in map(json.loads, stream.getvalue().splitlines()) if line["event"] == name]


def test_every_request_gets_an_id_in_its_header_and_its_log_line(alpha, captured):
    client = alpha.client("editor")

    response = client.get("/api/v1/me/")

    assert response.status_code == 200
    request_id = response["X-Request-ID"]
    assert len(request_id) == 32
    [line] = _events(captured, "http_request")
    assert line["request_id"] == request_id
    assert line["method"] == "GET"
    assert line["route"] == "api/v1/me/"
    assert line["status"] == 200
    assert line["person"] == alpha.users["editor"].pk
    assert line["organisation"] == (alpha.slug if alpha.organization is not None else None)
    assert line["level"] == "info"
    assert isinstance(line["duration_ms"], float)
    # The person is named by id only: no address in the logs.
    assert alpha.users["editor"].email not in captured.getvalue()


def test_a_well_formed_incoming_id_is_kept_and_a_malformed_one_replaced(alpha):
    client = alpha.client("viewer")

    kept = client.get("/api/v1/me/", HTTP_X_REQUEST_ID="lb-7f3a9c2e-0001")
    replaced = client.get("/api/v1/me/", HTTP_X_REQUEST_ID='bad id"\n{injected}')

    assert kept["X-Request-ID"] == "lb-7f3a9c2e-0001"
    assert replaced["X-Request-ID"] != 'bad id"\n{injected}'
    assert len(replaced["X-Request-ID"]) == 32


def test_json_error_bodies_carry_the_request_id(alpha, captured):
    client = alpha.client("viewer")

    missing = client.get("/api/v1/no-such-endpoint/", HTTP_X_REQUEST_ID="trace-0000-missing")
    refused = client.delete("/api/v1/sources/999999/", HTTP_X_REQUEST_ID="trace-0000-refused")

    assert missing.status_code == 404
    assert missing.json()["error"]["request_id"] == "trace-0000-missing"
    assert refused.status_code in (403, 404)
    assert refused.json()["error"]["request_id"] == "trace-0000-refused"
    statuses = {line["request_id"]: line["status"] for line in _events(captured, "http_request")}
    assert statuses == {"trace-0000-missing": 404, "trace-0000-refused": refused.status_code}


def test_logs_written_during_a_request_carry_its_id(alpha, captured):
    client = alpha.client("viewer")

    client.get("/api/v1/no-such-endpoint/", HTTP_X_REQUEST_ID="trace-0000-notfound")

    # Django's own "Not Found" warning is written after the middleware returned; it still has the id.
    [warning] = [
        line
        for line in map(json.loads, captured.getvalue().splitlines())
        if line["logger"] == "django.request"
    ]
    assert warning["request_id"] == "trace-0000-notfound"
    assert warning["level"] == "warning"


def test_a_slow_query_is_logged_with_its_kind_hash_and_organisation(alpha, captured, settings):
    client = alpha.client("editor")
    source = upload_source(client).json()
    settings.AISER_SLOW_QUERY_MS = 0.001  # every query is "slow"

    response = run_query(client, source["id"])

    assert response.status_code == 200
    [slow] = _events(captured, "slow_query")
    assert slow["source_kind"] == "file"
    assert slow["source"] == source["id"]
    assert len(slow["sql_hash"]) == 16
    assert slow["organisation"] == alpha.workspace_name
    assert slow["duration_ms"] >= 0
    assert slow["request_id"] == response["X-Request-ID"]
    assert "SELECT" not in json.dumps(slow)  # the hash, never the SQL and its values


def test_fast_queries_are_not_logged(alpha, captured, settings):
    client = alpha.client("editor")
    source = upload_source(client).json()
    settings.AISER_SLOW_QUERY_MS = 60_000

    assert run_query(client, source["id"]).status_code == 200
    assert _events(captured, "slow_query") == []
