"""Build 乡贤 and a small world of grid work (grids, households, records) through the services."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from dangjian.community import services
from dangjian.community.models import LocalWorthy
from dangjian.community.services import worthy_create
from dangjian.grid import services as grid_services
from dangjian.grid.tests.factories import make_grid, make_household
from dangjian.members.tests.factories import make_member
from dangjian.orgs.models import Organization
from dangjian.orgs.tests.factories import _system_user


def make_worthy(
    org: Organization, name: str = "周德明", *, phone: str = "", **data: Any
) -> LocalWorthy:
    fields = {
        "name": name,
        "background": "retired_teacher",
        "specialty": "邻里纠纷调解",
        "joined_on": data.pop("joined_on", timezone.localdate() - dt.timedelta(days=100)),
        **data,
    }
    return worthy_create(actor=_system_user(), org=org, data=fields, phone=phone)


def make_world(tree: Any, people: Any) -> dict[str, Any]:
    """Two grids (villages A1 and B1) with a household each, a linked member, a 乡贤, and one
    opinion and one mediation recorded by the grid worker in A1's grid."""
    g = make_grid(tree.village_a1, "甲村第一网格", workers=[people.grid_worker])
    gb = make_grid(tree.village_b1, "丙村第一网格")
    h = make_household(g, address="甲村一组 8 号", phone="13912345678", tags=["elderly_alone"])
    hb = make_household(gb, address="丙村三组 2 号")
    m = make_member(people.county_admin, tree.village_a1, name="孙立新")
    grid_services.household_link(actor=people.county_admin, member=m, households=[h])
    w = make_worthy(tree.village_a1, "周德明", phone="13600001234")
    today = timezone.localdate()
    op = services.opinion_record(
        actor=people.grid_worker, grid=g, collected_on=today, category="infrastructure",
        content="村东小桥护栏松动",
    )  # fmt: skip
    med = services.mediation_record(
        actor=people.grid_worker, grid=g, mediated_on=today, dispute_type="neighbour",
        parties=["张三丰", "李四"], summary="排水沟", place="worthy_room", outcome="success",
        agreement="均摊", worthies=[w],
    )  # fmt: skip
    return {"g": g, "gb": gb, "h": h, "hb": hb, "m": m, "w": w, "op": op, "med": med}
