"""Working days on the Chinese calendar: weekends, statutory holidays and 调休 make-up days.

The exceptions live in ``CalendarDay`` (seeded from chinese-calendar, editable for future
years). Lookups load one year of exceptions at a time and cache them per process for a few
minutes (other processes see an edit within ``CACHE_SECONDS``); a write here clears the cache.
"""

from __future__ import annotations

import datetime as dt
import time

from django.core.exceptions import ValidationError

from dangjian.core.models import CalendarDay

# A guard against runaway loops from absurd inputs (e.g. days=10**9).
MAX_WORKING_DAYS = 3660


CACHE_SECONDS = 300
_cache: dict[int, tuple[float, dict[dt.date, str]]] = {}


def _year_exceptions(year: int) -> dict[dt.date, str]:
    now = time.monotonic()
    hit = _cache.get(year)
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    rows = dict(
        CalendarDay.objects.filter(
            date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
        ).values_list("date", "kind")
    )
    _cache[year] = (now, rows)
    return rows


def clear_cache() -> None:
    _cache.clear()


def is_working_day(day: dt.date) -> bool:
    """Monday–Friday unless a holiday; a weekend day only when it is a 调休 working day."""
    kind = _year_exceptions(day.year).get(day)
    if kind == CalendarDay.Kind.HOLIDAY:
        return False
    if kind == CalendarDay.Kind.WORKDAY:
        return True
    return day.weekday() < 5


def add_working_days(start: dt.date, days: int) -> dt.date:
    """The ``days``-th working day after ``start`` (``start`` itself is not counted)."""
    if days < 0 or days > MAX_WORKING_DAYS:
        raise ValidationError(f"工作日天数须在 0 到 {MAX_WORKING_DAYS} 之间", code="invalid_days")
    day = start
    counted = 0
    while counted < days:
        try:
            day += dt.timedelta(days=1)
        except OverflowError:  # past 9999-12-31
            raise ValidationError("日期超出可计算的范围", code="date_out_of_range") from None
        if is_working_day(day):
            counted += 1
    return day


def working_days_between(start: dt.date, end: dt.date) -> int:
    """Working days in ``(start, end]``; negative when ``end`` is before ``start``."""
    if end < start:
        return -working_days_between(end, start)
    if (end - start).days > MAX_WORKING_DAYS * 2:
        raise ValidationError("日期跨度过大", code="range_too_large")
    count = 0
    day = start
    while day < end:
        day += dt.timedelta(days=1)
        if is_working_day(day):
            count += 1
    return count


def add_months(day: dt.date, months: int) -> dt.date:
    """The same day ``months`` later, clamped to the month's end (Jan 31 + 1 → Feb 28/29)."""
    import calendar as std_calendar

    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    last = std_calendar.monthrange(year, month + 1)[1]
    return dt.date(year, month + 1, min(day.day, last))
