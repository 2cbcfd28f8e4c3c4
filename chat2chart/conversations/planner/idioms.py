# SPDX-License-Identifier: MIT
"""Idioms read before any word is grounded in a column: "over time", "of all time", "at the time".

Their nouns are grammar, not names: "average wait time over time" asks for the table's date axis, and its
second "time" is not the `Wait Time` column; "the most calls of all time" asks for no time at all. A column
whose whole name is the idiom's noun (a column called just "Time") is still named by it. Pure functions.
"""

from __future__ import annotations

from collections.abc import Iterable

from .grounding import find_phrases

# Temporal idioms: "over time" still says the answer runs over the date axis (see lexicon.TREND_CUES), but
# none of their words names a column.
TIME_IDIOMS: tuple[str, ...] = (
    "over time",
    "across time",
    "through time",
    "with time",
    "over the years",
    "through the years",
    "across the years",
    "over the months",
    "over the weeks",
    "of all time",
    "all time",
    "at the time",
    "at a time",
    "at any time",
    "any time",
    "each time",
    "every time",
    "from time to time",
    "time after time",
    "up to date",
)


_NOUNS = frozenset({"time", "years", "months", "weeks", "date"})


def read_idioms(tokens: list[str]) -> list[tuple[int, int, str]]:
    """The temporal idioms of a question, as (start, end, phrase), in question order."""
    return find_phrases(tokens, list(TIME_IDIOMS))


def idiom_positions(idioms: Iterable[tuple[int, int, str]], column_names: Iterable[str]) -> set[int]:
    """Token positions inside the idioms; none of them may ground to a column, unless a column is called
    by the idiom's own noun ("Time", "Years")."""
    whole_names = {name.strip().lower() for name in column_names} & _NOUNS
    positions: set[int] = set()
    for start, end, phrase in idioms:
        if set(phrase.split()) & whole_names:
            continue
        positions |= set(range(start, end))
    return positions
