# SPDX-License-Identifier: MIT
"""Modifiers read from a question's words: ranking ("top 5", "the 3 fewest", "highest of a single order"),
numeric filters ("revenue over 1000") and histogram bins ("in bins of 5"). No Django here."""

from __future__ import annotations

from typing import TYPE_CHECKING

from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.semantic import Filter

from . import lexicon
from .grounding import find_phrases
from .timephrases import NUMBER_WORDS

if TYPE_CHECKING:
    from .reading import Reading

_COMPARATORS: tuple[tuple[str, str], ...] = (
    ("greater than or equal to", "gte"),
    ("less than or equal to", "lte"),
    ("more than", "gt"),
    ("greater than", "gt"),
    ("higher than", "gt"),
    ("bigger than", "gt"),
    ("larger than", "gt"),
    ("at least", "gte"),
    ("no less than", "gte"),
    ("less than", "lt"),
    ("lower than", "lt"),
    ("fewer than", "lt"),
    ("smaller than", "lt"),
    ("at most", "lte"),
    ("no more than", "lte"),
    ("above", "gt"),
    ("over", "gt"),
    ("exceeding", "gt"),
    ("exceeds", "gt"),
    ("under", "lt"),
    ("below", "lt"),
    ("equal to", "eq"),
    ("equals", "eq"),
    ("exactly", "eq"),
    (">=", "gte"),
    ("<=", "lte"),
    (">", "gt"),
    ("<", "lt"),
)


def number_of(token: str) -> float | None:
    try:
        return float(token)
    except ValueError:
        return NUMBER_WORDS.get(token) if token not in ("a", "an") else None


def read_rank(reading: Reading) -> None:
    tokens = reading.tokens
    for i, token in enumerate(tokens):
        direction = "desc" if token in lexicon.TOP_WORDS else "asc" if token in lexicon.BOTTOM_WORDS else None
        if direction is None:
            continue
        if _single_row_extreme(reading, i, direction):
            return
        n = None
        for j in (i + 1, i - 1):
            if 0 <= j < len(tokens) and number_of(tokens[j]) and not tokens[j].startswith(("19", "20")):
                value = number_of(tokens[j])
                if value and value == int(value) and 0 < value <= 1000:
                    n = int(value)
                    reading.used.add(j)
                    break
        reading.rank = (direction, n or _counted_group(reading))
        return
    if find_phrases(tokens, lexicon.SORT_ASC):
        reading.sort = "asc"
    elif find_phrases(tokens, lexicon.SORT_DESC):
        reading.sort = "desc"


_COUNT_LEADS = frozenset({"the", "which", "what", "show", "list", "me", "give", "find"})


def _counted_group(reading: Reading) -> int | None:
    """N in "the 3 countries with the fewest orders": a count right before the grouping it limits."""
    tokens = reading.tokens
    starts = {m.start for m in reading.mentions if m.kind in ("category", "key")}
    for k, token in enumerate(tokens[:-1]):
        value = number_of(token)
        if value is None or k + 1 not in starts or token.startswith(("19", "20")):
            continue
        if (k == 0 or tokens[k - 1] in _COUNT_LEADS) and value == int(value) and 0 < value <= 1000:
            reading.used.add(k)
            return int(value)
    return None


def _single_row_extreme(reading: Reading, at: int, direction: str) -> bool:
    """ "Highest revenue of a single order in each channel": the largest value, not the largest total."""
    if not {"single", "individual"} & set(reading.tokens[at:]):
        return False
    numeric = [m for m in reading.mentions if m.start > at and m.kind == "numeric"]
    if not numeric:
        return False
    numeric[0].agg = "max" if direction == "desc" else "min"
    reading.used.add(at)
    return True


def read_numeric_filters(reading: Reading, table: TableInfo) -> None:
    tokens = reading.tokens
    numeric = [m for m in reading.mentions if m.kind in ("numeric", "discrete")]
    for start, end, phrase in find_phrases(tokens, [c for c, _ in _COMPARATORS]):
        value = number_of(tokens[end]) if end < len(tokens) else None
        if value is None:
            continue
        op = dict(_COMPARATORS)[phrase]
        before = [m for m in numeric if 0 <= start - m.end <= 3]
        after = [m for m in numeric if 0 <= m.start - (end + 1) <= 1]
        target = before[-1] if before else after[0] if after else None
        if target is None:
            continue
        reading.numeric_filters.append(Filter(field=target.column, op=op, value=_plain(value)))  # type: ignore[arg-type]
        reading.used |= set(range(start, end + 1))
    for mention in reading.mentions:
        # "5 cylinder cars": a number right before a column of few values is one of those values.
        if mention.kind != "discrete" or mention.start == 0:
            continue
        value = number_of(tokens[mention.start - 1])
        column = table.column(mention.column)
        if value is not None and column and value in column.samples:
            reading.numeric_filters.append(Filter(field=mention.column, op="eq", value=_plain(value)))
            reading.used.add(mention.start - 1)


def _plain(value: float) -> int | float:
    return int(value) if value == int(value) else value


def read_bins(reading: Reading) -> None:
    tokens = reading.tokens
    for i, token in enumerate(tokens):
        value = number_of(token)
        if value is None or value <= 0:
            continue
        window = tokens[max(0, i - 3) : i] + tokens[i + 1 : i + 3]
        if any(w in ("bin", "bins", "bucket", "buckets", "interval", "intervals", "rounded") for w in window):
            count_words = {"number", "into", "bins", "buckets"}
            if value <= 50 and (
                count_words & set(tokens[max(0, i - 3) : i])
                or tokens[i + 1 : i + 2] in (["bins"], ["buckets"])
            ):
                reading.bins["bins"] = _plain(value)
            else:
                reading.bins["bin_width"] = _plain(value)
            reading.used.add(i)
