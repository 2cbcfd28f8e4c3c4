# SPDX-License-Identifier: MIT
"""One request budget per caller, shared by the API and the websocket.

`check_rate(principal, scope)` counts one use of `scope`'s budget (e.g. "api": `AISER_API_RATE`)
for an API key, a user or a client address, in fixed windows in the "ratelimit" cache. That cache's
keys are tenant-prefixed in the enterprise edition, so each organisation's counters are its own;
call it inside the organisation's scope (a request, or `in_scope` in a consumer).

With Redis, one use is one round trip: INCR and EXPIRE sent together in a pipeline (the fixed-window
counter of Redis' own INCR documentation, "Pattern: Rate limiter"). Other cache backends count with
add + incr.

While Redis cannot be reached the budget fails open: the use is allowed and a
`rate_limit_unavailable` event is logged (docs/operations-faults.md). Sign-in throttling, which
fails closed, is allauth's and does not pass through here.
"""

from __future__ import annotations

import re
import time
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import BaseCache, caches
from django.core.cache.backends.redis import RedisCache

from chat2chart.core import hooks
from chat2chart.core.cache import UNREACHABLE
from chat2chart.core.logs import get_logger

log = get_logger(__name__)

_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")
_UNIT_SECONDS = {"s": 1, "m": 60, "h": 3600, "d": 86400}


@dataclass(frozen=True)
class RateDecision:
    """Whether this use is within the budget, and the seconds until the current window ends."""

    allowed: bool
    retry_after_s: int


def parse_rate(rate: str) -> tuple[int, int]:
    """`"600/m"` → (600, 60); `"10/5m"` → (10, 300). Raises ValueError on anything else."""
    match = _RATE.match(rate)
    if match is None:
        raise ValueError(f"A rate looks like 600/m or 10/5m, not {rate!r}.")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _UNIT_SECONDS[unit]


def principal_key(principal: Any) -> str:
    """A stable name for who is counted: `apikey:<pk>`, `user:<pk>`, or a client address as given."""
    if isinstance(principal, str):
        return f"address:{principal}"
    # The model's name, not the object's type: a websocket's user is a lazy proxy of the same user.
    return f"{principal._meta.model_name}:{principal.pk}"


def scope_rate(scope: str) -> str:
    """The configured rate of a budget. "api" (the API and websocket questions): AISER_API_RATE."""
    rates = {"api": settings.AISER_API_RATE}
    return rates[scope]


def check_rate(principal: Any, scope: str = "api") -> RateDecision:
    """Count one use of `scope`'s budget for `principal` (an API key, a user or an address string)."""
    limit, period = parse_rate(scope_rate(scope))
    now = int(time.time())
    window = now // period
    key = f"rate:{scope}:{principal_key(principal)}:{window}"
    try:
        used = _count(caches[settings.RATELIMIT_USE_CACHE], key, timeout=period + 1)
    except UNREACHABLE as error:
        # Fail open: refusing every API call because a counter is out of reach would turn a
        # Redis outage into a full outage; the query timeouts and worker pool still bound the load.
        log.warning("rate_limit_unavailable", scope=scope, error=f"{type(error).__name__}: {error}")
        return RateDecision(allowed=True, retry_after_s=0)
    if used > limit:
        hooks.observe("rate_limited", scope=scope)
    return RateDecision(allowed=used <= limit, retry_after_s=period - now % period)


def _count(cache: BaseCache, key: str, *, timeout: int) -> int:
    """Add one to the counter `key` (made with `timeout` seconds to live) and return its new value."""
    if isinstance(cache, RedisCache):
        full_key = cache.make_and_validate_key(key)
        client = cache._cache.get_client(full_key, write=True)
        pipeline = client.pipeline(transaction=False)
        pipeline.incr(full_key)
        # Plain EXPIRE (not NX, which needs Redis 7): the key names its window, so pushing its end
        # back only keeps a finished window's counter a little longer.
        pipeline.expire(full_key, timeout)
        used, _ = pipeline.execute()
        return int(used)
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1
