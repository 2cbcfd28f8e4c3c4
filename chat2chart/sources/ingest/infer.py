# SPDX-License-Identifier: MIT
"""Choose each column's type from a sample of its text, and widen a choice that later rows break.

A type is chosen when every present value of the sample converts under it; the narrowest such
type wins: boolean, integer, decimal, date, datetime, then text. Numbers and dates may be written
several ways; `examine` lists the readings a column's values allow, `file_conventions` settles the
file's decimal mark and day order from the columns whose values leave no doubt, and `decide`
picks each column's reading, so one file is read with one convention.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field, replace

import pyarrow as pa
import pyarrow.compute as pc

from chat2chart.sources.ingest.convert import (
    ISO_DATE,
    ZONE_SUFFIX_PATTERN,
    ColumnPlan,
    convert_column,
    prepare,
)
from chat2chart.sources.ingest.dates import LAYOUTS, has_time
from chat2chart.sources.ingest.numbers import NUMBER_FORMATS, number_format, preferred_format

# Inference only calls a column boolean on words; 0/1 columns are numbers, and a column of "F"
# is far more often a code (sex, grade) than "false".
_INFERRED_BOOLEAN_WORDS = pa.array(["true", "false", "yes", "no", "y", "n"])
_ORDER_WORDS = {"DMY": "day/month/year", "MDY": "month/day/year"}


@dataclass(frozen=True)
class Conventions:
    """How a file writes numbers and dates: chosen by the user, settled by its values, or a default."""

    decimal: str | None = None  # "." or ","
    decimal_reason: str = "the usual reading"
    day_order: str | None = None  # "DMY" or "MDY"
    day_order_reason: str = ""
    number_format: str | None = None  # a format the user chose for the whole file
    date_order: str | None = None  # a day order the user chose for the whole file


@dataclass
class ColumnEvidence:
    """What a sample of one column's values allows."""

    name: str
    present: pa.Array  # distinct present values
    boolean: bool = False
    numbers: dict[str, str] = field(default_factory=dict)  # fitting number format -> integer/decimal
    layouts: list[str] = field(default_factory=list)  # fitting date layouts, ISO_DATE first
    timed: bool = False  # some value has a time of day
    digits: bool = True  # every value holds a digit, as every number and date does

    @property
    def decimal_marks(self) -> set[str]:
        return {NUMBER_FORMATS[key].decimal for key in self.numbers}

    @property
    def day_orders(self) -> set[str]:
        return {layout for layout in self.layouts if layout in _ORDER_WORDS}


def examine(values: pa.Array, name: str) -> ColumnEvidence:
    """The readings a sample of a column's text allows."""
    prepared = prepare(values)
    present = pc.unique(pc.filter(prepared.trimmed, pc.invert(prepared.missing)))
    evidence = ColumnEvidence(name=name, present=present)
    if len(present) == 0:
        return evidence
    if pc.all(pc.is_in(pc.ascii_lower(present), value_set=_INFERRED_BOOLEAN_WORDS)).as_py():
        evidence.boolean = True
        return evidence
    if not pc.all(pc.match_substring_regex(present, r"\d")).as_py():
        evidence.digits = False  # plain text: no reading of numbers or dates can fit
        return evidence
    plan = ColumnPlan(name=name, type="text")
    for key in NUMBER_FORMATS:
        for type_ in ("integer", "decimal"):
            if _fits(present, plan.with_type(type_, number_format=key)):
                evidence.numbers[key] = type_
                break
    if evidence.numbers:
        return evidence
    evidence.timed = has_time(present)
    if evidence.timed and _fits(present, plan.with_type("datetime", tz_aware=_any_zoned(present))):
        return evidence  # ISO date-times, with or without offsets, are read by Arrow itself
    if not evidence.timed and _fits(present, plan.with_type("date", date_format=ISO_DATE)):
        evidence.layouts.append(ISO_DATE)
    for layout in LAYOUTS:
        if _fits(present, plan.with_type("datetime", date_format=layout)):
            evidence.layouts.append(layout)
    return evidence


def file_conventions(
    evidence: list[ColumnEvidence], *, delimiter: str | None, chosen: Conventions
) -> Conventions:
    """The decimal mark and day order for a whole file, from the columns that settle them."""
    marks = Counter(next(iter(e.decimal_marks)) for e in evidence if len(e.decimal_marks) == 1)
    orders = Counter(next(iter(e.day_orders)) for e in evidence if len(e.day_orders) == 1)
    decimal, decimal_reason = None, "the usual reading"
    if chosen.number_format:
        decimal, decimal_reason = (
            number_format(chosen.number_format).decimal,
            "the number format chosen for the file",
        )
    elif marks:
        decimal, decimal_reason = marks.most_common(1)[0][0], "as in the other columns of the file"
    elif delimiter == ";":
        decimal, decimal_reason = (
            ",",
            "the file is separated by semicolons, as where a comma is the decimal mark",
        )
    day_order, order_reason = None, ""
    if chosen.date_order:
        day_order, order_reason = chosen.date_order, "the date order chosen for the file"
    elif orders:
        day_order, order_reason = orders.most_common(1)[0][0], "as in the other date columns of the file"
    return Conventions(
        decimal, decimal_reason, day_order, order_reason, chosen.number_format, chosen.date_order
    )


def mixed_conventions(evidence: list[ColumnEvidence]) -> str | None:
    """A warning when some columns can only be read with a decimal point and others only with a comma."""
    by_mark: dict[str, list[str]] = {}
    for seen in evidence:
        if len(seen.decimal_marks) == 1:
            by_mark.setdefault(next(iter(seen.decimal_marks)), []).append(seen.name)
    if len(by_mark) < 2:
        return None
    point, comma = ", ".join(repr(n) for n in by_mark["."][:3]), ", ".join(repr(n) for n in by_mark[","][:3])
    return (
        f"Columns {point} are written with a decimal point and {comma} with a decimal comma; each was "
        "read the only way its values allow. Check that both are right."
    )


def decide(
    evidence: ColumnEvidence,
    conventions: Conventions,
    *,
    number_choice: str | None = None,
    order_choice: str | None = None,
) -> tuple[ColumnPlan, str | None]:
    """The plan for one column, and a warning when its values allowed more than one reading.

    `number_choice` and `order_choice` are the user's choices for this column; they win over the
    file's conventions. A choice the values do not fit leaves the column as text.
    """
    plan = ColumnPlan(name=evidence.name, type="text")
    if evidence.boolean:
        return plan.with_type("boolean"), None
    if evidence.numbers:
        return _number_plan(evidence, conventions, number_choice)
    if evidence.layouts:
        return _date_plan(evidence, conventions, order_choice)
    if not evidence.digits or len(evidence.present) == 0:
        return plan, None
    datetime_plan = plan.with_type("datetime", tz_aware=_any_zoned(evidence.present))
    if _fits(evidence.present, datetime_plan):
        return datetime_plan, None
    return plan, None


def _number_plan(
    evidence: ColumnEvidence, conventions: Conventions, choice: str | None
) -> tuple[ColumnPlan, str | None]:
    plan = ColumnPlan(name=evidence.name, type="text")
    choice = choice or (conventions.number_format if conventions.number_format in evidence.numbers else None)
    if choice:
        if choice not in evidence.numbers:
            return plan, _unfit(evidence, choice, "numbers written like")
        return plan.with_type(evidence.numbers[choice], number_format=choice), None  # type: ignore[arg-type]
    key = preferred_format(list(evidence.numbers), conventions.decimal)
    assert key is not None  # evidence.numbers is not empty
    chosen = plan.with_type(evidence.numbers[key], number_format=key)  # type: ignore[arg-type]
    other = preferred_format(list(evidence.numbers), "," if NUMBER_FORMATS[key].decimal == "." else ".")
    if other is None or NUMBER_FORMATS[other].decimal == NUMBER_FORMATS[key].decimal:
        return chosen, None
    alternative = plan.with_type(evidence.numbers[other], number_format=other)  # type: ignore[arg-type]
    mine = convert_column(evidence.present, chosen).array.cast(pa.float64())
    theirs = convert_column(evidence.present, alternative).array.cast(pa.float64())
    differs = pc.fill_null(pc.not_equal(mine, theirs), False)
    if not pc.any(differs).as_py():
        return chosen, None
    example = pc.filter(evidence.present, differs)[0].as_py()
    return chosen, (
        f"Numbers in column '{evidence.name}' such as '{example}' could be read with a decimal point or a "
        f"decimal comma; they were read as {key} ({conventions.decimal_reason}). If that is wrong, "
        "choose the column's number format."
    )


def _date_plan(
    evidence: ColumnEvidence, conventions: Conventions, choice: str | None
) -> tuple[ColumnPlan, str | None]:
    type_ = "datetime" if evidence.timed else "date"
    plan = ColumnPlan(name=evidence.name, type=type_)  # type: ignore[arg-type]
    orders = evidence.day_orders
    if choice:
        if choice not in evidence.layouts:
            return ColumnPlan(name=evidence.name, type="text"), _unfit(evidence, choice, "dates written as")
        return plan.with_type(type_, date_format=choice), None  # type: ignore[arg-type]
    if len(orders) < 2:
        return plan.with_type(type_, date_format=evidence.layouts[0]), None  # type: ignore[arg-type]
    order, reason = conventions.day_order, conventions.day_order_reason
    if order not in orders:
        order, reason = _default_order(evidence.present)
    return plan.with_type(type_, date_format=order), (  # type: ignore[arg-type]
        f"Dates in column '{evidence.name}' could be month/day or day/month; they were read as "
        f"{_ORDER_WORDS[order]} ({reason}). If that is wrong, choose the column's date order."
    )


def _unfit(evidence: ColumnEvidence, choice: str, kind: str) -> str:
    return (
        f"Column '{evidence.name}' holds values such as '{evidence.present[0].as_py()}' that are not {kind} "
        f"{choice}, so it is kept as text. Choose another format, or a type to read it as."
    )


def _default_order(present: pa.Array) -> tuple[str, str]:
    # Slashes are the American habit; dots and dashes between day and month are European.
    if pc.any(pc.match_substring_regex(present, r"^\d{1,2}/")).as_py():
        return "MDY", "the usual reading of dates written with slashes"
    return "DMY", "the usual reading of dates written with dots or dashes"


def widen(plan: ColumnPlan, failing: pa.Array) -> ColumnPlan:
    """The next reading that also takes `failing`, values a later chunk held that `plan` could not."""
    if plan.type in ("integer", "decimal"):
        for key in [plan.number_format or "1,234.56", *NUMBER_FORMATS]:
            if _fits(failing, plan.with_type("decimal", number_format=key)):
                return plan.with_type("decimal", number_format=key)
    if plan.type == "date" and plan.date_format in (None, ISO_DATE):
        wider = plan.with_type("datetime", date_format=None, tz_aware=_any_zoned(failing))
        if _fits(failing, wider):
            return wider
    if plan.type in ("date", "datetime") and plan.date_format in _ORDER_WORDS:
        # A day over 12 further down settles an order the first rows left open.
        other = "DMY" if plan.date_format == "MDY" else "MDY"
        for type_ in (plan.type, "datetime"):
            if _fits(failing, plan.with_type(type_, date_format=other)):
                return plan.with_type(type_, date_format=other)
    if plan.type == "date" and plan.date_format in LAYOUTS:
        wider = plan.with_type("datetime")
        if _fits(failing, wider):
            return wider
    return plan.with_type("text", date_format=None, number_format=None, tz_aware=False)


def closest_reading(evidence: ColumnEvidence, type_: str, conventions: Conventions) -> ColumnPlan:
    """For a type the user chose, the number format or date layout that reads most of the sample.

    Ties go to the file's conventions, so a chosen type is read the way the rest of the file is.
    """
    plan = ColumnPlan(name=evidence.name, type=type_, forced=True)  # type: ignore[arg-type]
    if type_ in ("integer", "decimal"):
        keys = [conventions.number_format, preferred_format(list(NUMBER_FORMATS), conventions.decimal)]
        candidates = [
            replace(plan, number_format=key) for key in dict.fromkeys([*keys, *NUMBER_FORMATS]) if key
        ]
    elif type_ in ("date", "datetime"):
        orders = [conventions.date_order, conventions.day_order, None, *LAYOUTS]
        candidates = [replace(plan, date_format=layout) for layout in dict.fromkeys(orders)]
    else:
        return plan
    if len(evidence.present) == 0:
        return candidates[0]
    return min(candidates, key=lambda candidate: convert_column(evidence.present, candidate).failures)


_PROBE = 256  # values tried first: most readings a column does not fit fail on its first values


def _fits(values: pa.Array, plan: ColumnPlan) -> bool:
    """Whether every value of `values` converts under `plan` (all of them, whatever the probe says)."""
    if len(values) > 4 * _PROBE and convert_column(values[:_PROBE], plan).failures:
        return False
    return convert_column(values, plan).failures == 0


def _any_zoned(values: pa.Array) -> bool:
    return bool(
        pc.any(pc.match_substring_regex(pc.ascii_trim_whitespace(values), ZONE_SUFFIX_PATTERN)).as_py()
    )
