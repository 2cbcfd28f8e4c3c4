# SPDX-License-Identifier: MIT
"""A language-model provider that hangs, errors or answers garbage: the rule planner answers within the
planner's timeout. The provider is a real OpenAI-compatible HTTP server on loopback that misbehaves."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest

from chat2chart.conversations.planner import Plan
from chat2chart.conversations.planner.llm import plan_with_llm
from tests.conversations.test_llm_planner import sales_table

MODEL = "openai/gpt-4o-mini"


class BadProvider:
    """Answers /v1/chat/completions as `behaviour` says: "hang" (holds the request until released),
    "error" (HTTP 500), "garbage" (200 with a body that is no completion), "nonsense" (a completion
    whose content is not a plan)."""

    def __init__(self, behaviour: str) -> None:
        self.behaviour = behaviour
        self.release = threading.Event()
        self.requests = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:  # noqa: N802 - http.server's naming
                self.rfile.read(int(self.headers.get("Content-Length", 0)))
                provider.requests += 1
                if provider.behaviour == "hang":
                    provider.release.wait(timeout=30)
                    return
                if provider.behaviour == "error":
                    self._reply(500, b'{"error": {"message": "upstream exploded", "type": "server_error"}}')
                elif provider.behaviour == "garbage":
                    self._reply(200, b"<html>definitely not json")
                else:
                    content = "Sure! Here is your chart: a nice bar chart of revenue."
                    body = {
                        "id": "x",
                        "object": "chat.completion",
                        "created": 0,
                        "model": "gpt-4o-mini",
                        "choices": [
                            {
                                "index": 0,
                                "message": {"role": "assistant", "content": content},
                                "finish_reason": "stop",
                            }
                        ],
                        "usage": {"prompt_tokens": 5, "completion_tokens": 5, "total_tokens": 10},
                    }
                    self._reply(200, json.dumps(body).encode())

            def _reply(self, status: int, body: bytes) -> None:
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: Any) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        threading.Thread(target=self.server.serve_forever, daemon=True).start()
        self.api_base = f"http://127.0.0.1:{self.server.server_address[1]}/v1"

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def provider(request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Iterator[BadProvider]:
    monkeypatch.setenv("LITELLM_LOCAL_MODEL_COST_MAP", "True")
    bad = BadProvider(request.param)
    yield bad
    bad.close()


def _ask(provider: BadProvider) -> Any:
    return plan_with_llm(
        "total revenue by region",
        sales_table(),
        source_id=3,
        model=MODEL,
        api_base=provider.api_base,
        api_key="sk-test-not-a-real-key",
        timeout_s=1,
        max_retries=1,
    )


@pytest.mark.parametrize("provider", ["error", "garbage", "nonsense"], indirect=True)
def test_the_rules_answer_when_the_provider_misbehaves(provider):
    result = _ask(provider)

    assert isinstance(result, Plan)
    assert result.planner == "rules"
    assert result.fallback_reason
    assert [(m.agg, m.field) for m in result.query.measures] == [("sum", "revenue")]
    assert provider.requests >= 1  # the provider was really asked


@pytest.mark.parametrize("provider", ["hang"], indirect=True)
def test_a_hanging_provider_is_abandoned_before_it_answers(provider):
    result = _ask(provider)

    # The planner answered while the provider was still holding the request.
    assert not provider.release.is_set()
    assert result.planner == "rules"
    assert "did not answer" in result.fallback_reason
