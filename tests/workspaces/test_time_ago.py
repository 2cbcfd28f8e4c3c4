# SPDX-License-Identifier: MIT
"""Times on the data pages read "just now" and "3 minutes ago", never "0 minutes ago"."""

import datetime as dt

import pytest

from chat2chart.core.timeago import time_ago

NOW = dt.datetime(2026, 11, 29, 12, 0, tzinfo=dt.UTC)


@pytest.mark.parametrize(
    ("seconds_ago", "expected"),
    [
        (0, "just now"),
        (44, "just now"),
        (-30, "just now"),  # a clock slightly ahead
        (60, "1 minute ago"),
        (3 * 60 + 20, "3 minutes ago"),
        (59 * 60, "59 minutes ago"),
        (2 * 3600 + 5 * 60, "2 hours ago"),
        (26 * 3600, "1 day ago"),
        (9 * 86400, "1 week ago"),
    ],
)
def test_time_ago_reads_as_a_person_would_say_it(seconds_ago, expected):
    assert time_ago(NOW - dt.timedelta(seconds=seconds_ago), NOW) == expected
