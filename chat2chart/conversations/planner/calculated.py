# SPDX-License-Identifier: MIT
"""Business measures that are more than one aggregate of one column, read from a question's words:
ratios ("revenue per order", "average order value"), margin and profit from revenue and cost columns,
share of total, running totals ("cumulative sign-ups") and change against the previous period
("month over month growth of revenue", "year over year change").

`read_calculation` finds the request in the words; `apply_calculation` rewrites a Shape so that the query
computes it with the semantic query's calculations (the components become hidden measures). No Django.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.semantic import Calculation, Measure

from . import lexicon
from .grounding import column_kind, name_words, singular
from .shape import Dim, Shape, time_column

REVENUE_WORDS = frozenset({"revenue", "revenues", "sales", "turnover", "income", "amount", "takings", "gmv"})
COST_WORDS = frozenset({"cost", "costs", "cogs", "expense", "expenses", "spend", "spending"})
_RATIO_NOUNS = lexicon.ROW_NOUNS | {"order", "transaction", "purchase", "sale", "booking", "visit", "ticket"}
_GROWTH_WORDS = frozenset({"growth"})
_CHANGE_WORDS = frozenset({"change", "changes", "difference", "delta"})
_PERIOD_OVER_PERIOD = {
    ("month", "over", "month"): ("month", "previous_period"),
    ("mom",): ("month", "previous_period"),
    ("week", "over", "week"): ("week", "previous_period"),
    ("wow",): ("week", "previous_period"),
    ("quarter", "over", "quarter"): ("quarter", "previous_period"),
    ("qoq",): ("quarter", "previous_period"),
    ("year", "over", "year"): ("month", "previous_year"),
    ("yoy",): ("month", "previous_year"),
    ("day", "over", "day"): ("day", "previous_period"),
}


@dataclass
class CalculationRequest:
    """What the words ask to compute; `column` is the measured column (None: rows are counted)."""

    kind: str  # ratio, margin, profit, share, running, growth, change
    column: str | None = None
    granularity: str | None = None
    compare_to: str = "previous_period"
    spans: set[int] = field(default_factory=set)
    label: str = ""


def read_calculation(tokens: list[str], table: TableInfo) -> CalculationRequest | None:
    """The calculated measure a question asks for, or None. Only columns of `table` are used."""
    return (
        _period_change(tokens, table)
        or _running(tokens, table)
        or _share(tokens, table)
        or _margin_or_profit(tokens, table)
        or _ratio(tokens, table)
    )


def apply_calculation(shape: Shape, request: CalculationRequest, table: TableInfo) -> bool:
    """Rewrite `shape` to compute `request`; False (shape untouched) when the table cannot support it."""
    if request.kind in ("margin", "profit"):
        return _apply_margin(shape, request, table)
    if request.kind == "ratio":
        return _apply_ratio(shape, request, table)
    base = _base_measure(shape, request, table)
    if base is None:
        return False
    # A bare number may have been read as a distribution of itself: it is the measure here.
    shape.kind, shape.bins = "aggregate", {}
    shape.dims = [d for d in shape.dims if d.field != base.field]
    if request.kind == "share":
        if not shape.dims:
            return False  # a share of the total needs something to split the total by
        shape.measures = [base.model_copy(update={"hidden": True})]
        shape.calculations = [
            Calculation(
                alias=f"share_of_{base.output_name}",
                kind="share_of_total",
                of=base.output_name,
                format="percent",
            )
        ]
        return True
    if not _ensure_time_dimension(shape, table, request.granularity):
        return False
    shape.measures = [base.model_copy(update={"hidden": True})]
    if request.kind == "running":
        alias, kind, fmt = f"cumulative_{base.output_name}", "running_total", None
    elif request.kind == "growth":
        alias, kind, fmt = f"{base.output_name}_growth", "percent_change", "percent"
    else:
        alias, kind, fmt = f"{base.output_name}_change", "difference", None
    shape.calculations = [
        Calculation(alias=alias, kind=kind, of=base.output_name, compare_to=request.compare_to, format=fmt)
    ]  # type: ignore[arg-type]
    shape.compare_previous_year = False
    return True


# --- reading ---------------------------------------------------------------------------------------


def _period_change(tokens: list[str], table: TableInfo) -> CalculationRequest | None:
    found = _find_period_over_period(tokens)
    growth = _first_index(tokens, _GROWTH_WORDS)
    change = _first_index(tokens, _CHANGE_WORDS)
    if found is None and growth is None:
        return None  # "how did revenue change": a trend, not a difference column
    if found is not None and found[1][1] == "previous_year" and growth is None and change is None:
        return None  # "revenue year over year": the two years drawn side by side
    granularity, compare_to = found[1] if found else ("month", "previous_period")
    spans = set(found[0]) if found else set()
    spans |= {i for i in (growth, change) if i is not None}
    as_difference = (
        growth is None and change is not None and not _has(tokens, ("percent", "%", "percentage", "rate"))
    )
    if found is None and _mentions_time_grain(tokens):
        granularity = None  # "revenue growth by quarter": the grain the words name
    return CalculationRequest(
        kind="change" if as_difference else "growth",
        column=_measured_column(tokens, table),
        granularity=granularity,
        compare_to=compare_to,
        spans=spans,
    )


def _running(tokens: list[str], table: TableInfo) -> CalculationRequest | None:
    at = _first_index(tokens, {"cumulative", "cumulatively", "accumulated", "running"})
    if at is None or (tokens[at] == "running" and _at(tokens, at + 1) not in ("total", "sum", "count")):
        return None
    spans = {at} | ({at + 1} if tokens[at] == "running" else set())
    return CalculationRequest(kind="running", column=_measured_column(tokens, table), spans=spans)


def _share(tokens: list[str], table: TableInfo) -> CalculationRequest | None:
    for i, word in enumerate(tokens):
        if word in ("share", "proportion", "contribution") or (
            word in ("percentage", "percent", "%") and _at(tokens, i + 1) == "of"
        ):
            return CalculationRequest(kind="share", column=_measured_column(tokens, table), spans={i})
    return None


def _margin_or_profit(tokens: list[str], table: TableInfo) -> CalculationRequest | None:
    names = {singular(n) for c in table.columns for n in name_words(c.name)}
    for i, word in enumerate(tokens):
        key = singular(word)
        if key in ("margin", "profitability", "profitable") and "margin" not in names:
            return CalculationRequest(kind="margin", spans={i})
        if key in ("profit", "earning") and not names & {"profit", "earning"}:
            return CalculationRequest(kind="profit", spans={i})
    return None


def _ratio(tokens: list[str], table: TableInfo) -> CalculationRequest | None:
    # "revenue per order" divides the total by the number of rows (orders); "average revenue per order"
    # already says how (the average), and "total amount per customer id" groups by the key column.
    if any(t in ("average", "avg", "mean", "median", "total", "sum") for t in tokens):
        return None
    table_nouns = {singular(w) for w in name_words(table.name)}
    for i, word in enumerate(tokens):
        if word != "per" or i == 0:
            continue
        noun = singular(_at(tokens, i + 1))
        if (noun in _RATIO_NOUNS or noun in table_nouns) and not _names_a_column(noun, table):
            column = _measured_column(tokens[:i], table)
            if column is None:
                return None
            return CalculationRequest(kind="ratio", column=column, spans={i, i + 1}, label=noun)
    return None


# --- applying --------------------------------------------------------------------------------------


def _apply_margin(shape: Shape, request: CalculationRequest, table: TableInfo) -> bool:
    revenue, cost = revenue_column(table), _cost_column(table)
    if revenue is None or cost is None:
        return False
    shape.measures = [
        Measure(field=revenue, agg="sum", alias="revenue_total", hidden=True),
        Measure(field=cost, agg="sum", alias="cost_total", hidden=True),
    ]
    if request.kind == "margin":
        formula, alias, fmt = "(revenue_total - cost_total) / revenue_total", "margin", "percent"
    else:
        formula, alias, fmt = "revenue_total - cost_total", "profit", None
    shape.calculations = [Calculation(alias=alias, formula=formula, format=fmt)]  # type: ignore[arg-type]
    return True


def _apply_ratio(shape: Shape, request: CalculationRequest, table: TableInfo) -> bool:
    if request.column is None:
        return False
    numerator = Measure(field=request.column, agg="sum", alias=f"{request.column}_total", hidden=True)
    denominator = Measure(agg="count", alias="per_count", hidden=True)
    noun = request.label or "row"
    shape.measures = [numerator, denominator]
    alias = f"{request.column}_per_{noun}"
    shape.calculations = [Calculation(alias=alias, formula=f"{numerator.output_name} / per_count")]
    return True


def _base_measure(shape: Shape, request: CalculationRequest, table: TableInfo) -> Measure | None:
    if request.column:
        for measure in shape.measures:
            if measure.field == request.column:
                return measure
        return Measure(field=request.column, agg="sum")
    visible = [m for m in shape.measures if not m.hidden]
    return visible[0] if visible else Measure(agg="count")


def _ensure_time_dimension(shape: Shape, table: TableInfo, granularity: str | None) -> bool:
    column = time_column(table)
    info = table.column(column) if column else None
    if info is None or not info.is_temporal:
        return False
    existing = next((d for d in shape.dims if d.field == column), None)
    if existing is None:
        existing = Dim(column, granularity or "month", "group")
        shape.dims.insert(0, existing)
    else:
        shape.dims.remove(existing)
        shape.dims.insert(0, existing)
    if granularity or existing.granularity in (None, "weekday", "month_of_year", "hour_of_day"):
        existing.granularity = granularity or "month"
    for dim in shape.dims[1:]:
        dim.role = dim.role if dim.role == "facet" else "series"
    return True


# --- words and columns -----------------------------------------------------------------------------


def _find_period_over_period(tokens: list[str]) -> tuple[range, tuple[str, str]] | None:
    for i in range(len(tokens)):
        for phrase, meaning in _PERIOD_OVER_PERIOD.items():
            if tuple(tokens[i : i + len(phrase)]) == phrase:
                return range(i, i + len(phrase)), meaning
    return None


def _mentions_time_grain(tokens: list[str]) -> bool:
    return any(
        t in ("daily", "weekly", "monthly", "quarterly", "yearly", "annual", "annually") for t in tokens
    ) or any(
        tokens[i] in ("by", "per", "each")
        and _at(tokens, i + 1) in ("day", "week", "month", "quarter", "year")
        for i in range(len(tokens))
    )


def _measured_column(tokens: list[str], table: TableInfo) -> str | None:
    """The first numeric, non-identifier column named in the words (by name or a word of its name)."""
    wanted = {singular(t) for t in tokens}
    for column in table.columns:
        if not column.is_numeric or column_kind(column, table.row_count) == "key":
            continue
        words = {singular(w) for w in name_words(column.name)}
        if words and words <= wanted | {"total", "amount", "value", "count", "number"} and words & wanted:
            return column.name
    if wanted & REVENUE_WORDS:
        return revenue_column(table)
    return None


def revenue_column(table: TableInfo) -> str | None:
    return _column_with_words(table, REVENUE_WORDS)


def _cost_column(table: TableInfo) -> str | None:
    return _column_with_words(table, COST_WORDS)


def _column_with_words(table: TableInfo, words: frozenset[str]) -> str | None:
    for column in table.columns:
        if column.is_numeric and {singular(w) for w in name_words(column.name)} & {
            singular(w) for w in words
        }:
            return column.name
    return None


def _names_a_column(noun: str, table: TableInfo) -> bool:
    return any(noun == "_".join(singular(w) for w in name_words(c.name)) for c in table.columns)


def _first_index(tokens: list[str], words: set[str] | frozenset[str]) -> int | None:
    return next((i for i, t in enumerate(tokens) if t in words), None)


def _has(tokens: list[str], words: tuple[str, ...]) -> bool:
    return any(t in words for t in tokens)


def _at(tokens: list[str], i: int) -> str:
    return tokens[i] if 0 <= i < len(tokens) else ""
