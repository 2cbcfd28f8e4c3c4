# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""ASGI middleware counting open websocket connections (`aiser_websocket_connections`): one more when
the server accepts a handshake, one less when that connection's application returns."""

from __future__ import annotations

from typing import Any

from enterprise.monitoring.metrics import WEBSOCKETS


class WebsocketGaugeMiddleware:
    """Wraps the websocket application (settings.AISER_WEBSOCKET_MIDDLEWARE); refused handshakes
    (closed before accept) are never counted."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> Any:
        accepted = False

        async def counting_send(message: dict[str, Any]) -> None:
            nonlocal accepted
            if message.get("type") == "websocket.accept" and not accepted:
                accepted = True
                WEBSOCKETS.inc()
            await send(message)

        try:
            return await self.app(scope, receive, counting_send)
        finally:
            if accepted:
                WEBSOCKETS.dec()
