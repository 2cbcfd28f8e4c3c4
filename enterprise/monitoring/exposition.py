# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""The `/metrics` page: who may read it, and its text from every process.

Access: a request carrying `Authorization: Bearer <AISER_METRICS_TOKEN>`, or one from an address in
AISER_METRICS_ALLOWED_ADDRESSES; with neither setting, nobody (the page is off). With several processes
(gunicorn workers, Celery workers) each writes its values to files in PROMETHEUS_MULTIPROC_DIR and the
process answering the scrape adds them up (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import hmac
import ipaddress
from collections.abc import Iterator
from pathlib import Path

from django.conf import settings
from django.http import HttpRequest
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, generate_latest, multiprocess
from prometheus_client.metrics_core import Metric
from prometheus_client.registry import Collector

from enterprise.monitoring.status import StatusCollector

OFF = "Metrics are off: set AISER_METRICS_TOKEN or AISER_METRICS_ALLOWED_ADDRESSES."


class AccessRefused(Exception):
    """The caller may not read the metrics: `status` is 401 (no or a wrong token) or 403 (address)."""

    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.message = message


def metrics_access_check(request: HttpRequest) -> None:
    """Raise `AccessRefused` unless `request` has the bearer token or comes from an allowed address
    (REMOTE_ADDR: the scraper talks to the server directly, not through a proxy that rewrites it)."""
    access_check(
        authorization=request.headers.get("Authorization", ""), address=request.META.get("REMOTE_ADDR", "")
    )


def access_check(*, authorization: str, address: str) -> None:
    """The rule for every metrics endpoint (the web app's `/metrics` and a Celery host's server): the
    `Authorization` header must be `Bearer <AISER_METRICS_TOKEN>`, or `address` must be in
    AISER_METRICS_ALLOWED_ADDRESSES; raises `AccessRefused` (401 or 403) otherwise, 403 when both unset."""
    token = settings.AISER_METRICS_TOKEN or ""
    networks = settings.AISER_METRICS_ALLOWED_ADDRESSES
    if not token and not networks:
        raise AccessRefused(403, OFF)
    if token and hmac.compare_digest(authorization.encode(), f"Bearer {token}".encode()):
        return
    if networks and _address_allowed(address, networks):
        return
    if token:
        raise AccessRefused(401, "Send the metrics token as `Authorization: Bearer <token>`.")
    raise AccessRefused(403, "This address may not read the metrics.")


def _address_allowed(address: str, networks: list[str]) -> bool:
    try:
        client = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(client in ipaddress.ip_network(network, strict=False) for network in networks)


class _ThisProcess(Collector):
    """The default registry's metrics (one process: tests, `runserver`, a single worker)."""

    def collect(self) -> Iterator[Metric]:
        yield from REGISTRY.collect()


def metrics_text(multiprocess_dir: str | None = None) -> tuple[bytes, str]:
    """The exposition text and its content type: every process's metrics when `multiprocess_dir` (default
    PROMETHEUS_MULTIPROC_DIR) is set, else this process's; then the scrape-time status (status.py)."""
    directory = settings.AISER_METRICS_MULTIPROC_DIR if multiprocess_dir is None else multiprocess_dir
    registry = CollectorRegistry(auto_describe=False)
    if directory:
        multiprocess.MultiProcessCollector(registry, path=str(Path(directory)))
    else:
        registry.register(_ThisProcess())
    registry.register(StatusCollector())
    return generate_latest(registry), CONTENT_TYPE_LATEST
