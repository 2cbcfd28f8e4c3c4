# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""`manage.py migrate_organisations`: every organisation schema migrated, several at once; a schema
whose migration fails does not stop the others, and a re-run skips the finished schemas and completes
the failed one.

A new release is simulated by removing the subscriptions app's latest migration (three tables and two
constraints) from four real, committed organisation schemas; one of them gets a table in the way of the
migration's third CREATE TABLE, so that migration fails after its first two tables were made (and is
rolled back whole, by PostgreSQL)."""

from __future__ import annotations

import os
import subprocess
import sys
from typing import Any

import pytest
from django.contrib.auth import get_user_model
from django.db import connection
from django.test import override_settings

from tests.conftest import dj_database_url_for

pytestmark = pytest.mark.enterprise

SLUGS = ("mg-one", "mg-two", "mg-three", "mg-four")
MIGRATION = ("subscriptions", "0002_subscriptionsettings_subscription_subscriptionrun_and_more")
TABLES = ("subscriptions_subscriptionrun", "subscriptions_subscription", "subscriptions_subscriptionsettings")


@pytest.fixture(scope="module")
def schemas(django_db_setup: Any, django_db_blocker: Any) -> Any:
    """Four organisations committed for real (forked workers see only committed rows), removed after."""
    from chat2chart.accounts.services import user_ensure_verified
    from enterprise.tenants.models import Organization
    from enterprise.tenants.services import organization_create

    def remove() -> None:
        connection.set_schema_to_public()
        for organization in Organization.objects.filter(slug__in=SLUGS):
            organization.delete(force_drop=True)
        get_user_model().objects.filter(email="owner@mg.test").delete()

    # Browser tests earlier in the session leave Playwright's event loop on this thread; Django would take
    # these plain ORM calls for calls from async code (the `page` fixture does the same).
    with (
        pytest.MonkeyPatch.context() as patch,
        django_db_blocker.unblock(),
        override_settings(AISER_MAX_ORGS_PER_DAY=len(SLUGS)),
    ):
        patch.setenv("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
        remove()  # left by an interrupted run
        owner = user_ensure_verified(email="owner@mg.test", password="correct-horse-battery-1")
        created = [organization_create(name=slug, slug=slug, owner=owner) for slug in SLUGS]
        yield [organization.schema_name for organization in created]
        remove()


def _applied(schema: str) -> bool:
    with connection.cursor() as cursor:
        cursor.execute(f'SELECT 1 FROM "{schema}".django_migrations WHERE app = %s AND name = %s', MIGRATION)
        return cursor.fetchone() is not None


def _tables(schema: str) -> set[str]:
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT tablename FROM pg_tables WHERE schemaname = %s AND tablename LIKE 'subscriptions\\_%%'",
            [schema],
        )
        return {row[0] for row in cursor.fetchall()}


def _unapply(schema: str) -> None:
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE {', '.join(f'{schema!s}.{t}' for t in TABLES)} CASCADE")
        cursor.execute(f'DELETE FROM "{schema}".django_migrations WHERE app = %s AND name = %s', MIGRATION)


def _run(*args: str) -> tuple[str, str | None]:
    """`manage.py migrate_organisations` as an operator runs it: a process of its own (its workers fork
    from it, never from this test process with its open connections and Playwright's event loop).
    Returns its output and, when it exits non-zero, its error text."""
    env = {**os.environ, "DATABASE_URL": dj_database_url_for(connection.settings_dict)}
    env.pop("AISER_TEST_DATABASE_NAME", None)
    done = subprocess.run(  # noqa: S603 - our own manage.py with fixed arguments
        [sys.executable, "manage.py", "migrate_organisations", "--skip-public", "-v", "2", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=600,
        check=False,
    )
    return done.stdout, (done.stderr or "failed") if done.returncode else None


def test_an_up_to_date_schema_is_skipped_and_a_missing_one_is_pending(alpha):
    # (Also makes pytest-django set up the test database, which the committed fixture below needs.)
    from enterprise.tenants.schema_migrations import pending_schemas, project_migrations

    schema = alpha.organization.schema_name
    assert pending_schemas([schema, "org_never_created"], project_migrations()) == ["org_never_created"]


@pytest.mark.slow
def test_a_failed_schema_does_not_stop_the_others_and_a_rerun_completes_it(schemas, django_db_blocker):
    broken = schemas[2]
    with django_db_blocker.unblock():
        connection.set_schema_to_public()
        for schema in schemas:
            _unapply(schema)
        with connection.cursor() as cursor:  # in the way of the migration's third table
            cursor.execute(f'CREATE TABLE "{broken}".subscriptions_subscriptionrun (id int)')
        assert not any(_applied(schema) for schema in schemas)

        output, error = _run("--parallel", "2", *[f"--schema={schema}" for schema in schemas])
        assert error is not None
        assert broken in str(error)
        assert f"{broken}: failed" in output
        assert [_applied(schema) for schema in schemas] == [schema != broken for schema in schemas], output
        # The failed migration left nothing half made: only the table that was in its way.
        assert _tables(broken) & set(TABLES) == {"subscriptions_subscriptionrun"}
        for schema in schemas:
            if schema != broken:
                assert set(TABLES) <= _tables(schema)

        with connection.cursor() as cursor:  # the operator removes the cause
            cursor.execute(f'DROP TABLE "{broken}".subscriptions_subscriptionrun')
        output, error = _run("--parallel", "2", *[f"--schema={schema}" for schema in schemas])
        assert error is None, output
        assert f"{broken}: migrated" in output
        assert output.count("skipped") == len(schemas) - 1  # finished schemas are not redone
        assert all(_applied(schema) for schema in schemas)
        assert set(TABLES) <= _tables(broken)

        output, error = _run()  # every organisation, nothing left to do
        assert error is None
        assert output.splitlines()[-1].startswith("0 migrated")
