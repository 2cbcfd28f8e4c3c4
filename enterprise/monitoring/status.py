# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""What is true at scrape time rather than counted as it happens: whether the database and Redis
answer, whether the server is ready, the data directory's free space and the Celery queue's length.

Computed by the process that answers the scrape, so one scrape sees the dependencies as that
process does; every check has a short timeout, so a dead dependency slows a scrape by seconds at most.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Iterator
from pathlib import Path

import redis
from django.conf import settings
from django.db import connection
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

logger = logging.getLogger(__name__)

CHECK_TIMEOUT_S = 2.0
CELERY_QUEUES = ("celery",)  # the default queue: Aiser routes no task elsewhere


def database_up() -> bool:
    """Whether the database answers `SELECT 1` (a failure is logged, not raised)."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
        return True
    except Exception:  # any driver error means "down" for the gauge; the log says which
        logger.warning("metrics: the database did not answer", exc_info=True)
        return False


def redis_client(url: str) -> redis.Redis:
    return redis.Redis.from_url(url, socket_timeout=CHECK_TIMEOUT_S, socket_connect_timeout=CHECK_TIMEOUT_S)


def redis_up(client: redis.Redis) -> bool:
    """Whether Redis answers PING (a failure is logged, not raised)."""
    try:
        return bool(client.ping())
    except redis.RedisError:
        logger.warning("metrics: Redis did not answer", exc_info=True)
        return False


class StatusCollector(Collector):
    """aiser_dependency_up{dependency}, aiser_ready, aiser_data_dir_{free,size}_bytes and
    aiser_celery_queue_length{queue}, measured on each collect()."""

    def collect(self) -> Iterator[GaugeMetricFamily]:
        up = GaugeMetricFamily(
            "aiser_dependency_up", "1 when the dependency answers, else 0.", labels=["dependency"]
        )
        ups = {"database": database_up()}
        client = redis_client(settings.REDIS_URL) if settings.REDIS_URL else None
        if client is not None:
            ups["redis"] = redis_up(client)
        for name, answered in ups.items():
            up.add_metric([name], float(answered))
        yield up
        yield GaugeMetricFamily(
            "aiser_ready",
            "1 when every dependency answers (what /readyz checks).",
            value=float(all(ups.values())),
        )
        yield from _disk()
        if client is not None and ups["redis"] and settings.CELERY_BROKER_URL == settings.REDIS_URL:
            yield _queue_lengths(client)

    def describe(self) -> list[GaugeMetricFamily]:
        return []  # nothing to check at registration: every value is measured on collect()


def _disk() -> Iterator[GaugeMetricFamily]:
    # A data directory not made yet will be made on the filesystem of its nearest existing parent.
    path = Path(settings.AISER_DATA_DIR).absolute()
    while not path.exists() and path != path.parent:
        path = path.parent
    try:
        usage = shutil.disk_usage(path)
    except OSError:
        logger.warning("metrics: cannot read the data directory's disk usage", exc_info=True)
        return
    yield GaugeMetricFamily(
        "aiser_data_dir_free_bytes", "Bytes free on the data directory's filesystem.", value=usage.free
    )
    yield GaugeMetricFamily(
        "aiser_data_dir_size_bytes", "Size of the data directory's filesystem in bytes.", value=usage.total
    )


def _queue_lengths(client: redis.Redis) -> GaugeMetricFamily:
    family = GaugeMetricFamily(
        "aiser_celery_queue_length", "Celery tasks waiting in the broker's queue.", labels=["queue"]
    )
    for queue in CELERY_QUEUES:
        try:
            family.add_metric([queue], float(client.llen(queue)))
        except redis.RedisError:
            logger.warning("metrics: cannot read the length of queue %s", queue, exc_info=True)
    return family
