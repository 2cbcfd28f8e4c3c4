# SPDX-License-Identifier: MIT
"""Websocket handshakes are accepted only from a page of the same host (no cross-site hijacking), and a
websocket that fails because the platform database is down is closed with a reason."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlsplit

from channels.security.websocket import WebsocketDenier

from chat2chart.core.faults import is_database_unavailable
from chat2chart.core.logs import get_logger

log = get_logger(__name__)

# RFC 6455 "Try Again Later": the client may reconnect after a while (the chat falls back to HTTP).
TRY_AGAIN_LATER = 1013
UNAVAILABLE_REASON = "The service is temporarily unavailable (database unreachable); reconnect shortly."


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


class DependencyGuardMiddleware:
    """Close a websocket with code 1013 and a reason when its setup or its consumer fails because the
    platform database cannot be reached (a `websocket_refused` event is logged); any other error is
    raised as before. Before the handshake was accepted, it is accepted first: a refused handshake
    carries no reason, and the browser would only see a failed connection."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        sent: set[str] = set()

        async def tracked(message: dict[str, Any]) -> None:
            sent.add(message["type"])
            await send(message)

        try:
            return await self.app(scope, receive, tracked)
        except Exception as error:
            if not is_database_unavailable(error):
                raise
            log.error("websocket_refused", path=scope.get("path"), dependency="database")
            if "websocket.close" in sent:
                return None
            if "websocket.accept" not in sent:
                await send({"type": "websocket.accept"})
            await send({"type": "websocket.close", "code": TRY_AGAIN_LATER, "reason": UNAVAILABLE_REASON})
            return None
