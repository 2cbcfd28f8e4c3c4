# SPDX-License-Identifier: MIT
"""Size, time and rate limits: queries and their worker processes, uploads and request bodies,
sign-in attempts. Every knob from the environment (documented in the README); imported by
`aiser/settings/__init__.py`."""

from __future__ import annotations

from aiser.settings import env

# --- Data plane -------------------------------------------------------------------------------------
AISER_QUERY_TIMEOUT_S = env.number("AISER_QUERY_TIMEOUT_S", 30)
AISER_QUERY_MAX_ROWS = env.integer("AISER_QUERY_MAX_ROWS", 100_000)
AISER_QUERY_CACHE_TTL_S = env.integer("AISER_QUERY_CACHE_TTL_S", 600)
AISER_MAX_UPLOAD_MB = env.integer("AISER_MAX_UPLOAD_MB", 200)
AISER_REST_MAX_BYTES = env.integer("AISER_REST_MAX_BYTES", 50 * 1024 * 1024)

# --- Request limits ---------------------------------------------------------------------------------
# Sign-in limits, counted per account and per client address on every host alike (aiser.cache_keys).
AISER_LOGIN_ATTEMPTS = env.integer("AISER_LOGIN_ATTEMPTS", 5)
AISER_LOGIN_LOCKOUT_S = env.integer("AISER_LOGIN_LOCKOUT_S", 300)
AISER_LOGIN_ATTEMPTS_PER_IP = env.integer("AISER_LOGIN_ATTEMPTS_PER_IP", 20)
ACCOUNT_RATE_LIMITS = {
    "login_failed": f"{AISER_LOGIN_ATTEMPTS_PER_IP}/m/ip,{AISER_LOGIN_ATTEMPTS}/{AISER_LOGIN_LOCKOUT_S}s/key",
    # "Find your organisation" mails a list to an address: a few a time, so it cannot be used to spam.
    "find_organizations": "10/h/ip,3/h/key",
}
AISER_MAX_ORGS_PER_DAY = env.integer("AISER_MAX_ORGS_PER_DAY", 3)
# Bodies are refused by size in the ASGI layer before Django reads them (chat2chart.core.body_limit).
AISER_MAX_BODY_KB = env.integer("AISER_MAX_BODY_KB", 1024)
# Paths (full-match regular expressions) that accept file uploads up to AISER_MAX_UPLOAD_MB.
AISER_UPLOAD_PATHS = [r"/api/v1/sources/", r"/api/v1/sources/\d+/upload/"]
DATA_UPLOAD_MAX_MEMORY_SIZE = AISER_MAX_BODY_KB * 1024
# Uploaded files go to temporary files on disk past 1 MB, never whole into memory.
FILE_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
FILE_UPLOAD_HANDLERS = ["django.core.files.uploadhandler.TemporaryFileUploadHandler"]

# --- Query isolation -------------------------------------------------------------------------------
# Every query on a source runs in a worker process (chat2chart/sources/executor.py) with these limits.
AISER_QUERY_MEMORY_MB = env.integer("AISER_QUERY_MEMORY_MB", 1024)
AISER_QUERY_MAX_BYTES = env.integer("AISER_QUERY_MAX_BYTES", 32 * 1024 * 1024)
AISER_QUERY_MAX_CELL_BYTES = env.integer("AISER_QUERY_MAX_CELL_BYTES", 1024 * 1024)
AISER_QUERY_WORKERS = env.integer("AISER_QUERY_WORKERS", 2)
AISER_QUERY_WORKER_MAX_JOBS = env.integer("AISER_QUERY_WORKER_MAX_JOBS", 500)
# Locked-down DuckDB databases each query worker keeps ready, one per source version
# (0: a fresh one per query).
AISER_DUCKDB_POOL_SIZE = env.integer("AISER_DUCKDB_POOL_SIZE", 4)
# Every file ingestion runs in a single-use worker process (chat2chart/sources/ingest_worker.py):
# address space it may use above its own imports, wall-clock limit, and how many run at once per process.
AISER_INGEST_MEMORY_MB = env.integer("AISER_INGEST_MEMORY_MB", 2048)
AISER_INGEST_TIMEOUT_S = env.number("AISER_INGEST_TIMEOUT_S", 840)
AISER_INGEST_WORKERS = env.integer("AISER_INGEST_WORKERS", 2)
# A task past the soft limit gets SoftTimeLimitExceeded (and can record why it stopped); the hard
# limit kills its process.
CELERY_TASK_SOFT_TIME_LIMIT = env.integer("CELERY_TASK_SOFT_TIME_LIMIT", 900)
CELERY_TASK_TIME_LIMIT = env.integer("CELERY_TASK_TIME_LIMIT", 960)
