# SPDX-License-Identifier: MIT
"""Caching policies of a model's answers: a time-to-live, a refresh key, or always fresh.

The key names the workspace, the model and its version, the source and its version, and the
normalised query (plus today's date when a filter is relative, like the table query cache), and
the cache backend prefixes it with the organisation's schema (aiser/cache_keys.py), so one
organisation's answers never serve another and a model or source change misses by itself.
With a refresh key, the key also holds a digest of the key SQL's value; that SQL runs through the
bounded query path at most once per `refresh_key.every` (10 seconds by default), its value being
remembered that long.
"""

from __future__ import annotations

import hashlib
import time
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.cache import cache

from chat2chart.core import hooks
from chat2chart.semantic.model import CachePolicy, Model
from chat2chart.semantic.models import SemanticModel
from chat2chart.semantic.query import ModelQuery
from chat2chart.sources.models import Source
from chat2chart.sources.querying import sql_run
from chat2chart.workspaces.selectors import workspace_clock

REFRESH_KEY_ANSWER_TTL_S = 86_400  # with a refresh key an answer lives until the value changes, at most a day
_RELATIVE_OPS = frozenset({"last_n", "previous_n", "this_period", "previous_period"})


@dataclass(frozen=True)
class Policy:
    """The policy in force: its kind ("ttl", "refresh_key", "always_fresh") and the answer TTL in seconds."""

    kind: str
    ttl_s: int


def policy_of(model: Model) -> Policy:
    """The model's policy; without one, the workspace's query cache time-to-live."""
    declared: CachePolicy | None = model.cache
    if declared is None:
        return Policy("ttl", settings.AISER_QUERY_CACHE_TTL_S)
    if declared.always_fresh:
        return Policy("always_fresh", 0)
    if declared.ttl is not None:
        return Policy("ttl", declared.ttl)
    return Policy("refresh_key", REFRESH_KEY_ANSWER_TTL_S)


def cached_answer(
    *,
    record: SemanticModel,
    model: Model,
    query: ModelQuery,
    source: Source,
    compute: Callable[[], dict[str, Any]],
) -> dict[str, Any]:
    """The answer of `query` from the cache when the model's policy allows, else `compute()`d
    (and stored). The answer gains `cache`: {"hit": bool, "policy": kind}."""
    started = time.perf_counter()
    policy = policy_of(model)
    if policy.kind == "always_fresh":
        return {**compute(), "cache": {"hit": False, "policy": policy.kind}}
    key = answer_key(record=record, model=model, query=query, source=source)
    hit = cache.get(key)
    if hit is not None:
        rollup = "yes" if (hit.get("explain") or {}).get("rollup") else "no"
        hooks.observe(
            "query_seconds",
            time.perf_counter() - started,
            source_kind=source.kind,
            cache="hit",
            rollup=rollup,
        )
        return {**hit, "cache": {"hit": True, "policy": policy.kind}}
    answer = compute()
    cache.set(key, answer, timeout=policy.ttl_s)
    return {**answer, "cache": {"hit": False, "policy": policy.kind}}


def answer_key(*, record: SemanticModel, model: Model, query: ModelQuery, source: Source) -> str:
    """The cache key of one answer (see the module's docstring for what it names)."""
    fingerprint = query.model_dump_json()
    if any(f.op in _RELATIVE_OPS for f in query.filters):
        fingerprint += f"@{workspace_clock().today.isoformat()}"
    if model.cache is not None and model.cache.refresh_key is not None:
        fingerprint += f"#{refresh_value(record=record, model=model, source=source)}"
    digest = hashlib.sha256(fingerprint.encode()).hexdigest()
    workspace = hooks.current_workspace()
    return f"semantic:answer:{workspace}:{record.pk}:v{record.version}:{source.pk}:v{source.version}:{digest}"


def refresh_value(*, record: SemanticModel, model: Model, source: Source) -> str:
    """A digest of the model's refresh-key value, read from the source at most once per interval."""
    assert model.cache is not None
    assert model.cache.refresh_key is not None
    memo = refresh_memo_key(record=record, model=model, source=source)
    value = cache.get(memo)
    if value is None:
        result = sql_run(source_id=source.pk, sql=model.cache.refresh_key.sql or "", principal=None)
        value = hashlib.sha256(repr(list(result.rows[:1])).encode()).hexdigest()[:24]
        seconds = max(1, int(model.cache.refresh_key.interval.total_seconds()))
        cache.set(memo, value, timeout=seconds)
    return str(value)


def refresh_memo_key(*, record: SemanticModel, model: Model, source: Source) -> str:
    """Where the refresh-key value is remembered for one interval (per workspace, model, source, SQL)."""
    key_sql = model.cache.refresh_key.sql if model.cache and model.cache.refresh_key else ""
    sql_digest = hashlib.sha256((key_sql or "").encode()).hexdigest()[:16]
    return f"semantic:refresh_key:{hooks.current_workspace()}:{record.pk}:{source.pk}:{sql_digest}"
