# SPDX-License-Identifier: MIT
"""Oversized request bodies are refused by size before the server holds them in memory.

A real daphne process serves the test database; a ~300 MB body is streamed to it in 1 MB pieces,
with a declared length and chunked, anonymously and with an API key. Each gets 413 in the JSON error
shape, and the server's peak resident memory (VmHWM) stays within 100 MB of its idle figure.
"""

from __future__ import annotations

import http.client
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from django.db import connection

# The requests go to another process; the test database is set up for it, and what the server must
# see is committed by module-scoped fixtures, outside each test's transaction.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

BODY_MB = 300
UPLOAD_LIMIT_MB = 20
MEMORY_MARGIN_MB = 100
ROOT = Path(__file__).resolve().parent.parent.parent


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _database_url() -> str:
    settings = connection.settings_dict
    host = settings.get("HOST") or "127.0.0.1"
    user = settings.get("USER") or ""
    password = f":{settings['PASSWORD']}" if settings.get("PASSWORD") else ""
    port = f":{settings['PORT']}" if settings.get("PORT") else ""
    return f"postgres://{user}{password}@{host}{port}/{settings['NAME']}"


class Server:
    def __init__(self, process: subprocess.Popen[bytes], port: int) -> None:
        self.process = process
        self.port = port

    def memory_mb(self) -> dict[str, int]:
        """VmHWM (peak resident set) and VmRSS of the server process, in MB."""
        figures = {}
        for line in Path(f"/proc/{self.process.pid}/status").read_text().splitlines():
            name, _, value = line.partition(":")
            if name in {"VmHWM", "VmRSS"}:
                figures[name] = int(value.split()[0]) // 1024
        return figures


@pytest.fixture(scope="module")
def server(workspaces: Any, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    port = _free_port()
    env = {
        **os.environ,
        "DATABASE_URL": _database_url(),
        "AISER_PORT": str(port),
        "AISER_ENV": "test",
        "AISER_DATA_DIR": str(tmp_path_factory.mktemp("limits-data")),
        "AISER_MAX_UPLOAD_MB": str(UPLOAD_LIMIT_MB),
    }
    log = (tmp_path_factory.mktemp("limits-log") / "daphne.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "daphne", "-b", "127.0.0.1", "-p", str(port), "aiser.asgi:application"],
        cwd=ROOT,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            probe = http.client.HTTPConnection("127.0.0.1", port, timeout=1)
            probe.request("GET", "/healthz", headers={"Host": "localhost"})
            probe.getresponse().read()
            break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"daphne exited early; see {log.name}") from None
            time.sleep(0.2)
    else:
        process.kill()
        raise RuntimeError("daphne did not start within 60 s")
    yield Server(process, port)
    process.terminate()
    process.wait(timeout=10)
    log.close()


def _post_streamed(
    server: Server,
    *,
    host: str,
    path: str,
    chunked: bool,
    headers: dict[str, str] | None = None,
    size_mb: int = BODY_MB,
) -> tuple[int, dict[str, Any]]:
    """POST a `size_mb` body in 1 MB pieces; return the status and JSON body of the response."""
    piece = b"a,b\n" * (256 * 1024)
    total = size_mb * 1024 * 1024
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.putrequest("POST", path, skip_host=True, skip_accept_encoding=True)
    conn.putheader("Host", host)
    conn.putheader("Content-Type", "multipart/form-data; boundary=aiser-limit-test")
    for name, value in (headers or {}).items():
        conn.putheader(name, value)
    if chunked:
        conn.putheader("Transfer-Encoding", "chunked")
    else:
        conn.putheader("Content-Length", str(total))
    conn.endheaders()
    try:
        for _ in range(total // len(piece)):
            conn.send(b"%x\r\n%s\r\n" % (len(piece), piece) if chunked else piece)
        if chunked:
            conn.send(b"0\r\n\r\n")
    except OSError:
        pass  # the server stopped reading after it answered; its answer is still there to read
    response = conn.getresponse()
    body = json.loads(response.read() or b"null")
    conn.close()
    return response.status, body


@pytest.fixture
def org(workspaces: dict[str, Any]) -> Any:
    """The first organisation (or the core's workspace), without a test transaction: the server
    process must see what these tests commit."""
    return workspaces.get("alpha") or workspaces["default"]


def _assert_refused_within_memory(server: Server, **request: Any) -> None:
    idle = server.memory_mb()
    status, body = _post_streamed(server, **request)
    after = server.memory_mb()
    assert status == 413
    assert set(body["error"]) >= {"code", "message"}
    assert body["error"]["code"] == "too_large"
    assert after["VmHWM"] <= max(idle["VmHWM"], idle["VmRSS"] + MEMORY_MARGIN_MB), (idle, after)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_anonymous_post_is_refused_before_it_is_held(server, org, chunked):
    _assert_refused_within_memory(server, host=org.host, path="/api/v1/me/", chunked=chunked)


@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_anonymous_upload_is_refused_before_it_is_held(server, org, chunked):
    _assert_refused_within_memory(server, host=org.host, path="/api/v1/sources/", chunked=chunked)


def _module_key(workspaces: dict[str, Any], django_db_blocker: Any, role: str) -> Iterator[str]:
    if "alpha" not in workspaces:
        pytest.skip("API keys need the enterprise edition")
    from chat2chart.core.principal import Principal
    from enterprise.rbac.services import api_key_create

    alpha = workspaces["alpha"]
    with django_db_blocker.unblock(), alpha.activate():
        new = api_key_create(
            organization=alpha.organization,
            principal=Principal.for_user(alpha.users["owner"]),
            name="limits",
            role=role,
        )
    yield new.raw_key
    with django_db_blocker.unblock():
        new.api_key.delete()


@pytest.fixture(scope="module")
def owner_key(workspaces: dict[str, Any], django_db_blocker: Any) -> Iterator[str]:
    yield from _module_key(workspaces, django_db_blocker, "owner")


@pytest.fixture(scope="module")
def viewer_key(workspaces: dict[str, Any], django_db_blocker: Any) -> Iterator[str]:
    yield from _module_key(workspaces, django_db_blocker, "viewer")


@pytest.mark.enterprise
@pytest.mark.parametrize("chunked", [False, True], ids=["content-length", "chunked"])
def test_oversized_upload_with_an_api_key_is_refused_before_it_is_held(server, org, owner_key, chunked):
    _assert_refused_within_memory(
        server,
        host=org.host,
        path="/api/v1/sources/",
        chunked=chunked,
        headers={"Authorization": f"Bearer {owner_key}"},
    )


@pytest.mark.enterprise
def test_an_upload_within_the_limit_still_arrives(server, org, owner_key):
    """Twisted's own form parsing is off; Django still receives the file and makes the source."""
    boundary = "aiser-upload-test"
    csv = b"city,sales\nOslo,3\nLima,4\n"
    body = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="name"\r\n\r\nCities\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="cities.csv"\r\n'
            f"Content-Type: text/csv\r\n\r\n"
        ).encode()
        + csv
        + f"\r\n--{boundary}--\r\n".encode()
    )
    auth = {"Host": org.host, "Authorization": f"Bearer {owner_key}"}
    conn = http.client.HTTPConnection("127.0.0.1", server.port, timeout=60)
    conn.request(
        "POST",
        "/api/v1/sources/",
        body=body,
        headers={**auth, "Content-Type": f"multipart/form-data; boundary={boundary}"},
    )
    response = conn.getresponse()
    created = json.loads(response.read())
    assert response.status == 201, created
    assert created["name"] == "Cities"
    conn.request("DELETE", f"/api/v1/sources/{created['id']}/", headers=auth)
    assert conn.getresponse().status == 204


@pytest.mark.enterprise
def test_an_accepted_multipart_body_is_not_parsed_in_memory_by_the_server(server, org, viewer_key):
    """A body within the limit reaches Django (here refused for the viewer's role), and the server
    holds it at most about twice on the way (daphne queues it once), not parsed many times over."""
    size_mb = UPLOAD_LIMIT_MB - 2
    idle = server.memory_mb()
    status, body = _post_streamed(
        server,
        host=org.host,
        path="/api/v1/sources/",
        chunked=False,
        headers={"Authorization": f"Bearer {viewer_key}"},
        size_mb=size_mb,
    )
    after = server.memory_mb()
    assert status == 403
    assert body["error"]["code"] == "permission_denied"
    assert after["VmHWM"] - idle["VmRSS"] <= 3 * size_mb, (idle, after)


def test_a_body_just_over_the_limit_gets_one_answer_and_the_app_never_runs(server, org):
    """Headers and body in one write: the 413 is the only response; the connection then closes."""
    body = b"x" * (1024 * 1024 + 1)  # AISER_MAX_BODY_KB default: 1024
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=30)
    head = (
        f"POST /api/v1/me/ HTTP/1.1\r\nHost: {org.host}\r\nContent-Type: application/json\r\n"
        f"Content-Length: {len(body)}\r\n\r\n"
    ).encode()
    sock.sendall(head + body)
    received = b""
    while chunk := sock.recv(65536):
        received += chunk
    sock.close()
    assert received.startswith(b"HTTP/1.1 413 ")
    assert received.count(b"HTTP/1.1 ") == 1
    assert b'"code": "too_large"' in received


# --- The ASGI middleware alone (for servers that hand the body over as it arrives) ----------------


def _run_middleware(headers: list[tuple[bytes, bytes]], pieces: list[bytes]) -> tuple[list[Any], int]:
    """Drive BodyLimitMiddleware around an app that reads the whole body; the messages sent and how
    many body pieces were read."""
    import asyncio

    from chat2chart.core.body_limit import BodyLimitMiddleware

    read = 0
    sent: list[Any] = []

    async def receive() -> dict[str, Any]:
        nonlocal read
        read += 1
        return {"type": "http.request", "body": pieces[read - 1], "more_body": read < len(pieces)}

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"ok"})

    scope = {"type": "http", "path": "/api/v1/me/", "headers": headers}
    asyncio.run(BodyLimitMiddleware(app)(scope, receive, send))
    return sent, read


def test_the_asgi_layer_refuses_a_declared_length_without_reading_the_body(settings):
    settings.AISER_MAX_BODY_KB = 1
    sent, read = _run_middleware([(b"content-length", b"2048")], [b"x" * 2048])
    assert read == 0
    assert sent[0]["status"] == 413
    assert json.loads(sent[1]["body"])["error"]["code"] == "too_large"


def test_the_asgi_layer_stops_a_chunked_body_past_the_limit(settings):
    settings.AISER_MAX_BODY_KB = 1
    sent, read = _run_middleware([], [b"x" * 600] * 10)
    assert read == 2  # 1200 bytes > 1 KB: stopped at the second piece
    assert sent[0]["status"] == 413


def test_the_asgi_layer_lets_a_body_within_the_limit_through(settings):
    settings.AISER_MAX_BODY_KB = 1
    sent, read = _run_middleware([(b"content-length", b"1000")], [b"x" * 500, b"x" * 500])
    assert read == 2
    assert sent[0]["status"] == 200
