# SPDX-License-Identifier: MIT
"""The web server and its database connections: worker processes (gunicorn with uvicorn workers,
`aiser.serve`) and the PostgreSQL connection pool each worker keeps. Every knob from the environment
(documented in the README); imported by `aiser/settings/__init__.py`."""

from __future__ import annotations

import os

from aiser.settings import env

# --- Web server (aiser/serve.py, aiser/gunicorn_conf.py) --------------------------------------------
AISER_WEB_HOST = env.text("HOST", "127.0.0.1")


def default_web_workers(*, redis: bool, cores: int | None = None) -> int:
    """Worker processes when AISER_WEB_WORKERS is unset: 2 per core, at most 8, with Redis; else 1.

    Without Redis the cache (sessions, sign-in and API rate counters, revoked keys) and the channel
    layer are in memory, one copy per process: with two workers, a sign-out or a revoked key would
    stay valid in the other worker's cache, every limit would count per worker, and an event sent
    by one worker would never reach a websocket held by another. So one process, unless Redis is
    there to share them."""
    if not redis:
        return 1
    return max(1, min(2 * (cores or os.cpu_count() or 1), 8))


# Seconds a worker has to finish its requests after SIGTERM (or a restart) before it is killed.
AISER_WEB_GRACEFUL_TIMEOUT_S = env.integer("AISER_WEB_GRACEFUL_TIMEOUT_S", 30)
# A worker whose event loop has not answered the master for this long is killed and replaced.
AISER_WEB_TIMEOUT_S = env.integer("AISER_WEB_TIMEOUT_S", 60)
# Each worker is replaced after about this many requests (plus up to 10 % jitter, so workers do not
# all restart together): memory a long-lived process fragments or leaks is given back. 0 = never.
AISER_WEB_MAX_REQUESTS = env.integer("AISER_WEB_MAX_REQUESTS", 10_000)
# One line per request on stdout; off by default (the proxy in front usually logs them).
AISER_WEB_ACCESS_LOG = env.flag("AISER_WEB_ACCESS_LOG", False)

# --- Database connections ----------------------------------------------------------------------------
# Each process keeps a psycopg pool of at most AISER_DB_POOL_MAX connections (0 = a new connection
# per request). PostgreSQL's max_connections must cover workers times AISER_DB_POOL_MAX plus Celery.
# Off by default in the test suite: tests hold connections in threads and transactions of their own that a
# request cycle never hands back; tests/serving/test_pool.py turns it on for the server it starts.
AISER_DB_POOL_MAX = env.integer("AISER_DB_POOL_MAX", 0 if env.text("AISER_ENV", "") == "test" else 10)
AISER_DB_POOL_MIN = env.integer("AISER_DB_POOL_MIN", 1)
# How long a request waits for a free connection before it fails (psycopg_pool.PoolTimeout).
AISER_DB_POOL_TIMEOUT_S = env.number("AISER_DB_POOL_TIMEOUT_S", 10)


def database_pool_options() -> dict[str, object] | None:
    """Django's `OPTIONS["pool"]` for PostgreSQL (psycopg_pool.ConnectionPool arguments), or None
    when pooling is off. With CONN_HEALTH_CHECKS (set with the database URL) Django has the pool
    check each connection before handing it out, so one dropped by the server is replaced."""
    if AISER_DB_POOL_MAX <= 0:
        return None
    return {
        "min_size": max(0, min(AISER_DB_POOL_MIN, AISER_DB_POOL_MAX)),
        "max_size": AISER_DB_POOL_MAX,
        "timeout": AISER_DB_POOL_TIMEOUT_S,
    }
