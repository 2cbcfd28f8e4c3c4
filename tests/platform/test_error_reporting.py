# SPDX-License-Identifier: MIT
"""Errors reach a Sentry-compatible service when SENTRY_DSN is set, with nothing personal in them.

A fake Sentry (a small HTTP server on loopback) receives the SDK's envelopes; the test makes an API
view fail with an email address and an API key in the error, over a signed-in session, and checks that
the report arrived and that neither the address, the key, nor the session cookie is in it.
"""

from __future__ import annotations

import gzip
import json
import threading
import zlib
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chat2chart.core.errortracking import sentry_init
from chat2chart.core.principal import Principal

API_KEY = "ak_0123abcd_Zm9vYmFyLXNlY3JldC1rZXktdmFsdWUtMTIzNDU2"


class FakeSentry:
    """Collects the bodies POSTed to /api/<project>/envelope/, decompressed."""

    def __init__(self) -> None:
        self.envelopes: list[bytes] = []
        received = self.envelopes

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                encoding = self.headers.get("Content-Encoding", "")
                if encoding == "gzip":
                    body = gzip.decompress(body)
                elif encoding == "deflate":
                    body = zlib.decompress(body)
                elif encoding == "br":
                    import brotli

                    body = brotli.decompress(body)
                received.append(body)
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.end_headers()
                self.wfile.write(b"{}")

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.timeout = 5
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.dsn = f"http://public0key@127.0.0.1:{self.server.server_address[1]}/42"

    def events(self) -> list[dict[str, Any]]:
        """The `event` items of every envelope received."""
        found = []
        for envelope in self.envelopes:
            lines = envelope.split(b"\n")
            for header, payload in zip(lines[1::2], lines[2::2], strict=False):
                if json.loads(header).get("type") == "event":
                    found.append(json.loads(payload))
        return found

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def fake_sentry() -> Iterator[FakeSentry]:
    import sentry_sdk

    fake = FakeSentry()
    sentry_init(dsn=fake.dsn, environment="test")
    try:
        yield fake
    finally:
        sentry_sdk.get_client().close(timeout=2)
        sentry_sdk.init()  # no DSN: reporting off again for the rest of the suite
        fake.close()


def test_an_api_error_is_reported_without_personal_data(alpha, fake_sentry, monkeypatch):
    import sentry_sdk

    person = alpha.users["editor"]

    def failing(request: Any) -> Principal:
        raise RuntimeError(f"lookup failed for {person.email} using {API_KEY}")

    monkeypatch.setattr(Principal, "from_request", staticmethod(failing))
    client = alpha.client("editor")

    response = client.get(f"/api/v1/me/?key={API_KEY}", HTTP_X_API_KEY=API_KEY)
    sentry_sdk.flush(timeout=5)

    assert response.status_code == 500
    assert "lookup failed" not in response.content.decode()  # the user gets the generic message
    [event] = [e for e in fake_sentry.events() if e.get("exception")]
    assert event["exception"]["values"][-1]["type"] == "RuntimeError"
    assert "[scrubbed]" in event["exception"]["values"][-1]["value"]
    raw = b"".join(fake_sentry.envelopes).decode()
    assert person.email not in raw
    assert API_KEY not in raw
    assert client.cookies["sessionid"].value not in raw
    assert event.get("user", {}).get("email") is None


def test_reporting_is_off_without_a_dsn(settings):
    import sentry_sdk

    assert settings.SENTRY_DSN == ""
    assert sentry_sdk.get_client().dsn is None
