# SPDX-License-Identifier: MIT
"""When a subscription runs: pure functions over a `Schedule` and a time zone, no Django.

Times are wall-clock times in the organisation's zone, turned into UTC instants day by day, so a daily
08:00 report stays at 08:00 across a daylight-saving change. A wall time the change skips (02:30 on a
spring-forward night) runs at the same instant as the time just after the gap (03:30); a wall time the
change repeats (01:30 on a fall-back night) runs once, at its first occurrence. Cron expressions have the
usual five fields (minute hour day-of-month month day-of-week, 0 or 7 = Sunday), parsed with Celery's
crontab parser; as in cron, when both day fields are restricted a day matching either runs.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from celery.schedules import ParseException, crontab_parser

FREQUENCIES = ("hourly", "daily", "weekly", "monthly", "cron")
# Enough for any cron expression that can run at all (29 February on a Monday recurs within 28 years).
_SEARCH_DAYS = 366 * 29


class ScheduleError(ValueError):
    """The schedule cannot run; the message says which field is wrong."""


@dataclass(frozen=True)
class Schedule:
    """`frequency` one of FREQUENCIES; `hour`/`minute` the wall time (hourly uses only `minute`);
    `weekdays` 0 = Monday … 6 = Sunday (weekly); `day_of_month` 1 to 31, the last day in shorter months
    (monthly); `cron` a five-field expression (cron)."""

    frequency: str
    hour: int = 8
    minute: int = 0
    weekdays: tuple[int, ...] = field(default_factory=tuple)
    day_of_month: int = 1
    cron: str = ""


@dataclass(frozen=True)
class _Cron:
    minutes: frozenset[int]
    hours: frozenset[int]
    days: frozenset[int]
    months: frozenset[int]
    weekdays: frozenset[int]  # cron numbering: 0 = Sunday
    any_day: bool
    any_weekday: bool


def validate(schedule: Schedule) -> None:
    """Raise ScheduleError naming the wrong field; return None for a schedule that runs."""
    if schedule.frequency not in FREQUENCIES:
        raise ScheduleError(f"frequency must be one of {', '.join(FREQUENCIES)}")
    if not 0 <= schedule.minute <= 59:
        raise ScheduleError("minute must be between 0 and 59")
    if not 0 <= schedule.hour <= 23:
        raise ScheduleError("hour must be between 0 and 23")
    if schedule.frequency == "weekly" and (
        not schedule.weekdays or not all(0 <= day <= 6 for day in schedule.weekdays)
    ):
        raise ScheduleError("a weekly schedule needs at least one weekday (0 = Monday … 6 = Sunday)")
    if schedule.frequency == "monthly" and not 1 <= schedule.day_of_month <= 31:
        raise ScheduleError("day of month must be between 1 and 31")
    if schedule.frequency == "cron":
        _parse_cron(schedule.cron)


def next_run(schedule: Schedule, after: datetime, zone: ZoneInfo) -> datetime:
    """The first run strictly after `after` (an aware datetime), as an aware UTC datetime.

    Raises ScheduleError for an invalid schedule or a cron expression that never runs."""
    validate(schedule)
    if after.tzinfo is None:
        raise ValueError("`after` must be an aware datetime")
    cron = _parse_cron(schedule.cron) if schedule.frequency == "cron" else None
    day = after.astimezone(zone).date() - timedelta(days=1)  # the day before covers a fall-back overlap
    for _ in range(_SEARCH_DAYS):
        if _runs_on(schedule, cron, day):
            for wall in _times(schedule, cron):
                instant = datetime.combine(day, wall, tzinfo=zone).astimezone(UTC)
                if instant > after:
                    return instant
        day += timedelta(days=1)
    raise ScheduleError("this cron expression never runs")


def runs_between(
    schedule: Schedule, start: datetime, end: datetime, zone: ZoneInfo, *, limit: int
) -> list[datetime]:
    """Runs after `start` up to and including `end`, oldest first, at most the `limit` latest ones."""
    runs: list[datetime] = []
    current = start
    while True:
        current = next_run(schedule, current, zone)
        if current > end:
            return runs[-limit:] if limit else []
        runs.append(current)
        if len(runs) > limit * 2:  # keep memory bounded after a long outage
            runs = runs[-limit:]


def describe(schedule: Schedule) -> str:
    """A short sentence for lists: "Weekly on Mon, Thu at 08:00"."""
    at = f"{schedule.hour:02d}:{schedule.minute:02d}"
    if schedule.frequency == "hourly":
        return f"Hourly at :{schedule.minute:02d}"
    if schedule.frequency == "daily":
        return f"Daily at {at}"
    if schedule.frequency == "weekly":
        days = ", ".join(calendar.day_abbr[day] for day in sorted(schedule.weekdays))
        return f"Weekly on {days} at {at}"
    if schedule.frequency == "monthly":
        return f"Monthly on day {schedule.day_of_month} at {at}"
    return f"Cron {schedule.cron}"


def _runs_on(schedule: Schedule, cron: _Cron | None, day: date) -> bool:
    if schedule.frequency in ("hourly", "daily"):
        return True
    if schedule.frequency == "weekly":
        return day.weekday() in schedule.weekdays
    if schedule.frequency == "monthly":
        last = calendar.monthrange(day.year, day.month)[1]
        return day.day == min(schedule.day_of_month, last)
    assert cron is not None
    if day.month not in cron.months:
        return False
    day_ok = day.day in cron.days
    weekday_ok = (day.weekday() + 1) % 7 in cron.weekdays
    if cron.any_day or cron.any_weekday:
        return day_ok and weekday_ok
    return day_ok or weekday_ok


def _times(schedule: Schedule, cron: _Cron | None) -> list[time]:
    if schedule.frequency == "hourly":
        return [time(hour, schedule.minute) for hour in range(24)]
    if cron is not None:
        return [time(hour, minute) for hour in sorted(cron.hours) for minute in sorted(cron.minutes)]
    return [time(schedule.hour, schedule.minute)]


def _parse_cron(expression: str) -> _Cron:
    fields = expression.split()
    if len(fields) != 5:
        raise ScheduleError("a cron expression has five fields: minute hour day-of-month month day-of-week")
    minute, hour, day, month, weekday = fields
    try:
        weekdays = {value % 7 for value in crontab_parser(8).parse(weekday)}
        parsed = _Cron(
            minutes=frozenset(crontab_parser(60).parse(minute)),
            hours=frozenset(crontab_parser(24).parse(hour)),
            days=frozenset(crontab_parser(31, 1).parse(day)),
            months=frozenset(crontab_parser(12, 1).parse(month)),
            weekdays=frozenset(weekdays),
            any_day=day == "*",
            any_weekday=weekday == "*",
        )
    except (ParseException, ValueError) as error:
        raise ScheduleError(f"the cron expression {expression!r} is not valid: {error}") from error
    if len(parsed.minutes) != 1:
        # Each run renders a report in a browser and sends it: at most one an hour, as "hourly" does.
        raise ScheduleError(
            f"the cron expression {expression!r} runs more than once an hour; give one minute "
            "(for example 0 * * * * for every hour)"
        )
    return parsed
