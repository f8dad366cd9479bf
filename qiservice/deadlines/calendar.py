"""Working-day arithmetic on China's calendar: weekends, statutory holidays and make-up
working days (调休) from the Holiday table.

A year with no Holiday rows is counted on weekends only; `CalendarResult.fallback` says so,
so the caller can tell the user the date may be off.
"""

import datetime
from dataclasses import dataclass

from django.core.cache import cache

from .choices import DayKind


@dataclass(frozen=True)
class CalendarResult:
    day: datetime.date
    fallback: bool  # a year on the way had no calendar data: weekends only


def _table(year):
    """The year's exceptions to the weekday rule, cached for a few minutes (a change of the
    table clears this process's cache at once; other processes see it within the timeout)."""
    from .models import Holiday, calendar_cache_key

    def load():
        return dict(Holiday.objects.filter(date__year=year).values_list("date", "kind"))

    return cache.get_or_set(calendar_cache_key(year), load, 300)


def has_calendar(year):
    return bool(_table(year))


def is_working_day(day):
    kind = _table(day.year).get(day)
    if kind == DayKind.HOLIDAY:
        return False
    if kind == DayKind.WORKDAY:
        return True
    return day.weekday() < 5


def add_working_days(start, days):
    """The date `days` working days after `start` (start itself not counted).

    0 days gives `start` if it is a working day, else the next working day."""
    if days < 0:
        raise ValueError("days must not be negative")
    fallback = not has_calendar(start.year)
    day = start
    if days == 0:
        while not is_working_day(day):
            day += datetime.timedelta(days=1)
            fallback = fallback or not has_calendar(day.year)
        return CalendarResult(day, fallback)
    counted = 0
    while counted < days:
        day += datetime.timedelta(days=1)
        fallback = fallback or not has_calendar(day.year)
        if is_working_day(day):
            counted += 1
    return CalendarResult(day, fallback)


def working_days_between(start, end):
    """Working days after `start` up to and including `end` (0 when end <= start)."""
    count = 0
    day = start
    while day < end:
        day += datetime.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count
