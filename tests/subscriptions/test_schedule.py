# SPDX-License-Identifier: MIT
"""The schedule in the organisation's zone: wall-clock times kept across daylight-saving changes,
weekdays, month ends, cron expressions, and the backlog cap."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from chat2chart.subscriptions.schedule import Schedule, ScheduleError, describe, next_run, runs_between

BERLIN = ZoneInfo("Europe/Berlin")
NEW_YORK = ZoneInfo("America/New_York")


def _local_runs(schedule: Schedule, start: datetime, zone: ZoneInfo, count: int) -> list[str]:
    runs, current = [], start
    for _ in range(count):
        current = next_run(schedule, current, zone)
        runs.append(current.astimezone(zone).strftime("%a %Y-%m-%d %H:%M %Z"))
    return runs


def test_a_daily_report_stays_at_8_local_time_across_both_changes() -> None:
    spring = _local_runs(Schedule("daily", hour=8), datetime(2026, 3, 27, 12, tzinfo=UTC), BERLIN, 3)
    autumn = _local_runs(Schedule("daily", hour=8), datetime(2026, 10, 24, 12, tzinfo=UTC), BERLIN, 2)

    assert spring == ["Sat 2026-03-28 08:00 CET", "Sun 2026-03-29 08:00 CEST", "Mon 2026-03-30 08:00 CEST"]
    assert autumn == ["Sun 2026-10-25 08:00 CET", "Mon 2026-10-26 08:00 CET"]


def test_a_time_skipped_by_the_change_runs_just_after_the_gap_and_a_repeated_one_runs_once() -> None:
    skipped = next_run(Schedule("daily", hour=2, minute=30), datetime(2026, 3, 8, 0, tzinfo=UTC), NEW_YORK)
    repeated = Schedule("daily", hour=1, minute=30)
    first = next_run(repeated, datetime(2026, 11, 1, 4, tzinfo=UTC), NEW_YORK)
    after = next_run(repeated, first, NEW_YORK)

    assert skipped.astimezone(NEW_YORK).strftime("%H:%M %Z") == "03:30 EDT"
    assert first.astimezone(NEW_YORK).strftime("%d %H:%M %Z") == "01 01:30 EDT"
    assert after.astimezone(NEW_YORK).strftime("%d %H:%M %Z") == "02 01:30 EST"


def test_hourly_runs_do_not_repeat_or_vanish_at_the_spring_change() -> None:
    runs = runs_between(
        Schedule("hourly", minute=0),
        datetime(2026, 3, 29, 0, 0, tzinfo=UTC),
        datetime(2026, 3, 29, 4, 0, tzinfo=UTC),
        BERLIN,
        limit=10,
    )
    assert [run.strftime("%H:%M") for run in runs] == ["01:00", "02:00", "03:00", "04:00"]


def test_weekly_and_monthly_pick_their_days_and_the_last_day_of_short_months() -> None:
    weekly = _local_runs(
        Schedule("weekly", hour=9, weekdays=(0, 3)), datetime(2026, 6, 1, 12, tzinfo=UTC), BERLIN, 3
    )
    monthly = _local_runs(
        Schedule("monthly", hour=6, day_of_month=31), datetime(2026, 1, 31, 12, tzinfo=UTC), BERLIN, 2
    )

    assert weekly == ["Thu 2026-06-04 09:00 CEST", "Mon 2026-06-08 09:00 CEST", "Thu 2026-06-11 09:00 CEST"]
    assert monthly == ["Sat 2026-02-28 06:00 CET", "Tue 2026-03-31 06:00 CEST"]


def test_cron_expressions_follow_cron_rules() -> None:
    weekdays = _local_runs(
        Schedule("cron", cron="30 7 * * mon-fri"), datetime(2026, 6, 5, 12, tzinfo=UTC), BERLIN, 2
    )
    either_day = _local_runs(
        Schedule("cron", cron="0 12 1 * 0"), datetime(2026, 6, 1, 12, tzinfo=UTC), BERLIN, 2
    )

    assert weekdays == ["Mon 2026-06-08 07:30 CEST", "Tue 2026-06-09 07:30 CEST"]
    assert either_day == ["Sun 2026-06-07 12:00 CEST", "Sun 2026-06-14 12:00 CEST"]
    assert describe(Schedule("weekly", hour=7, minute=5, weekdays=(3, 0))) == "Weekly on Mon, Thu at 07:05"


@pytest.mark.parametrize(
    ("schedule", "message"),
    [
        (Schedule("cron", cron="every day"), "five fields"),
        (Schedule("cron", cron="0 0 31 2 *"), "never runs"),
        (Schedule("cron", cron="* * * * *"), "more than once an hour"),
        (Schedule("cron", cron="*/15 9 * * *"), "more than once an hour"),
        (Schedule("weekly", weekdays=()), "at least one weekday"),
        (Schedule("daily", hour=24), "hour"),
        (Schedule("fortnightly"), "frequency"),
    ],
)
def test_schedules_that_cannot_run_are_refused_with_the_reason(schedule: Schedule, message: str) -> None:
    with pytest.raises(ScheduleError, match=message):
        next_run(schedule, datetime(2026, 1, 1, tzinfo=UTC), BERLIN)
