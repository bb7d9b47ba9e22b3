"""Calendar endpoints: working days on the Chinese calendar."""

from __future__ import annotations

import datetime as dt

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.params import Query

from dangjian.core import workdays

router = Router(tags=["日历"])


class DateOut(Schema):
    date: dt.date


class CountOut(Schema):
    working_days: int


class DayOut(Schema):
    date: dt.date
    is_working_day: bool


@router.get("/add-working-days", response=DateOut, summary="N 个工作日之后的日期")
def add_working_days(
    request: HttpRequest,
    start: Query[dt.date],
    days: Query[int],
) -> dict[str, dt.date]:
    """The N-th working day after ``start``, not counting ``start`` itself."""
    return {"date": workdays.add_working_days(start, days)}


@router.get("/working-days-between", response=CountOut, summary="两个日期之间的工作日数")
def working_days_between(
    request: HttpRequest, start: Query[dt.date], end: Query[dt.date]
) -> dict[str, int]:
    """Working days in (start, end]."""
    return {"working_days": workdays.working_days_between(start, end)}


@router.get("/is-working-day", response=DayOut, summary="是否工作日")
def is_working_day(request: HttpRequest, date: Query[dt.date]) -> dict[str, object]:
    return {"date": date, "is_working_day": workdays.is_working_day(date)}
