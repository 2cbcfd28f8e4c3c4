# SPDX-License-Identifier: MIT
"""Stage 2 of the rule planner: the words of a question (stage 1, `words.py`) grounded in the table: which
columns, values, aggregations, groupings, chart words and periods it names, and which words nothing explains.

The reading says nothing yet about the chart; stage 3 (`shaping.py`, `followups.py`) turns it into a Shape.
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field

from chat2chart.sources.catalogue import TableInfo
from chat2chart.sources.semantic import Filter

from . import lexicon
from .grounding import (
    ColumnMention,
    ValueMention,
    column_kind,
    find_columns,
    find_phrases,
    find_values,
    is_function_word,
    is_row_noun,
    tokenize,
)
from .idioms import idiom_positions
from .modifiers import number_of, read_bins, read_numeric_filters, read_rank
from .related import related_mentions
from .timephrases import TimeReading
from .values import NEGATION_WORDS, negated_values, true_flags
from .words import Words, read_words

# Words that may sit between an aggregation word and its column ("average of the MPG").
_SUBJECTS = frozenset(
    {"we", "i", "you", "they", "he", "she", "did", "do", "does", "to", "can", "could", "will"}
)
_FILLER = frozenset({"of", "the", "a", "an", "all", "total", "overall", "in", "my", "our", "their", "its"})
# Words between a column and its value in "status is paid", "status = paid", "region equals Europe".
_SUBJECT_LINKS = frozenset({"is", "are", "was", "equals", "equal", "to", "of", "="})


@dataclass
class Mention:
    """A column named in the question, with what the words around it say about its role."""

    column: str
    kind: str
    start: int
    end: int
    agg: str | None = None
    role: str = ""  # group, series, facet, or "" when bare
    axis: str = ""  # x or y when the question says so
    counted: bool = False  # "number of <column>": the column itself is a count
    via: str = "name"  # how the words matched the column: name, synonym, family, fuzzy, quality, related


@dataclass
class Reading:
    tokens: list[str]
    mentions: list[Mention] = field(default_factory=list)
    values: list[ValueMention] = field(default_factory=list)
    count_rows: bool = False
    free_aggs: list[str] = field(default_factory=list)
    chart: str | None = None
    cues: set[str] = field(default_factory=set)
    rank: tuple[str, int | None] | None = None
    sort: str | None = None
    time: TimeReading = field(default_factory=TimeReading)
    numeric_filters: list[Filter] = field(default_factory=list)
    bins: dict[str, float] = field(default_factory=dict)
    unknown: list[str] = field(default_factory=list)
    # Start positions of values the question leaves out ("excluding Alpha", "where team is not Alpha").
    negated: set[int] = field(default_factory=set)
    used: set[int] = field(default_factory=set)
    fiscal_year_start_month: int = 1  # the workspace's setting, for "FY2025" and "this fiscal year"
    # The question's conditions as filters: numeric ones, values asked for or left out, and its periods
    # bound to the table's time column (set by `stages.ground`, which knows today and the data's last date).
    filters: list[Filter] = field(default_factory=list)
    # How year-less period names were read ("March 2025, the latest March in the data"), said in the answer.
    period_notes: list[str] = field(default_factory=list)

    def columns(self) -> list[str]:
        seen: list[str] = []
        for mention in self.mentions:
            if mention.column not in seen:
                seen.append(mention.column)
        return seen


def read_question(question: str, table: TableInfo) -> Reading:
    """Stages 1 and 2 at once: the question's words grounded in `table`."""
    return ground_words(read_words(question), table)


def ground_words(words: Words, table: TableInfo) -> Reading:
    """Stage 2: the words of stage 1 grounded in `table`'s columns and values, with their roles,
    aggregations, ranks, numeric filters and the words nothing accounts for. `words` is not changed."""
    tokens = list(words.tokens)
    reading = Reading(tokens=tokens)
    reading.time = copy.deepcopy(words.time)
    # "over time", "of all time": idioms were read before grounding; their "time" is not a "Wait Time" column.
    idioms = idiom_positions(words.idioms, (c.name for c in table.columns))
    reading.time.not_columns |= idioms
    reading.time.spans |= idioms
    named = _whole_name_positions(tokens, table)
    # A word inside a column's full name ("Update Count", "Bar Area") is that name, not an aggregation.
    charts = [p for p in words.charts if not set(range(p[0], p[1])) & named]
    aggs = [p for p in words.aggs if not set(range(p[0], p[1])) & named]
    reserved = {i for s, e, _ in charts + aggs for i in range(s, e)} | reading.time.spans
    found = find_columns(tokens, table, reserved)
    found = [
        m
        for m in found
        if not _is_chart_word_only(m, charts)
        and not _is_verb(m, tokens)
        and not _is_filter_where(m, tokens, found)
        and not set(range(m.start, m.end)) & reading.time.not_columns
    ]
    kinds = {c.name: column_kind(c, table.row_count) for c in table.columns}
    reading.mentions = [Mention(m.column, kinds[m.column], m.start, m.end, via=m.via) for m in found]
    taken = {i for m in found for i in range(m.start, m.end)} | reading.time.spans
    reading.values = find_values(tokens, table, taken) + true_flags(found, tokens, table)
    if len(reading.values) and any(v.value is True for v in reading.values):
        flagged = {v.start for v in reading.values if v.value is True}
        found = [m for m in found if m.start not in flagged]
        reading.mentions = [m for m in reading.mentions if m.start not in flagged]
    reading.negated = negated_values(
        tokens, reading.values, {i for m in found for i in range(m.start, m.end)}
    )
    phrases_at = {i for s, e, _ in charts + aggs for i in range(s, e)}
    valued = {i for v in reading.values for i in range(v.start, v.end)}
    mention_starts = {m.start for m in found}
    # "engine cylinders": a word right before a column qualifies it; it is not another column. Nor is
    # "paid" in "paid orders": a word narrowing the rows is a value or nothing (then it is asked about).
    open_words = [
        i
        for i in _open_positions(tokens, table, taken | phrases_at | valued)
        if i + 1 not in mention_starts and not (i + 1 < len(tokens) and is_row_noun(tokens[i + 1], table))
    ]
    related = related_mentions(tokens, open_words, table)
    if related:
        found = sorted([*found, *related], key=lambda m: m.start)
        reading.mentions = [Mention(m.column, kinds[m.column], m.start, m.end, via=m.via) for m in found]
        taken |= {i for m in related for i in range(m.start, m.end)}
    reading.chart = _chart(charts, found)
    _mark_filter_subjects(reading)
    _read_cues(reading)
    _attach_aggs(reading, aggs, table)
    _read_bare_row_noun(reading, table)
    _read_roles(reading)
    _read_axes(reading)
    read_rank(reading)
    read_numeric_filters(reading, table)
    read_bins(reading)
    reading.used = (
        taken
        | {i for s, e, _ in charts + aggs for i in range(s, e)}
        | {i for v in reading.values for i in range(v.start, v.end)}
    )
    reading.unknown = _unknown_words(reading, table)
    return reading


def _whole_name_positions(tokens: list[str], table: TableInfo) -> set[int]:
    """Positions of the words of a column's full name of two or more words, written out in the question."""
    names = [" ".join(tokenize(c.name)) for c in table.columns]
    return {
        i
        for start, end, _ in find_phrases(tokens, [n for n in names if len(n.split()) >= 2])
        for i in range(start, end)
    }


def _mark_filter_subjects(reading: Reading) -> None:
    # "where status is paid": the status column is the filter's subject, not a grouping.
    for mention in reading.mentions:
        for value in reading.values:
            between = reading.tokens[mention.end : value.start]
            if value.column == mention.column and len(between) <= 2 and set(between) <= _SUBJECT_LINKS:
                mention.role = "filter"


def _is_chart_word_only(mention: ColumnMention, charts: list[tuple[int, int, str]]) -> bool:
    # "area chart": the chart word is not the `area` column unless the column is named exactly that.
    return mention.via != "name" and any(s <= mention.start and mention.end <= e for s, e, _ in charts)


def _is_verb(mention: ColumnMention, tokens: list[str]) -> bool:
    # "make a line chart", "plot me ...": an imperative verb is not the `make` (brand) column.
    word = tokens[mention.start]
    following = tokens[mention.end] if mention.end < len(tokens) else ""
    before = tokens[mention.start - 1] if mention.start else ""
    if mention.via == "name":
        return False
    if word in ("make", "plot", "draw", "show") and following in ("a", "an", "me", "the", "it"):
        return True
    # "how much did we make", "what they sell": a verb after its subject is not a `make` or `sell` column.
    return word in ("make", "made", "sell", "sold", "buy", "bought", "spend", "spent") and before in _SUBJECTS


def _is_filter_where(mention: ColumnMention, tokens: list[str], found: list[ColumnMention]) -> bool:
    # "where team is not Alpha": "where" introduces a condition on a named column, it asks for no place.
    return (
        mention.via != "name"
        and tokens[mention.start] == "where"
        and any(m.start == mention.end and m.via == "name" for m in found)
    )


def _chart(charts: list[tuple[int, int, str]], found: list[ColumnMention]) -> str | None:
    columns_at = {i for m in found if m.via == "name" for i in range(m.start, m.end)}
    chosen: str | None = None
    for start, end, phrase in charts:
        if set(range(start, end)) & columns_at:
            continue
        chart = lexicon.CHART_WORDS[phrase]
        # The most specific word wins: "stacked bar chart" says stacked_bar, not bar.
        if chosen is None or (chosen in ("bar", "column") and chart in ("stacked_bar", "grouped_bar")):
            chosen = chart
        elif chosen == "stacked_bar" and chart == "area":
            chosen = "area"
    return chosen


def _read_cues(reading: Reading) -> None:
    tokens = reading.tokens
    for name, phrases in (
        ("relation", lexicon.RELATION_CUES),
        ("distribution", lexicon.DISTRIBUTION_CUES),
        ("trend", lexicon.TREND_CUES),
        ("composition", lexicon.COMPOSITION_CUES),
    ):
        if find_phrases(tokens, phrases):
            reading.cues.add(name)
    if (
        any(
            t
            in (
                "lighter",
                "heavier",
                "faster",
                "slower",
                "cheaper",
                "increase",
                "decrease",
                "rise",
                "fall",
                "grow",
                "decline",
            )
            for t in tokens
        )
        and "when" not in tokens
    ):
        reading.cues.add("change")


def _attach_aggs(reading: Reading, aggs: list[tuple[int, int, str]], table: TableInfo) -> None:
    tokens = reading.tokens
    by_start = {m.start: m for m in reading.mentions}
    for start, end, phrase in aggs:
        agg = lexicon.AGG_WORDS[phrase]
        if agg in ("min", "max") and end < len(tokens) and tokens[end] in ("x", "y", "axis", "value"):
            continue  # "max x axis 5500" sets an axis range, it asks for no aggregation
        target, row_noun = _agg_target(tokens, end, by_start, table)
        if target is None and agg == "count" and start > 0:
            before = [m for m in reading.mentions if m.end == start]
            if before and before[0].kind == "key":
                reading.count_rows = True
                before[0].counted = True
                continue
        if target is None:
            if agg == "count" or row_noun:
                reading.count_rows = reading.count_rows or agg in ("count", "count_distinct")
            else:
                reading.free_aggs.append(agg)
            continue
        _apply_agg(reading, target, agg)


def _read_bare_row_noun(reading: Reading, table: TableInfo) -> None:
    # "orders per month", "entries by region": the table's rows, counted, when nothing else is measured.
    if reading.count_rows or reading.free_aggs or any(m.agg or m.kind == "numeric" for m in reading.mentions):
        return
    tokens = reading.tokens
    for i, token in enumerate(tokens[:-1]):
        if i in reading.time.spans or not is_row_noun(token, table):
            continue
        if tokens[i + 1] in ("per", "by", "each", "every", "across", "over") or i + 1 in reading.time.spans:
            reading.count_rows = True
            return


def _agg_target(
    tokens: list[str], end: int, by_start: dict[int, Mention], table: TableInfo
) -> tuple[Mention | None, bool]:
    i = end
    while i < len(tokens) and i - end <= 3:
        if i in by_start:
            return by_start[i], False
        if is_row_noun(tokens[i], table):
            return None, True
        if tokens[i] not in _FILLER and tokens[i] not in lexicon.QUALITY_WORDS:
            return None, False
        i += 1
    return None, False


def _apply_agg(reading: Reading, mention: Mention, agg: str) -> None:
    if agg in ("count", "count_distinct"):
        if mention.kind == "key":
            reading.count_rows = True
            mention.counted = True
        elif mention.kind in ("numeric", "discrete"):
            # "number of cylinders" is the column itself; "number of signups" its total.
            mention.counted = True
        else:
            mention.agg = "count_distinct"
        return
    mention.agg = agg


def _read_roles(reading: Reading) -> None:
    tokens = reading.tokens
    groups = find_phrases(tokens, lexicon.GROUP_CUES)
    series = find_phrases(tokens, lexicon.SERIES_CUES)
    facets = find_phrases(tokens, lexicon.FACET_CUES)
    skip = {
        "the",
        "a",
        "an",
        "their",
        "its",
        "different",
        "various",
        "each",
        "every",
        "car",
        "cars",
        "of",
        "number",
        "vehicle",
        "model",
        "and",
        "by",
        "in",
        "on",
        "country",
        "all",
        "individual",
    }
    for mention in reading.mentions:
        if mention.role == "filter":
            continue
        for role, cues in (("facet", facets), ("series", series), ("group", groups)):
            if _cue_before(tokens, mention.start, cues, skip) is not None:
                mention.role = role
                break
        after = tokens[mention.end : mention.end + 3]
        if "legend" in after or "legends" in after:
            mention.role = "series"
        elif "separately" in after or "wise" in after[:1]:
            mention.role = "facet" if "separately" in after else "group"
        lead = _cue_before(tokens, mention.start, groups, skip)
        if (
            lead is not None
            and lead[0] == 0
            and lead[2] in ("for each", "for every", "in each", "per", "each")
        ):
            # "For each country, show ..." draws one chart per country: the outermost grouping.
            mention.role = "facet"


def _cue_before(
    tokens: list[str], start: int, cues: list[tuple[int, int, str]], skip: set[str]
) -> tuple[int, int, str] | None:
    for cue in cues:
        if cue[1] > start or start - cue[1] > 3:
            continue
        if all(t in skip for t in tokens[cue[1] : start]):
            return cue
    return None


def _read_axes(reading: Reading) -> None:
    tokens = reading.tokens
    for axis in ("x", "y"):
        for start, end, _ in find_phrases(tokens, [f"{axis} axis", f"{axis} axes", f"on {axis}"]):
            before = [m for m in reading.mentions if 0 <= start - m.end <= 2 and not m.axis]
            after = [m for m in reading.mentions if 0 <= m.start - end <= 4 and not m.axis]
            # "cylinders on the x axis" names the column before; "x axis cylinders" the one after.
            on_before = start > 0 and tokens[start - 1] in ("on", "in", "as", "along", "the")
            pick = before[-1] if before and (on_before or not after) else (after or [None])[0]
            if pick is not None:
                pick.axis = axis


def _unknown_words(reading: Reading, table: TableInfo) -> list[str]:
    positions = _open_positions(reading.tokens, table, reading.used | reading.time.spans)
    return [reading.tokens[i] for i in positions]


def _open_positions(tokens: list[str], table: TableInfo, used: set[int]) -> list[int]:
    """Positions of content words that no column, value, phrase or number accounts for."""
    open_positions: list[int] = []
    for i, token in enumerate(tokens):
        if i in used or number_of(token) is not None:
            continue
        if is_function_word(token) or is_row_noun(token, table) or len(token) <= 2:
            continue
        if token in lexicon.QUALITY_WORDS or token in _FILLER or token in NEGATION_WORDS:
            continue
        open_positions.append(i)
    return open_positions
