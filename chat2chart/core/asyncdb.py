# SPDX-License-Identifier: MIT
"""Database calls from websocket consumers, run inside the workspace of the connection.

Consumers do not pass through the HTTP tenant middleware, and `database_sync_to_async` runs in a
worker thread whose connection may point anywhere; every call goes through here instead.
"""

from __future__ import annotations

import functools
from collections.abc import Awaitable, Callable
from typing import Any, ParamSpec, TypeVar

from channels.db import database_sync_to_async

from chat2chart.core import hooks
from chat2chart.core.memo import request_scope

P = ParamSpec("P")
R = TypeVar("R")


def in_scope(scope: dict[str, Any], func: Callable[P, R]) -> Callable[P, Awaitable[R]]:
    """`await in_scope(self.scope, load_conversation)(pk)` runs the call in the scope's workspace."""

    @functools.wraps(func)
    def run(*args: P.args, **kwargs: P.kwargs) -> R:
        # One memo per call: a question asked over the socket reads the workspace's settings once.
        with hooks.scope_context(scope), request_scope():
            return func(*args, **kwargs)

    return database_sync_to_async(run)
