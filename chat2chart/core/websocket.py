# SPDX-License-Identifier: MIT
"""Websocket handshakes are accepted only from a page of the same host (no cross-site hijacking)."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier


def header(scope: dict[str, Any], name: bytes) -> str:
    for key, value in scope.get("headers", []):
        if key.lower() == name:
            return value.decode("latin-1")
    return ""


class SameOriginMiddleware:
    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        host = header(scope, b"host").lower()
        origin = header(scope, b"origin")
        if not host or not origin or urlsplit(origin).netloc.lower() != host:
            return await WebsocketDenier()(scope, receive, send)
        return await self.app(scope, receive, send)
