# SPDX-License-Identifier: MIT
"""An automatic model for a source's tables, and join suggestions between them.

Each table becomes a cube: a row count, sums and averages of numeric columns that are not
identifiers, time, string, number and boolean dimensions, and a primary key when a column looks like
one. Joins are suggested from foreign-key-like names (`customer_id` → `customers.id`) and from
columns of the same name whose sample values overlap.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import asdict, dataclass
from typing import Any, Literal

from sqlglot import exp

from chat2chart.semantic.model import Cube, Dimension, Join, Measure, Model
from chat2chart.sources.catalogue import ColumnInfo, TableInfo
from chat2chart.sources.compiler import Dialect

_TYPES = {"integer": "number", "decimal": "number", "boolean": "boolean", "date": "time", "datetime": "time"}


@dataclass(frozen=True)
class JoinSuggestion:
    """A join the data suggests: from `cube.column` (many) to `target.target_column` (one)."""

    cube: str
    column: str
    target: str
    target_column: str
    relationship: Literal["many_to_one", "one_to_one"]
    reason: str
    confidence: Literal["high", "medium"]

    @property
    def join(self) -> Join:
        return Join(
            name=self.target,
            relationship=self.relationship,
            sql=f"{{CUBE}}.{self.column} = {{{self.target}}}.{self.target_column}",
        )

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def auto_model(
    tables: list[TableInfo],
    *,
    dialect: Dialect = "duckdb",
    source: int | str | None = None,
    with_joins: bool = True,
) -> Model:
    """A model with one cube per table of a source in `dialect`; high-confidence join suggestions
    are added as joins."""
    cubes = [auto_cube(table, dialect=dialect) for table in tables]
    if with_joins:
        suggestions = [s for s in suggest_joins(tables) if s.confidence == "high"]
        cubes = [
            c.model_copy(update={"joins": [s.join for s in suggestions if s.cube == c.name]}) for c in cubes
        ]
    return Model(source=source, cubes=cubes)


def auto_cube(table: TableInfo, *, dialect: Dialect = "duckdb") -> Cube:
    """The cube of one table (its name made a valid identifier; odd column names quoted for `dialect`)."""
    key = primary_key(table)
    measures = [Measure(name="count", type="count", title="Number of rows")]
    dimensions = []
    used = {"count"}
    for position, column in enumerate(table.columns, start=1):
        name = _identifier(column.name, used, fallback=f"column_{position}")
        used.add(name)
        sql = None if name == column.name else _quoted_column(column.name, dialect)
        title = column.label or (None if name == column.name else column.name)
        kind = _TYPES.get(column.type, "string")
        dimensions.append(
            Dimension(name=name, type=kind, sql=sql, primary_key=column is key, title=title)  # type: ignore[arg-type]
        )
        if column.is_numeric and column is not key and not _is_identifier(column):
            for agg, prefix in (("sum", "total"), ("avg", "average")):
                measure = _identifier(f"{prefix}_{name}", used)
                used.add(measure)
                measures.append(Measure(name=measure, type=agg, sql=sql or name))  # type: ignore[arg-type]
    return Cube(
        name=_identifier(table.name, set(), fallback="table"),
        sql_table=table.name,
        measures=measures,
        dimensions=dimensions,
    )


def primary_key(table: TableInfo) -> ColumnInfo | None:
    """`id` or `<table>_id` when its values are unique (as far as the catalogue tells)."""
    singular = table.name[:-1] if table.name.endswith("s") else table.name
    for name in ("id", f"{singular}_id", f"{table.name}_id"):
        column = table.column(name)
        unique = _unique(column, table) if column is not None and column.distinct_count is not None else True
        if column is not None and column.null_share == 0 and unique:
            return column
    return None


def suggest_joins(tables: list[TableInfo]) -> list[JoinSuggestion]:
    """Joins between `tables`, best first: a column naming another table's key (`customer_id` →
    customers.id, high) or a column with the same name as another table's unique column and sharing
    sample values with it (medium)."""
    found: list[JoinSuggestion] = []
    for table in tables:
        own_key = primary_key(table)
        for column in table.columns:
            if column is own_key:
                continue
            for other in tables:
                if other is not table:
                    suggestion = _by_key_name(table, column, other) or _by_values(table, column, other)
                    if suggestion is not None:
                        found.append(suggestion)
    return sorted(found, key=lambda s: (s.confidence != "high", s.cube, s.column))


def _by_key_name(table: TableInfo, column: ColumnInfo, other: TableInfo) -> JoinSuggestion | None:
    key = primary_key(other)
    if key is None or column.is_numeric != key.is_numeric or _overlap(column, key) is False:
        return None
    singular = other.name[:-1] if other.name.endswith("s") else other.name
    if column.name not in (f"{singular}_{key.name}", f"{other.name}_{key.name}", f"{singular}_id"):
        return None
    reason = f"'{column.name}' names the key '{key.name}' of {other.name}"
    return _suggestion(table, column, other, key, "many_to_one", reason, "high")


def _by_values(table: TableInfo, column: ColumnInfo, other: TableInfo) -> JoinSuggestion | None:
    match = other.column(column.name)
    if match is None or column.name == "id" or not _unique(match, other) or not _overlap(column, match):
        return None
    if _unique(column, table):  # both sides unique: suggest it once, from the first table by name
        if table.name > other.name:
            return None
        relationship: Literal["many_to_one", "one_to_one"] = "one_to_one"
    else:
        relationship = "many_to_one"
    reason = f"'{column.name}' also names a unique column of {other.name} and shares its values"
    return _suggestion(table, column, other, match, relationship, reason, "medium")


def _suggestion(
    table: TableInfo,
    column: ColumnInfo,
    other: TableInfo,
    key: ColumnInfo,
    relationship: Literal["many_to_one", "one_to_one"],
    reason: str,
    confidence: Literal["high", "medium"],
) -> JoinSuggestion:
    return JoinSuggestion(
        _identifier(table.name, set(), fallback="table"),
        column.name,
        _identifier(other.name, set(), fallback="table"),
        key.name,
        relationship,
        reason,
        confidence,
    )


def _overlap(column: ColumnInfo, key: ColumnInfo) -> bool | None:
    """Whether sample values are shared; None when either side has no samples."""
    if not column.samples or not key.samples:
        return None
    return bool({str(v) for v in column.samples} & {str(v) for v in key.samples})


def _unique(column: ColumnInfo, table: TableInfo) -> bool:
    if column.distinct_count is None or table.row_count is None:
        return False
    return column.distinct_count >= table.row_count


def _is_identifier(column: ColumnInfo) -> bool:
    name = column.name.lower()
    return (
        name == "id" or name.endswith(("_id", "_key", "_code", "_number", "_no")) or name in ("year", "zip")
    )


# Lower-case letters NFKD does not decompose into ASCII, spelled the usual way.
_SPELLED = str.maketrans({"ß": "ss", "æ": "ae", "œ": "oe", "ø": "o", "đ": "d", "ł": "l", "þ": "th"})
_MAX_NAME = 63  # model.NAME_PATTERN: a letter or `_`, then at most 62 letters, digits or `_`


def _identifier(name: str, used: set[str], *, fallback: str = "column") -> str:
    """A member name for `name` that matches model.NAME_PATTERN and is not in `used`.

    Algorithm: NFKD-decompose (Unicode TR15), keep the ASCII part (`Größe (m²)` → `grosse (m2)`),
    lower-case, turn every run of other characters into `_`, prefix `c_` when it starts with a digit,
    use `fallback` when nothing is left (`🚀`), and add `_2`, `_3`, ... until unused; at most 63
    characters.
    """
    ascii_text = (
        unicodedata.normalize("NFKD", name.lower().translate(_SPELLED)).encode("ascii", "ignore").decode()
    )
    base = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_") or fallback
    if base[0].isdigit():
        base = f"c_{base}"
    candidate, n = base[:_MAX_NAME], 2
    while candidate in used:
        suffix = f"_{n}"
        candidate, n = base[: _MAX_NAME - len(suffix)] + suffix, n + 1
    return candidate


def _quoted_column(name: str, dialect: Dialect) -> str:
    return "{CUBE}." + exp.to_identifier(name, quoted=True).sql(dialect=dialect)
