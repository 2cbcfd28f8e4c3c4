# SPDX-License-Identifier: MIT
"""Stage 1 of the rule planner: the words of a question, read without the table.

Tokens, the chart and aggregation phrases, temporal idioms ("over time", "of all time"), period phrases
("in March", "last 12 months", "year over year") and the analytics question ("forecast", "why did … drop").
Nothing here knows a column: `reading.ground_words` (stage 2) grounds these words in the table. See
docs/planner.md for the four stages.
"""

from __future__ import annotations

from dataclasses import dataclass

from . import lexicon
from .analytics import AnalyticsQuestion, read_analytics_question
from .grounding import find_phrases, tokenize
from .idioms import read_idioms
from .timephrases import TimeReading, read_time

Phrase = tuple[int, int, str]  # (first token, one past the last token, the phrase as written in the lexicon)


@dataclass(frozen=True)
class Words:
    """A question's words as read before grounding. Positions index `tokens`.

    `time` is shared with nobody: stage 2 copies it before it adds what the table says ("over time" is not
    a column unless one is called "Time").
    """

    question: str
    tokens: tuple[str, ...]
    charts: tuple[Phrase, ...]  # "line chart", "pie", "stacked bar"
    aggs: tuple[Phrase, ...]  # "average", "total", "number of", "highest"
    idioms: tuple[Phrase, ...]  # "over time", "of all time": grammar, never a column
    time: TimeReading
    analytics: AnalyticsQuestion | None  # "forecast …", "why did … drop", "anything unusual"


def read_words(question: str) -> Words:
    """Stage 1: everything the question's words say before they are matched to the table's columns."""
    tokens = tokenize(question)
    return Words(
        question=question,
        tokens=tuple(tokens),
        charts=tuple(find_phrases(tokens, list(lexicon.CHART_WORDS))),
        aggs=tuple(find_phrases(tokens, list(lexicon.AGG_WORDS))),
        idioms=tuple(read_idioms(tokens)),
        time=read_time(tokens),
        analytics=read_analytics_question(tokens),
    )
