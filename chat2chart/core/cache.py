# SPDX-License-Identifier: MIT
"""The Redis cache, bypassed while Redis cannot be reached.

Everything Aiser keeps in the cache can be recomputed (query results, host routing, roles, sessions
are written through to the database), so an unreachable Redis makes answers slower, not wrong: a read
is a miss, a write is dropped, `add` reports that nothing was added, `incr` that there was no
counter. Each bypass logs a `cache_unavailable` event. Connection and read timeouts
(AISER_REDIS_TIMEOUT_S, in the cache's OPTIONS) keep a hanging Redis from holding requests.

Consequences other code relies on (docs/operations-faults.md):
- sign-in throttling fails closed: allauth takes a lock with `add` before counting an attempt, and
  a lock it cannot take refuses the attempt;
- the API and question budget (`chat2chart.core.ratelimit`) and the embed limit (django-ratelimit,
  RATELIMIT_FAIL_OPEN) fail open.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from django.core.cache.backends.redis import RedisCache, RedisCacheClient
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import TimeoutError as RedisTimeoutError

from chat2chart.core.logs import get_logger

log = get_logger(__name__)

# Only "cannot reach it" is bypassed; any other Redis error is a bug and is raised.
UNREACHABLE = (RedisConnectionError, RedisTimeoutError)


def _no_counter() -> int:
    raise ValueError("the cache is unavailable, so there is no counter")


class FailOpenRedisCacheClient(RedisCacheClient):
    """Django's Redis client with every operation bypassed while Redis is unreachable."""

    def _bypass(self, operation: str, fallback: Callable[[], Any], *args: Any) -> Any:
        try:
            return getattr(RedisCacheClient, operation)(self, *args)
        except UNREACHABLE as error:
            log.warning("cache_unavailable", operation=operation, error=f"{type(error).__name__}: {error}")
            return fallback()

    def add(self, key: Any, value: Any, timeout: Any) -> bool:
        return self._bypass("add", lambda: False, key, value, timeout)

    def get(self, key: Any, default: Any) -> Any:
        return self._bypass("get", lambda: default, key, default)

    def set(self, key: Any, value: Any, timeout: Any) -> None:
        self._bypass("set", lambda: None, key, value, timeout)

    def touch(self, key: Any, timeout: Any) -> bool:
        return self._bypass("touch", lambda: False, key, timeout)

    def delete(self, key: Any) -> bool:
        return self._bypass("delete", lambda: False, key)

    def get_many(self, keys: Any) -> dict[Any, Any]:
        return self._bypass("get_many", dict, keys)

    def has_key(self, key: Any) -> bool:
        return self._bypass("has_key", lambda: False, key)

    def incr(self, key: Any, delta: int) -> int:
        return self._bypass("incr", _no_counter, key, delta)

    def set_many(self, data: Any, timeout: Any) -> None:
        self._bypass("set_many", lambda: None, data, timeout)

    def delete_many(self, keys: Any) -> None:
        self._bypass("delete_many", lambda: None, keys)

    def clear(self) -> bool:
        return self._bypass("clear", lambda: False)


class FailOpenRedisCache(RedisCache):
    """`django.core.cache.backends.redis.RedisCache` that is bypassed while Redis is unreachable."""

    def __init__(self, server: str, params: dict[str, Any]) -> None:
        super().__init__(server, params)
        self._class = FailOpenRedisCacheClient
