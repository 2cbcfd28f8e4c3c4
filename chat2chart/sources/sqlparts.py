# SPDX-License-Identifier: MIT
"""Pieces every part of the query compiler shares: bound parameters, quoted references, catalogue look-ups."""

from __future__ import annotations

import difflib
import secrets
from typing import Any

from sqlglot import exp

from chat2chart.core.errors import QueryError
from chat2chart.sources.catalogue import ColumnInfo, TableInfo


class Params:
    """Collects bound values under names no table could contain."""

    def __init__(self) -> None:
        self.prefix = f"aiserp{secrets.token_hex(6)}x"
        self.values: dict[str, Any] = {}

    def add(self, value: Any) -> exp.Placeholder:
        name = f"{self.prefix}{len(self.values)}"
        self.values[name] = value
        return exp.Placeholder(this=name)


def column_of(table: TableInfo, name: str) -> ColumnInfo:
    column = table.column(name)
    if column is not None:
        return column
    names = [c.name for c in table.columns]
    close = difflib.get_close_matches(name, names, n=3, cutoff=0.6)
    hint = f"; did you mean {', '.join(repr(c) for c in close)}?" if close else ""
    raise QueryError(f"unknown field '{name}' in table '{table.name}'{hint}", details={"field": name})


def column_ref(name: str) -> exp.Column:
    return exp.Column(this=exp.to_identifier(name, quoted=True))


def table_ref(name: str, schema: str | None) -> exp.Table:
    db = exp.to_identifier(schema, quoted=True) if schema else None
    return exp.Table(this=exp.to_identifier(name, quoted=True), db=db)
