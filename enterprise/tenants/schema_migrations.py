# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""Migrations over every organisation's schema: in parallel, and resumable after a crash.

Progress is what PostgreSQL already records: each schema's own `django_migrations` table lists the
migrations applied there, each migration runs in its own transaction (PostgreSQL DDL is transactional),
so a schema whose migration failed keeps the migrations before it and nothing of the failed one. A run
first reads every schema's `django_migrations` (one query each) and migrates only the schemas that miss
a migration of the project's graph; a re-run after a crash or a failure therefore skips the finished
schemas and resumes each unfinished one at its first missing migration.

Schemas are migrated by django-tenants' own per-schema runner
(`django_tenants.migration_executors.base.run_migrations`), one schema per task, in a pool of
`processes` forked workers (django-tenants' `multiprocessing` executor forks the same way). Unlike
`migrate_schemas`, one schema's failure does not stop the others: it is reported and the run goes on.
"""

from __future__ import annotations

import multiprocessing
import time
import traceback
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, connections
from django.db.migrations.loader import MigrationLoader
from django_tenants.migration_executors.base import run_migrations
from django_tenants.utils import get_public_schema_name, get_tenant_base_migrate_command_class

from enterprise.tenants.models import Organization


@dataclass(frozen=True)
class SchemaOutcome:
    """What happened to one schema: `status` is "migrated", "failed" or "skipped" (nothing to do);
    `seconds` is the wall time spent on it; `error` the last line of the failure, if any."""

    schema: str
    status: str
    seconds: float
    error: str = ""


def project_migrations() -> frozenset[tuple[str, str]]:
    """Every (app label, migration name) of the project's migration graph (squashes resolved as
    Django resolves them for a fresh database)."""
    return frozenset(MigrationLoader(None, ignore_no_migrations=True).graph.nodes)


def organization_schemas() -> list[str]:
    """The schema of every organisation except the public one, in creation order."""
    public = get_public_schema_name()
    return list(
        Organization.objects.exclude(schema_name=public).order_by("pk").values_list("schema_name", flat=True)
    )


def pending_schemas(schemas: Iterable[str], wanted: frozenset[tuple[str, str]]) -> list[str]:
    """The schemas among `schemas` whose `django_migrations` misses one of `wanted` (or does not
    exist yet). One query per schema, on the connection's public search path."""
    pending = []
    with connection.cursor() as cursor:
        for schema in schemas:
            cursor.execute("SELECT to_regclass(%s)", [f'"{schema}".django_migrations'])
            if cursor.fetchone()[0] is None:
                pending.append(schema)
                continue
            cursor.execute(f'SELECT app, name FROM "{schema}".django_migrations')  # noqa: S608 - a schema we listed
            if wanted - set(cursor.fetchall()):
                pending.append(schema)
    return pending


def _migrate_options() -> dict[str, Any]:
    # The options `manage.py migrate` would get with no arguments, quiet and without system checks.
    command = get_tenant_base_migrate_command_class()()
    options = vars(command.create_parser("manage.py", "migrate").parse_args([]))
    return {**options, "verbosity": 0, "interactive": False, "skip_checks": True}


def _migrate_one(schema: str) -> SchemaOutcome:
    started = time.perf_counter()
    try:
        run_migrations((), _migrate_options(), "organisations", schema, allow_atomic=False)
    except Exception as error:  # noqa: BLE001 - reported per schema; the run goes on with the others
        connections.close_all()
        last = traceback.format_exception_only(error)[-1].strip()
        return SchemaOutcome(schema, "failed", time.perf_counter() - started, last)
    return SchemaOutcome(schema, "migrated", time.perf_counter() - started)


def migrate_organisations(
    *,
    schemas: list[str] | None = None,
    processes: int = 1,
    on_outcome: Callable[[SchemaOutcome], None] | None = None,
) -> list[SchemaOutcome]:
    """Migrate every organisation schema (or `schemas`) that misses a migration, `processes` at a time
    (1: in this process). Call after the public schema is migrated (`migrate_schemas --shared`).

    Returns one outcome per schema (skipped ones included), in completion order; calls `on_outcome`
    as each arrives. Never raises for a schema's failure: look for status "failed"."""
    all_schemas = organization_schemas() if schemas is None else list(schemas)
    pending = pending_schemas(all_schemas, project_migrations())
    outcomes = [SchemaOutcome(schema, "skipped", 0.0) for schema in all_schemas if schema not in pending]
    for outcome in outcomes:
        if on_outcome:
            on_outcome(outcome)
    if processes <= 1 or len(pending) <= 1:
        results: Iterable[SchemaOutcome] = map(_migrate_one, pending)
        for outcome in results:
            outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
        return outcomes
    # Forked workers inherit the loaded apps and settings; none may share the parent's connection.
    connections.close_all()
    with multiprocessing.get_context("fork").Pool(processes=processes) as pool:
        for outcome in pool.imap_unordered(_migrate_one, pending):
            outcomes.append(outcome)
            if on_outcome:
                on_outcome(outcome)
    return outcomes
