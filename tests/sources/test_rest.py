# SPDX-License-Identifier: MIT
"""REST sources against a real local HTTP server: records paths, both kinds of pagination, caps on
pages and bytes, and redirects that are vetted hop by hop."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from pydantic import ValidationError

from chat2chart.core.errors import ConnectionFailed, IngestError
from chat2chart.sources.connectors.rest import RestSpec, fetch_records
from chat2chart.sources.netsafety import resolve_public_address

PUBLIC_NAME = "api.example.test"  # what the fake resolver vouches for; it dials the local server


class Api(BaseHTTPRequestHandler):
    """Endpoints a real API might have, plus a few hostile ones."""

    def do_GET(self) -> None:  # noqa: N802 - the name http.server dispatches to
        url = urlsplit(self.path)
        query = parse_qs(url.query)
        page = int(query.get("page", ["1"])[0])
        port = self.server.server_address[1]
        seen_auth = self.headers.get("Authorization")
        routes: dict[str, Any] = {
            "/items": lambda: self.send_json({"data": {"items": [{"id": 1}, {"id": 2}]}}),
            "/whoami": lambda: self.send_json([{"auth": seen_auth or ""}]),
            "/bare": lambda: self.send_json([{"id": 1}]),
            "/linked": lambda: self.send_json(
                {"rows": [{"id": page}], "next": f"/linked?page={page + 1}" if page < 3 else None}
            ),
            "/link-header": lambda: self.send_json(
                [{"id": page}], link=f'</link-header?page={page + 1}>; rel="next"' if page < 2 else None
            ),
            "/paged": lambda: self.send_json({"items": [{"id": page}] if page <= 4 else []}),
            "/endless": lambda: self.send_json({"items": [{"id": page}]}),
            "/huge": lambda: self.send_json({"items": [{"blob": "x" * 50_000}]}),
            "/not-json": lambda: self.send_body(b"<html>hello</html>", "text/html"),
            "/to-items": lambda: self.redirect(f"http://{PUBLIC_NAME}:{port}/items"),
            "/to-private": lambda: self.redirect(f"http://127.0.0.1:{port}/items"),
            "/to-metadata": lambda: self.redirect("http://169.254.169.254/latest/meta-data/"),
            "/to-elsewhere": lambda: self.redirect(f"http://other.example.test:{port}/whoami"),
            "/loop": lambda: self.redirect("/loop"),
        }
        routes.get(url.path, lambda: self.send_error(404))()

    def send_json(self, body: Any, link: str | None = None) -> None:
        self.send_body(json.dumps(body).encode(), "application/json", link)

    def send_body(self, body: bytes, content_type: str, link: str | None = None) -> None:
        self.send_response(200)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        if link:
            self.send_header("Link", link)
        self.end_headers()
        self.wfile.write(body)

    def redirect(self, location: str) -> None:
        self.send_response(302)
        self.send_header("Location", location)
        self.send_header("Content-Length", "0")
        self.end_headers()

    def log_message(self, *args: Any) -> None:
        return  # keep test output quiet


@pytest.fixture(scope="module")
def server() -> Iterator[str]:
    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Api)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


def fake_resolver(host: str, port: int, *, allow_private: bool) -> str:
    """Vouch for PUBLIC_NAME (pointing it at the local server); vet every other host for real."""
    if host in (PUBLIC_NAME, "other.example.test"):
        return "127.0.0.1"
    return resolve_public_address(host, port, allow_private=allow_private)


def fetch(url: str, *, allow_private: bool = True, max_bytes: int = 1_000_000, **spec: Any) -> list[dict]:
    return fetch_records(
        RestSpec(url=url, **spec),
        allow_private=allow_private,
        timeout_s=5,
        max_bytes=max_bytes,
        resolve=fake_resolver,
    )


def test_records_are_found_at_a_dot_path(server: str) -> None:
    assert fetch(f"{server}/items", records_path="data.items") == [{"id": 1}, {"id": 2}]
    assert fetch(f"{server}/bare") == [{"id": 1}]


def test_a_missing_records_path_is_named(server: str) -> None:
    with pytest.raises(IngestError, match=r"no records at 'data\.rows'"):
        fetch(f"{server}/items", records_path="data.rows")


def test_a_body_that_is_not_json_is_refused(server: str) -> None:
    with pytest.raises(IngestError, match="did not return JSON"):
        fetch(f"{server}/not-json")


def test_link_pagination_follows_next_urls_in_the_body(server: str) -> None:
    records = fetch(f"{server}/linked", records_path="rows", pagination="link", next_path="next")
    assert records == [{"id": 1}, {"id": 2}, {"id": 3}]


def test_link_pagination_follows_the_link_header(server: str) -> None:
    assert fetch(f"{server}/link-header", pagination="link") == [{"id": 1}, {"id": 2}]


def test_page_pagination_stops_on_an_empty_page(server: str) -> None:
    records = fetch(f"{server}/paged", records_path="items", pagination="page", page_param="page")
    assert records == [{"id": 1}, {"id": 2}, {"id": 3}, {"id": 4}]


def test_the_page_cap_stops_an_endless_api(server: str) -> None:
    records = fetch(f"{server}/endless", records_path="items", pagination="page", page_cap=3)
    assert records == [{"id": 1}, {"id": 2}, {"id": 3}]


def test_an_oversized_response_is_refused(server: str) -> None:
    with pytest.raises(ConnectionFailed, match="larger than the size limit"):
        fetch(f"{server}/huge", records_path="items", max_bytes=10_000)


def test_a_public_host_is_fetched_through_the_vetted_ip(server: str) -> None:
    port = urlsplit(server).port
    records = fetch(f"http://{PUBLIC_NAME}:{port}/items", allow_private=False, records_path="data.items")
    assert records == [{"id": 1}, {"id": 2}]


def test_a_redirect_to_a_private_address_is_refused(server: str) -> None:
    port = urlsplit(server).port
    with pytest.raises(ConnectionFailed, match="private addresses are not allowed"):
        fetch(f"http://{PUBLIC_NAME}:{port}/to-private", allow_private=False, records_path="data.items")
    with pytest.raises(ConnectionFailed, match="private addresses are not allowed"):
        fetch(f"http://{PUBLIC_NAME}:{port}/to-metadata", allow_private=False)


def test_the_first_hop_is_vetted_too(server: str) -> None:
    with pytest.raises(ConnectionFailed, match="private addresses are not allowed"):
        fetch(f"{server}/items", allow_private=False, records_path="data.items")


def test_redirects_are_followed_and_capped(server: str) -> None:
    port = urlsplit(server).port
    assert fetch(f"{server}/to-items", records_path="data.items") == [{"id": 1}, {"id": 2}]
    with pytest.raises(ConnectionFailed, match="redirected more than 5 times"):
        fetch(f"http://{PUBLIC_NAME}:{port}/loop")


def test_credentials_are_not_sent_to_another_origin_after_a_redirect(server: str) -> None:
    port = urlsplit(server).port
    headers = {"Authorization": "Bearer secret"}

    def whoami(path: str) -> list[dict]:
        spec = RestSpec(url=f"http://{PUBLIC_NAME}:{port}{path}", headers=headers)
        return fetch_records(spec, allow_private=False, timeout_s=5, max_bytes=100_000, resolve=fake_resolver)

    assert whoami("/whoami") == [{"auth": "Bearer secret"}]
    assert whoami("/to-elsewhere") == [{"auth": ""}]


@pytest.mark.parametrize(
    "spec",
    [
        {"url": "file:///etc/passwd"},
        {"url": "ftp://example.com/x"},
        {"url": "https://user:pw@example.com/x"},
        {"url": "https://example.com/x", "headers": {"Host": "internal"}},
        {"url": "https://example.com/x", "headers": {"X-A": "a\r\nX-B: b"}},
        {"url": "https://example.com/x", "unknown": 1},
    ],
)
def test_specs_outside_plain_http_are_refused(spec: dict) -> None:
    with pytest.raises(ValidationError):
        RestSpec(**spec)


def test_a_proxy_from_the_environment_is_not_used(server: str, monkeypatch: pytest.MonkeyPatch) -> None:
    # A proxy would dial hosts netsafety never vetted; the fetch must go straight to the vetted address.
    for name in ("HTTP_PROXY", "http_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.setenv(name, "http://127.0.0.1:9")
    port = urlsplit(server).port
    records = fetch(f"http://{PUBLIC_NAME}:{port}/items", allow_private=False, records_path="data.items")
    assert records == [{"id": 1}, {"id": 2}]
