# SPDX-License-Identifier: MIT
"""Names for what ingestion creates: SQL-safe table names and clean, unique column names."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence

MAX_TABLE_NAME = 63
MAX_COLUMN_NAME = 128

# Words a query writer would have to quote as table names; a suffix keeps generated SQL simple.
# fmt: off
_RESERVED = frozenset((
    "all", "analyse", "analyze", "and", "any", "array", "as", "asc", "asymmetric", "both", "case",
    "cast", "check", "collate", "column", "constraint", "create", "default", "deferrable", "desc",
    "distinct", "do", "else", "end", "except", "false", "fetch", "for", "foreign", "from", "grant",
    "group", "having", "in", "initially", "intersect", "into", "lateral", "leading", "limit", "offset",
    "on", "only", "or", "order", "placing", "primary", "references", "returning", "select", "some",
    "symmetric", "table", "then", "to", "trailing", "true", "union", "unique", "user", "using",
    "variadic", "when", "where", "window", "with", "join", "inner", "outer", "left", "right", "full",
    "cross", "natural", "pivot", "unpivot", "qualify", "by", "is", "not", "null", "like", "between",
))
# fmt: on


def table_name(raw: str, taken: Iterable[str] = ()) -> str:
    """A lowercase [a-z0-9_] identifier from a file stem or sheet name, unique among `taken`."""
    ascii_text = unicodedata.normalize("NFKD", raw).encode("ascii", "ignore").decode("ascii")
    slug = re.sub(r"[^a-z0-9]+", "_", ascii_text.lower()).strip("_")[:MAX_TABLE_NAME] or "table"
    if slug[0].isdigit():
        slug = f"t_{slug}"[:MAX_TABLE_NAME]
    if slug in _RESERVED:
        slug = f"{slug}_data"
    used = set(taken)
    candidate, n = slug, 2
    while candidate in used:
        suffix = f"_{n}"
        candidate = slug[: MAX_TABLE_NAME - len(suffix)] + suffix
        n += 1
    return candidate


def clean_column_names(raw: Sequence[object]) -> tuple[list[str], list[str]]:
    """Trimmed header names with empty ones named `column_<n>` and repeats numbered `name_2`.

    Names are compared ignoring case because DuckDB resolves identifiers that way. Returns the
    names and one warning per name that had to change.
    """
    names: list[str] = []
    warnings: list[str] = []
    used: set[str] = set()
    for index, value in enumerate(raw, start=1):
        original = "" if value is None else " ".join(str(value).split())[:MAX_COLUMN_NAME]
        base = original or f"column_{index}"
        name, n = base, 2
        while name.casefold() in used:
            name = f"{base}_{n}"
            n += 1
        used.add(name.casefold())
        names.append(name)
        if not original:
            warnings.append(f"Column {index} has no name in the header; it is called '{name}'.")
        elif name != base:
            warnings.append(f"Column {index} repeats the name '{original}'; it is called '{name}'.")
    return names, warnings
