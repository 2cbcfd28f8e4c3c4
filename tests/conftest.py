# SPDX-License-Identifier: MIT
"""Shared fixtures: two organisations (alpha, beta) with members of every role, and clients on their hosts.

Organisations are created once per test database (schema creation runs migrations, so it is slow) and
committed; everything a test creates inside them is rolled back with the test's transaction.
In the core edition (`AISER_EDITION=core`) there are no organisations: `workspace` is the single workspace.
"""

from __future__ import annotations

import contextlib
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client

os.environ.setdefault("LITELLM_LOCAL_MODEL_COST_MAP", "True")

PASSWORD = "correct-horse-battery-1"
ROLES = ("owner", "admin", "editor", "viewer")


@dataclass
class Workspace:
    """One organisation (or the core's single workspace) and a user per role."""

    slug: str
    host: str
    organization: Any = None
    users: dict[str, Any] = field(default_factory=dict)

    def client(self, role: str = "owner", **extra: Any) -> Client:
        client = Client(HTTP_HOST=self.host, **extra)
        client.force_login(self.users[role])
        return client

    def anonymous_client(self) -> Client:
        return Client(HTTP_HOST=self.host)

    def activate(self) -> Any:
        """A context manager that runs ORM calls inside this workspace's schema."""
        if self.organization is None:
            import contextlib

            return contextlib.nullcontext()
        from django_tenants.utils import tenant_context

        return tenant_context(self.organization)

    @property
    def workspace_name(self) -> str:
        return self.organization.schema_name if self.organization is not None else "default"


def _make_user(email: str) -> Any:
    from django.db import IntegrityError, transaction

    from chat2chart.accounts.services import user_ensure_verified

    try:
        with transaction.atomic():
            return user_ensure_verified(email=email, password=PASSWORD)
    except IntegrityError:  # another test process made it a moment ago
        return user_ensure_verified(email=email)


def _make_organization(slug: str) -> Workspace:
    from enterprise.tenants.models import Membership, Organization
    from enterprise.tenants.services import organization_create

    users = {role: _make_user(f"{role}@{slug}.test") for role in ROLES}
    organization = Organization.objects.filter(slug=slug).first()
    if organization is None:
        organization = organization_create(name=slug.title(), slug=slug, owner=users["owner"])
    for role in ROLES:
        Membership.objects.update_or_create(
            user=users[role], organization=organization, defaults={"role": role}
        )
    return Workspace(slug=slug, host=organization.host, organization=organization, users=users)


@pytest.fixture(scope="session")
def workspaces(django_db_setup: None, django_db_blocker: Any) -> dict[str, Workspace]:
    with django_db_blocker.unblock():
        if settings.ENTERPRISE:
            connection.set_schema_to_public()
            return {slug: _make_organization(slug) for slug in ("alpha", "beta")}
        users = {role: _make_user(f"{role}@default.test") for role in ROLES}
        return {"default": Workspace(slug="default", host="testserver", users=users)}


@pytest.fixture
def alpha(workspaces: dict[str, Workspace], db: None) -> Workspace:
    return workspaces.get("alpha") or workspaces["default"]


@pytest.fixture
def beta(workspaces: dict[str, Workspace], db: None) -> Workspace:
    if "beta" not in workspaces:
        pytest.skip("isolation between organisations needs the enterprise edition")
    return workspaces["beta"]


@pytest.fixture(autouse=True)
def _back_to_public_schema() -> Any:
    """Requests and tenant_context leave the connection on a tenant schema; start each test clean."""
    yield
    if settings.ENTERPRISE:
        connection.set_schema_to_public()


@pytest.fixture(autouse=True)
def _isolated_files(tmp_path_factory: pytest.TempPathFactory, settings: Any) -> None:
    settings.MEDIA_ROOT = tmp_path_factory.mktemp("media")


@pytest.fixture(autouse=True)
def _clear_cache() -> Any:
    from django.core.cache import caches

    yield
    for alias in settings.CACHES:
        caches[alias].clear()


# --- Browser tests: a real server process and a real Chromium --------------------------------------

CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--disable-quic",
]
ARTIFACTS = Path(__file__).resolve().parent.parent / "test-artifacts"


@dataclass
class LiveServer:
    port: int

    def url(self, workspace: Workspace | None = None, path: str = "") -> str:
        host = workspace.host if workspace is not None and workspace.organization is not None else "localhost"
        return f"http://{host}:{self.port}{path}"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.fixture(scope="session")
def live_server(workspaces: dict[str, Workspace], tmp_path_factory: pytest.TempPathFactory) -> Any:
    """`python -m aiser.serve` (gunicorn, uvicorn workers) serving the test database, as `make run` does."""
    with serve_live(tmp_path_factory) as server:
        yield server


@contextlib.contextmanager
def serve_live(tmp_path_factory: pytest.TempPathFactory, **extra_env: str) -> Any:
    """Start `aiser.serve` on a free loopback port with `extra_env` added (billing tests point it at a
    fake Stripe); stopped when the block ends."""
    port = _free_port()
    database = connection.settings_dict
    url = dj_database_url_for(database)
    data_dir = tmp_path_factory.mktemp("live-data")
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "AISER_PORT": str(port),
        "AISER_ENV": "test",
        "AISER_DATA_DIR": str(data_dir),
        "AISER_TEST_DATABASE_NAME": database["NAME"],
        # Two workers where they can share cache and channel layer (Redis), as production runs.
        "AISER_WEB_WORKERS": "2" if settings.REDIS_URL else "1",
        **extra_env,
    }
    log = (tmp_path_factory.mktemp("live-log") / "serve.log").open("w")
    process = subprocess.Popen(
        [sys.executable, "-m", "aiser.serve", "--host", "127.0.0.1", "--port", str(port)],
        cwd=Path(__file__).resolve().parent.parent,
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,  # its own process group: stopping it stops its workers too
    )
    deadline = time.monotonic() + 180  # generous: a loaded 2-core machine starts its workers slowly
    while time.monotonic() < deadline:
        try:
            probe = urllib.request.Request(f"http://127.0.0.1:{port}/healthz", headers={"Host": "localhost"})
            urllib.request.urlopen(probe, timeout=1)  # noqa: S310 - loopback
            break
        except OSError:
            if process.poll() is not None:
                raise RuntimeError(f"aiser.serve exited early; see {log.name}") from None
            time.sleep(0.2)
    else:
        _stop_process_group(process, grace_s=0)
        raise RuntimeError("aiser.serve did not start within 180 s")
    server = LiveServer(port=port)
    server.data_dir = data_dir  # type: ignore[attr-defined]
    try:
        yield server
    finally:
        # Workers finish their requests, then exit through their exit handlers; whatever is left after
        # a minute is killed, so no orphaned worker keeps a test database open or a port taken.
        _stop_process_group(process, grace_s=60)
        log.close()


def _stop_process_group(process: subprocess.Popen[Any], *, grace_s: float) -> None:
    """SIGTERM the process's group, wait up to `grace_s` seconds, then SIGKILL what is left of it."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGTERM if grace_s else signal.SIGKILL)
    with contextlib.suppress(subprocess.TimeoutExpired):
        process.wait(timeout=grace_s or 10)
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)  # the group's workers, even after the master is gone
    process.wait(timeout=10)


def dj_database_url_for(database: dict[str, Any]) -> str:
    from urllib.parse import quote

    host = database.get("HOST") or ""
    user = quote(database.get("USER") or "")
    password = f":{quote(database['PASSWORD'])}" if database.get("PASSWORD") else ""
    port = f":{database['PORT']}" if database.get("PORT") else ""
    return f"postgres://{user}{password}@{quote(host, safe='')}{port}/{database['NAME']}"


@pytest.fixture(scope="session")
def _browser() -> Any:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path="/usr/bin/chromium", args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture(autouse=True)
def _live_server_helper() -> None:
    """Turn off pytest-django's helper for its own `live_server` (ours is a separate process)."""


@pytest.fixture
def page(_browser: Any, request: pytest.FixtureRequest, monkeypatch: pytest.MonkeyPatch) -> Any:
    # Playwright's sync API runs an event loop in this thread; the ORM calls a browser test makes
    # (setting up and cleaning committed rows) are still plain synchronous code.
    monkeypatch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
    context = _browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.console_errors = []
    page.on("console", lambda message: message.type == "error" and page.console_errors.append(message.text))
    page.on("pageerror", lambda error: page.console_errors.append(str(error)))
    page.set_default_timeout(15_000)
    yield page
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        ARTIFACTS.mkdir(exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / f"failed-{request.node.name}.png"), full_page=True)
    context.close()


@pytest.hookimpl(hookwrapper=True, tryfirst=True)
def pytest_runtest_makereport(item: pytest.Item, call: Any) -> Any:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)


@pytest.fixture
def login(live_server: LiveServer) -> Any:
    def sign_in(page: Any, workspace: Workspace, role: str = "owner") -> None:
        page.goto(live_server.url(workspace, "/accounts/login/"))
        page.fill("input[name=login]", workspace.users[role].email)
        page.fill("input[name=password]", PASSWORD)
        page.click("form button[type=submit]")
        page.wait_for_url(lambda url: "/accounts/login/" not in url)

    return sign_in


@pytest.fixture
def committed(django_db_blocker: Any) -> Any:
    """Writes that a server process can see: autocommit, outside any test transaction."""
    return django_db_blocker.unblock
