# SPDX-License-Identifier: MIT
"""A memo for the unit of work being served (one HTTP request, one websocket call), so values that
cannot change within it (the workspace's settings) are read from the database once, not at every use.

`request_scope()` opens one (the API middleware and `asyncdb.in_scope` do); `request_memo()` is the
open memo, or None outside any unit of work (tasks, the shell), where callers read afresh every time.
The memo is a context variable: each request and each thread of work has its own.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterator
from contextvars import ContextVar
from typing import Any

_memo: ContextVar[dict[str, Any] | None] = ContextVar("aiser_request_memo", default=None)


def request_memo() -> dict[str, Any] | None:
    """The memo of the request being served (a plain dict keyed by the caller's own names), or None."""
    return _memo.get()


@contextlib.contextmanager
def request_scope() -> Iterator[dict[str, Any]]:
    """Open a fresh memo for the duration of the block (nested blocks get their own)."""
    token = _memo.set({})
    try:
        yield _memo.get() or {}
    finally:
        _memo.reset(token)
