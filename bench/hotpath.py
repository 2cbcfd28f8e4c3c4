# SPDX-License-Identifier: MIT
"""The request hot path: what a request costs around the engine, through Django's full middleware stack.

Prints min / median / max milliseconds of `--repeat` requests (Django's test client, in process: no
socket, so the figures are the server's own work) for
  - `GET /healthz` (the floor: middleware only),
  - `POST /api/v1/query/` answered from the result cache, with an API key and with a session,
and the cached answer's cost over the floor. With `--profile` it prints a pyinstrument profile of
each cached query instead (pyinstrument is a profiling aid, not a dependency: `pip install pyinstrument`).

Run against a migrated database (not the test database), from the checkout to measure:
`DATABASE_URL=postgres://... .venv/bin/python bench/hotpath.py [--repeat 300] [--code DIR]`.
`--code DIR` imports Aiser from another checkout (e.g. `git worktree add --detach /tmp/before main`)
with this script's harness, so before and after are measured the same way.
It makes (once) an organisation `hotpath` (enterprise) owned by `hotpath@aiser.local` with the demo sales
orders as a file source, and an API key for each run.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from collections.abc import Callable
from contextlib import AbstractContextManager, nullcontext
from pathlib import Path
from typing import Any

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "aiser.settings")
os.environ.setdefault("AISER_API_RATE", "1000000/m")
# The demo data is ingested in this process the first time.
os.environ.setdefault("CELERY_TASK_ALWAYS_EAGER", "1")


def _code_dir() -> Path:
    if "--code" in sys.argv:
        return Path(sys.argv[sys.argv.index("--code") + 1]).resolve()
    return Path(__file__).resolve().parent.parent


sys.path.insert(0, str(_code_dir()))
# Celery puts the working directory first on the import path: make it the checkout being measured.
os.chdir(_code_dir())

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.test import Client  # noqa: E402

from chat2chart.accounts.services import user_ensure_verified  # noqa: E402
from chat2chart.core.principal import Principal  # noqa: E402
from chat2chart.sources.demo import seed_demo_content  # noqa: E402
from chat2chart.sources.models import Source  # noqa: E402

EMAIL = "hotpath@aiser.local"
PASSWORD = "hotpath-password-1"  # noqa: S105 - a local benchmark account
SOURCE = "Sample: sales orders"


def workspace() -> tuple[str, Callable[[], AbstractContextManager[Any]], Any, Any]:
    """(host, enter-the-workspace, owner, organisation or None)."""
    user = user_ensure_verified(email=EMAIL, password=PASSWORD)
    if not settings.ENTERPRISE:
        return "testserver", nullcontext, user, None
    from django_tenants.utils import tenant_context

    from enterprise.tenants.models import Organization
    from enterprise.tenants.services import organization_create

    organization = Organization.objects.filter(slug="hotpath").first() or organization_create(
        name="Hot path", slug="hotpath", owner=user
    )
    return organization.host, lambda: tenant_context(organization), user, organization


def api_key(organization: Any, user: Any) -> str | None:
    if organization is None:
        return None
    from enterprise.rbac.services import api_key_create

    made = api_key_create(
        organization=organization, principal=Principal.for_user(user), name="hotpath bench", role="viewer"
    )
    return made.raw_key


def timed(run: Callable[[], Any], repeat: int, cpu: list[float]) -> list[float]:
    """Wall-clock milliseconds of each of `repeat` runs; the process's CPU milliseconds go to `cpu`
    (steadier than wall-clock time on a busy machine, but blind to waiting on PostgreSQL and Redis)."""
    times = []
    for _ in range(repeat):
        started, cpu_started = time.perf_counter(), time.process_time()
        run()
        times.append((time.perf_counter() - started) * 1000)
        cpu.append((time.process_time() - cpu_started) * 1000)
    return times


def round_trips(run: Callable[[], Any]) -> str:
    """Database queries and Redis round trips (a pipeline is one) of one request: unlike times, these
    do not depend on how busy the machine is."""
    import redis
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    counted = {"redis": 0}
    command, pipeline = redis.Redis.execute_command, redis.client.Pipeline.execute

    def count_command(self: Any, *args: Any, **kwargs: Any) -> Any:
        counted["redis"] += 1
        return command(self, *args, **kwargs)

    def count_pipeline(self: Any, *args: Any, **kwargs: Any) -> Any:
        counted["redis"] += 1
        return pipeline(self, *args, **kwargs)

    redis.Redis.execute_command = count_command  # type: ignore[method-assign]
    redis.client.Pipeline.execute = count_pipeline  # type: ignore[method-assign]
    try:
        with CaptureQueriesContext(connection) as queries:
            run()
    finally:
        redis.Redis.execute_command = command  # type: ignore[method-assign]
        redis.client.Pipeline.execute = pipeline  # type: ignore[method-assign]
    return f"{len(queries.captured_queries)} SQL, {counted['redis']} Redis"


def line(name: str, times: list[float]) -> str:
    return (
        f"{name:<34} min {min(times):7.2f}  median {statistics.median(times):7.2f}  "
        f"max {max(times):7.2f} ms  (n={len(times)})"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeat", type=int, default=300)
    parser.add_argument("--code", default=None, help="import Aiser from this checkout")
    parser.add_argument("--profile", action="store_true", help="print a pyinstrument profile instead")
    args = parser.parse_args()

    host, enter, user, organization = workspace()
    with enter():
        if not Source.objects.filter(name=SOURCE, status=Source.Status.READY).exists():
            seed_demo_content(owner=user, log=print)
        source = Source.objects.get(name=SOURCE)
        key = api_key(organization, user)
    query = {
        "source": source.pk,
        "table": "sales_orders",
        "measures": [{"field": "revenue", "agg": "sum"}],
        "dimensions": [{"field": "order_date", "granularity": "month"}, {"field": "region"}],
    }
    floor_client = Client(HTTP_HOST=host)
    session_client = Client(HTTP_HOST=host)
    session_client.force_login(user)
    key_client = Client(HTTP_HOST=host, HTTP_AUTHORIZATION=f"Bearer {key}") if key else None

    def healthz() -> None:
        assert floor_client.get("/healthz").status_code == 200

    def query_with(client: Client) -> Callable[[], None]:
        def run() -> None:
            response = client.post("/api/v1/query/", query, content_type="application/json")
            assert response.status_code == 200, response.content

        return run

    runs = {"GET /healthz": healthz, "cached query, session": query_with(session_client)}
    if key_client is not None:
        runs["cached query, API key"] = query_with(key_client)
    for run in runs.values():  # warm: imports, connections, the result cache
        run()
        run()

    if args.profile:
        from pyinstrument import Profiler

        for name, run in runs.items():
            profiler = Profiler(interval=0.0002)
            with profiler:
                for _ in range(50):
                    run()
            print(f"=== {name} (50 requests)")
            print(profiler.output_text(unicode=True, color=False, show_all=False))
        return 0

    trips = {name: round_trips(run) for name, run in runs.items()}

    # Interleaved rounds, so a busy moment of the machine falls on every measure alike.
    figures: dict[str, list[float]] = {name: [] for name in runs}
    cpu: dict[str, list[float]] = {name: [] for name in runs}
    rounds = 10
    for _ in range(rounds):
        for name, run in runs.items():
            figures[name] += timed(run, max(1, args.repeat // rounds), cpu[name])
    print(f"code: {_code_dir()}  load average: {os.getloadavg()[0]:.2f}")
    for name, times in figures.items():
        print(f"{line(name, times)}  CPU median {statistics.median(cpu[name]):5.2f} ms  {trips[name]}")
    floor = statistics.median(figures["GET /healthz"])
    for name, times in figures.items():
        if name != "GET /healthz":
            print(f"{name + ' over the floor':<34} median {statistics.median(times) - floor:7.2f} ms")
    return 0


if __name__ == "__main__":
    sys.exit(main())
