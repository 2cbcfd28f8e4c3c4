# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Per-organisation cost as organisations grow (enterprise edition: one PostgreSQL schema each).

In a throwaway database (created, migrated and dropped here), one organisation `probe` gets the demo
workspace (sources, charts, dashboards); then, with 1, 100 and 1 000 organisations present, it measures
for `probe` through Django's full middleware stack (test client, in process, host routing included):
  - `POST /api/v1/query/` answered from the result cache (same query each time),
  - `POST /api/v1/query/` cold (a `limit` never asked before: compile and run in DuckDB each time),
  - `GET /dashboards/<pk>/` (a dashboard page, signed in),
  - `GET /healthz` (the floor),
with the catalogue's size (rows of pg_class, pg_attribute, pg_namespace; bytes of pg_class and
pg_attribute). Figures are min / median / max milliseconds; rounds at each size are interleaved so a
busy moment of the machine falls on every measure alike; the load average is printed beside them.

Organisations are created two ways, both timed:
  - the product's path, `enterprise.tenants.services.organization_create` (CREATE SCHEMA and every
    migration, as sign-up does), for `--full` organisations;
  - bulk, from the schema of a freshly created organisation (`full-0`), with the Organization and Domain
    rows inserted in one `bulk_create` each: `--bulk dump` (default) replays `pg_dump --schema` of it
    with the schema renamed, 10 schemas per psql transaction; `--bulk clone` calls django-tenants'
    `clone_schema` (django_tenants.clone, a PL/pgSQL function copying tables, sequences, indexes, rows).
Then migrations over `--migrate-schemas` organisation schemas: the subscriptions app's latest migration
is removed from each (tables dropped, `django_migrations` row deleted) and re-applied by
`enterprise.tenants.schema_migrations.migrate_organisations`, once serially and once with
`--parallel` processes; and the no-op check over every schema (what a re-run costs).

    .venv/bin/python bench/org_scale.py [--sizes 1,100,1000] [--repeat 60] [--full 5] [--parallel 2]
        [--migrate-schemas 100] [--database-url postgres://postgres@127.0.0.1:5432/postgres] [--keep]
        [--reuse] [--bulk dump|clone]
`--keep` leaves the database (and `AISER_DATA_DIR`, default /tmp/aiser-orgscale-bench) for a later
`--reuse` run, which continues with the organisations already there.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
DB_NAME = "aiser_orgscale_bench_orgs"


def main() -> int:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", default="1,100,1000")
    parser.add_argument("--repeat", type=int, default=60)
    parser.add_argument("--full", type=int, default=5, help="organisations made by the product's path")
    parser.add_argument("--parallel", type=int, default=2)
    parser.add_argument("--migrate-schemas", type=int, default=100)
    parser.add_argument("--database-url", default="postgres://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--keep", action="store_true", help="keep the throwaway database")
    parser.add_argument("--db-name", default=DB_NAME, help="throwaway database (two runs at once need two)")
    parser.add_argument("--reuse", action="store_true", help="continue in the database a --keep run left")
    parser.add_argument(
        "--bulk", choices=("dump", "clone"), default="dump", help="how organisations are bulk-made"
    )
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        return worker(args)

    sys.path.insert(0, str(ROOT / "bench"))
    from _harness import database_create, database_drop

    # The probe's uploaded files live here: a --reuse run must find them again.
    data_dir = os.environ.get("AISER_DATA_DIR") or str(Path(tempfile.gettempdir()) / args.db_name)
    if args.reuse:
        url = urlsplit(args.database_url)._replace(path=f"/{args.db_name}").geturl()
    else:
        database_drop(args.database_url, args.db_name)
        url = database_create(args.database_url, args.db_name)
        subprocess.run(["rm", "-rf", data_dir], check=False)  # noqa: S603, S607
    env = {
        **os.environ,
        "DATABASE_URL": url,
        "AISER_DATA_DIR": data_dir,
        "AISER_ENV": os.environ.get("AISER_ENV", "test"),
        "AISER_EDITION": "enterprise",
        "DJANGO_SETTINGS_MODULE": "aiser.settings",
        "AISER_API_RATE": "1000000/m",
        "AISER_MAX_ORGS_PER_DAY": "100000",
        "CELERY_TASK_ALWAYS_EAGER": "1",
    }
    try:
        if not args.reuse:
            started = time.perf_counter()
            subprocess.run(  # noqa: S603 - our own manage.py
                [sys.executable, "manage.py", "migrate", "--noinput", "-v", "0"],
                cwd=ROOT,
                env=env,
                check=True,
            )
            print(f"public schema migrated in {time.perf_counter() - started:.1f} s")
        return subprocess.run(
            [sys.executable, __file__, "--worker", *sys.argv[1:]], env=env, check=False
        ).returncode  # noqa: S603
    finally:
        if not args.keep:
            database_drop(args.database_url, args.db_name)
            subprocess.run(["rm", "-rf", data_dir], check=False)  # noqa: S603, S607


# --- in the worker process (Django set up) ----------------------------------------------------------


def worker(args: argparse.Namespace) -> int:
    import django

    django.setup()
    from django.db import connection
    from django.test import Client
    from django_tenants.utils import tenant_context

    from chat2chart.accounts.services import user_ensure_verified
    from chat2chart.core.demo import seed_workspace
    from chat2chart.dashboards.models import Dashboard
    from chat2chart.sources.models import Source
    from enterprise.tenants.services import organization_create

    sizes = [int(size) for size in args.sizes.split(",")]
    owner = user_ensure_verified(email="orgscale@aiser.local", password="orgscale-password-1")  # noqa: S106
    from enterprise.tenants.models import Organization

    probe = Organization.objects.filter(slug="probe").first()
    creation = []
    if probe is None:
        started = time.perf_counter()
        probe = organization_create(name="Probe", slug="probe", owner=owner)
        creation.append(time.perf_counter() - started)
    with tenant_context(probe):
        seed_workspace(owner=owner, log=lambda _line: None)
        source = Source.objects.get(name="Sample: sales orders")
        dashboard = Dashboard.objects.order_by("pk").first()
    connection.set_schema_to_public()
    query = {
        "source": source.pk,
        "table": "sales_orders",
        "measures": [{"field": "revenue", "agg": "sum"}],
        "dimensions": [{"field": "order_date", "granularity": "month"}, {"field": "region"}],
    }
    session = Client(HTTP_HOST=probe.host)
    session.force_login(owner)
    # Entries another run left in the cache (same schema, source id and version, hence key) would
    # answer the "cold" queries: each run asks limits of its own.
    cold_limits = iter(range(secrets.randbelow(10**9), 10**10))

    def healthz() -> None:
        assert session.get("/healthz").status_code == 200

    def cached() -> None:
        response = session.post("/api/v1/query/", query, content_type="application/json")
        assert response.status_code == 200, response.content

    def cold() -> None:
        body = {**query, "limit": 1_000 + next(cold_limits) % 999_000}
        response = session.post("/api/v1/query/", body, content_type="application/json")
        assert response.status_code == 200, response.content
        assert json.loads(response.content)["cached"] is False

    def page() -> None:
        assert session.get(f"/dashboards/{dashboard.pk}/").status_code == 200

    runs = {"GET /healthz": healthz, "cached query": cached, "cold query": cold, "dashboard page": page}
    results: dict[int, dict[str, Any]] = {}
    template = None
    bulk_seconds: list[float] = []
    for size in sizes:
        connection.set_schema_to_public()
        present = _organisation_count()
        if present < size and template is None:
            template = Organization.objects.filter(slug="full-0").first()
        if present < size and template is None:
            template, made = _full_creations(owner, args.full, organization_create)
            creation += made
            print(f"product path creations so far (s): {', '.join(f'{c:.1f}' for c in creation)}", flush=True)
            present = _organisation_count()
        if present < size:
            bulk = _bulk_clone if args.bulk == "clone" else _bulk_dump
            bulk_seconds += bulk(template, size - present)
            print(
                f"bulk clones so far: {len(bulk_seconds)}, median {statistics.median(bulk_seconds):.2f} s",
                flush=True,
            )
        connection.set_schema_to_public()
        results[size] = {
            "measures": _measure(runs, args.repeat),
            "catalogue": _catalogue(),
            "load": os.getloadavg(),
        }
        _print_size(size, results[size])

    creation = creation or [float("nan")]
    print(
        f"\norganisation creation, product path (organization_create, full migrations): n={len(creation)} "
        f"median {statistics.median(creation):.2f} s, min {min(creation):.2f}, max {max(creation):.2f}"
    )
    if bulk_seconds:
        print(
            f"organisation creation, bulk ({args.bulk} + bulk rows): n={len(bulk_seconds)} "
            f"median {statistics.median(bulk_seconds) * 1000:.0f} ms, total {sum(bulk_seconds):.1f} s"
        )
    first, last = sizes[0], sizes[-1]
    for name in runs:
        base = statistics.median(results[first]["measures"][name])
        grown = statistics.median(results[last]["measures"][name])
        print(
            f"{name:<16} median at {last} / at {first}: {grown / base:5.2f}x  ({grown:.2f} / {base:.2f} ms)"
        )
    _migration_figures(args)
    return 0


def _organisation_count() -> int:
    from enterprise.tenants.models import Organization

    return Organization.objects.exclude(schema_name="public").count()


def _full_creations(owner: Any, count: int, create: Any) -> tuple[Any, list[float]]:
    """`count` organisations through the product's path; the first is the bulk clones' template."""
    made, seconds = [], []
    for index in range(count):
        started = time.perf_counter()
        made.append(create(name=f"Full {index}", slug=f"full-{index}", owner=owner))
        seconds.append(time.perf_counter() - started)
    return made[0], seconds


def _bulk_clone(template: Any, count: int) -> list[float]:
    """`count` organisations cloned from `template`'s schema; seconds per clone (the rows are made in
    one bulk insert at the end and their time spread evenly over the clones)."""
    from django.conf import settings
    from django.db import connection
    from django_tenants.clone import CloneSchema

    from enterprise.tenants.models import Domain, Organization

    start = Organization.objects.count()
    cloner = CloneSchema()
    seconds = []
    organizations = []
    for number in range(start, start + count):
        slug = f"bulk-{number}"
        started = time.perf_counter()
        cloner.clone_schema(template.schema_name, f"org_bulk_{number}")
        seconds.append(time.perf_counter() - started)
        organizations.append(Organization(name=f"Bulk {number}", slug=slug, schema_name=f"org_bulk_{number}"))
    started = time.perf_counter()
    connection.set_schema_to_public()
    made = Organization.objects.bulk_create(organizations)
    Domain.objects.bulk_create(
        Domain(domain=f"{o.slug}.{settings.AISER_BASE_DOMAIN}", tenant=o, is_primary=True) for o in made
    )
    share = (time.perf_counter() - started) / max(count, 1)
    return [s + share for s in seconds]


def _bulk_dump(template: Any, count: int, batch: int = 10) -> list[float]:
    """`count` organisations made from `pg_dump --schema` of `template`'s schema (structure and rows),
    the schema renamed in the text and replayed by psql, `batch` schemas per transaction; seconds per
    organisation (each batch's time spread over its schemas), rows inserted as in `_bulk_clone`."""
    import re

    from django.conf import settings
    from django.db import connection

    from enterprise.tenants.models import Domain, Organization

    database = connection.settings_dict
    url = f"postgresql://{database['USER']}@{database['HOST']}:{database['PORT']}/{database['NAME']}"
    started = time.perf_counter()
    dump = subprocess.run(  # noqa: S603
        ["pg_dump", "--schema", template.schema_name, "--no-owner", "--no-privileges", url],  # noqa: S607
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    dumped = time.perf_counter() - started
    name = re.compile(rf"\b{re.escape(template.schema_name)}\b")
    first = Organization.objects.count()
    numbers = list(range(first, first + count))
    seconds: list[float] = []
    for offset in range(0, count, batch):
        chunk = numbers[offset : offset + batch]
        script = "\n".join(name.sub(f"org_bulk_{number}", dump) for number in chunk)
        started = time.perf_counter()
        subprocess.run(  # noqa: S603
            ["psql", "-q", "-v", "ON_ERROR_STOP=1", "--single-transaction", "-d", url],  # noqa: S607
            input=script,
            text=True,
            capture_output=True,
            check=True,
        )
        seconds += [(time.perf_counter() - started) / len(chunk)] * len(chunk)
    started = time.perf_counter()
    connection.set_schema_to_public()
    made = Organization.objects.bulk_create(
        Organization(name=f"Bulk {n}", slug=f"bulk-{n}", schema_name=f"org_bulk_{n}") for n in numbers
    )
    Domain.objects.bulk_create(
        Domain(domain=f"{o.slug}.{settings.AISER_BASE_DOMAIN}", tenant=o, is_primary=True) for o in made
    )
    share = (time.perf_counter() - started + dumped) / max(count, 1)
    return [s + share for s in seconds]


def _measure(runs: dict[str, Any], repeat: int) -> dict[str, list[float]]:
    for run in runs.values():  # warm: connections, caches, the cached answer
        run()
        run()
    figures: dict[str, list[float]] = {name: [] for name in runs}
    rounds = 10
    for _ in range(rounds):
        for name, run in runs.items():
            for _ in range(max(1, repeat // rounds)):
                started = time.perf_counter()
                run()
                figures[name].append((time.perf_counter() - started) * 1000)
    return figures


def _catalogue() -> dict[str, int]:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT (SELECT count(*) FROM pg_class), (SELECT count(*) FROM pg_attribute), "
            "(SELECT count(*) FROM pg_namespace), pg_total_relation_size('pg_class'), "
            "pg_total_relation_size('pg_attribute'), pg_database_size(current_database())"
        )
        row = cursor.fetchone()
    keys = (
        "pg_class rows",
        "pg_attribute rows",
        "schemas",
        "pg_class bytes",
        "pg_attribute bytes",
        "db bytes",
    )
    return dict(zip(keys, row, strict=True))


def _print_size(size: int, result: dict[str, Any]) -> None:
    load = result["load"]
    print(f"\n== {size} organisation(s)  load average {load[0]:.1f} {load[1]:.1f} {load[2]:.1f}")
    for name, times in result["measures"].items():
        print(
            f"{name:<16} min {min(times):8.2f}  median {statistics.median(times):8.2f}  "
            f"max {max(times):8.2f} ms  (n={len(times)})"
        )
    cat = result["catalogue"]
    print(
        f"catalogue: {cat['pg_class rows']} pg_class rows ({cat['pg_class bytes'] / 2**20:.1f} MiB), "
        f"{cat['pg_attribute rows']} pg_attribute rows ({cat['pg_attribute bytes'] / 2**20:.1f} MiB), "
        f"{cat['schemas']} schemas, database {cat['db bytes'] / 2**20:.0f} MiB"
    )


MIGRATION = ("subscriptions", "0002_subscriptionsettings_subscription_subscriptionrun_and_more")
TABLES = ("subscriptions_subscriptionrun", "subscriptions_subscription", "subscriptions_subscriptionsettings")


def _unapply(schemas: list[str]) -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute(f"DROP TABLE {', '.join(f'{schema}.{t}' for t in TABLES)} CASCADE")
            cursor.execute(
                f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s', MIGRATION
            )


def _migration_figures(args: argparse.Namespace) -> None:
    from django.db import connection

    from enterprise.tenants.schema_migrations import migrate_organisations, organization_schemas

    connection.set_schema_to_public()
    schemas = organization_schemas()
    started = time.perf_counter()
    outcomes = migrate_organisations()
    check = time.perf_counter() - started
    assert all(o.status == "skipped" for o in outcomes), outcomes
    print(
        f"\nmigrate_organisations with nothing to do over {len(schemas)} schemas: {check:.2f} s "
        f"({check / len(schemas) * 1000:.1f} ms per schema: one django_migrations read each)"
    )
    chosen = schemas[: args.migrate_schemas]
    for processes in (1, args.parallel) if chosen else ():
        connection.set_schema_to_public()
        _unapply(chosen)
        started = time.perf_counter()
        outcomes = migrate_organisations(schemas=chosen, processes=processes)
        took = time.perf_counter() - started
        assert all(o.status == "migrated" for o in outcomes), [o for o in outcomes if o.status != "migrated"]
        print(
            f"one migration (3 tables, 2 constraints) over {len(chosen)} schemas, {processes} process(es): "
            f"{took:.1f} s ({took / len(chosen) * 1000:.0f} ms per schema)  load {os.getloadavg()[0]:.1f}"
        )


if __name__ == "__main__":
    sys.exit(main())
