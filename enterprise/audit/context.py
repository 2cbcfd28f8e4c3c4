# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Where the current request came from (address, user agent, request id), for the audit entries it writes.

Set by `AuditContextMiddleware` for the length of one request and reset after it; Celery tasks and
commands run without one, and their entries say so by leaving these fields empty.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from dataclasses import dataclass


@dataclass(frozen=True)
class RequestOrigin:
    ip: str | None
    user_agent: str
    request_id: str


_origin: ContextVar[RequestOrigin | None] = ContextVar("aiser_audit_origin", default=None)


def current_origin() -> RequestOrigin | None:
    """The origin of the request being served, or None outside a request."""
    return _origin.get()


@contextlib.contextmanager
def origin_scope(origin: RequestOrigin) -> Iterator[None]:
    """Make `origin` the current one until the block ends (nested scopes restore the outer one)."""
    token = _origin.set(origin)
    try:
        yield
    finally:
        _origin.reset(token)
