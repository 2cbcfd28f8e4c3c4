# SPDX-License-Identifier: MIT
"""Domain errors. Each carries a message a user can act on; the API turns it into
`{"error": {"code": ..., "message": ...}}` with its status code."""

from __future__ import annotations

from typing import Any


class AiserError(Exception):
    code = "error"
    status = 400

    def __init__(
        self, message: str, *, code: str | None = None, status: int | None = None, details: Any = None
    ) -> None:
        super().__init__(message)
        self.message = message
        if code:
            self.code = code
        if status:
            self.status = status
        self.details = details


class ValidationFailed(AiserError):
    code = "invalid"


class NotFound(AiserError):
    code = "not_found"
    status = 404


class Forbidden(AiserError):
    code = "forbidden"
    status = 403


class LimitExceeded(AiserError):
    code = "limit_exceeded"
    status = 429


class QueryError(AiserError):
    code = "query_error"


class IngestError(AiserError):
    code = "ingest_error"


class ConnectionFailed(AiserError):
    code = "connection_failed"


class ChartError(AiserError):
    code = "chart_error"
