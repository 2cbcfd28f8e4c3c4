# SPDX-License-Identifier: MIT
"""Guarding exported cells against spreadsheet formula injection.

Ingestion keeps a cell such as "=HYPERLINK(...)" exactly as uploaded, as data. Only when text
goes back out to CSV or Excel, where a spreadsheet would run it, is it defused here.
"""

from __future__ import annotations

from typing import Any

FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def escape_formula(value: Any) -> Any:
    """Prefix text a spreadsheet would treat as a formula with a single quote; other values pass as is.

    Numbers stay numbers: -5 exported as a number is not a formula, only the text "-5" would be.
    """
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value
