"""Background jobs of organizational life: reminders before a period ends unmet."""

from __future__ import annotations

import datetime as dt

from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django_tasks import task

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.core.services import notify
from dangjian.meetings.compliance.selectors import PENDING, compliance
from dangjian.orgs.models import Organization

# [local] How many days before a month/quarter/year ends a secretary is reminded of a required
# meeting not yet held. Not in the 条例: a common county practice; override with the setting
# MEETING_REMINDER_DAYS.
DEFAULT_REMINDER_DAYS = 7


def reminder_days() -> int:
    return int(getattr(settings, "MEETING_REMINDER_DAYS", DEFAULT_REMINDER_DAYS))


def meeting_reminders_send(*, today: dt.date, days: int | None = None) -> int:
    """Notify branch secretaries of required meetings still not held ``days`` (or fewer) days
    before their period ends. Idempotent: one notification per branch, type, period and user."""
    days = reminder_days() if days is None else days
    start, end = dt.date(today.year, 1, 1), dt.date(today.year, 12, 31)
    due: list[tuple[int, str, str, str, str, dt.date]] = []
    for root in Organization.objects.filter(parent__isnull=True, dissolved_on__isnull=True):
        result = compliance(viewer=None, org=root, start=start, end=end, today=today)
        for branch in result.branches:
            for cell in branch.cells.values():
                for period, status, _n in cell.periods:
                    current = period.start <= today <= period.end
                    if status == PENDING and current and (period.end - today).days <= days:
                        due.append(
                            (
                                branch.org_id,
                                branch.name,
                                cell.meeting_type,
                                cell.label,
                                period.label,
                                period.end,
                            )
                        )
    if not due:
        return 0
    secretaries: dict[int, list[object]] = {}
    grants = (
        RoleGrant.objects.filter(
            role=Role.SECRETARY,
            org_id__in={d[0] for d in due},
            valid_from__lte=today,
            user__is_active=True,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("user")
    )
    for g in grants:
        secretaries.setdefault(g.org_id, []).append(g.user)
    sent = 0
    for branch_id, branch_name, meeting_type, label, period_label, period_end in due:
        users = secretaries.get(branch_id)
        if not users:
            continue
        left = (period_end - today).days
        created = notify(
            recipients=users,
            title=f"{branch_name}：{period_label}{label}尚未开展",
            body=(
                f"距{period_label}结束还有{left}天（{period_end:%Y年%-m月%-d日}截止），"
                f"按组织生活要求应开展{label}，请及时安排并登记。"
            ),
            url=reverse("meetings:plan", args=[branch_id, period_end.year]),
            dedupe_key=f"meeting-reminder:{branch_id}:{meeting_type}:{period_end.isoformat()}",
        )
        sent += len(created)
    return sent


@task()
def meeting_reminders_task(today_iso: str) -> int:
    """Daily: remind secretaries of required meetings not yet held before the period ends."""
    return meeting_reminders_send(today=dt.date.fromisoformat(today_iso))
