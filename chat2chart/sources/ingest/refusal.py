# SPDX-License-Identifier: MIT
"""The rule that a type change never empties a column silently."""

from __future__ import annotations

from chat2chart.core.errors import IngestError

MAX_BLANKED_SHARE = 0.01  # a chosen type may leave at most 1 % of a column's values unreadable
EXAMPLES_SHOWN = 3


def check_type_change(
    column: str, type_: str, *, present: int, blanked: int, examples: list[str], max_share: float
) -> None:
    """Refuse a chosen type under which more than `max_share` (0..1) of a column's `present`
    non-empty values would be `blanked` (left empty), naming how many and up to three examples.

    Raises IngestError with details {"column", "blanked", "present", "examples"}.
    """
    if not blanked or blanked <= max_share * present:
        return
    shown = ", ".join(repr(value) for value in examples[:EXAMPLES_SHOWN])
    raise IngestError(
        f"Column '{column}' cannot be changed to {type_}: {blanked:,} of its {present:,} values "
        f"({blanked / present:.0%}) cannot be read as {type_} and would be left empty, for example "
        f"{shown}. Correct those values, or choose another type or number format.",
        details={
            "column": column,
            "blanked": blanked,
            "present": present,
            "examples": examples[:EXAMPLES_SHOWN],
        },
    )
