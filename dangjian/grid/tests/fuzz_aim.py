"""Aim the API fuzzer's valid cases at real grid rows (see tests/test_openapi_fuzz.py).

村情民意, 矛盾调解 and 乡贤 share /api/v1/grid/ but are aimed by ``community``'s plugin, so
PREFIX names grid's own endpoints only.
"""

from __future__ import annotations

import itertools
from typing import Any

from dangjian.grid import services
from dangjian.grid.tests.factories import make_grid, make_household
from dangjian.members.tests.factories import make_member

_n = itertools.count(1)
BASE = "/api/v1/grid/"
PREFIX = tuple(
    f"{BASE}{part}" for part in ("grids", "tags", "households", "links", "anchors", "stats")
)


def rows(people: Any, tree: Any) -> dict[str, Any]:
    """A grid in village A1 with households, members, a 中心户 and a link."""
    actor = people.county_admin
    grid = make_grid(tree.village_a1, "模糊测试网格", workers=[people.grid_worker])
    home, linked, spare = (make_household(grid, phone="13900001111") for _ in range(3))
    anchor_member = make_member(actor, tree.village_a1, name="中心户党员")
    free_member = make_member(actor, tree.village_a1, name="待设中心户党员")
    link_member = make_member(actor, tree.village_a1, name="联户党员")
    anchor = services.anchor_create(actor=actor, grid=grid, member=anchor_member, household=home)
    (link,) = services.household_link(actor=actor, member=link_member, households=[linked])
    return {
        "org": tree.village_a1.pk, "grid": grid.pk, "household": spare.pk, "linked": linked.pk,
        "anchor": anchor.pk, "link": link.pk, "free_member": free_member.pk,
        "link_member": link_member.pk, "worker": people.grid_worker.pk,
    }  # fmt: skip


def aim(case: Any, data: Any, x: dict[str, Any], real: Any) -> None:
    """Point path parameters, query parameters and bodies of valid cases at the real rows."""
    path, method = case.operation.path, case.method.upper()
    if not path.startswith(PREFIX):
        return
    params = case.path_parameters or {}
    for name, key in (
        ("grid_id", "grid"), ("household_id", "household"), ("link_id", "link"),
        ("anchor_id", "anchor"),
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
        for name in ("cursor", "start", "end", "tag", "linked", "q"):
            query.pop(name, None)
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
    }  # fmt: skip
    make = bodies.get((method, path[len(BASE) :]))
    if make is not None and real("grid body"):
        case.body = make()
