# SPDX-License-Identifier: MIT
"""The catalogue of a source: its tables and what each column holds.

Produced by introspection (files, databases, REST) and read by the planner, the query
compiler's validation and the pages. Plain dataclasses so it crosses module lines untouched by Django.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any, Literal

ColumnType = Literal["integer", "decimal", "boolean", "date", "datetime", "text"]
COLUMN_TYPES: tuple[str, ...] = ColumnType.__args__  # type: ignore[attr-defined]
NUMERIC_TYPES = frozenset({"integer", "decimal"})
TEMPORAL_TYPES = frozenset({"date", "datetime"})


@dataclass
class ColumnInfo:
    name: str
    type: ColumnType
    samples: list[Any] = field(default_factory=list)  # up to ten distinct non-null values
    null_share: float = 0.0  # 0..1
    distinct_count: int | None = None  # an estimate for big tables
    label: str | None = None  # display name, when the user renamed the column
    read_as: str | None = None  # how the text was read: a number format ("1.234,56") or date layout ("DMY")

    @property
    def is_numeric(self) -> bool:
        return self.type in NUMERIC_TYPES

    @property
    def is_temporal(self) -> bool:
        return self.type in TEMPORAL_TYPES


@dataclass
class TableInfo:
    name: str
    columns: list[ColumnInfo]
    row_count: int | None = None
    row_count_is_estimate: bool = False

    def column(self, name: str) -> ColumnInfo | None:
        for column in self.columns:
            if column.name == name:
                return column
        return None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TableInfo:
        columns = [ColumnInfo(**c) for c in data.get("columns", [])]
        return cls(
            name=data["name"],
            columns=columns,
            row_count=data.get("row_count"),
            row_count_is_estimate=data.get("row_count_is_estimate", False),
        )
