"""A little real history for the demo: a few writes through the services, so the audit log,
the 用户与授权 page and the tree show everyday work rather than a freshly loaded database.
"""

from __future__ import annotations

import datetime as dt

from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.accounts.services import grant_give
from dangjian.demo.generator import Anchor
from dangjian.orgs.models import Organization
from dangjian.orgs.services import org_create, org_update

NEW_GRID_WORKER = ("13900000011", "孙晓东", "Wangge-2026")


def seed_history(users: list[User], anchors: dict[str, Anchor], *, today: dt.date) -> int:
    """Perform a few ordinary service writes as the demo users; returns how many."""
    by_name = {u.username: u for u in users}
    admin, worker = by_name.get("county_admin"), by_name.get("township_a")
    if admin is None or worker is None or "village_a" not in anchors:
        return 0
    township = Organization.objects.get(pk=anchors["township_a"].id)
    village = Organization.objects.get(pk=anchors["village_a"].id)
    writes = 0

    org_update(
        actor=worker,
        org=village,
        phone="0" + str(700 + village.pk % 200) + "-6" + f"{village.pk:06d}"[-6:],
        address=f"{township.display_name.removesuffix('党委')}{village.display_name.removesuffix('党支部')}村委会",
    )
    writes += 1

    project = org_create(
        actor=admin,
        parent=township,
        org_type=Organization.Type.TEMPORARY_BRANCH,
        name=f"{township.display_name.removesuffix('党委')}乡村振兴示范片区建设临时党支部",
        short_name="示范片区临时党支部",
        sector=Organization.Sector.RURAL,
        established_on=today - dt.timedelta(days=45),
    )
    writes += 1
    org_create(
        actor=worker,
        parent=project,
        org_type=Organization.Type.GROUP,
        name="工程建设党小组",
        sector=Organization.Sector.RURAL,
    )
    writes += 1

    mobile, name, password = NEW_GRID_WORKER
    if not User.objects.filter(mobile=mobile).exists():
        grant_give(
            actor=worker,
            login=mobile,
            name=name,
            password=password,
            org=village,
            role="grid_worker",
            valid_from=today - dt.timedelta(days=30),
        )
        writes += 2
    return writes


# Days before ``today``: when the demo's new 党小组 was set up, and (about) when another was
# dissolved — both inside the past year, so the compliance page's past months show them.
GROUP_SET_UP_DAYS_AGO = 200
GROUP_DISSOLVED_DAYS_AGO = 120


def _month_start(day: dt.date) -> dt.date:
    return day.replace(day=1)


def seed_group_history(*, today: dt.date) -> tuple[int, int]:
    """A 党小组 set up and another dissolved in the past year, through the services: the set-up
    group's branch owes 党小组会 from that month only, the dissolved group's meetings before its
    dissolution still count. Runs after the meetings are generated; returns how many changes,
    and how many generated meetings it removed (those the dissolved group held after the date)."""
    from dangjian.accounts.models import RoleGrant
    from dangjian.core.paths import subtree_q
    from dangjian.meetings.models import Meeting
    from dangjian.members.models import Member
    from dangjian.members.services import member_place
    from dangjian.orgs.models import BRANCH_TYPES
    from dangjian.orgs.services import org_dissolve

    users = {
        u.username: u for u in User.objects.filter(username__in=("county_admin", "township_a"))
    }
    admin, worker = users.get("county_admin"), users.get("township_a")
    if admin is None or worker is None:
        return 0, 0
    grant = RoleGrant.objects.filter(user=worker, role="party_worker").select_related("org").first()
    if grant is None:
        return 0, 0
    # The walkthrough's own village keeps its groups as they are.
    walkthrough = set(
        RoleGrant.objects.filter(user__username="village_secretary").values_list(
            "org_id", flat=True
        )
    )
    branches = list(
        Organization.objects.filter(
            subtree_q("path", grant.org.path), org_type__in=BRANCH_TYPES, dissolved_on__isnull=True
        )
        .exclude(pk__in=walkthrough)
        .order_by("path")
    )
    groups: dict[int, list[Organization]] = {}
    for g in Organization.objects.filter(
        parent__in=branches, org_type=Organization.Type.GROUP, dissolved_on__isnull=True
    ).order_by("path"):
        groups.setdefault(g.parent_id or 0, []).append(g)
    current = Member.objects.filter(status=Member.Status.CURRENT)
    changes = removed = 0

    for branch in branches:  # dissolved: its members join the branch's first group
        if len(groups.get(branch.pk, [])) < 2:
            continue
        keep, gone = groups[branch.pk][0], groups[branch.pk][-1]
        on = _month_start(today - dt.timedelta(days=GROUP_DISSOLVED_DAYS_AGO)) + dt.timedelta(
            days=14
        )
        for m in current.filter(group=gone).order_by("id"):
            member_place(actor=admin, member=m, branch=branch, group=keep)
        # The generator does not know about the dissolution: no meetings after it.
        since = timezone.make_aware(dt.datetime.combine(on, dt.time.min))
        later = Meeting.objects.filter(org=gone, held_at__gte=since)
        removed = later.count()
        later.delete()
        org_dissolve(actor=admin, org=gone, on=on)
        changes += 1
        break

    for branch in branches:  # set up: a few members of a branch without groups form one
        if groups.get(branch.pk):
            continue
        people = list(current.filter(branch=branch).order_by("id")[:4])
        if len(people) < 3:
            continue
        group = org_create(
            actor=worker,
            parent=branch,
            org_type=Organization.Type.GROUP,
            name="青年党员党小组",
            sector=branch.sector,
            established_on=_month_start(today - dt.timedelta(days=GROUP_SET_UP_DAYS_AGO))
            + dt.timedelta(days=9),
        )
        for m in people:
            member_place(actor=admin, member=m, branch=branch, group=group)
        changes += 1
        break
    return changes, removed
