# SPDX-License-Identifier: MIT
"""A real `python -m aiser.serve` (gunicorn with uvicorn workers) on a free loopback port, serving
the test database, and the peak memory of each of its processes."""

from __future__ import annotations

import http.client
import os
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import psutil
import pytest
from django.db import connection

ROOT = Path(__file__).resolve().parent.parent.parent


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def database_url() -> str:
    """The test database (what the test process uses), as a URL for the server's environment."""
    database = connection.settings_dict
    user = quote(database.get("USER") or "")
    password = f":{quote(database['PASSWORD'])}" if database.get("PASSWORD") else ""
    host = quote(database.get("HOST") or "127.0.0.1", safe="")
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{database['NAME']}"


def memory_mb(pid: int) -> dict[str, int]:
    """VmHWM (peak resident set since the process started) and VmRSS of one process, in MB."""
    figures = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, value = line.partition(":")
        if name in {"VmHWM", "VmRSS"}:
            figures[name] = int(value.split()[0]) // 1024
    return figures


@dataclass
class ServedAiser:
    """One running `aiser.serve`: its gunicorn master and the port it listens on."""

    process: subprocess.Popen[bytes]
    port: int
    log: Path

    def worker_pids(self) -> list[int]:
        """The web workers (the master's direct children)."""
        return sorted(child.pid for child in psutil.Process(self.process.pid).children())

    def memory(self) -> dict[int, dict[str, int]]:
        """VmHWM and VmRSS (MB) of the processes that receive requests: the master and its web workers.

        The query and ingest workers they start are left out: each is a fresh interpreter bounded by its own
        address-space limit, which grows while it imports DuckDB and pyarrow (a spare ingest worker is started
        ahead of need), never by holding a request body."""
        master = psutil.Process(self.process.pid)
        pids = [master.pid, *(child.pid for child in master.children())]
        return {pid: memory_mb(pid) for pid in pids}

    def request(self, method: str, path: str, *, host: str, **kwargs: Any) -> tuple[int, bytes]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        try:
            conn.request(method, path, headers={"Host": host, **kwargs.pop("headers", {})}, **kwargs)
            response = conn.getresponse()
            return response.status, response.read()
        finally:
            conn.close()

    def stop(self) -> int:
        """SIGTERM the master, as a process manager would; its exit code."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait()
        return self.process.returncode


def start_server(log_dir: Path, *, workers: int, env: dict[str, str] | None = None) -> ServedAiser:
    """Start `python -m aiser.serve` with `workers` workers on the test database; return once it
    answers /healthz and its workers have served a few requests each."""
    port = free_port()
    log = log_dir / "serve.log"
    process = subprocess.Popen(
        [sys.executable, "-m", "aiser.serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=ROOT,
        env={
            **os.environ,
            "DATABASE_URL": database_url(),
            "AISER_PORT": str(port),
            "AISER_ENV": "test",
            "AISER_DATA_DIR": str(log_dir / "data"),
            "AISER_WEB_WORKERS": str(workers),
            **(env or {}),
        },
        stdout=log.open("w"),
        stderr=subprocess.STDOUT,
    )
    server = ServedAiser(process=process, port=port, log=log)
    deadline = time.monotonic() + 90
    while True:
        if process.poll() is not None:
            raise RuntimeError(f"aiser.serve exited early:\n{log.read_text()[-3000:]}")
        try:
            if server.request("GET", "/healthz", host="localhost")[0] == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            server.stop()
            raise RuntimeError(f"aiser.serve did not start within 90 s:\n{log.read_text()[-3000:]}")
        time.sleep(0.2)
    # Concurrent requests reach every worker, so each has its first-request work behind it.
    with ThreadPoolExecutor(max_workers=8) as pool:
        list(pool.map(lambda _: server.request("GET", "/healthz", host="localhost"), range(20 * workers)))
    return server


@pytest.fixture(scope="module")
def serve(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Callable[..., ServedAiser]]:
    """Start servers for a test module (`serve(workers=2, env={...})`); all stopped at its end."""
    started: list[ServedAiser] = []

    def start(*, workers: int = 2, env: dict[str, str] | None = None) -> ServedAiser:
        server = start_server(tmp_path_factory.mktemp("serve"), workers=workers, env=env)
        started.append(server)
        return server

    yield start
    for server in started:
        server.stop()
