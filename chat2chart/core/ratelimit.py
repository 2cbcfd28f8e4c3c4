# SPDX-License-Identifier: MIT
"""Request budgets per caller and per organisation, shared by the API, the websocket and embeds.

`check_rate(principal, scope)` counts one use of two budgets at once: the caller's (an API key, a user
or a client address; `AISER_API_RATE` for "api", `AISER_EMBED_RATE` for "embed") and the whole
organisation's (`hooks.organisation_rate(scope)`: `AISER_ORG_API_RATE` / `AISER_ORG_EMBED_RATE`, which
the enterprise edition replaces with the organisation's plan). Windows are fixed, in the "ratelimit"
cache, whose keys are tenant-prefixed in the enterprise edition, so each organisation's counters are its
own; call it inside the organisation's scope (a request, or `in_scope` in a consumer).

With Redis, one use is one round trip: a Lua script reads both counters and, only when both have room,
increments them (INCR + EXPIRE), atomically. A refused request therefore spends nothing: a person
hammering past their own budget does not eat their colleagues' share of the organisation's. Other cache
backends (development without Redis) check then count with add + incr, not atomically.

While Redis cannot be reached the budgets fail open: the use is allowed and a
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

# KEYS: counters; ARGV: limit1, ttl1, limit2, ttl2, ... Refuses (-1 - index) without counting when a
# counter is full, else counts every one and returns their new values.
_CHECK_AND_COUNT = """
for i = 1, #KEYS do
  local used = tonumber(redis.call('GET', KEYS[i]) or '0')
  if used >= tonumber(ARGV[2 * i - 1]) then
    local values = {}
    for j = 1, #KEYS do values[j] = tonumber(redis.call('GET', KEYS[j]) or '0') end
    table.insert(values, 1, -i)
    return values
  end
end
local values = {0}
for i = 1, #KEYS do
  values[i + 1] = redis.call('INCR', KEYS[i])
  redis.call('EXPIRE', KEYS[i], ARGV[2 * i])
end
return values
"""


@dataclass(frozen=True)
class RateDecision:
    """Whether this use is within every budget, and what the `RateLimit-*` headers say about the
    tightest one: its `limit`, the uses `remaining` in its window and the seconds until that window ends
    (`retry_after_s`). `budget` names the tightest budget: "caller" or "organisation"."""

    allowed: bool
    retry_after_s: int
    limit: int = 0
    remaining: int = 0
    budget: str = "caller"

    def headers(self) -> dict[str, str]:
        """The IETF draft's `RateLimit-Limit/-Remaining/-Reset` headers, plus `Retry-After` on refusal;
        none when no budget was read (Redis out of reach: the use was let through uncounted)."""
        if not self.limit:
            return {}
        values = {
            "RateLimit-Limit": str(self.limit),
            "RateLimit-Remaining": str(self.remaining),
            "RateLimit-Reset": str(self.retry_after_s),
        }
        if not self.allowed:
            values["Retry-After"] = str(self.retry_after_s)
        return values


@dataclass(frozen=True)
class _Budget:
    name: str
    key: str
    limit: int
    period: int


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
    """The per-caller rate of a budget: "api" (API and websocket questions) `AISER_API_RATE`, "embed"
    (embedded dashboards, chats and public links, per client address or chat token) `AISER_EMBED_RATE`,
    "embed_chat" (an embedded chat's questions, per end user) `AISER_EMBED_CHAT_RATE`."""
    rates = {
        "api": settings.AISER_API_RATE,
        "embed": settings.AISER_EMBED_RATE,
        "embed_chat": settings.AISER_EMBED_CHAT_RATE,
    }
    return rates[scope]


def check_rate(principal: Any, scope: str = "api") -> RateDecision:
    """Count one use of `scope`'s budgets for `principal` (an API key, a user or an address string) and
    for the organisation in scope; nothing is counted when either budget is spent."""
    now = int(time.time())
    budgets = [_budget("caller", f"{scope}:{principal_key(principal)}", scope_rate(scope), now)]
    organisation_rate = hooks.organisation_rate(scope)
    if organisation_rate:
        budgets.append(_budget("organisation", f"{scope}:organisation", organisation_rate, now))
    try:
        refused, used = _check_and_count(caches[settings.RATELIMIT_USE_CACHE], budgets)
    except UNREACHABLE as error:
        # Fail open: refusing every API call because a counter is out of reach would turn a
        # Redis outage into a full outage; the query timeouts and worker pool still bound the load.
        log.warning("rate_limit_unavailable", scope=scope, error=f"{type(error).__name__}: {error}")
        return RateDecision(allowed=True, retry_after_s=0)
    if refused is not None:
        budget = budgets[refused]
        hooks.observe("rate_limited", scope=scope)
        return RateDecision(False, _reset(budget, now), budget.limit, 0, budget.name)
    # The tightest budget is the one with the fewest uses left.
    remaining, index = min(
        (budget.limit - count, i) for i, (budget, count) in enumerate(zip(budgets, used, strict=True))
    )
    budget = budgets[index]
    return RateDecision(True, _reset(budget, now), budget.limit, max(remaining, 0), budget.name)


def _budget(name: str, what: str, rate: str, now: int) -> _Budget:
    limit, period = parse_rate(rate)
    return _Budget(name=name, key=f"rate:{what}:{period}:{now // period}", limit=limit, period=period)


def _reset(budget: _Budget, now: int) -> int:
    return budget.period - now % budget.period


def _check_and_count(cache: BaseCache, budgets: list[_Budget]) -> tuple[int | None, list[int]]:
    """(index of the first full budget or None, each counter's value after this use)."""
    if isinstance(cache, RedisCache):
        keys = [cache.make_and_validate_key(budget.key) for budget in budgets]
        client = cache._cache.get_client(keys[0], write=True)
        # The key names its window, so a TTL one second past the window's end is enough.
        arguments = [value for budget in budgets for value in (budget.limit, budget.period + 1)]
        first, *values = client.eval(_CHECK_AND_COUNT, len(keys), *keys, *arguments)
        return (-int(first) - 1 if first else None), [int(value) for value in values]
    counts = [int(cache.get(budget.key) or 0) for budget in budgets]
    for index, (budget, count) in enumerate(zip(budgets, counts, strict=True)):
        if count >= budget.limit:
            return index, counts
    return None, [_count(cache, budget.key, timeout=budget.period + 1) for budget in budgets]


def _count(cache: BaseCache, key: str, *, timeout: int) -> int:
    """Add one to the counter `key` (made with `timeout` seconds to live) and return its new value."""
    cache.add(key, 0, timeout=timeout)
    try:
        return int(cache.incr(key))
    except ValueError:  # expired between add and incr
        cache.set(key, 1, timeout=timeout)
        return 1
