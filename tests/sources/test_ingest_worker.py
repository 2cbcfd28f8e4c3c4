# SPDX-License-Identifier: MIT
"""Ingestion runs in a bounded, single-use worker process: the web process never holds the file,
a file that needs more memory than the limit fails with a clear message and the previous version
stays, and the process that read the file is gone when the upload is answered."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import requests

from tests.sources.fixtures_api import SALES_CSV, run_query, upload_new_version, upload_source

ROOT = Path(__file__).resolve().parents[2]


def _big_csv(megabytes: int) -> bytes:
    line = (
        "{i},customer {i},{amount},2024-01-{day:02d},a note that makes the row longer than it needs to be\n"
    )
    rows = []
    size, i = 0, 0
    while size < megabytes * 1024 * 1024:
        row = line.format(i=i, amount=i * 1.25, day=i % 28 + 1)
        rows.append(row)
        size += len(row)
        i += 1
    return ("id,customer,amount,day,note\n" + "".join(rows)).encode()


def test_a_file_that_needs_more_memory_than_the_limit_fails_clearly_and_the_previous_version_stays(
    alpha, settings
):
    client = alpha.client("editor")
    created = upload_source(client, SALES_CSV).json()
    assert created["status"] == "ready"
    settings.AISER_INGEST_MEMORY_MB = 24  # a 12 MB CSV is read in 8 MB blocks: more than this

    body = upload_new_version(client, created["id"], _big_csv(12)).json()

    assert body["status"] == "failed"
    assert "more than the 24 MB of memory" in body["error"]
    assert "previous version (v1) is still in use" in body["error"]
    answer = run_query(client, created["id"])
    assert answer.status_code == 200
    assert answer.json()["rows"] == [["East", 112.5], ["North", 75.5], ["South", 50.0]]


def test_the_same_file_within_the_limit_is_read(alpha, settings):
    settings.AISER_INGEST_MEMORY_MB = 1024

    body = upload_source(alpha.client("editor"), _big_csv(12), file_name="big.csv").json()

    assert body["status"] == "ready", body["error"]
    assert body["progress"]["percent"] == 100.0


# --- The web process while a 50 MB file uploads: a real server process -------------------------------


def _status_mb(pid: int, field: str) -> float:
    with open(f"/proc/{pid}/status") as status:
        return next(int(line.split()[1]) for line in status if line.startswith(field + ":")) / 1024


def _children(pid: int) -> set[int]:
    found = set()
    for task in Path(f"/proc/{pid}/task").iterdir():
        found.update(int(child) for child in (task / "children").read_text().split())
    return found


@pytest.fixture(scope="module")
def server(workspaces: dict[str, Any], django_db_blocker: Any, tmp_path_factory: Any) -> Iterator[Any]:
    """uvicorn (one process) on the test database, and an API key of alpha committed for it."""
    if "alpha" not in workspaces:
        pytest.skip("API keys need the enterprise edition")
    from django.db import connection

    from chat2chart.core.principal import Principal
    from enterprise.rbac.services import api_key_create

    alpha = workspaces["alpha"]
    with django_db_blocker.unblock(), alpha.activate():
        key = api_key_create(
            organization=alpha.organization,
            principal=Principal.for_user(alpha.users["owner"]),
            name="ingest memory",
            role="editor",
        )
        database = connection.settings_dict
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    log = (tmp_path_factory.mktemp("ingest-server") / "server.log").open("w")
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(database),
        "AISER_TEST_DATABASE_NAME": database["NAME"],
        "AISER_ENV": "test",  # Celery eager: the web process itself waits for the ingest worker
        "AISER_PORT": str(port),
        "AISER_DATA_DIR": str(tmp_path_factory.mktemp("ingest-server-data")),
    }
    process = subprocess.Popen(  # noqa: S603 - a fixed command line
        [sys.executable, "-m", "uvicorn", "aiser.asgi:application", "--port", str(port)],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 90
    while True:
        try:
            requests.get(f"{base}/healthz", timeout=5)
            break
        except requests.RequestException:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"the server did not start; see {log.name}") from None
            time.sleep(0.2)
    headers = {"Host": f"{alpha.host}:{port}", "Authorization": f"Bearer {key.raw_key}"}
    try:
        yield type("Server", (), {"pid": process.pid, "base": base, "headers": headers})
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
        log.close()
        with django_db_blocker.unblock(), alpha.activate():
            key.api_key.delete()


def _database_url(database: dict[str, Any]) -> str:
    user, host, port = database.get("USER") or "", database.get("HOST") or "", database.get("PORT") or ""
    password = f":{database['PASSWORD']}" if database.get("PASSWORD") else ""
    return f"postgres://{user}{password}@{host}{':' + str(port) if port else ''}/{database['NAME']}"


def _upload(server: Any, content: bytes, name: str) -> dict:
    response = requests.post(
        f"{server.base}/api/v1/sources/",
        headers=server.headers,
        files={"file": (name, content, "text/csv")},
        timeout=300,
    )
    assert response.status_code == 201, response.content
    return response.json()


def _delete(server: Any, source_id: int) -> None:
    requests.delete(f"{server.base}/api/v1/sources/{source_id}/", headers=server.headers, timeout=30)


@pytest.mark.slow
@pytest.mark.django_db
@pytest.mark.enterprise
def test_the_web_process_stays_small_while_a_50_mb_file_uploads_and_the_reader_exits(server):
    warm = _upload(server, SALES_CSV.encode(), "warm.csv")  # imports, connections, the spare worker
    content = _big_csv(50)
    spare_before = _children(server.pid)
    resident_before = _status_mb(server.pid, "VmRSS")
    Path(f"/proc/{server.pid}/clear_refs").write_text("5")  # peak resident memory starts again here

    try:
        body = _upload(server, content, "fifty.csv")
        peak = _status_mb(server.pid, "VmHWM")
        children_after = _children(server.pid)
    finally:
        _delete(server, warm["id"])
    _delete(server, body["id"])

    assert body["status"] == "ready", body["error"]
    assert body["progress"]["rows"] == content.count(b"\n") - 1
    # The 50 MB went to disk and to the worker: the web process grew by a small fraction of it.
    assert peak - resident_before < 15, (resident_before, peak)
    # The worker that read the file has exited (its memory is the system's again); one fresh spare waits.
    assert spare_before
    assert not (spare_before & children_after)
    assert len(children_after) <= 1
