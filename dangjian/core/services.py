"""Writes owned by core: calendar exceptions and notifications."""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.module_loading import import_string

from dangjian.core import workdays
from dangjian.core.audit import audit_record
from dangjian.core.models import CalendarDay, Notification

log = logging.getLogger(__name__)

CALENDAR_PERMISSION = "core.change_calendarday"


@transaction.atomic
def calendar_day_set(*, actor: Any, date: dt.date, kind: str, name: str = "") -> CalendarDay:
    """Create or change one calendar exception; needs the calendar permission; audited."""
    if not actor.has_perm(CALENDAR_PERMISSION):
        raise PermissionDenied("您没有维护节假日的权限")
    if kind not in CalendarDay.Kind.values:
        raise ValidationError("类型只能是“法定节假日”或“调休上班”", code="invalid_kind")
    if kind == CalendarDay.Kind.WORKDAY and date.weekday() < 5:
        raise ValidationError("调休上班日必须是周六或周日", code="workday_not_weekend")
    if kind == CalendarDay.Kind.HOLIDAY and date.weekday() >= 5 and not name:
        raise ValidationError("周末本就休息，登记为节假日时请填写节日名称", code="name_required")
    day, created = CalendarDay.objects.select_for_update().get_or_create(
        date=date, defaults={"kind": kind, "name": name, "source": "manual"}
    )
    before = {"kind": day.kind, "name": day.name}
    if not created:
        day.kind, day.name, day.source = kind, name, "manual"
        day.save(update_fields=["kind", "name", "source", "updated_at"])
    audit_record(
        actor=actor,
        action="calendar.set",
        obj=day,
        changes={
            "kind": [None if created else before["kind"], kind],
            "name": [None if created else before["name"], name],
        },
    )
    workdays.clear_cache()
    transaction.on_commit(workdays.clear_cache)
    return day


@transaction.atomic
def calendar_day_delete(*, actor: Any, date: dt.date) -> None:
    """Remove one calendar exception (the day reverts to the ordinary week); audited."""
    if not actor.has_perm(CALENDAR_PERMISSION):
        raise PermissionDenied("您没有维护节假日的权限")
    day = CalendarDay.objects.filter(date=date).first()
    if day is None:
        raise ValidationError("该日期没有节假日或调休记录", code="not_found")
    audit_record(actor=actor, action="calendar.delete", obj=day, changes={"kind": [day.kind, None]})
    day.delete()
    workdays.clear_cache()
    transaction.on_commit(workdays.clear_cache)


def calendar_import_year(*, year: int) -> int:
    """Load one year's holidays and 调休 days from chinese-calendar; returns rows written."""
    import chinese_calendar

    rows = []
    for day, name in chinese_calendar.constants.holidays.items():
        if day.year == year and day.weekday() < 5:
            rows.append(
                CalendarDay(date=day, kind=CalendarDay.Kind.HOLIDAY, name=_holiday_name(name))
            )
    for day, name in chinese_calendar.constants.workdays.items():
        if day.year == year and day.weekday() >= 5:
            rows.append(
                CalendarDay(date=day, kind=CalendarDay.Kind.WORKDAY, name=_holiday_name(name))
            )
    CalendarDay.objects.bulk_create(rows, ignore_conflicts=True)
    workdays.clear_cache()
    return len(rows)


HOLIDAY_NAMES = {  # kept in step with migration 0002
    "New Year's Day": "元旦",
    "Spring Festival": "春节",
    "Tomb-sweeping Day": "清明节",
    "Labour Day": "劳动节",
    "Dragon Boat Festival": "端午节",
    "National Day": "国庆节",
    "Mid-autumn Festival": "中秋节",
    "Anti-Fascist 70th Day": "抗战胜利纪念日",
}


def _holiday_name(value: Any) -> str:
    return HOLIDAY_NAMES.get(str(value), str(value))


def notify(
    *,
    recipients: Iterable[Any],
    title: str,
    body: str = "",
    url: str = "",
    dedupe_key: str | None = None,
) -> list[Notification]:
    """Deliver a notification in-app and through every configured channel; idempotent per key."""
    created: list[Notification] = []
    for user in recipients:
        try:
            with transaction.atomic():
                note = Notification.objects.create(
                    recipient=user, title=title, body=body, url=url, dedupe_key=dedupe_key
                )
        except IntegrityError:
            continue  # already delivered under this key
        created.append(note)
    for path in settings.NOTIFICATION_CHANNELS:
        channel = import_string(path)
        for note in created:
            try:
                channel(note)
            except Exception:  # a failing SMS gateway must not break the write that notified
                log.exception("notification channel %s failed", path)
    return created


def notification_mark_read(*, actor: Any, ids: list[int] | None = None) -> int:
    """Mark the actor's own notifications read (all of them when ``ids`` is None)."""
    qs = Notification.objects.filter(recipient=actor, read_at__isnull=True)
    if ids is not None:
        qs = qs.filter(id__in=ids)
    return qs.update(read_at=timezone.now())
