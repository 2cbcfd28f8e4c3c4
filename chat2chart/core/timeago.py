# SPDX-License-Identifier: MIT
"""How long ago something happened, in words: "just now", "3 minutes ago", "2 hours ago"."""

from __future__ import annotations

import datetime as dt

from django.utils.timesince import timesince

JUST_NOW_S = 45


def time_ago(then: dt.datetime, now: dt.datetime) -> str:
    """`then` relative to `now` (both aware, or both naive): "just now" under JUST_NOW_S seconds (and
    when `then` is a little ahead of `now`, a clock skew), else Django's `timesince` to its largest
    unit ("3 minutes ago", "2 hours ago", "1 day ago") with ordinary spaces. `timesince` alone says
    "0 minutes ago" for the first minute."""
    if (now - then).total_seconds() < JUST_NOW_S:
        return "just now"
    return f"{timesince(then, now, depth=1)} ago".replace("\xa0", " ")
