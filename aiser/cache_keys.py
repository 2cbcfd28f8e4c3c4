# SPDX-License-Identifier: MIT
"""Cache keys (enterprise edition): tenant-prefixed, except for authentication limits.

django-tenants' `make_key` prefixes every key with the organisation's schema, so one organisation's
cache never serves another. Sign-in limits must not be per organisation: otherwise every organisation
host would give a fresh allowance of guesses for the same account. Keys of allauth's rate limits
(`allauth:rl:...`) therefore share one global prefix, whatever host the request came in on.
"""

from __future__ import annotations

from django_tenants.cache import make_key as tenant_make_key

GLOBAL_KEY_PREFIXES = ("allauth:rl:",)
GLOBAL_SCOPE = "global"


def make_key(key: str, key_prefix: str, version: int | str) -> str:
    """The cache key for `key`: global for authentication limits, else prefixed with the schema."""
    if key.startswith(GLOBAL_KEY_PREFIXES):
        return f"{GLOBAL_SCOPE}:{key_prefix}:{version}:{key}"
    return tenant_make_key(key, key_prefix, version)
