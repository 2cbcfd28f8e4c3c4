# SPDX-License-Identifier: MIT
"""The shape of an answer: which columns are measures, which are dimensions, and in what roles.

`Shape` is the planner's working form of a plan, before it becomes a SemanticQuery and a chart; follow-ups
edit a Shape rebuilt from the previous plan, so both paths share one way of finishing a plan.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.semantic import Calculation, Filter, Measure

from . import lexicon
from .grounding import column_kind, name_words

# Rows fetched for a scatter: enough points to read a relationship, few enough to draw fast.
SCATTER_LIMIT = 5000


@dataclass
class Dim:
    field: str
    granularity: str | None = None
    role: str = "group"  # group (x), series (colour/stack) or facet (small multiples)


@dataclass
class Shape:
    """kind: aggregate (measures by dimensions), scatter (raw x/y pairs) or histogram (one numeric field)."""

    kind: str = "aggregate"
    measures: list[Measure] = field(default_factory=list)
    calculations: list[Calculation] = field(default_factory=list)
    dims: list[Dim] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    rank: tuple[str, int | None] | None = None
    sort: str | None = None
    intent_hint: str | None = None  # composition, ranking, trend from the words
    compare_previous_year: bool = False
    bins: dict[str, float] = field(default_factory=dict)

    def copy(self) -> Shape:
        return replace(
            self,
            measures=list(self.measures),
            calculations=list(self.calculations),
            dims=[replace(d) for d in self.dims],
            filters=list(self.filters),
            bins=dict(self.bins),
        )

    def dim_fields(self) -> list[str]:
        return [d.field for d in self.dims]

    def output_measures(self) -> list[str]:
        """Output names of what the answer shows as values: visible measures, then calculations."""
        return [m.output_name for m in self.measures if not m.hidden] + [
            c.output_name for c in self.calculations
        ]


def default_agg(column_name: str, table: TableInfo) -> str:
    """Sum for additive quantities (revenue, units), average for intensive ones (price, rate, mpg, weight)."""
    words = set(name_words(column_name))
    column = table.column(column_name)
    if words & lexicon.ADDITIVE_WORDS:
        return "sum"
    if words & lexicon.INTENSIVE_WORDS:
        return "avg"
    if column is not None and _looks_intensive(column.samples):
        return "avg"
    if column is not None and column_kind(column, table.row_count) in ("discrete",):
        return "avg"
    return "sum"


def _looks_intensive(samples: list[object]) -> bool:
    # Shares and ratios stored as fractions (0..1) average; they never add up.
    numbers = [s for s in samples if isinstance(s, int | float) and not isinstance(s, bool)]
    return len(numbers) >= 3 and all(0 <= n <= 1 for n in numbers) and any(0 < n < 1 for n in numbers)


def time_column(table: TableInfo) -> str | None:
    """The table's time axis: the first date column, else an integer year column."""
    kinds = {c.name: column_kind(c, table.row_count) for c in table.columns}
    temporal = [c.name for c in table.columns if c.is_temporal]
    if temporal:
        return temporal[0]
    years = [name for name, kind in kinds.items() if kind == "time"]
    return years[0] if years else None
