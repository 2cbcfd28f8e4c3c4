# SPDX-License-Identifier: MIT
"""What a database connector is, and which connector serves each kind of database source.

Connectors are plain classes that satisfy the `Connector` protocol structurally; the registry
pairs each source kind with the strict parameter model it accepts and the class that dials it.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from types import MappingProxyType
from typing import Any, Protocol

from chat2chart.core.errors import ValidationFailed
from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.connectors.mysql import MySQLConnector
from chat2chart.sources.connectors.params import MySQLParams, PostgresParams, SparkParams
from chat2chart.sources.connectors.postgres import PostgresConnector
from chat2chart.sources.connectors.spark import SparkConnector
from chat2chart.sources.results import QueryResult


class Connector(Protocol):
    """A live database behind a source: read-only sessions, capped answers, user-worded errors."""

    def test(self) -> None:
        """Connect and run a trivial query; raises ConnectionFailed saying what to fix."""
        ...

    def list_tables(self) -> list[TableInfo]:
        """Introspect the catalogue: tables, column types, samples and row counts."""
        ...

    def run(self, sql: str, params: list[Any]) -> QueryResult:
        """Run one read-only statement (drivers' pyformat style); raises QueryError."""
        ...

    def explain(self, sql: str, params: list[Any]) -> list[str]:
        """The database's own plan for one statement, without running it; raises QueryError."""
        ...


class ConnectorFactory(Protocol):
    def __call__(self, params: Any, *, allow_private: bool, timeout_s: float, max_rows: int) -> Connector: ...


@dataclass(frozen=True)
class ConnectorKind:
    """One kind of database source: the parameters a user may give and the class that dials them."""

    params: type[PostgresParams] | type[MySQLParams] | type[SparkParams]
    connector: ConnectorFactory


# Structural conformance, checked by mypy: a connector that drifts from the protocol fails here.
_POSTGRES: ConnectorFactory = PostgresConnector
_MYSQL: ConnectorFactory = MySQLConnector
_SPARK: ConnectorFactory = SparkConnector

CONNECTOR_KINDS: Mapping[str, ConnectorKind] = MappingProxyType({
    "postgres": ConnectorKind(params=PostgresParams, connector=_POSTGRES),
    "mysql": ConnectorKind(params=MySQLParams, connector=_MYSQL),
    "spark": ConnectorKind(params=SparkParams, connector=_SPARK),
})  # fmt: skip


def connector_kind(kind: str) -> ConnectorKind:
    """The registry entry for `kind`; raises ValidationFailed naming the kinds there are."""
    try:
        return CONNECTOR_KINDS[kind]
    except KeyError:
        raise ValidationFailed(f"kind: choose {' or '.join(CONNECTOR_KINDS)}.") from None
