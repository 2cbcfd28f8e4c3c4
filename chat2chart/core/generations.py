# SPDX-License-Identifier: MIT
"""Cache entries stamped with a generation counter, so a change is seen on the very next read.

An entry is stored as `(generation, value)` next to a counter key; it is served only while the counter
still holds that generation. A change bumps the counter (at once, and again when the transaction
commits, through `forget`): a reader that loaded the old value from the database just before the
commit stored it at the old generation, so it is never served. Deleting entries instead would let such
a reader put the stale value back after the delete.

A missing counter (first use, or evicted by Redis) is started at `time.time_ns()`, a value no earlier
counter reached, so no entry made before an eviction can match it again. Keys go through the default
cache, hence through its key function: in the enterprise edition they carry the schema in scope.
A hit costs one cache round trip (entry and counter read together).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any, TypeVar

from django.core.cache import cache
from django.db import transaction

T = TypeVar("T")


def generation_read(entry_key: str, generation_key: str) -> tuple[Any, int]:
    """(the entry's value if it was made at the current generation, else None; the current generation).

    Store a freshly computed value with `cache.set(entry_key, (generation, value), ...)`, using the
    generation returned here (read before the value was computed)."""
    found = cache.get_many([entry_key, generation_key])
    if generation_key not in found:
        cache.add(generation_key, time.time_ns(), timeout=None)
        return None, int(cache.get(generation_key) or 0)
    generation = int(found[generation_key])
    entry = found.get(entry_key)
    if entry is None or entry[0] != generation:
        return None, generation
    return entry[1], generation


def generation_cached(entry_key: str, generation_key: str, compute: Callable[[], T], *, ttl_s: int) -> T:
    """`compute()` from the cache under `entry_key`, valid while `generation_key` is not bumped and at
    most `ttl_s` seconds. `compute` must not return None (None means "no entry")."""
    value, generation = generation_read(entry_key, generation_key)
    if value is None:
        value = compute()
        cache.set(entry_key, (generation, value), timeout=ttl_s)
    return value


def generation_bump(generation_key: str) -> None:
    """Make every entry stamped with `generation_key`'s current value stale (now only)."""
    cache.add(generation_key, time.time_ns(), timeout=None)
    try:
        cache.incr(generation_key)
    except ValueError:  # evicted between add and incr, or the cache is unreachable
        cache.set(generation_key, time.time_ns(), timeout=None)


def generation_forget(generation_key: str, *, bump: Callable[[], None] | None = None) -> None:
    """Bump `generation_key` now and again when the current transaction commits. `bump` replaces the
    plain bump when the counter must be written in a given scope (e.g. another organisation's schema)."""
    action = bump or (lambda: generation_bump(generation_key))
    action()
    transaction.on_commit(action, robust=True)
