# SPDX-License-Identifier: MIT
"""`python -m aiser.serve` with two workers and PROMETHEUS_MULTIPROC_DIR: whichever worker answers
`/metrics`, it reports the requests both workers served."""

from __future__ import annotations

import shutil
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from prometheus_client import CollectorRegistry, generate_latest, multiprocess

from tests.monitoring.conftest import TOKEN, parse, value

pytestmark = [pytest.mark.slow, pytest.mark.enterprise]
# The public landing page: a view the request passes all middleware to (the probes are answered before
# them, by chat2chart.core.faults, so that they work whatever the database does).
LANDING = {"view": "home", "transport": "http", "method": "GET"}
REQUESTS = "django_http_requests_total_by_view_transport_method_total"


def landing_served_by(directory: Path, pid: int, scratch: Path) -> float:
    """The landing-page requests worker `pid` counted, from its own files only."""
    scratch.mkdir()
    for path in directory.glob(f"*_{pid}.db"):
        shutil.copy(path, scratch / path.name)
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(scratch))
    return value(parse(generate_latest(registry).decode()), REQUESTS, **LANDING)


def test_every_worker_reports_the_requests_of_both(serve, tmp_path, db):
    directory = tmp_path / "metrics"
    server = serve(workers=2, env={"PROMETHEUS_MULTIPROC_DIR": str(directory), "AISER_METRICS_TOKEN": TOKEN})
    workers = server.worker_pids()
    assert len(workers) == 2

    def served(attempt: int) -> list[float]:
        return [landing_served_by(directory, pid, tmp_path / f"{pid}-{attempt}") for pid in workers]

    # Concurrent requests spread over both workers; a few more rounds if one took them all.
    for attempt in range(10):
        counts = served(attempt)
        if all(counts):
            break
        with ThreadPoolExecutor(max_workers=8) as pool:
            list(pool.map(lambda _: server.request("GET", "/", host="localhost"), range(40)))
    assert all(counts), counts

    for _ in range(6):  # answered by one worker or the other; each time the sum of both
        status, body = server.request(
            "GET", "/metrics", host="127.0.0.1", headers={"Authorization": f"Bearer {TOKEN}"}
        )
        assert status == 200, body[:500]
        assert value(parse(body.decode()), REQUESTS, **LANDING) == sum(counts)
