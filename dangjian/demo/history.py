"""A little real history for the demo: a few writes through the services, so the audit log,
the 用户与授权 page and the tree show everyday work rather than a freshly loaded database.
"""

from __future__ import annotations

import datetime as dt

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
