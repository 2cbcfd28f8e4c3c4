# SPDX-License-Identifier: MIT
"""The refusal stage of the rule planner: questions it must not answer with a chart, and the clarifying
question it asks instead (words the table has no column for, a measure it cannot find, a calculation the
table cannot support). No Django here."""

from __future__ import annotations

import difflib

from chat2chart.sources.catalogue import TableInfo

from .calculated import CalculationRequest, revenue_column
from .grounding import is_row_noun
from .models import Clarification
from .reading import Reading
from .suggest import first_questions


def calculation_refusal(request: CalculationRequest, table: TableInfo) -> Clarification | None:
    numeric = ", ".join(c.name for c in table.columns if c.is_numeric)[:200] or "none"
    if request.kind in ("margin", "profit"):
        message = (
            f"To work out {request.kind} I need a revenue column and a cost column; {table.name} has no "
            f"{'revenue' if revenue_column(table) is None else 'cost'} column (its numbers are: {numeric}). "
            "Which columns should I use?"
        )
    elif request.kind == "ratio":
        message = f"I couldn't tell which number to divide; the numbers in {table.name} are: {numeric}."
    else:
        return None
    return Clarification(message=message, suggestions=first_questions(table))


def needs_clarification(reading: Reading, table: TableInfo) -> Clarification | None:
    missing = _ungrounded_words(reading, table)
    if missing:
        return _missing_words(missing, table)
    grounded = reading.mentions or reading.values or reading.count_rows
    unknown_measure = _unknown_measure(reading)
    if grounded and not unknown_measure:
        return None
    names = ", ".join(c.name for c in table.columns[:8])
    if unknown_measure:
        message = (
            f"I couldn't find \u201c{unknown_measure}\u201d in {table.name}. Which column should I use? "
            f"The table has: {names}."
        )
    else:
        message = (
            f"I couldn't match that question to the columns of {table.name}. Which of these should I "
            f"use: {names}?"
        )
    return Clarification(message=message, suggestions=first_questions(table))


def _ungrounded_words(reading: Reading, table: TableInfo) -> list[str]:
    """Words the table has no column for, standing where the answer's grouping or measure would be.

    "Which supplier has the best delivery times?" on an orders table: "supplier" names the grouping and
    "delivery" qualifies the measure ("times" alone only loosely matches the order date), so drawing any
    chart would answer another question.
    """
    tokens, unknown = reading.tokens, set(reading.unknown)
    if not unknown:
        return []
    starts = {m.start for m in reading.mentions}
    slots: set[int] = set()
    for i, token in enumerate(tokens):
        # "by engine cylinders": a word before a column it qualifies is not the grouping itself.
        if token in ("which", "by", "per", "each", "across") and i + 2 not in starts:
            slots.add(i + 1)
    for i in range(len(tokens) - 1):
        # "refunded orders", "from premium customers": a word that narrows the rows to some of them. Left
        # out, the total would silently include every row, so a word no column or value explains is asked
        # about, never dropped.
        if is_row_noun(tokens[i + 1], table) or (i and tokens[i - 1] in ("for", "from", "among", "of")):
            slots.add(i)
    for mention in reading.mentions:
        if mention.via != "name" and mention.kind == "time":
            # "delivery times", "wait time": a time word qualified by another noun is a duration or an
            # event the table may not have, not the table's date.
            slots.add(mention.start - 1)
    return [tokens[i] for i in sorted(slots) if 0 <= i < len(tokens) and tokens[i] in unknown]


def _missing_words(missing: list[str], table: TableInfo) -> Clarification:
    names = [c.name for c in table.columns]
    close: list[str] = []
    for word in missing:
        for name in difflib.get_close_matches(word, names, n=2, cutoff=0.5):
            if name not in close:
                close.append(name)
    quoted = " or ".join(f"\u201c{w}\u201d" for w in missing)
    offer = ", ".join(close or names[:8])
    message = (
        f"{table.name} has no column for {quoted}, so I can't answer that without guessing. "
        f"{'Closest columns' if close else 'Its columns are'}: {offer}. Which should I use?"
    )
    return Clarification(message=message, suggestions=first_questions(table))


def _unknown_measure(reading: Reading) -> str | None:
    """A word that sits where a measure should be ("total profit", "profit by region") but is no column."""
    numeric = [m for m in reading.mentions if m.kind == "numeric" or m.agg]
    if numeric or reading.count_rows:
        return None
    unknown = set(reading.unknown)
    tokens = reading.tokens
    for i, token in enumerate(tokens):
        if token not in unknown or token.endswith("ed"):
            continue  # "produced by", "made by": a verb, not a missing measure
        before = tokens[i - 1] if i else ""
        after = tokens[i + 1] if i + 1 < len(tokens) else ""
        if reading.free_aggs and before in ("average", "avg", "mean", "total", "sum", "median", "of"):
            return token
        if after in ("by", "per", "over", "across") or before in ("average", "total", "sum", "median"):
            return token
    return None
