# SPDX-License-Identifier: MIT
"""Checking a language model's rewording of a finding: it may change the words, never a number.

`numbers_in` reads every number of a text, formatted as people write them ("12.4k", "€1,234", "35 %",
"1.2 million", "-3.5"), with the precision it was written at; `faithful` accepts a rewording only when each
of its numbers is one of the allowed numbers (the template's and the findings') at that precision. No
language model here: the caller makes the call and falls back to the template when this says no.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

_SCALES = {"k": 1e3, "K": 1e3, "m": 1e6, "M": 1e6, "b": 1e9, "B": 1e9, "bn": 1e9, "T": 1e12, "t": 1e12}
_SCALE_WORDS = {"thousand": 1e3, "million": 1e6, "millions": 1e6, "billion": 1e9, "billions": 1e9}
_NUMBER = re.compile(
    r"(?P<sign>[-+−])?\s?[$€£¥]?\s?(?P<int>\d{1,3}(?:,\d{3})+|\d+)(?P<dec>\.\d+)?"
    r"(?:(?P<suffix>bn|[kKmMbBtT])(?![A-Za-z])|\s(?P<word>thousand|millions?|billions?)\b)?"
)


@dataclass(frozen=True)
class WrittenNumber:
    """A number as written: its value and the smallest step its digits express (12.4k: 100)."""

    value: float
    step: float
    signed: bool


def numbers_in(text: str) -> list[WrittenNumber]:
    """Every number in `text`, in order. "12.4k" is 12 400 written to the nearest 100; "35 %" is 35."""
    found = []
    for match in _NUMBER.finditer(text):
        start = match.start("int")
        if (start > 0 and (text[start - 1].isalpha() and text[start - 1] not in "Q")) or (
            start > 0 and text[start - 1] in ".,"
        ):
            continue  # part of a word ("mp3") or of a number already read
        digits = match.group("int").replace(",", "")
        decimals = match.group("dec") or ""
        scale = _SCALES.get(match.group("suffix") or "", 1.0)
        scale *= _SCALE_WORDS.get(match.group("word") or "", 1.0)
        value = float(digits + decimals) * scale
        step = 10 ** -(len(decimals) - 1 if decimals else 0) * scale
        sign = match.group("sign")
        if sign in ("-", "−"):
            value = -value
        found.append(WrittenNumber(value=value, step=step, signed=sign is not None))
    return found


def finding_numbers(findings: Iterable[Any]) -> list[float]:
    """Every number in the findings' JSON (nested dicts and lists), for `faithful`'s allowed set."""
    numbers: list[float] = []

    def walk(value: Any) -> None:
        if isinstance(value, bool) or value is None:
            return
        if isinstance(value, int | float):
            if math.isfinite(float(value)):
                numbers.append(float(value))
        elif isinstance(value, dict):
            for item in value.values():
                walk(item)
        elif isinstance(value, list | tuple):
            for item in value[:200]:
                walk(item)
        elif isinstance(value, str):
            numbers.extend(n.value for n in numbers_in(value))

    for finding in findings:
        walk(finding)
    return numbers


def _matches(written: WrittenNumber, allowed: float) -> bool:
    # A number written at a coarser step than the finding's ("12.4k" for 12,437) is the same number
    # rounded; percentages may also be written from a fraction (0.35 -> "35 %").
    for candidate in (allowed, allowed * 100):
        target = candidate if written.signed else abs(candidate)
        value = written.value if written.signed else abs(written.value)
        if abs(value - target) <= written.step / 2 + 1e-9 * max(1.0, abs(target)):
            return True
    return False


def faithful(template: str, rewritten: str, *, findings: Iterable[Any] = ()) -> bool:
    """Whether `rewritten` keeps to the numbers: each of its numbers is one of the template's or the
    findings' (at the precision it is written), and it keeps at least one number when the template has any.
    """
    written = numbers_in(rewritten)
    allowed = [n.value for n in numbers_in(template)] + finding_numbers(findings)
    if numbers_in(template) and not written:
        return False
    return all(any(_matches(n, a) for a in allowed) for n in written)
