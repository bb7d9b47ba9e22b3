"""Reads owned by core: the audit log and notifications."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from dangjian.core.models import AuditLog, CalendarDay, Notification
from dangjian.core.paths import subtrees_q


def audit_entries(
    *,
    roots: list[str],
    include_unscoped: bool = False,
    action: str = "",
    actor_id: int | None = None,
    before_id: int | None = None,
    limit: int = 50,
) -> list[AuditLog]:
    """Audit rows for organizations inside ``roots`` (keyset page, newest first)."""
    scope = subtrees_q("org_path", roots)
    if include_unscoped:
        scope |= Q(org_path="")
    qs = AuditLog.objects.filter(scope).select_related("actor")
    if action:
        qs = qs.filter(action__startswith=action)
    if actor_id:
        qs = qs.filter(actor_id=actor_id)
    if before_id:
        qs = qs.filter(id__lt=before_id)
    return list(qs.order_by("-id")[:limit])


def notifications_for(*, viewer: Any, limit: int = 30) -> QuerySet[Notification]:
    """The viewer's own notifications, newest first."""
    return Notification.objects.filter(recipient=viewer).order_by("-id")[:limit]


def notification_unread_count(*, viewer: Any) -> int:
    """Unread notifications of the viewer (capped at 100: the bell shows 99+)."""
    return Notification.objects.filter(recipient=viewer, read_at__isnull=True)[:100].count()


def calendar_days(*, year: int) -> QuerySet[CalendarDay]:
    """The calendar exceptions (holidays on weekdays, 调休 weekends) of one year."""
    return CalendarDay.objects.filter(
        date__gte=dt.date(year, 1, 1), date__lte=dt.date(year, 12, 31)
    ).order_by("date")
