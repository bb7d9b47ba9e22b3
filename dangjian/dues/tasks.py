"""Background jobs of 党费: open the month's rows, and tell secretaries about members who have
paid nothing for six months (党章第九条 review)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import Q
from django.urls import reverse
from django_tasks import task

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.core.services import notify
from dangjian.dues.selectors import LapseAlert, lapse_alerts
from dangjian.dues.services import months_open
from dangjian.members.models import Member
from dangjian.orgs.models import Organization

BATCH = 2000


def dues_months_open_all(*, today: dt.date) -> int:
    """Open this month's row for every current member with a dues profile (idempotent)."""
    month = today.replace(day=1)
    created = 0
    last_id = 0
    while True:
        batch = list(
            Member.objects.filter(status=Member.Status.CURRENT, pk__gt=last_id)
            .order_by("pk")
            .only("id", "branch_id", "org_path")[:BATCH]
        )
        if not batch:
            return created
        created += months_open(members=batch, months=[month])
        last_id = batch[-1].pk


def dues_lapse_notify(*, today: dt.date) -> int:
    """Notify each branch's secretaries of its members with six months unpaid; once per
    member and month (the dedupe key), however often the job runs."""
    by_branch: dict[int, list[LapseAlert]] = defaultdict(list)
    for root in Organization.objects.filter(parent__isnull=True, dissolved_on__isnull=True):
        for alert in lapse_alerts(org=root, today=today, limit=100_000):
            by_branch[alert.branch_id].append(alert)
    if not by_branch:
        return 0
    secretaries: dict[int, list[object]] = defaultdict(list)
    grants = (
        RoleGrant.objects.filter(
            role=Role.SECRETARY,
            org_id__in=list(by_branch),
            valid_from__lte=today,
            user__is_active=True,
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .select_related("user")
    )
    for g in grants:
        secretaries[g.org_id].append(g.user)
    sent = 0
    url = reverse("dues:ledger")
    for branch_id, alerts in by_branch.items():
        users = secretaries.get(branch_id)
        if not users:
            continue
        for a in alerts:
            absent = f"，同期组织生活无故缺席 {a.absences} 次" if a.absences else ""
            created = notify(
                recipients=users,
                title=f"{a.name}已连续 {a.months} 个月未交纳党费",
                body=(
                    f"{a.branch_name}党员{a.name}自{a.since:%Y年%-m月}起未交纳党费{absent}。"
                    "按党章第九条，没有正当理由连续六个月不交纳党费的，被认为是自行脱党；"
                    "请先了解情况、谈心谈话、批评教育，再按程序处理。"
                ),
                url=f"{url}?org={branch_id}",
                dedupe_key=f"dues-lapse:{a.member_id}:{today:%Y-%m}",
            )
            sent += len(created)
    return sent


@task()
def dues_daily_task(today_iso: str) -> int:
    """Daily: open this month's dues rows; remind secretaries of six-month arrears."""
    today = dt.date.fromisoformat(today_iso)
    dues_months_open_all(today=today)
    return dues_lapse_notify(today=today)
