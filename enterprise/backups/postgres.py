# SPDX-License-Identifier: LicenseRef-Aiser-Enterprise
"""One organisation's schema in and out of PostgreSQL with Debian's pg_dump and pg_restore.

The dump and the row counts in the manifest come from one exported snapshot, so they agree even
while the organisation keeps writing. A schema restored under another name goes through a scratch
database (restore, `ALTER SCHEMA ... RENAME`, dump again): pg_restore cannot rename a schema, and
rewriting names inside the dump's text would also rewrite the organisation's data.
"""

from __future__ import annotations

import os
import secrets
import subprocess
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg
from django.conf import settings
from django.db import connection
from psycopg import sql


class DatabaseStepFailed(Exception):
    """pg_dump, pg_restore or a statement around them failed; the message carries their stderr."""


def _conninfo(database: str | None = None) -> dict[str, Any]:
    db = connection.settings_dict
    info = {
        "dbname": database or db["NAME"],
        "host": db.get("HOST") or None,
        "port": db.get("PORT") or None,
        "user": db.get("USER") or None,
        "password": db.get("PASSWORD") or None,
    }
    return {key: value for key, value in info.items() if value}


def _connect(database: str | None = None, *, autocommit: bool = False) -> psycopg.Connection:
    # A restore that waits on another session's lock fails with a message instead of hanging.
    return psycopg.connect(
        **_conninfo(database), connect_timeout=10, autocommit=autocommit, options="-c lock_timeout=60s"
    )


def _tool_env(database: str | None = None) -> dict[str, str]:
    names = {
        "dbname": "PGDATABASE",
        "host": "PGHOST",
        "port": "PGPORT",
        "user": "PGUSER",
        "password": "PGPASSWORD",
    }
    given = {names[key]: str(value) for key, value in _conninfo(database).items()}
    return {**os.environ, **given, "PGOPTIONS": "-c lock_timeout=60s"}


def _run(args: list[str], *, database: str | None = None) -> None:
    try:
        done = subprocess.run(  # noqa: S603 - fixed tools, arguments we built
            args,
            env=_tool_env(database),
            capture_output=True,
            text=True,
            timeout=settings.AISER_BACKUP_TIMEOUT_S,
            check=False,
        )
    except subprocess.TimeoutExpired:
        raise DatabaseStepFailed(f"{args[0]} took longer than {settings.AISER_BACKUP_TIMEOUT_S} s") from None
    if done.returncode != 0:
        raise DatabaseStepFailed(f"{Path(args[0]).name} failed: {done.stderr.strip()[-2000:]}")


def _tool(name: str) -> str:
    return str(Path(str(settings.AISER_PG_BIN_DIR)) / name)


def row_counts(cursor: Any, schema: str) -> dict[str, int]:
    """{table: rows} of every ordinary table in `schema`, read through `cursor`."""
    cursor.execute(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = %s AND c.relkind IN ('r', 'p') ORDER BY 1",
        [schema],
    )
    tables = [row[0] for row in cursor.fetchall()]
    counts = {}
    for table in tables:
        cursor.execute(
            sql.SQL("SELECT count(*) FROM {}.{}").format(sql.Identifier(schema), sql.Identifier(table))
        )
        counts[table] = cursor.fetchone()[0]
    return counts


def dump_schema(schema: str, target: Path) -> dict[str, int]:
    """pg_dump `schema` (custom format) to `target`; returns its row counts from the same snapshot."""
    with _connect() as conn:
        conn.isolation_level = psycopg.IsolationLevel.REPEATABLE_READ
        conn.read_only = True
        snapshot = conn.execute("SELECT pg_export_snapshot()").fetchone()[0]  # type: ignore[index]
        with conn.cursor() as cursor:
            counts = row_counts(cursor, schema)
        # The snapshot lives as long as this transaction: pg_dump must run before it ends.
        _run(
            [
                _tool("pg_dump"),
                "--format=custom",
                f"--schema={schema}",
                f"--snapshot={snapshot}",
                f"--file={target}",
            ]
        )
        conn.rollback()
    return counts


def schema_exists(schema: str) -> bool:
    with _connect() as conn:
        return conn.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", [schema]).fetchone() is not None


def drop_schema(schema: str) -> None:
    with _connect(autocommit=True) as conn:
        conn.execute(sql.SQL("DROP SCHEMA IF EXISTS {} CASCADE").format(sql.Identifier(schema)))


def rename_schema(old: str, new: str) -> None:
    with _connect(autocommit=True) as conn:
        conn.execute(sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(sql.Identifier(old), sql.Identifier(new)))


def restore_schema(dump: Path, *, dumped_as: str, restore_as: str, work_dir: Path) -> None:
    """Restore the schema in `dump` (named `dumped_as` there) as `restore_as`, which must not exist."""
    if schema_exists(restore_as):
        raise DatabaseStepFailed(f"The schema {restore_as} already exists; refusing to restore over it.")
    if dumped_as != restore_as:
        renamed = work_dir / "renamed.dump"
        with _scratch_database() as scratch:
            _pg_restore(dump, database=scratch)
            with _connect(scratch, autocommit=True) as conn:
                conn.execute(
                    sql.SQL("ALTER SCHEMA {} RENAME TO {}").format(
                        sql.Identifier(dumped_as), sql.Identifier(restore_as)
                    )
                )
            _run(
                [_tool("pg_dump"), "--format=custom", f"--schema={restore_as}", f"--file={renamed}"],
                database=scratch,
            )
        dump = renamed
    _pg_restore(dump, database=None)


def _pg_restore(dump: Path, *, database: str | None) -> None:
    # All or nothing: a failed restore leaves no half-made schema behind.
    _run(
        [
            _tool("pg_restore"),
            "--no-owner",
            "--no-privileges",
            "--exit-on-error",
            "--single-transaction",
            f"--dbname={_conninfo(database)['dbname']}",
            str(dump),
        ],
        database=database,
    )


@contextmanager
def _scratch_database() -> Iterator[str]:
    name = f"aiser_restore_{secrets.token_hex(6)}"
    with _connect(autocommit=True) as conn:
        conn.execute(sql.SQL("CREATE DATABASE {} TEMPLATE template0").format(sql.Identifier(name)))
    try:
        yield name
    finally:
        with _connect(autocommit=True) as conn:
            conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))


def current_row_counts(schema: str) -> dict[str, int]:
    """Row counts of `schema` as committed now (used to verify a restore)."""
    with _connect() as conn, conn.cursor() as cursor:
        return row_counts(cursor, schema)


@contextmanager
def files_locked(key: int) -> Iterator[None]:
    """Hold the advisory lock `key` exclusively on a connection of its own (see
    `chat2chart.sources.services.versions.files_lock_key`); waits for a prune in progress to finish."""
    with _connect(autocommit=True) as holder, holder.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [key])
        try:
            yield
        finally:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [key])
