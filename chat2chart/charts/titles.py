# SPDX-License-Identifier: MIT
"""Chart titles from what a query computes, never from what was typed.

Pure: no Django. "Totl amout by regoin" is a question, not a title: `query_title` names the query's
resolved measures and first grouping with the columns' display titles ("Total amount by region"), and
`result_title` does the same from a result's columns when there is no semantic query (an SQL answer).
`clean_title` is the last step for every title a person or a planner gives: one line, at most
MAX_TITLE_CHARS, a capital first letter.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from chat2chart.sources.semantic import Dimension, Measure, SemanticQuery

MAX_TITLE_CHARS = 200
UNTITLED = "Untitled chart"
_AGG_WORDS = {
    "sum": "Total",
    "avg": "Average",
    "min": "Minimum",
    "max": "Maximum",
    "median": "Median",
}
_GRAIN_WORDS = {
    "hour": "hour",
    "day": "day",
    "week": "week",
    "month": "month",
    "quarter": "quarter",
    "year": "year",
    "weekday": "day of the week",
    "month_of_year": "month of the year",
    "hour_of_day": "hour of the day",
}


def column_title(name: str, labels: Mapping[str, str] | None = None) -> str:
    """A column as a person reads it: its display label when it has one, else its name as words
    ("order_date" → "order date", "orderDate" → "order date")."""
    if labels and labels.get(name):
        return " ".join(str(labels[name]).split())
    spaced = "".join(
        f" {c.lower()}" if c.isupper() and i and name[i - 1].islower() else c for i, c in enumerate(name)
    )
    return " ".join(spaced.replace("_", " ").replace("-", " ").split())


def measure_title(measure: Measure, labels: Mapping[str, str] | None = None) -> str:
    """ "Total amount", "Average price", "Number of rows", "Number of distinct customers"."""
    if measure.alias and not measure.field:
        return column_title(measure.alias, labels)
    if measure.field is None:
        return "Number of rows"
    what = column_title(measure.field, labels)
    if measure.agg == "count":
        return f"Number of {what} values"
    if measure.agg == "count_distinct":
        return f"Number of distinct {what}"
    # "Total total amount" reads badly: a column already named as a total keeps its own name.
    word = _AGG_WORDS.get(measure.agg, measure.agg.replace("_", " ").title())
    if what.lower().startswith(word.lower() + " "):
        return what
    return f"{word} {what}"


def _dimension_title(dimension: Dimension, labels: Mapping[str, str] | None) -> str:
    text = column_title(dimension.field, labels)
    if dimension.granularity:
        text += f" ({_GRAIN_WORDS.get(dimension.granularity, dimension.granularity)})"
    return text


def query_title(query: SemanticQuery, labels: Mapping[str, str] | None = None) -> str:
    """The title of what `query` computes: its shown measures joined by "and", then "by" its first
    grouping and ", split by" the others. `labels` maps column names to display titles."""
    shown = [m for m in query.measures if not m.hidden]
    parts = [measure_title(m, labels) for m in shown]
    parts += [column_title(c.alias, labels) for c in query.calculations if c.alias]
    text = " and ".join(dict.fromkeys(parts)) or "Number of rows"
    if query.dimensions:
        text += f" by {_dimension_title(query.dimensions[0], labels)}"
        text += "".join(f", split by {_dimension_title(d, labels)}" for d in query.dimensions[1:])
    return clean_title(text)


def result_title(columns: Sequence[Mapping[str, Any]]) -> str:
    """A title from a result's columns (wire shape: name, role): its measures by its first dimension."""
    measures = [column_title(str(c["name"])) for c in columns if c.get("role") == "measure"]
    groups = [column_title(str(c["name"])) for c in columns if c.get("role") in ("dimension", "time")]
    if not measures:
        return clean_title(" and ".join(groups[:2]) or UNTITLED)
    text = " and ".join(measures[:3])
    if groups:
        text += f" by {groups[0]}"
    return clean_title(text)


def clean_title(text: Any) -> str:
    """One line of at most MAX_TITLE_CHARS (cut at a word, with "…"), first letter capital; "" stays ""."""
    line = " ".join(str(text or "").split())
    if len(line) > MAX_TITLE_CHARS:
        line = line[: MAX_TITLE_CHARS - 1].rsplit(" ", 1)[0] + "…"
    return line[:1].upper() + line[1:]
