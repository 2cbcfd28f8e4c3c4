# SPDX-License-Identifier: MIT
"""A host that runs only Celery workers serves `/metrics` itself (AISER_CELERY_METRICS_PORT): a real
worker process is started, a task is sent through Redis, and the worker's own endpoint counts it, with
the same access rule as the web app's `/metrics`."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from tests.conftest import dj_database_url_for
from tests.monitoring.conftest import TOKEN, parse, value

ROOT = Path(__file__).resolve().parent.parent.parent
TASK = "sources.refresh_due_sources_everywhere"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _get(url: str, token: str | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers={"Authorization": f"Bearer {token}"} if token else {})
    try:
        with urllib.request.urlopen(request, timeout=5) as response:  # noqa: S310 - loopback
            return response.status, response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, error.read().decode()


def _until(check, timeout_s: float) -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.25)
    raise AssertionError("timed out waiting for the worker")


@pytest.mark.enterprise
@pytest.mark.redis
def test_a_worker_only_host_serves_its_metrics_and_counts_its_tasks(tmp_path, settings, db):
    from django.db import connection

    if not settings.REDIS_URL:
        pytest.skip("needs Redis (REDIS_URL)")
    from aiser.celery import app

    redis = urlsplit(settings.REDIS_URL)
    broker = f"redis://{redis.hostname}:{redis.port or 6379}/14"  # a db of its own, one queue per run
    queue = f"worker-metrics-{os.getpid()}"
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": dj_database_url_for(connection.settings_dict),
        "REDIS_URL": broker,
        "CELERY_TASK_ALWAYS_EAGER": "false",
        "PROMETHEUS_MULTIPROC_DIR": str(tmp_path),
        "AISER_CELERY_METRICS_PORT": str(port),
        "AISER_CELERY_METRICS_ADDRESS": "127.0.0.1",
        "AISER_METRICS_TOKEN": TOKEN,
        "AISER_METRICS_ALLOWED_ADDRESSES": "",
    }
    command = [sys.executable, "-m", "celery", "-A", "aiser", "worker", "--pool=solo", "-Q", queue]
    command += ["--without-heartbeat", "--without-gossip", "--without-mingle", "--loglevel=WARNING"]
    log = (tmp_path / "worker.log").open("w")
    worker = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)  # noqa: S603
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        _until(lambda: _connectable(port) or worker.poll() is not None, 120)
        assert worker.poll() is None, (tmp_path / "worker.log").read_text()

        assert _get(url)[0] == 401  # no token
        assert _get(url, "wrong")[0] == 401
        assert _get(f"http://127.0.0.1:{port}/other", TOKEN)[0] == 404
        before = parse(_get(url, TOKEN)[1])

        sent = app.send_task(TASK, queue=queue, connection=app.connection_for_write(broker))
        _until(lambda: _tasks_counted(url) > _count(before), 120)

        status, body = _get(url, TOKEN)
        assert status == 200
        samples = parse(body)
        assert _count(samples) == _count(before) + 1
        assert value(samples, "aiser_celery_task_duration_seconds_count", task=TASK) >= 1
        assert sent.id
    finally:
        worker.send_signal(signal.SIGTERM)
        try:
            worker.wait(timeout=30)
        except subprocess.TimeoutExpired:
            worker.kill()
        log.close()


def _connectable(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.5)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _count(samples) -> float:
    return sum(
        number
        for (name, labels), number in samples.items()
        if name == "aiser_celery_tasks_total" and ("task", TASK) in labels
    )


def _tasks_counted(url: str) -> float:
    status, body = _get(url, TOKEN)
    return _count(parse(body)) if status == 200 else -1
