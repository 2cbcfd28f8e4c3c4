# SPDX-License-Identifier: MIT
"""REST sources: a local HTTP server serves paginated JSON; Aiser fetches it into a table, answers
queries, refreshes on demand and on schedule, and keeps the API's headers secret."""

from __future__ import annotations

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.management import call_command
from django.utils import timezone

from tests.sources.fixtures_api import error_message, patch_json, post_json, run_query

TOKEN = "rest-Token-never-shown-7"


class _Api:
    def __init__(self) -> None:
        self.records = [{"id": i, "team": "red" if i % 2 else "blue", "score": i * 10} for i in range(1, 8)]
        self.page_size = 3
        self.seen_tokens: list[str | None] = []


@pytest.fixture
def rest_api():
    """A JSON API on a free local port: /scores?page=N → {"data": [...]} three records a page."""
    api = _Api()

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's naming
            api.seen_tokens.append(self.headers.get("X-Token"))
            parts = urlsplit(self.path)
            if parts.path != "/scores":
                self.send_error(404)
                return
            page = int(parse_qs(parts.query).get("page", ["1"])[0])
            start = (page - 1) * api.page_size
            body = json.dumps({"data": api.records[start : start + api.page_size]}).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            return

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    api.url = f"http://127.0.0.1:{server.server_port}/scores"
    yield api
    server.shutdown()
    server.server_close()


@pytest.fixture(autouse=True)
def _private_hosts_allowed(settings):
    settings.AISER_ALLOW_PRIVATE_SOURCES = True


def _config(api, **extra):
    return {
        "url": api.url,
        "records_path": "data",
        "pagination": "page",
        "page_param": "page",
        "headers": {"X-Token": TOKEN},
        **extra,
    }


def _create(client, api, **extra):
    return post_json(
        client, "/api/v1/sources/", {"name": "Scores API", "kind": "rest", "config": _config(api), **extra}
    )


TOTAL_BY_TEAM = {
    "table": "scores_api",
    "measures": [{"field": "score", "agg": "sum"}],
    "dimensions": [{"field": "team"}],
    "order": [{"field": "team"}],
}


def test_a_paginated_rest_api_is_ingested_into_a_table_and_answers_queries(alpha, rest_api):
    client = alpha.client("editor")
    response = _create(client, rest_api)
    assert response.status_code == 201, response.content
    source = response.json()
    assert source["status"] == "ready", source["error"]
    assert source["tables"] == ["scores_api"]
    assert source["progress"]["rows"] == 7
    assert source["headers_set"] is True
    assert TOKEN not in response.content.decode()
    assert set(rest_api.seen_tokens) == {TOKEN}

    answer = run_query(client, source["id"], TOTAL_BY_TEAM)
    assert answer.status_code == 200, answer.content
    assert answer.json()["rows"] == [["blue", 120], ["red", 160]]
    listed = client.get(f"/api/v1/sources/{source['id']}/").content.decode()
    assert TOKEN not in listed


def test_refreshing_fetches_the_api_again_into_a_new_version(alpha, rest_api):
    client = alpha.client("editor")
    source = _create(client, rest_api).json()
    assert run_query(client, source["id"], TOTAL_BY_TEAM).json()["cached"] is False
    rest_api.records.append({"id": 8, "team": "blue", "score": 1000})

    refreshed = client.post(f"/api/v1/sources/{source['id']}/refresh/")
    assert refreshed.status_code == 202
    assert refreshed.json()["version"] == source["version"] + 1
    answer = run_query(client, source["id"], TOTAL_BY_TEAM).json()
    assert answer["cached"] is False
    assert answer["rows"] == [["blue", 1120], ["red", 160]]


def test_a_failing_refresh_keeps_the_previous_records_queryable(alpha, rest_api):
    client = alpha.client("editor")
    source = _create(client, rest_api).json()
    patched = patch_json(
        client,
        f"/api/v1/sources/{source['id']}/",
        {"config": {"url": rest_api.url.replace("/scores", "/missing")}},
    )
    assert patched.status_code == 200
    assert patched.json()["status"] == "failed"
    assert "404" in patched.json()["error"]
    assert run_query(client, source["id"], TOTAL_BY_TEAM).json()["rows"] == [["blue", 120], ["red", 160]]


def test_due_rest_sources_are_refreshed_on_schedule(alpha, rest_api):
    from chat2chart.sources.models import Source

    client = alpha.client("editor")
    source = _create(client, rest_api, refresh_interval_minutes=30).json()
    call_command("refresh_sources", workspace=[alpha.workspace_name])
    with alpha.activate():
        assert Source.objects.get(pk=source["id"]).version == source["version"]  # not due yet
        Source.objects.filter(pk=source["id"]).update(refreshed_at=timezone.now() - timedelta(minutes=31))
    rest_api.records.append({"id": 9, "team": "red", "score": 5})
    call_command("refresh_sources", workspace=[alpha.workspace_name])
    with alpha.activate():
        assert Source.objects.get(pk=source["id"]).version == source["version"] + 1
    assert run_query(client, source["id"], TOTAL_BY_TEAM).json()["rows"] == [["blue", 120], ["red", 165]]


def test_changing_the_url_to_another_server_needs_the_headers_again(alpha, rest_api):
    client = alpha.client("editor")
    source = _create(client, rest_api).json()
    response = patch_json(
        client, f"/api/v1/sources/{source['id']}/", {"config": {"url": "http://127.0.0.2:9/scores"}}
    )
    assert response.status_code == 400
    assert error_message(response).startswith("config.headers")


def test_rest_settings_are_strictly_typed(alpha, rest_api):
    client = alpha.client("editor")
    response = post_json(
        client,
        "/api/v1/sources/",
        {"name": "x", "kind": "rest", "config": {**_config(rest_api), "url": ["http://a"]}},
    )
    assert response.status_code == 400
    assert "url" in error_message(response)
    extra = post_json(
        client,
        "/api/v1/sources/",
        {"name": "x", "kind": "rest", "config": {**_config(rest_api), "method": "POST"}},
    )
    assert extra.status_code == 400
    assert "method" in error_message(extra)


def test_with_object_storage_the_fetched_records_and_table_live_in_the_bucket(alpha, rest_api, s3, settings):
    from tests.sources.fixtures_s3 import keys_under

    client = alpha.client("editor")
    source = _create(client, rest_api).json()
    assert source["status"] == "ready", source["error"]
    assert run_query(client, source["id"], TOTAL_BY_TEAM).json()["rows"] == [["blue", 120], ["red", 160]]
    keys = keys_under(s3, f"{settings.AISER_S3_PREFIX}{alpha.workspace_name}/sources/")
    assert any("/uploads/records-" in key for key in keys)
    assert any(key.endswith(".parquet") for key in keys)
    assert not any(p.is_file() for p in settings.MEDIA_ROOT.rglob("*"))
