"""Daily job of 发展党员: tell branch secretaries about overdue steps and next steps whose
earliest date has come, and township committees about villages without development."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

from django.db.models import F, Q
from django.urls import reverse
from django_tasks import task

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.core.services import notify
from dangjian.orgs.models import Organization
from dangjian.recruitment import rules, selectors
from dangjian.recruitment.models import Applicant

# How many overdue items one notification lists before "等 N 人".
LIST_NAMES = 5


def _grants(role: str, org_ids: set[int], today: dt.date) -> dict[int, list[object]]:
    found: dict[int, list[object]] = defaultdict(list)
    rows = (
        RoleGrant.objects.filter(role=role, org_id__in=org_ids, valid_from__lte=today)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .filter(user__is_active=True)
        .select_related("user")
    )
    for g in rows:
        found[g.org_id].append(g.user)
    return found


def recruitment_alerts_send(*, today: dt.date) -> int:
    """One notification per branch and day for overdue steps, one for steps that became
    possible today, one per township for villages without development (idempotent by key)."""
    active = Applicant.objects.filter(status=Applicant.Status.ACTIVE)
    overdue: dict[int, list[Applicant]] = defaultdict(list)
    for a in (
        active.filter(due_on__lt=today)
        .order_by("due_on")
        .only("id", "org_id", "name", "due_label", "due_on")
    ):
        overdue[a.org_id].append(a)
    ready: dict[int, list[Applicant]] = defaultdict(list)
    held_back = active.filter(next_earliest_on=today, next_earliest_on__gt=F("last_step_on"))
    for a in held_back.only("id", "org_id", "name", "next_step"):
        ready[a.org_id].append(a)
    secretaries = _grants(Role.SECRETARY, set(overdue) | set(ready), today)
    sent = 0
    board = reverse("recruitment:board")
    for org_id, people in overdue.items():
        names = "、".join(f"{a.name}（{a.due_label}）" for a in people[:LIST_NAMES])
        more = f"等{len(people)}人" if len(people) > LIST_NAMES else ""
        sent += len(
            notify(
                recipients=secretaries.get(org_id, []),
                title=f"发展党员：{len(people)}项步骤已超期",
                body=f"{names}{more}，请尽快办理。",
                url=f"{board}?org={org_id}",
                dedupe_key=f"recruit-overdue:{org_id}:{today.isoformat()}",
            )
        )
    for org_id, people in ready.items():
        names = "、".join(a.name for a in people[:LIST_NAMES])
        sent += len(
            notify(
                recipients=secretaries.get(org_id, []),
                title=f"发展党员：{len(people)}人今天起可办理下一步",
                body=f"{names}的下一步今天起可以办理。",
                url=f"{board}?org={org_id}",
                dedupe_key=f"recruit-ready:{org_id}:{today.isoformat()}",
            )
        )
    # 三年未发展党员的村, to the township committees, on the first day of each month.
    if today.day == 1:
        years = rules.load_book(rules.rule_set_for(today)).n("rural_gap_years")
        townships = Organization.objects.filter(
            sector__in=(Organization.Sector.TOWNSHIP, Organization.Sector.SUBDISTRICT),
            dissolved_on__isnull=True,
            parent__isnull=False,
        ).exclude(org_type=Organization.Type.GROUP)
        workers = _grants(Role.PARTY_WORKER, {t.pk for t in townships}, today)
        for town in townships:
            if not workers.get(town.pk):
                continue
            villages = selectors.villages_without_development(org=town, today=today, years=years)
            if not villages:
                continue
            sent += len(
                notify(
                    recipients=workers[town.pk],
                    title=f"{town.display_name}：{len(villages)}个村{years}年未发展党员",
                    body="、".join(v.display_name for v in villages[:10]),
                    url=f"{board}?org={town.pk}",
                    dedupe_key=f"recruit-villages:{town.pk}:{today:%Y-%m}",
                )
            )
    return sent


@task()
def recruitment_alerts_task(today_iso: str) -> int:
    """Daily: overdue steps and next steps now possible to branch secretaries; monthly, villages
    without development to township committees."""
    return recruitment_alerts_send(today=dt.date.fromisoformat(today_iso))
