# SPDX-License-Identifier: MIT
"""With PROMETHEUS_MULTIPROC_DIR, `/metrics` adds up what every process measured (gunicorn and
Celery workers each write their own files there)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.monitoring.conftest import parse, value

ROOT = Path(__file__).resolve().parent.parent.parent
# A process of its own measuring `count` cached file queries and opening one websocket, as a worker does.
WORKER = """
import sys
from chat2chart.core.hooks import Observation
from enterprise.monitoring.metrics import WEBSOCKETS, observation_record

hit = {"source_kind": "file", "cache": "hit", "rollup": "no"}
for _ in range(int(sys.argv[1])):
    observation_record(Observation("query_seconds", 0.02, hit))
WEBSOCKETS.inc()
"""


def run_worker(directory: Path, count: int) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [sys.executable, "-c", WORKER, str(count)],
        cwd=ROOT,
        env={**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(directory)},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )


@pytest.mark.enterprise
def test_metrics_add_up_what_two_processes_measured(tmp_path, db):
    from enterprise.monitoring.exposition import metrics_text

    workers = [run_worker(tmp_path, 3), run_worker(tmp_path, 4)]
    for worker in workers:
        output, _ = worker.communicate(timeout=120)
        assert worker.returncode == 0, output.decode()
    assert len({path.name.rsplit("_", 1)[1] for path in tmp_path.glob("histogram_*.db")}) == 2  # one per pid

    body, _ = metrics_text(multiprocess_dir=str(tmp_path))
    samples = parse(body.decode())
    hits = {"source_kind": "file", "cache": "hit", "rollup": "no"}
    assert value(samples, "aiser_query_duration_seconds_count", **hits) == 7
    assert value(samples, "aiser_query_duration_seconds_sum", **hits) == pytest.approx(0.14)
    # Open websockets are a live sum: a process's count stays until its exit is noted (gunicorn's
    # child_exit hook, Celery's worker_process_shutdown signal), then it is gone.
    assert value(samples, "aiser_websocket_connections") == 2
    from prometheus_client import multiprocess

    for worker in workers:
        multiprocess.mark_process_dead(worker.pid, str(tmp_path))
    samples = parse(metrics_text(multiprocess_dir=str(tmp_path))[0].decode())
    assert value(samples, "aiser_websocket_connections") == 0
    assert value(samples, "aiser_query_duration_seconds_count", **hits) == 7  # counters never go back
