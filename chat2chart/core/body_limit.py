# SPDX-License-Identifier: MIT
"""Request bodies refused by size before Django (or authentication) reads them.

An ASGI middleware in front of the Django application: a declared `Content-Length` above the
path's limit gets 413 at once, before any byte of the body is read; a body without a length
(chunked) is counted as it arrives and the request is answered 413 as soon as it passes the limit.
Uploads (`AISER_UPLOAD_PATHS`) may be `AISER_MAX_UPLOAD_MB` large; every other request
`AISER_MAX_BODY_KB`. The 413 body is the API's JSON error shape.
"""

from __future__ import annotations

import json
import re
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings

Scope = dict[str, Any]
Message = dict[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

# Room for a multipart form's other fields and boundaries around the file itself.
MULTIPART_SLACK_BYTES = 1024 * 1024


class BodyTooLarge(Exception):
    """Raised inside the application's `receive()` once a streamed body passes its limit."""


@dataclass(frozen=True)
class BodyLimit:
    """The largest body accepted on a path, in bytes, and the message a refused caller reads."""

    max_bytes: int
    message: str


def body_limit_for(path: str) -> BodyLimit:
    """The body limit for a request to `path` (uploads: AISER_MAX_UPLOAD_MB; else AISER_MAX_BODY_KB)."""
    if any(re.fullmatch(pattern, path) for pattern in settings.AISER_UPLOAD_PATHS):
        return BodyLimit(
            max_bytes=settings.AISER_MAX_UPLOAD_MB * 1024 * 1024 + MULTIPART_SLACK_BYTES,
            message=f"The file is larger than the upload limit of {settings.AISER_MAX_UPLOAD_MB} MB.",
        )
    return BodyLimit(
        max_bytes=settings.AISER_MAX_BODY_KB * 1024,
        message=f"The request body is larger than the limit of {settings.AISER_MAX_BODY_KB} KB.",
    )


def too_large_body(limit: BodyLimit) -> bytes:
    """The 413 response body, in the API's error shape."""
    return json.dumps({"error": {"code": "too_large", "message": limit.message}}).encode()


def _declared_length(scope: Scope) -> int | None:
    for name, value in scope.get("headers", []):
        if name.lower() == b"content-length":
            try:
                return int(value)
            except ValueError:
                return None
    return None


async def send_too_large(send: Send, limit: BodyLimit) -> None:
    """Answer 413 in the API's error shape.

    No `Connection: close`: closing a socket while the client is still sending makes the kernel
    reset the connection, and the client then loses the 413 it has not read yet. Left open, the
    server (uvicorn) reads what remains of the body and drops it as it arrives, in constant memory,
    and the client reads its answer."""
    body = too_large_body(limit)
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/json"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})


class BodyLimitMiddleware:
    """Wraps an ASGI HTTP application; other scopes pass through untouched."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit_for(scope.get("path", ""))
        declared = _declared_length(scope)
        if declared is not None and declared > limit.max_bytes:
            await send_too_large(send, limit)
            return

        received = 0
        response_started = False

        async def counting_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit.max_bytes:
                    raise BodyTooLarge
            return message

        async def tracking_send(message: Message) -> None:
            nonlocal response_started
            if message["type"] == "http.response.start":
                response_started = True
            await send(message)

        try:
            await self.app(scope, counting_receive, tracking_send)
        except BodyTooLarge:
            if not response_started:
                await send_too_large(send, limit)
