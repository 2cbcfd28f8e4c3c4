# SPDX-License-Identifier: MIT
"""What a person typed into the search box, as the words of a PostgreSQL prefix query.

Pure: no Django. `search_terms("Totl amount, by-region")` gives ["totl", "amount", "by", "region"]; the
selector turns them into `to_tsquery` text in which every word is a prefix (`amount:* & region:*`), so
results appear while the person is still typing.
"""

from __future__ import annotations

import re

MAX_TERMS = 8
MAX_QUERY_CHARS = 200
# Letters and digits of any script; everything else (tsquery operators included) separates words.
_WORD = re.compile(r"[^\W_]+", re.UNICODE)


def search_terms(text: str) -> list[str]:
    """The distinct lower-case words of `text`, at most MAX_TERMS, in the order typed."""
    words = _WORD.findall((text or "")[:MAX_QUERY_CHARS].lower())
    return list(dict.fromkeys(words))[:MAX_TERMS]


def prefix_tsquery(terms: list[str]) -> str:
    """`to_tsquery` text matching rows that have every term as a word prefix; "" for no terms."""
    return " & ".join(f"{term}:*" for term in terms)


def matches_every_term(text: str, terms: list[str]) -> bool:
    """Whether each term starts some word of `text` (how a column name is picked out of a table)."""
    words = search_terms_all(text)
    return all(any(word.startswith(term) for word in words) for term in terms)


def search_terms_all(text: str) -> list[str]:
    """Every word of `text`, lower-case, with snake_case and camelCase split ("orderDate" → order, date)."""
    spaced = re.sub(r"([a-z0-9])([A-Z])", r"\1 \2", text or "")
    return _WORD.findall(spaced.replace("_", " ").lower())
