# SPDX-License-Identifier: MIT
"""Body limits inside daphne, where a request body is received, before any of it is kept.

daphne (through Twisted) receives the whole body before it calls the ASGI application: it spools
it to a temporary file, and Twisted then parses any `multipart/form-data` body in memory (many times
its size) before daphne copies the body once more into the application's queue. An ASGI middleware
runs too late to prevent that, so this request class refuses by size while the body arrives:
a declared `Content-Length` over the path's limit (`chat2chart.core.body_limit.body_limit_for`) gets
413 as soon as the headers are in, a chunked body as soon as its running total passes the limit;
the rest of that body is read and thrown away, and the connection closes. Twisted's own form
parsing is switched off (Django parses forms, streaming files to disk).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote, urlsplit

from daphne import http_protocol

from chat2chart.core.body_limit import body_limit_for, too_large_body

# How long a refused connection keeps reading (and discarding) what the client still sends, so the
# client reads the 413 instead of a connection reset.
LINGER_S = 5.0


class LimitedWebRequest(http_protocol.WebRequest):
    """daphne's request, refusing oversized bodies before they are stored or parsed."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        # Twisted would parse every multipart body in memory before daphne sees it.
        self._parsePOSTFormSubmission = False

    def gotLength(self, length: int | None) -> None:  # noqa: N802 - Twisted's name
        path = unquote(urlsplit(getattr(self.channel, "_path", b"") or b"").path.decode("latin-1"))
        self.body_limit = body_limit_for(path)
        self.body_received = 0
        self.body_refused = False
        super().gotLength(length)
        if length is not None and length > self.body_limit.max_bytes:
            self._refuse()

    def handleContentChunk(self, data: bytes) -> None:  # noqa: N802 - Twisted's name
        if self.body_refused:
            return
        self.body_received += len(data)
        if self.body_received > self.body_limit.max_bytes:
            self._refuse()
            return
        super().handleContentChunk(data)

    def requestReceived(self, command: bytes, path: bytes, version: bytes) -> None:  # noqa: N802
        # A refused body may still complete within data already read: the 413 stands, the app never runs.
        if getattr(self, "body_refused", False):
            return
        super().requestReceived(command, path, version)

    def _refuse(self) -> None:
        self.body_refused = True
        channel: Any = self.channel
        body = too_large_body(self.body_limit)
        channel.transport.write(
            b"HTTP/1.1 413 Payload Too Large\r\n"
            b"Content-Type: application/json\r\n"
            + f"Content-Length: {len(body)}\r\n".encode()
            + b"Connection: close\r\n\r\n"
            + body
        )
        # From here on the connection only drains what the client is still sending.
        channel.dataReceived = lambda data: None
        channel.persistent = False
        # Imported here: importing the reactor installs one, and daphne installs its own at start.
        from twisted.internet import reactor

        reactor.callLater(LINGER_S, channel.transport.loseConnection)  # type: ignore[attr-defined]


def install() -> None:
    """Make daphne build `LimitedWebRequest`s. Called by `aiser.asgi` before daphne starts serving."""
    http_protocol.WebRequest = LimitedWebRequest  # type: ignore[misc]
