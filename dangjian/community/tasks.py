"""Background jobs of 村情民意: reminders on the deadline day and once overdue
(件件有着落、事事有回音)."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.urls import reverse
from django_tasks import task

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.community.models import OpinionRecord
from dangjian.core.services import notify
from dangjian.grid.models import Grid

OPEN = (OpinionRecord.Status.RECEIVED, OpinionRecord.Status.HANDLING)


def opinion_reminders_send(*, today: dt.date) -> int:
    """Notify the grid's workers and the village secretary of opinions due today (a warning)
    and of opinions past their deadline (once). Idempotent: one notification per opinion,
    kind and user (``dedupe_key``)."""
    opinions = list(
        OpinionRecord.objects.filter(status__in=OPEN, due_on__lte=today)
        .select_related("org", "grid")
        .order_by("id")
    )
    if not opinions:
        return 0
    workers: dict[int, list[Any]] = {}
    through = Grid.workers.through.objects.filter(
        grid_id__in={o.grid_id for o in opinions if o.grid_id}, user__is_active=True
    ).select_related("user")
    for row in through:
        workers.setdefault(row.grid_id, []).append(row.user)
    secretaries: dict[int, list[Any]] = {}
    grants = (
        RoleGrant.objects.filter(
            role=Role.SECRETARY,
            org_id__in={o.org_id for o in opinions},
            valid_from__lte=today,
            user__is_active=True,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("user")
    )
    for g in grants:
        secretaries.setdefault(g.org_id, []).append(g.user)
    sent = 0
    for op in opinions:
        users = list(
            dict.fromkeys(workers.get(op.grid_id or 0, []) + secretaries.get(op.org_id, []))
        )
        if not users:
            continue
        overdue = today > op.due_on
        place = f"{op.org.display_name}{op.grid.name if op.grid else ''}"
        title = f"{place}：村情民意已逾期未办结" if overdue else f"{place}：村情民意今日到期"
        body = (
            f"{op.collected_on:%Y年%-m月%-d日}收集的“{op.content[:40]}”"
            f"应于{op.due_on:%Y年%-m月%-d日}前办结或答复，请及时办理并登记结果。"
        )
        kind = "overdue" if overdue else "due"
        sent += len(
            notify(
                recipients=users,
                title=title,
                body=body,
                url=reverse("grid:opinion_detail", args=[op.pk]),
                dedupe_key=f"opinion-{kind}:{op.pk}",
            )
        )
    return sent


@task()
def opinion_reminders_task(today_iso: str) -> int:
    """Daily: remind grid workers and secretaries of 村情民意 due today or overdue."""
    return opinion_reminders_send(today=dt.date.fromisoformat(today_iso))
