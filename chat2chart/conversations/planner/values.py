# SPDX-License-Identifier: MIT
"""Values in a question and what it does with them: rows asked for ("in the West", "paid orders") or left out
("excluding Alpha", "where team is not Alpha"), turned into the plan's filters. No Django here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.semantic import Filter

from .grounding import ColumnMention, ValueMention, is_row_noun

if TYPE_CHECKING:
    from .reading import Reading

_NEGATIONS = (
    ("excluding",),
    ("exclude",),
    ("except",),
    ("without",),
    ("not",),
    ("other", "than"),
    ("apart", "from"),
    ("isn", "t"),
    ("aren", "t"),
    ("no",),
    ("non",),
    ("but", "not"),
)
NEGATION_WORDS = frozenset(word for phrase in _NEGATIONS for word in phrase)
# Words that may stand between a negation and its value: "excluding team Alpha", "not in the West".
_NEGATION_GAP = frozenset(
    {"the", "a", "an", "in", "from", "of", "for", "equal", "to", "any", "either", "and", "or", "is", "are"}
)


def true_flags(found: list[ColumnMention], tokens: list[str], table: TableInfo) -> list[ValueMention]:
    """For "paid orders" with a true/false `paid` column: the rows where it is true, not a grouping."""
    flags: list[ValueMention] = []
    for mention in found:
        column = table.column(mention.column)
        following = tokens[mention.end] if mention.end < len(tokens) else ""
        if column is not None and column.type == "boolean" and following and is_row_noun(following, table):
            flags.append(ValueMention(mention.column, True, mention.start, mention.end, 1.0))
    return flags


def negated_values(tokens: list[str], values: list[ValueMention], columns_at: set[int]) -> set[int]:
    """Start positions of values that a negation before them leaves out.

    The negation may be separated from its value by the value's column or a few small words
    ("excluding team Alpha", "where region is not in the West"); a list after one negation is left out
    whole ("except Alpha and Beta")."""
    in_value = {i: v for v in values for i in range(v.start, v.end)}
    negated: set[int] = set()
    for value in sorted(values, key=lambda v: v.start):
        i = value.start - 1
        passed_negated = False
        while i >= 0 and (
            tokens[i] in _NEGATION_GAP or tokens[i] == "is" or i in in_value or i in columns_at
        ):
            if tokens[i] in ("and", "or") and (i - 1) not in in_value:
                break  # "for North and not Alpha": the "and" joins two conditions, not a list
            if i in in_value and in_value[i].start in negated:
                passed_negated = True
            i -= 1
        if (
            i >= 0
            and any(tuple(tokens[i - len(p) + 1 : i + 1]) == p for p in _NEGATIONS if i - len(p) + 1 >= 0)
        ) or passed_negated:
            negated.add(value.start)
    return negated


def value_filters(reading: Reading) -> list[Filter]:
    """One filter per column named by values: eq/in for values asked for, neq/not_in for values left out."""
    by_column: dict[tuple[str, bool], list[object]] = {}
    for value in reading.values:
        values = by_column.setdefault((value.column, value.start in reading.negated), [])
        if value.value not in values:
            values.append(value.value)
    filters: list[Filter] = []
    for (column, negated), values in by_column.items():
        one, many = ("neq", "not_in") if negated else ("eq", "in")
        if len(values) == 1:
            filters.append(Filter(field=column, op=one, value=values[0]))  # type: ignore[arg-type]
        else:
            filters.append(Filter(field=column, op=many, value=values))  # type: ignore[arg-type]
    return filters
