# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The core's Redis cache (Django's, bypassed while Redis is out of reach), counting reads, hits and misses
in django-prometheus' cache metrics (django_cache_get_total, ..._hits_total, ..._misses_total,
..._get_fail_total; backend="redis").

django-prometheus' Redis backends need django-redis, which Aiser does not use; this one is Django's."""

from __future__ import annotations

from typing import Any

from django_prometheus.cache.metrics import (
    django_cache_get_fail_total,
    django_cache_get_total,
    django_cache_hits_total,
    django_cache_misses_total,
)

from chat2chart.core.cache import FailOpenRedisCache

_MISSING = object()


class MeteredRedisCache(FailOpenRedisCache):
    """`FailOpenRedisCache` whose `get` and `get_many` are counted; values and errors are as its own (a read
    while Redis is out of reach answers the default and counts as a miss)."""

    def get(self, key: Any, default: Any = None, version: int | None = None) -> Any:
        django_cache_get_total.labels(backend="redis").inc()
        try:
            found = super().get(key, _MISSING, version=version)
        except Exception:
            django_cache_get_fail_total.labels(backend="redis").inc()
            raise
        counter = django_cache_misses_total if found is _MISSING else django_cache_hits_total
        counter.labels(backend="redis").inc()
        return default if found is _MISSING else found

    def get_many(self, keys: Any, version: int | None = None) -> dict[Any, Any]:
        keys = list(keys)
        django_cache_get_total.labels(backend="redis").inc(len(keys))
        try:
            found = super().get_many(keys, version=version)
        except Exception:
            django_cache_get_fail_total.labels(backend="redis").inc(len(keys))
            raise
        django_cache_hits_total.labels(backend="redis").inc(len(found))
        django_cache_misses_total.labels(backend="redis").inc(len(keys) - len(found))
        return found
