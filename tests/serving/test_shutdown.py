# SPDX-License-Identifier: MIT
"""Workers that ran DuckDB queries stop cleanly on SIGTERM (issue 12).

A served process with two workers answers SQL over an uploaded file source (DuckDB in the query
worker pool, spare DuckDB databases made by a background thread); then the master gets SIGTERM, as
from a process manager. Every worker exits by itself with code 0 (the master logs a worker that
ends by a signal or a non-zero code), so the exit handlers that stop the DuckDB thread and the
query workers ran; the master exits with 0.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import pytest

pytestmark = [pytest.mark.enterprise, pytest.mark.slow, pytest.mark.django_db]

CSV = "city,sales\nOslo,3\nLima,4\nOslo,5\n"


@pytest.fixture(scope="module")
def owner_key(workspaces: dict[str, Any], django_db_blocker: Any) -> Iterator[str]:
    """An owner's API key in alpha, committed (outside the test's transaction) for the server."""
    if "alpha" not in workspaces:
        pytest.skip("API keys need the enterprise edition")
    from chat2chart.core.principal import Principal
    from enterprise.rbac.services import api_key_create

    alpha = workspaces["alpha"]
    with django_db_blocker.unblock(), alpha.activate():
        new = api_key_create(
            organization=alpha.organization,
            principal=Principal.for_user(alpha.users["owner"]),
            name="shutdown",
            role="owner",
        )
    yield new.raw_key
    with django_db_blocker.unblock():
        new.api_key.delete()


def test_workers_that_ran_duckdb_exit_with_code_zero_on_sigterm(serve, workspaces, owner_key):
    server = serve(workers=2)
    host = workspaces["alpha"].host
    auth = {"Authorization": f"Bearer {owner_key}"}
    boundary = "aiser-shutdown-test"
    body = (
        f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nCities\r\n'
        f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="cities.csv"\r\n'
        f"Content-Type: text/csv\r\n\r\n{CSV}\r\n--{boundary}--\r\n"
    ).encode()
    status, raw = server.request(
        "POST",
        "/api/v1/sources/",
        host=host,
        body=body,
        headers={**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    assert status == 201, raw
    source = json.loads(raw)
    try:
        _, raw = server.request("GET", f"/api/v1/sources/{source['id']}/", host=host, headers=auth)
        (table,) = json.loads(raw)["tables"]
        query = json.dumps({"source": source["id"], "sql": f'select sum(sales) as total from "{table}"'})

        def ask(_: int) -> tuple[int, Any]:
            headers = {**auth, "Content-Type": "application/json"}
            status, raw = server.request("POST", "/api/v1/sql/", host=host, body=query, headers=headers)
            return status, json.loads(raw)

        with ThreadPoolExecutor(max_workers=4) as pool:
            answers = list(pool.map(ask, range(12)))
        for status, answer in answers:
            assert status == 200, answer
            assert answer["rows"] == [[12]]
    finally:
        server.request("DELETE", f"/api/v1/sources/{source['id']}/", host=host, headers=auth)

    workers = server.worker_pids()
    assert server.stop() == 0
    log = server.log.read_text()
    for pid in workers:
        assert f"Worker exiting (pid: {pid})" in log, log[-3000:]
    # The master's line for a worker that died by a signal or exited with a non-zero code.
    assert not re.search(r"Worker \(pid:\d+\) (was sent|exited with code)", log), log[-3000:]
    assert "Traceback" not in log, log[-3000:]
