# SPDX-License-Identifier: MIT
"""Oversized request bodies are refused by size before the server holds them in memory (issue 12).

A real `python -m aiser.serve` (two uvicorn workers under gunicorn) serves the test database. A body
over the limit is streamed to it in 1 MB pieces, with a declared length and chunked, anonymously and
with an API key: each gets 413 in the JSON error shape, and the peak resident memory (VmHWM) of
every server process stays within 100 MB of its idle figure. A body within the limit passes through
to Django, which spools it to a temporary file: the server's memory stays within the same margin.
"""

from __future__ import annotations

import http.client
import json
import socket
from collections.abc import Iterator
from typing import Any

import pytest

# The requests go to another process; the test database is set up for it, and what the server must
# see is committed by module-scoped fixtures, outside each test's transaction.
pytestmark = [pytest.mark.slow, pytest.mark.django_db]

BODY_MB = 765  # the size of the probe in issue 12
UPLOAD_LIMIT_MB = 120
ACCEPTED_MB = 100
MEMORY_MARGIN_MB = 100


@pytest.fixture(scope="module")
def server(serve: Any, workspaces: Any) -> Any:
    return serve(workers=2, env={"AISER_MAX_UPLOAD_MB": str(UPLOAD_LIMIT_MB)})


def _post_streamed(
    server: Any,
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


def _assert_memory_within_margin(server: Any, idle: dict[int, dict[str, int]]) -> None:
    """No request-serving process (master, web workers) grew its peak more than the margin over its idle
    figure, and none was replaced (a worker killed for its memory would hide its peak)."""
    after = server.memory()
    assert set(idle) <= set(after), ("a server process went away", idle, after)
    for pid, before in idle.items():
        ceiling = max(before["VmHWM"], before["VmRSS"] + MEMORY_MARGIN_MB)
        assert after[pid]["VmHWM"] <= ceiling, (pid, before, after[pid])


def _assert_refused_within_memory(server: Any, **request: Any) -> None:
    idle = server.memory()
    status, body = _post_streamed(server, **request)
    assert status == 413
    assert set(body["error"]) >= {"code", "message"}
    assert body["error"]["code"] == "too_large"
    _assert_memory_within_margin(server, idle)


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
    """Django receives a multipart upload through the served process and makes the source."""
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
def test_an_accepted_100_mb_body_is_spooled_to_disk_not_held(server, org, viewer_key):
    """A body within the limit reaches Django (here refused for the viewer's role, after Django has
    read it): uvicorn hands it over piece by piece and Django spools it to a temporary file past
    FILE_UPLOAD_MAX_MEMORY_SIZE, so no server process holds it."""
    idle = server.memory()
    status, body = _post_streamed(
        server,
        host=org.host,
        path="/api/v1/sources/",
        chunked=False,
        headers={"Authorization": f"Bearer {viewer_key}"},
        size_mb=ACCEPTED_MB,
    )
    assert status == 403
    assert body["error"]["code"] == "permission_denied"
    _assert_memory_within_margin(server, idle)


@pytest.mark.parametrize("size_mb", [1, 300], ids=["just-over", "far-over"])
def test_a_refused_body_gets_one_answer_and_the_connection_stays_usable(server, org, size_mb):
    """Headers and body in one stream: the 413 is the only answer, the client reads it whole (no reset
    while it is still sending), and the rest of the body is read and dropped, not taken for a
    second request: the same connection then serves the next request."""
    body_bytes = size_mb * 1024 * 1024 + 1  # AISER_MAX_BODY_KB default: 1024
    sock = socket.create_connection(("127.0.0.1", server.port), timeout=60)
    sock.sendall(
        (
            f"POST /api/v1/me/ HTTP/1.1\r\nHost: {org.host}\r\nContent-Type: application/json\r\n"
            f"Content-Length: {body_bytes}\r\n\r\n"
        ).encode()
    )
    piece = b"x" * (1024 * 1024)
    for _ in range(size_mb):
        sock.sendall(piece)
    sock.sendall(b"x")
    # One reader per answer: the next request is sent only after this answer is read whole.
    refused = http.client.HTTPResponse(sock)
    refused.begin()
    assert refused.status == 413
    assert json.loads(refused.read())["error"]["code"] == "too_large"

    sock.sendall(f"GET /healthz HTTP/1.1\r\nHost: {org.host}\r\n\r\n".encode())
    following = http.client.HTTPResponse(sock)
    following.begin()
    assert following.status == 200
    assert json.loads(following.read()) == {"status": "ok"}
    sock.close()


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
