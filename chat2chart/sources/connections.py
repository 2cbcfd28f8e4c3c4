# SPDX-License-Identifier: MIT
"""From a database source's stored settings to a live connector, through the connector registry.

The password lives encrypted in `Source.secret`, everything else in `Source.config`; the
server-wide limits (private hosts, timeout, row cap) come from settings.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings

from chat2chart.core.secrets import decrypt_secret
from chat2chart.sources.connectors.base import Connector, connector_kind
from chat2chart.sources.connectors.params import MySQLParams, PostgresParams, SparkParams, parse_params
from chat2chart.sources.models import Source

ConnectionParams = PostgresParams | MySQLParams | SparkParams


def connection_params(kind: str, config: dict[str, Any], password: str) -> ConnectionParams:
    """Validate a user's connection settings for `kind`; raises ValidationFailed naming each bad field."""
    return parse_params(connector_kind(kind).params, {**config, "password": password})


def connection_fields(kind: str) -> tuple[str, ...]:
    """Every setting of `kind` that decides where and how Aiser connects (all of them but the password)."""
    model = connector_kind(kind).params
    return tuple(field.alias or name for name, field in model.model_fields.items() if name != "password")


def connector_for(kind: str, params: ConnectionParams) -> Connector:
    """A connector for `params`, with the server's limits applied."""
    return connector_kind(kind).connector(
        params,
        allow_private=settings.AISER_ALLOW_PRIVATE_SOURCES,
        timeout_s=settings.AISER_QUERY_TIMEOUT_S,
        max_rows=settings.AISER_QUERY_MAX_ROWS,
    )


def source_connector(source: Source) -> Connector:
    """The connector of a stored database source, with its decrypted password."""
    password = decrypt_secret(source.secret).get("password", "")
    return connector_for(source.kind, connection_params(source.kind, source.config, password))
