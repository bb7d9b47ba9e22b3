"""Working days on the Chinese calendar: National Day 2025 and Spring Festival 2026.

National Day 2025: Oct 1–8 off; Sun Sep 28 and Sat Oct 11 are 调休 working days.
Spring Festival 2026: Feb 15–23 off; Sat Feb 14 and Sat Feb 28 are 调休 working days.
Both come from the calendar seeded by migration core.0002.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core import workdays
from dangjian.core.models import AuditLog, CalendarDay
from dangjian.core.services import calendar_day_delete, calendar_day_set
from dangjian.core.workdays import (
    MAX_WORKING_DAYS,
    add_working_days,
    is_working_day,
    working_days_between,
)

D = dt.date


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    # The year cache is per process: a day written by an earlier (rolled-back) test must not leak.
    workdays.clear_cache()
    yield
    workdays.clear_cache()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("day", "expected"),
    [
        # National Day 2025
        (D(2025, 9, 27), False),  # Saturday, an ordinary weekend
        (D(2025, 9, 28), True),  # Sunday, 调休 working day
        (D(2025, 9, 29), True),
        (D(2025, 9, 30), True),  # the day before the holiday
        (D(2025, 10, 1), False),  # the first day off
        (D(2025, 10, 6), False),  # Mid-autumn Festival inside the break
        (D(2025, 10, 8), False),  # the last day off
        (D(2025, 10, 9), True),  # the day after
        (D(2025, 10, 10), True),
        (D(2025, 10, 11), True),  # Saturday, 调休 working day
        (D(2025, 10, 12), False),  # Sunday, ordinary weekend
        # Spring Festival 2026
        (D(2026, 2, 13), True),  # Friday before
        (D(2026, 2, 14), True),  # Saturday, 调休 working day
        (D(2026, 2, 15), False),  # the first day off (a Sunday)
        (D(2026, 2, 16), False),  # Monday inside the break
        (D(2026, 2, 23), False),  # the last day off (a Monday)
        (D(2026, 2, 24), True),  # the day after
        (D(2026, 2, 27), True),
        (D(2026, 2, 28), True),  # Saturday, 调休 working day
        (D(2026, 3, 1), False),  # Sunday, ordinary weekend
    ],
)
def test_is_working_day_around_the_holiday_boundaries(day: dt.date, expected: bool) -> None:
    assert is_working_day(day) is expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "days", "expected"),
    [
        (D(2025, 9, 30), 0, D(2025, 9, 30)),  # zero days is the start itself
        (D(2025, 9, 30), 1, D(2025, 10, 9)),  # the whole break is skipped
        (D(2025, 9, 30), 2, D(2025, 10, 10)),
        (D(2025, 9, 30), 3, D(2025, 10, 11)),  # the 调休 Saturday counts
        (D(2025, 9, 30), 4, D(2025, 10, 13)),
        (D(2025, 9, 26), 1, D(2025, 9, 28)),  # Friday + 1 is the 调休 Sunday, not Monday
        (D(2025, 10, 1), 1, D(2025, 10, 9)),  # starting on a holiday
        (D(2026, 2, 12), 1, D(2026, 2, 13)),
        (D(2026, 2, 13), 1, D(2026, 2, 14)),  # the 调休 Saturday
        (D(2026, 2, 13), 2, D(2026, 2, 24)),
        (D(2026, 2, 14), 1, D(2026, 2, 24)),
        (D(2026, 2, 24), 4, D(2026, 2, 28)),
        (D(2026, 2, 24), 5, D(2026, 3, 2)),
        (D(2025, 12, 31), 1, D(2026, 1, 4)),  # New Year 2026: Jan 1–3 off, Sun Jan 4 works
    ],
)
def test_add_working_days_skips_holidays_and_counts_make_up_days(
    start: dt.date, days: int, expected: dt.date
) -> None:
    assert add_working_days(start, days) == expected


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("start", "end", "expected"),
    [
        (D(2025, 9, 30), D(2025, 9, 30), 0),
        (D(2025, 9, 30), D(2025, 10, 8), 0),  # the whole break
        (D(2025, 9, 30), D(2025, 10, 9), 1),
        (D(2025, 9, 27), D(2025, 10, 12), 6),  # 28, 29, 30, 9, 10, 11
        (D(2025, 10, 12), D(2025, 9, 27), -6),  # reversed is negative
        (D(2026, 2, 13), D(2026, 2, 28), 6),  # 14, 24, 25, 26, 27, 28
        (D(2026, 2, 14), D(2026, 2, 23), 0),
    ],
)
def test_working_days_between_counts_the_half_open_interval(
    start: dt.date, end: dt.date, expected: int
) -> None:
    assert working_days_between(start, end) == expected


@pytest.mark.django_db
def test_working_days_between_agrees_with_add_working_days() -> None:
    start = D(2025, 9, 20)
    for n in range(0, 30):
        assert working_days_between(start, add_working_days(start, n)) == n


@pytest.mark.django_db
@pytest.mark.parametrize("days", [-1, MAX_WORKING_DAYS + 1, 10**9])
def test_add_working_days_refuses_negative_or_absurd_counts(days: int) -> None:
    with pytest.raises(ValidationError) as exc:
        add_working_days(D(2025, 9, 30), days)
    assert exc.value.code == "invalid_days"
    assert exc.value.messages == [f"工作日天数须在 0 到 {MAX_WORKING_DAYS} 之间"]


@pytest.mark.django_db
def test_add_working_days_accepts_the_maximum() -> None:
    assert add_working_days(D(2025, 1, 1), MAX_WORKING_DAYS) > D(2039, 1, 1)


@pytest.mark.django_db
def test_add_working_days_past_the_last_date_is_a_validation_error() -> None:
    assert add_working_days(dt.date.max, 0) == dt.date.max
    with pytest.raises(ValidationError) as exc:
        add_working_days(D(9999, 12, 30), 5)
    assert exc.value.code == "date_out_of_range"
    assert exc.value.messages == ["日期超出可计算的范围"]


@pytest.mark.django_db
def test_working_days_between_refuses_a_huge_range() -> None:
    with pytest.raises(ValidationError) as exc:
        working_days_between(D(2000, 1, 1), D(2100, 1, 1))
    assert exc.value.code == "range_too_large"
    assert exc.value.messages == ["日期跨度过大"]


# --- calendar services ---------------------------------------------------------------------


def test_county_admin_holds_the_calendar_permission_through_the_role(people) -> None:
    assert people.county_admin.has_perm("core.change_calendarday") is True
    assert people.township_a.has_perm("core.change_calendarday") is False
    assert people.inspector.has_perm("core.change_calendarday") is False
    assert people.nobody.has_perm("core.change_calendarday") is False


def test_calendar_day_set_makes_a_new_holiday_take_effect(people) -> None:
    day = D(2025, 10, 9)  # a Thursday, ordinarily a working day
    assert is_working_day(day) is True  # warm the cache for 2025
    audits = AuditLog.objects.count()

    row = calendar_day_set(actor=people.county_admin, date=day, kind="holiday", name="台风停工")

    assert (row.date, row.kind, row.name, row.source) == (day, "holiday", "台风停工", "manual")
    assert is_working_day(day) is False  # the cache was cleared
    assert add_working_days(D(2025, 9, 30), 1) == D(2025, 10, 10)
    assert AuditLog.objects.count() == audits + 1
    log = AuditLog.objects.latest("id")
    assert log.actor == people.county_admin
    assert log.action == "calendar.set"
    assert log.object_type == "core.calendarday"
    assert log.object_id == str(row.pk)
    assert log.changes == {"kind": [None, "holiday"], "name": [None, "台风停工"]}


def test_calendar_day_set_changes_an_existing_day(people) -> None:
    day = D(2025, 10, 11)  # seeded as a 调休 working Saturday
    assert is_working_day(day) is True
    calendar_day_set(actor=people.county_admin, date=day, kind="holiday", name="国庆节")
    assert CalendarDay.objects.get(date=day).kind == "holiday"
    assert is_working_day(day) is False
    assert AuditLog.objects.latest("id").changes == {
        "kind": ["workday", "holiday"],
        "name": ["国庆节", "国庆节"],
    }


def test_calendar_day_set_adds_a_make_up_weekend(people) -> None:
    day = D(2025, 10, 12)  # Sunday
    assert is_working_day(day) is False
    calendar_day_set(actor=people.county_admin, date=day, kind="workday", name="调休")
    assert is_working_day(day) is True
    assert add_working_days(D(2025, 10, 10), 2) == D(2025, 10, 12)


def test_a_workday_on_a_weekday_is_refused(people) -> None:
    before = CalendarDay.objects.count()
    audits = AuditLog.objects.count()
    with pytest.raises(ValidationError) as exc:
        calendar_day_set(actor=people.county_admin, date=D(2025, 10, 10), kind="workday")
    assert exc.value.code == "workday_not_weekend"
    assert exc.value.messages == ["调休上班日必须是周六或周日"]
    assert CalendarDay.objects.count() == before
    assert AuditLog.objects.count() == audits


def test_an_unknown_kind_is_refused(people) -> None:
    before = CalendarDay.objects.count()
    with pytest.raises(ValidationError) as exc:
        calendar_day_set(actor=people.county_admin, date=D(2025, 10, 10), kind="rest")
    assert exc.value.code == "invalid_kind"
    assert CalendarDay.objects.count() == before


def test_a_weekend_holiday_needs_a_name(people) -> None:
    before = CalendarDay.objects.count()
    with pytest.raises(ValidationError) as exc:
        calendar_day_set(actor=people.county_admin, date=D(2025, 10, 12), kind="holiday")
    assert exc.value.code == "name_required"
    assert CalendarDay.objects.count() == before


def test_township_worker_cannot_set_a_calendar_day(people) -> None:
    before = CalendarDay.objects.count()
    audits = AuditLog.objects.count()
    with pytest.raises(PermissionDenied):
        calendar_day_set(actor=people.township_a, date=D(2025, 10, 9), kind="holiday")
    assert CalendarDay.objects.count() == before
    assert not CalendarDay.objects.filter(date=D(2025, 10, 9)).exists()
    assert AuditLog.objects.count() == audits
    assert is_working_day(D(2025, 10, 9)) is True


def test_calendar_day_delete_reverts_the_day_to_the_ordinary_week(people) -> None:
    day = D(2025, 10, 11)  # 调休 Saturday
    assert is_working_day(day) is True
    audits = AuditLog.objects.count()

    calendar_day_delete(actor=people.county_admin, date=day)

    assert not CalendarDay.objects.filter(date=day).exists()
    assert is_working_day(day) is False
    assert AuditLog.objects.count() == audits + 1
    log = AuditLog.objects.latest("id")
    assert (log.action, log.changes) == ("calendar.delete", {"kind": ["workday", None]})


def test_calendar_day_delete_of_an_ordinary_day_is_refused(people) -> None:
    audits = AuditLog.objects.count()
    with pytest.raises(ValidationError) as exc:
        calendar_day_delete(actor=people.county_admin, date=D(2025, 10, 9))
    assert exc.value.code == "not_found"
    assert AuditLog.objects.count() == audits


def test_township_worker_cannot_delete_a_calendar_day(people) -> None:
    before = CalendarDay.objects.count()
    audits = AuditLog.objects.count()
    with pytest.raises(PermissionDenied):
        calendar_day_delete(actor=people.township_a, date=D(2025, 10, 1))
    assert CalendarDay.objects.count() == before
    assert CalendarDay.objects.get(date=D(2025, 10, 1)).kind == "holiday"
    assert AuditLog.objects.count() == audits
