# SPDX-License-Identifier: MIT
"""Row-level access: which rows of a table a principal may read, as filters the query service ANDs in.

Two origins, one mechanism: the values an embed token locks (`Principal.locked`) and the rules of the
`row_filters` hook chain (enterprise: "column X must equal the person's attribute Y"). Every path that
reads rows on behalf of a principal (semantic queries, previews, model queries, value pickers) asks
here; raw SQL is refused to a restricted principal instead (`is_restricted`), since it could read
around any filter. A rule whose column the table lacks refuses the query: never unfiltered rows.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from chat2chart.core import hooks
from chat2chart.core.errors import Forbidden
from chat2chart.core.hooks import RowRule
from chat2chart.core.principal import Principal
from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from chat2chart.sources.models import Source
from chat2chart.sources.semantic import Filter

RAW_SQL_REFUSED = (
    "Your access to “{name}” is limited to some of its rows, so SQL cannot be run on it; "
    "ask a question or build a chart instead."
)
NO_ROWS = (
    "You see no rows of “{table}” in “{source}”: access to it is limited by its “{column}” column and "
    "your account has no value to match it. Ask an admin to set your attributes."
)


def row_filters(principal: Principal, source: Source, table: TableInfo) -> list[Filter]:
    """The filters that limit `table` of `source` to the rows `principal` may see: one per locked value
    and per hook rule, on the table's column of that name matched case-insensitively ("region" →
    "Region"). A rule with no values means no row may be read: refused with `Forbidden` (code
    `row_access_no_rows`) saying why, so an empty answer or a total of 0 never passes for a real one.

    Raises `Forbidden` when a rule names a column the table lacks: refused, never shown unfiltered."""
    return [flt for rule in _rules(principal, source, table.name) for flt in _as_filters(rule, table, source)]


def model_row_filters(
    principal: Principal, source: Source, tables: Iterable[TableInfo]
) -> dict[str, list[Filter]]:
    """{table name: its filters} for every table of `source` a model query may read that `principal`
    is limited on (tables without rules are left out).

    Locked embed values apply here to the tables that have the column (a dotted member name
    `cube.field` by its field); the model's own filters (dashboards/member_widgets) carry them through
    the model's joins to the other tables. Hook rules refuse like `row_filters`."""
    found: dict[str, list[Filter]] = {}
    for table in tables:
        filters: list[Filter] = []
        for name, value in principal.locked.items():
            column = _column(table, name.rsplit(".", 1)[-1])
            if column is not None:
                filters += _as_filters(_locked_rule(name, value), table, source, column=column)
        for rule in hooks.row_rules(principal, source, table.name):
            filters += _as_filters(rule, table, source)
        if filters:
            found[table.name] = filters
    return found


def is_restricted(principal: Principal, source: Source) -> bool:
    """Whether any row rule limits `principal` on any table of `source` (then raw SQL is refused)."""
    from chat2chart.sources import selectors

    if principal.locked:
        return True
    return any(hooks.row_rules(principal, source, table.name) for table in selectors.source_tables(source))


# Whole-table profile figures: computed over every row at ingest, so they would show a limited member
# values (and counts) outside their slice.
_PROFILE_KEYS = ("samples", "distinct_count", "null_share")


def visible_catalogue(
    principal: Principal | None, source: Source, table: Any
) -> tuple[list[dict[str, Any]], int | None]:
    """`table`'s columns and row count as `principal` may see them (`table`: a SourceTable).

    Returns (columns, row_count); each column is a copy of the catalogue's dict. When a row rule or a
    locked parameter limits `principal` on this table, the whole-table profile is withheld: samples
    become [], distinct counts, empty shares and the row count become None. None (the system) and
    unlimited principals get the catalogue as stored."""
    columns = [dict(column) for column in table.catalogue.get("columns", [])]
    if principal is None or not _rules(principal, source, table.name):
        return columns, table.row_count
    for column in columns:
        for key in _PROFILE_KEYS:
            column[key] = [] if key == "samples" else None
    return columns, None


def require_unrestricted(principal: Principal | None, source: Source) -> None:
    """Raise `Forbidden` when `principal` is limited to some rows of `source` (None: the system's own
    work, such as building a rollup, which reads every row)."""
    if principal is not None and is_restricted(principal, source):
        raise Forbidden(RAW_SQL_REFUSED.format(name=source.name), code="row_access_sql")


# --- internals -------------------------------------------------------------------------------------


def _rules(principal: Principal, source: Source, table_name: str) -> list[RowRule]:
    locked = [_locked_rule(name, value) for name, value in sorted(principal.locked.items())]
    return [*locked, *hooks.row_rules(principal, source, table_name)]


def _locked_rule(name: str, value: Any) -> RowRule:
    return RowRule(column=name, values=tuple(value) if isinstance(value, list | tuple) else (value,))


def _column(table: TableInfo, name: str) -> ColumnInfo | None:
    folded = name.casefold()
    return next((c for c in table.columns if c.name.casefold() == folded), None)


def _as_filters(
    rule: RowRule, table: TableInfo, source: Source, *, column: ColumnInfo | None = None
) -> list[Filter]:
    column = column or _column(table, rule.column)
    if column is None:
        raise Forbidden(
            f"Your access to “{source.name}” is limited by its “{rule.column}” column, which the table "
            f"“{table.name}” does not have, so it cannot be shown.",
            code="row_access_column_missing",
        )
    if not rule.values:
        # No value to match (the person lacks the attribute): no row may be shown. Refused with the
        # reason rather than answered with nothing, so an empty table or a total of 0 never looks real.
        raise Forbidden(
            NO_ROWS.format(table=table.name, source=source.name, column=column.name),
            code="row_access_no_rows",
        )
    values = [_as_column_type(v, column) for v in rule.values]
    if len(values) == 1:
        return [Filter(field=column.name, op="eq", value=values[0])]
    return [Filter(field=column.name, op="in", value=values)]


_TRUE = {"true", "1", "yes"}
_FALSE = {"false", "0", "no"}


def _as_column_type(value: Any, column: ColumnInfo) -> Any:
    # Attributes are text ("12", "true"); the filter binds the column's type, so a number column
    # compares with a number. A value that cannot be one matches no row rather than failing.
    if not isinstance(value, str):
        return value
    text = value.strip()
    if column.type == "integer":
        try:
            return int(text)
        except ValueError:
            return value
    if column.type == "decimal":
        try:
            return float(text)
        except ValueError:
            return value
    if column.type == "boolean" and text.casefold() in _TRUE | _FALSE:
        return text.casefold() in _TRUE
    return value
