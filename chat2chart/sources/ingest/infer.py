# SPDX-License-Identifier: MIT
"""Choose each column's type from a sample of its text, and widen a choice that later rows break.

A type is chosen when every present value of the sample converts under it; the narrowest such
type wins: boolean, integer, decimal, date, datetime, then text.
"""

from __future__ import annotations

import pyarrow as pa
import pyarrow.compute as pc

from chat2chart.sources.ingest.convert import (
    DATE_FORMATS,
    ISO_DATE,
    ZONE_SUFFIX_PATTERN,
    ColumnPlan,
    convert_column,
    prepare,
)

# Inference only calls a column boolean on words; 0/1 columns are numbers, and a column of "F"
# is far more often a code (sex, grade) than "false".
_INFERRED_BOOLEAN_WORDS = pa.array(["true", "false", "yes", "no", "y", "n"])


def infer_plan(values: pa.Array, name: str) -> tuple[ColumnPlan, str | None]:
    """The plan for one column from a sample of its values, and a warning when the choice was a guess."""
    prepared = prepare(values)
    present = pc.filter(prepared.trimmed, pc.invert(prepared.missing))
    plan = ColumnPlan(name=name, type="text")
    if len(present) == 0:
        return plan, None
    present = pc.unique(present)  # each distinct value needs checking only once
    if pc.all(pc.is_in(pc.ascii_lower(present), value_set=_INFERRED_BOOLEAN_WORDS)).as_py():
        return plan.with_type("boolean"), None
    for type_ in ("integer", "decimal"):
        if _fits(present, plan.with_type(type_)):
            return plan.with_type(type_), None
    date_plan, warning = _date_plan(present, plan)
    if date_plan:
        return date_plan, warning
    datetime_plan = plan.with_type("datetime", tz_aware=_any_zoned(present))
    if _fits(present, datetime_plan):
        return datetime_plan, None
    return plan, None


def widen(plan: ColumnPlan, failing: pa.Array) -> ColumnPlan:
    """The next type up that also reads `failing`, values a later chunk held that `plan` could not."""
    if plan.type == "integer" and _fits(failing, plan.with_type("decimal")):
        return plan.with_type("decimal")
    if plan.type == "date" and plan.date_format == ISO_DATE:
        wider = plan.with_type("datetime", date_format=None, tz_aware=_any_zoned(failing))
        if _fits(failing, wider):
            return wider
    return plan.with_type("text", date_format=None, tz_aware=False)


def _fits(values: pa.Array, plan: ColumnPlan) -> bool:
    return convert_column(values, plan).failures == 0


def _any_zoned(values: pa.Array) -> bool:
    return bool(
        pc.any(pc.match_substring_regex(pc.ascii_trim_whitespace(values), ZONE_SUFFIX_PATTERN)).as_py()
    )


def _date_plan(present: pa.Array, plan: ColumnPlan) -> tuple[ColumnPlan | None, str | None]:
    fitting = [fmt for fmt in DATE_FORMATS if _fits(present, plan.with_type("date", date_format=fmt))]
    if not fitting:
        return None, None
    chosen = plan.with_type("date", date_format=fitting[0])
    if {"%m/%d/%Y", "%d/%m/%Y"} <= set(fitting):
        return chosen, (
            f"Dates in column '{plan.name}' could be month/day or day/month; they were read as "
            "month/day/year. If that is wrong, write them as YYYY-MM-DD and upload again."
        )
    return chosen, None
