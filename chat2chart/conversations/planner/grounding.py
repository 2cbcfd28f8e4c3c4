# SPDX-License-Identifier: MIT
"""Grounding: find the table's columns and cell values in the words of a question.

Columns are found by name (split into words), by synonym, by a looser concept family and by fuzzy spelling;
values by comparing words with each text column's sample values. Cell values are only ever compared as
data: nothing in a cell can change how a question is read.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from rapidfuzz import fuzz
from rapidfuzz.distance import OSA

from chat2chart.sources.catalogue import ColumnInfo, TableInfo

from . import lexicon

_WORD = re.compile(r"[a-z0-9]+(?:\.[0-9]+)?|[<>]=?|%|\$|\?")
_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
# Column roles that can hold many distinct values yet group well.
_DISCRETE_MAX = 25


_MONTH_NAMES = (
    "january", "february", "march", "april", "may", "june",
    "july", "august", "september", "october", "november", "december",
)  # fmt: skip
_YEAR_MONTH = re.compile(r"\b(?P<year>(?:19|20)\d\d)[-/](?P<month>0?[1-9]|1[0-2])\b(?![-/]\d)")
_MONTH_YEAR = re.compile(r"(?<![\d/-])\b(?P<month>0?[1-9]|1[0-2])/(?P<year>(?:19|20)\d\d)\b")


def normalise(text: str) -> str:
    """Lower-case a question and spell its notations as words ("v/s" -> "vs", "AVG(x)" -> "avg x")."""
    text = _CAMEL.sub(" ", text) if text.isascii() and not text.isupper() else text
    text = text.lower()
    text = re.sub(r"\bv/s\b|\bv\.(?=\s)|\bvs\.", " vs ", text)
    text = re.sub(r"(\d),(\d{3})\b", r"\1\2", text)
    text = text.replace("#", " number of ").replace("&", " and ").replace("'s", "")
    # A month written as "2025-03" or "03/2025" is that month, not the year and a number.
    text = _YEAR_MONTH.sub(lambda m: f"{_MONTH_NAMES[int(m['month']) - 1]} {m['year']}", text)
    text = _MONTH_YEAR.sub(lambda m: f"{_MONTH_NAMES[int(m['month']) - 1]} {m['year']}", text)
    text = re.sub(r"[-_/]", " ", text)
    return text


def tokenize(text: str) -> list[str]:
    """Words, numbers and comparison signs of a question, lower-cased."""
    return _WORD.findall(normalise(text))


def singular(word: str) -> str:
    """A cheap English singular: good enough to compare 'weights' with 'weight'."""
    if len(word) <= 3 or word[-1] != "s" or word.endswith(("ss", "us", "is")):
        return word
    if word.endswith("ies") and len(word) > 4:
        return word[:-3] + "y"
    if word.endswith(("ches", "shes", "xes", "sses")):
        return word[:-2]
    return word[:-1]


def name_words(name: str) -> list[str]:
    """The words of a column name: 'orderDate', 'order_date' and 'Order Date' all give ['order', 'date']."""
    spaced = _CAMEL.sub(" ", name)
    return [w for w in re.split(r"[^a-zA-Z0-9]+", spaced.lower()) if w]


def phrase_key(words: list[str] | tuple[str, ...]) -> tuple[str, ...]:
    return tuple(singular(w) for w in words)


@dataclass(frozen=True)
class ColumnMention:
    column: str
    start: int
    end: int  # exclusive
    score: float
    via: str  # name, synonym, family, fuzzy, quality, related


@dataclass(frozen=True)
class ValueMention:
    column: str
    value: Any
    start: int
    end: int
    score: float


@dataclass(frozen=True)
class _Alias:
    key: tuple[str, ...]
    compact: str
    score: float
    via: str


def _alias(words: list[str] | tuple[str, ...], score: float, via: str) -> _Alias:
    key = phrase_key(words)
    return _Alias(key, "".join(key), score, via)


_IDENTIFIER_WORDS = frozenset({"id", "uuid", "guid", "zip", "zipcode", "postcode", "phone"})


def column_kind(column: ColumnInfo, row_count: int | None = None) -> str:
    """time, category, key, discrete (few distinct numbers), numeric or boolean."""
    words = set(name_words(column.name))
    if column.is_temporal:
        return "time"
    if column.type == "integer" and words & {"year", "yr"} and _looks_like_years(column):
        return "time"
    if column.type == "boolean":
        return "category"
    if words & _IDENTIFIER_WORDS and column.type in ("integer", "text"):
        # An id is counted or grouped by, never summed: unique per row it names the rows (an order id),
        # repeated it is a grouping (a customer id on orders).
        rows = row_count or 0
        unique = bool(column.distinct_count and rows and column.distinct_count >= 0.8 * rows)
        return "key" if unique else "category"
    if column.type == "text":
        rows = row_count or 0
        if column.distinct_count and rows and column.distinct_count >= 0.8 * rows and rows > 20:
            return "key"
        return "category"
    additive = bool(words & lexicon.ADDITIVE_WORDS)
    if (
        column.type == "integer"
        and not additive
        and column.distinct_count is not None
        and column.distinct_count <= _DISCRETE_MAX
        and (row_count is None or column.distinct_count < max(row_count, 1) / 4)
    ):
        return "discrete"
    return "numeric"


def _looks_like_years(column: ColumnInfo) -> bool:
    numbers = [s for s in column.samples if isinstance(s, int | float)]
    return bool(numbers) and all(0 <= n <= 99 or 1800 <= n <= 2200 for n in numbers)


def _column_aliases(columns: tuple[tuple[str, str | None, str], ...]) -> dict[str, list[_Alias]]:
    """Aliases of each (name, label, kind) column."""
    aliases: dict[str, list[_Alias]] = {}
    all_words = {name: set(phrase_key(name_words(name))) for name, _, _ in columns}
    for name, label, kind in columns:
        words = name_words(name)
        found = [_alias(words, 1.0, "name")]
        if label:
            found.append(_alias(name_words(label), 1.0, "name"))
        phrase = " ".join(words)
        for group in lexicon.SYNONYM_GROUPS:
            if phrase in group or "".join(words) in group:
                found += [_alias(s.split(), 0.92, "synonym") for s in group]
            elif len(words) > 1 and set(words) & group:
                found += [_alias(s.split(), 0.8, "synonym") for s in group]
        if len(words) > 1:
            # One word of a longer name ("bounce" for bounce_rate), unless another column shares it.
            for word in words:
                # "order" alone means the rows ("per order"), not order_date.
                # Nor does "count" or "total" alone name a "Cylinder Count" or "Total Sales" column.
                if word in lexicon.STOPWORDS or singular(word) in lexicon.ROW_NOUNS or is_function_word(word):
                    continue
                others = [n for n, ws in all_words.items() if n != name and singular(word) in ws]
                if not others:
                    found.append(_alias([word], 0.82, "name"))
        for family in lexicon.CONCEPT_FAMILIES:
            if not ({phrase, *words} & family):
                continue
            rivals = [
                other
                for other, _, other_kind in columns
                if other != name and set(name_words(other)) & family and other_kind == kind
            ]
            if not rivals:
                found += [_alias(s.split(), 0.6, "family") for s in family]
        for quality, target in lexicon.QUALITY_WORDS.items():
            if target in words or target == phrase:
                found.append(_alias([quality], 0.7, "quality"))
        aliases[name] = found
    return aliases


_FUNCTION_WORDS = (
    lexicon.STOPWORDS
    | {w for p in lexicon.AGG_WORDS for w in p.split()}
    | {w for p in lexicon.CHART_WORDS for w in p.split()}
    | {w for p in lexicon.GROUP_CUES + lexicon.SERIES_CUES + lexicon.FACET_CUES for w in p.split()}
    | {w for p in lexicon.TREND_CUES + lexicon.DISTRIBUTION_CUES + lexicon.RELATION_CUES for w in p.split()}
    | set(lexicon.TOP_WORDS)
    | set(lexicon.BOTTOM_WORDS)
)


def is_function_word(word: str) -> bool:
    return word in _FUNCTION_WORDS or singular(word) in _FUNCTION_WORDS


def _fuzzy_score(compact: str, n_words: int, alias: _Alias) -> float:
    if abs(n_words - len(alias.key)) > 1 or min(len(compact), len(alias.compact)) < 3:
        return 0.0
    shorter, longer = sorted((len(compact), len(alias.compact)))
    if longer > shorter * 1.35 + 1:
        return 0.0  # lengths this far apart cannot be a misspelling
    if shorter <= 4:
        # Short words: only a swapped or wrong letter ("mgp" for "mpg").
        if OSA.distance(compact, alias.compact) == 1 and compact[0] == alias.compact[0]:
            return 0.7
        return 0.0
    if len(compact) >= 6 and compact[0] == alias.compact[0] and OSA.distance(compact, alias.compact) == 1:
        return 0.9  # one letter wrong, missing, extra or swapped ("regoin")
    ratio = fuzz.ratio(compact, alias.compact)
    return ratio / 100 if ratio >= (85 if len(compact) >= 7 else 87) else 0.0


def find_columns(
    tokens: list[str], table: TableInfo, reserved: set[int] | None = None
) -> list[ColumnMention]:
    """Non-overlapping column mentions, best first then left to right, returned in question order."""
    reserved = reserved or set()
    aliases = _cached_aliases(table)
    keys = [singular(t) for t in tokens]
    content = [not is_function_word(t) for t in tokens]
    candidates: list[ColumnMention] = []
    for n in range(min(5, len(tokens)), 0, -1):
        for start in range(len(tokens) - n + 1):
            span = tuple(keys[start : start + n])
            compact = "".join(span)
            blocked = any(i in reserved for i in range(start, start + n))
            # Misspellings are looked for only in spans with a content word ("miles per gallaon").
            fuzzy = not blocked and any(content[start : start + n])
            for column, column_aliases in aliases.items():
                best = 0.0
                via = ""
                for alias in column_aliases:
                    if blocked and alias.via != "name":
                        continue
                    if span == alias.key or compact == alias.compact:
                        score, kind = alias.score, alias.via
                    elif fuzzy and alias.via in ("name", "synonym"):
                        score, kind = _fuzzy_score(compact, n, alias) * alias.score * 0.9, "fuzzy"
                    else:
                        continue
                    if score > best:
                        best, via = score, kind
                if best > 0:
                    candidates.append(ColumnMention(column, start, start + n, best, via))
    return _pick(candidates)


def _pick(candidates: list[ColumnMention]) -> list[ColumnMention]:
    chosen: list[ColumnMention] = []
    taken: set[int] = set()
    for mention in sorted(candidates, key=lambda m: (-m.score, -(m.end - m.start), m.start)):
        span = set(range(mention.start, mention.end))
        if span & taken:
            continue
        chosen.append(mention)
        taken |= span
    return sorted(chosen, key=lambda m: m.start)


def find_values(tokens: list[str], table: TableInfo, taken: set[int]) -> list[ValueMention]:
    """Mentions of text cell values (from each column's samples) in the words not already used."""
    keys = [singular(t) for t in tokens]
    candidates: list[ValueMention] = []
    for column in table.columns:
        if column.type not in ("text", "boolean"):
            continue
        for sample in column.samples:
            if sample is None:
                continue
            sample_words = tuple(singular(w) for w in tokenize(str(sample)))
            if not sample_words or len(sample_words) > 5:
                continue
            candidates += _value_candidates(keys, column.name, sample, sample_words, taken)
    chosen: list[ValueMention] = []
    used: set[int] = set()
    for mention in sorted(candidates, key=lambda m: (-m.score, -(m.end - m.start), m.start)):
        span = set(range(mention.start, mention.end))
        if span & used:
            continue
        chosen.append(mention)
        used |= span
    return sorted(chosen, key=lambda m: m.start)


def _value_candidates(
    keys: list[str], column: str, sample: Any, words: tuple[str, ...], taken: set[int]
) -> list[ValueMention]:
    found: list[ValueMention] = []
    n = len(words)
    compact = "".join(words)
    for start in range(len(keys) - n + 1):
        span = range(start, start + n)
        if any(i in taken for i in span):
            continue
        ngram = tuple(keys[start : start + n])
        if ngram == words:
            found.append(ValueMention(column, sample, start, start + n, 1.0))
        elif n == 1 and not is_function_word(ngram[0]) and len(compact) >= 5:
            ratio = fuzz.ratio(ngram[0], compact)
            if ratio >= 90:
                found.append(ValueMention(column, sample, start, start + 1, ratio / 100 * 0.9))
    for start, key in enumerate(keys):
        if start in taken:
            continue
        if compact in lexicon.DEMONYMS.get(key, ()):
            found.append(ValueMention(column, sample, start, start + 1, 0.85))
    return found


@lru_cache(maxsize=64)
def _aliases_for(signature: tuple[tuple[str, str | None, str], ...]) -> dict[str, list[_Alias]]:
    return _column_aliases(signature)


def _cached_aliases(table: TableInfo) -> dict[str, list[_Alias]]:
    # Aliases depend only on names, labels and kinds, so a conversation reuses them across turns.
    signature = tuple((c.name, c.label, column_kind(c, table.row_count)) for c in table.columns)
    return _aliases_for(signature)


def find_phrases(tokens: list[str], phrases: tuple[str, ...] | list[str]) -> list[tuple[int, int, str]]:
    """Non-overlapping occurrences of phrases, longest first, in question order."""
    split = sorted(((tuple(p.split()), p) for p in phrases), key=lambda item: -len(item[0]))
    taken: set[int] = set()
    found: list[tuple[int, int, str]] = []
    for words, phrase in split:
        n = len(words)
        for start in range(len(tokens) - n + 1):
            if tuple(tokens[start : start + n]) == words and not taken & set(range(start, start + n)):
                found.append((start, start + n, phrase))
                taken |= set(range(start, start + n))
    return sorted(found)


def is_row_noun(word: str, table: TableInfo) -> bool:
    """True for a word naming the table's rows ("orders" on an orders table, "records", "entries")."""
    key = singular(word)
    table_words = {singular(w) for w in tokenize(table.name)}
    return key in lexicon.ROW_NOUNS or key in table_words
