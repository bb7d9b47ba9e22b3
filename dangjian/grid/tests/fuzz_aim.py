"""Aim the API fuzzer's valid cases at real grid rows (see tests/test_openapi_fuzz.py)."""

from __future__ import annotations

import itertools
from typing import Any

from django.utils import timezone

from dangjian.grid import services
from dangjian.grid.tests.factories import make_grid, make_household, make_worthy
from dangjian.members.tests.factories import make_member

_n = itertools.count(1)
PREFIX = "/api/v1/grid/"


def rows(people: Any, tree: Any) -> dict[str, Any]:
    """A grid in village A1 with households, members, a 中心户, a link, records and a 乡贤."""
    actor = people.county_admin
    grid = make_grid(tree.village_a1, "模糊测试网格", workers=[people.grid_worker])
    home, linked, spare = (make_household(grid, phone="13900001111") for _ in range(3))
    anchor_member = make_member(actor, tree.village_a1, name="中心户党员")
    free_member = make_member(actor, tree.village_a1, name="待设中心户党员")
    link_member = make_member(actor, tree.village_a1, name="联户党员")
    anchor = services.anchor_create(actor=actor, grid=grid, member=anchor_member, household=home)
    (link,) = services.household_link(actor=actor, member=link_member, households=[linked])
    worthy = make_worthy(tree.village_a1, phone="13600001234")
    today = timezone.localdate()
    opinion = services.opinion_record(
        actor=actor, grid=grid, collected_on=today, category="other", content="模糊测试民意"
    )
    mediation = services.mediation_record(
        actor=actor, grid=grid, mediated_on=today, dispute_type="neighbour", parties=["甲某", "乙某"],
        summary="模糊测试纠纷", place="worthy_room", outcome="success", agreement="和解",
        worthies=[worthy],
    )  # fmt: skip
    return {
        "org": tree.village_a1.pk, "grid": grid.pk, "household": spare.pk, "linked": linked.pk,
        "anchor": anchor.pk, "link": link.pk, "free_member": free_member.pk,
        "link_member": link_member.pk, "worthy": worthy.pk, "opinion": opinion.pk,
        "mediation": mediation.pk, "worker": people.grid_worker.pk,
    }  # fmt: skip


def aim(case: Any, data: Any, x: dict[str, Any], real: Any) -> None:
    """Point path parameters, query parameters and bodies of valid cases at the real rows."""
    path, method = case.operation.path, case.method.upper()
    if not path.startswith(PREFIX):
        return
    params = case.path_parameters or {}
    for name, key in (
        ("grid_id", "grid"), ("household_id", "household"), ("link_id", "link"),
        ("anchor_id", "anchor"), ("opinion_id", "opinion"), ("mediation_id", "mediation"),
        ("worthy_id", "worthy"),
    ):  # fmt: skip
        if name in params and real(f"grid {name}"):
            params[name] = x[key]
    if isinstance(case.query, dict) and real("grid query"):
        query = case.query
        for name, key in (
            ("org_id", "org"), ("grid_id", "grid"), ("household_id", "linked"),
            ("member_id", "link_member"),
        ):  # fmt: skip
            if name in query:
                query[name] = x[key]
        for name in ("cursor", "start", "end", "tag", "linked", "status", "category", "outcome",
                     "dispute_type", "place", "background", "q"):  # fmt: skip
            query.pop(name, None)
    today = timezone.localdate().isoformat()
    n = next(_n)
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "grids"): lambda: {"org_id": x["org"], "name": f"模糊网格{n}", "worker_ids": [x["worker"]]},
        ("PATCH", "grids/{grid_id}"): lambda: {"area_description": "村东 1—3 组"},
        ("POST", "households"): lambda: {
            "grid_id": x["grid"], "address": f"模糊一组 {n} 号", "head_name": "王某", "size": 2,
            "tags": ["dibao"],
        },
        ("PATCH", "households/{household_id}"): lambda: {"size": 3, "tags": ["disabled"]},
        ("POST", "links"): lambda: {"member_id": x["link_member"], "household_ids": [x["household"]]},
        ("POST", "links/{link_id}/end"): lambda: {},
        ("POST", "anchors"): lambda: {"grid_id": x["grid"], "member_id": x["free_member"]},
        ("POST", "anchors/{anchor_id}/end"): lambda: {},
        ("POST", "opinions"): lambda: {
            "grid_id": x["grid"], "collected_on": today, "category": "infrastructure",
            "content": "路灯不亮",
        },
        ("POST", "opinions/{opinion_id}/handle"): lambda: {"status": "handling", "handling": "已报修"},
        ("POST", "mediations"): lambda: {
            "grid_id": x["grid"], "mediated_on": today, "dispute_type": "land",
            "parties": ["张某", "李某"], "summary": "地界", "place": "committee",
            "outcome": "referred", "referred_to": "镇司法所", "worthy_ids": [x["worthy"]],
        },
        ("POST", "worthies"): lambda: {
            "org_id": x["org"], "name": "模糊乡贤", "background": "model", "joined_on": today,
        },
        ("PATCH", "worthies/{worthy_id}"): lambda: {"specialty": "婚姻家庭纠纷"},
    }  # fmt: skip
    make = bodies.get((method, path[len(PREFIX) :]))
    if make is not None and real("grid body"):
        case.body = make()
