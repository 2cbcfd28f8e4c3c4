# SPDX-License-Identifier: MIT
"""Database sources (PostgreSQL, MySQL, Spark): test a connection, create a source, change its settings.

The password is kept encrypted apart from the other settings and never leaves the server. Every
connection setting decides where or how the password is sent (host, port, database, user,
schema, TLS mode), so changing any of them needs the password entered again.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction

from chat2chart.core import hooks
from chat2chart.core.errors import ValidationFailed
from chat2chart.core.principal import Principal
from chat2chart.core.secrets import decrypt_secret, encrypt_secret
from chat2chart.sources import policy
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.connections import (
    ConnectionParams,
    connection_fields,
    connection_params,
    connector_for,
)
from chat2chart.sources.models import Source
from chat2chart.sources.services.versions import audit, replace_database_tables, require

DATABASE_KINDS = (Source.Kind.POSTGRES, Source.Kind.MYSQL, Source.Kind.SPARK)


def connection_test(*, kind: str, config: dict[str, Any]) -> None:
    """Connect with these settings without saving anything; raises ConnectionFailed saying what failed."""
    _check_database_kind(kind)
    password = config.get("password", "")
    connector_for(kind, connection_params(kind, _without_password(config), password)).test()


def source_create_database(
    *,
    name: str,
    kind: str,
    config: dict[str, Any],
    refresh_interval_minutes: int | None,
    principal: Principal,
) -> Source:
    """A PostgreSQL, MySQL or Spark source: tested and introspected before it is saved."""
    require(policy.can_create_source(principal), "You do not have permission to add data sources.")
    hooks.check_limit("data_sources")
    _check_database_kind(kind)
    password = config.get("password", "")
    params = connection_params(kind, _without_password(config), password)
    tables = introspect(kind, params)
    with transaction.atomic():
        source = Source.objects.create(
            name=name,
            kind=kind,
            config=_public_params(params),
            secret=_password_secret(password),
            refresh_interval_minutes=refresh_interval_minutes,
            owner=principal.user,
        )
        replace_database_tables(source, tables)
        audit("source.create", principal, source, kind=kind, host=params.host)
    return source


def database_config_changes(source: Source, config: dict[str, Any]) -> dict[str, Any]:
    """The field changes of `source_update` for new connection settings, tested and introspected.

    Without a new password the stored one is kept only when no connection setting changes;
    otherwise raises ValidationFailed asking for it. The catalogue comes back under `_tables`.
    """
    merged = {**source.config, **_without_password(config)}
    if "password" in config:
        password = config["password"]
    else:
        changed = [
            name for name in connection_fields(source.kind) if merged.get(name) != source.config.get(name)
        ]
        if changed:
            raise ValidationFailed(
                f"config.password: enter the password again when changing the connection settings "
                f"({', '.join(changed)})."
            )
        password = decrypt_secret(source.secret).get("password", "")
    params = connection_params(source.kind, merged, password)
    return {
        "config": _public_params(params),
        "secret": _password_secret(password),
        "_tables": introspect(source.kind, params),
    }


def introspect(kind: str, params: ConnectionParams) -> list[TableInfo]:
    """Test the connection, then read the catalogue."""
    connector = connector_for(kind, params)
    connector.test()
    return connector.list_tables()


def _password_secret(password: str) -> bytes | None:
    return encrypt_secret({"password": password} if password else {})


def _public_params(params: ConnectionParams) -> dict[str, Any]:
    return params.model_dump(by_alias=True, exclude={"password"})


def _check_database_kind(kind: str) -> None:
    if kind not in DATABASE_KINDS:
        raise ValidationFailed("kind: choose postgres, mysql or spark.")


def _without_password(config: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in config.items() if k != "password"}
