# SPDX-License-Identifier: MIT
"""Words related in meaning to a column's name: the last grounding tier, for words no name, synonym or
family matched ("weight" for a Mass column, "country" for Region, "gas mileage" for Fuel Efficiency).

Each candidate phrase (one content word, or two adjacent ones) and each column name are embedded with
all-MiniLM-L6-v2 (see minilm.py); a phrase is read as a column only when the cosine similarity is high and
clearly above every other column's, so a vague word stays unknown and the planner asks instead of guessing.
The plan's explanation names every word read this way (build.py).
"""

from __future__ import annotations

import logging
from functools import lru_cache

import numpy as np

from chat2chart.sources.catalogue import TableInfo

from . import minilm
from .grounding import ColumnMention, name_words

logger = logging.getLogger(__name__)

# Tuned on the NLV development split with its columns renamed (bench/nl2chart_eval.py --rename) and checked
# against the answer benchmark's wrong-answer rate; see docs/performance.md.
MIN_SIMILARITY = 0.5
MIN_MARGIN = 0.1


def related_mentions(tokens: list[str], positions: list[int], table: TableInfo) -> list[ColumnMention]:
    """Column mentions (via "related") for the words at `positions` that no other tier grounded.

    `positions` index `tokens`; two adjacent positions are also tried as one phrase. Returns non-overlapping
    mentions in question order; an empty list when the model is not installed or nothing is close enough.
    """
    if not positions or not table.columns or not minilm.available():
        return []
    spans = [(i, i + 1) for i in positions]
    spans += [(i, i + 2) for i in positions if i + 1 in positions]
    phrases = tuple(" ".join(tokens[s:e]) for s, e in spans)
    names = tuple(c.name for c in table.columns)
    try:
        similarity = _phrase_vectors(phrases) @ _column_vectors(names).T
    except Exception:  # a broken model install must never stop a question being answered
        logger.exception("sentence-embedding model failed; related-word grounding skipped")
        return []
    candidates: list[ColumnMention] = []
    for row, (start, end) in enumerate(spans):
        order = np.argsort(-similarity[row])
        best = float(similarity[row, order[0]])
        runner_up = float(similarity[row, order[1]]) if len(order) > 1 else 0.0
        if best >= MIN_SIMILARITY and best - runner_up >= MIN_MARGIN:
            candidates.append(ColumnMention(names[order[0]], start, end, round(best, 3), "related"))
    chosen: list[ColumnMention] = []
    taken: set[int] = set()
    for mention in sorted(candidates, key=lambda m: (-m.score, -(m.end - m.start))):
        span = set(range(mention.start, mention.end))
        if not span & taken:
            chosen.append(mention)
            taken |= span
    return sorted(chosen, key=lambda m: m.start)


_PHRASE_CACHE_SIZE = 4096
_phrase_cache: dict[str, np.ndarray] = {}


def _phrase_vectors(phrases: tuple[str, ...]) -> np.ndarray:
    # Questions repeat their words: each phrase is embedded once per process (a bounded cache).
    missing = [p for p in dict.fromkeys(phrases) if p not in _phrase_cache]
    if missing:
        if len(_phrase_cache) + len(missing) > _PHRASE_CACHE_SIZE:
            _phrase_cache.clear()
        _phrase_cache.update(zip(missing, minilm.encode(missing), strict=True))
    return np.stack([_phrase_cache[p] for p in phrases])


@lru_cache(maxsize=256)
def _column_vectors(names: tuple[str, ...]) -> np.ndarray:
    # A conversation asks many questions of one table: its column names are embedded once.
    return minilm.encode([" ".join(name_words(n)) or n.lower() for n in names])
