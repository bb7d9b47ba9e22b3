"""Aim the API fuzzer's valid cases at real 村情民意, 矛盾调解 and 乡贤 rows (see
tests/test_openapi_fuzz.py). Their endpoints sit under /api/v1/grid/ beside grid's own."""

from __future__ import annotations

from typing import Any

from django.utils import timezone

from dangjian.community import services
from dangjian.community.tests.factories import make_worthy
from dangjian.grid.tests.factories import make_grid

BASE = "/api/v1/grid/"
PREFIX = tuple(f"{BASE}{part}" for part in ("opinions", "mediations", "worthies"))


def rows(people: Any, tree: Any) -> dict[str, Any]:
    """A grid in village A1 with a 乡贤, an opinion and a mediation the 乡贤 joined."""
    actor = people.county_admin
    grid = make_grid(tree.village_a1, "模糊测试网格", workers=[people.grid_worker])
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
        "org": tree.village_a1.pk, "grid": grid.pk, "worthy": worthy.pk, "opinion": opinion.pk,
        "mediation": mediation.pk,
    }  # fmt: skip


def aim(case: Any, data: Any, x: dict[str, Any], real: Any) -> None:
    """Point path parameters, query parameters and bodies of valid cases at the real rows."""
    path, method = case.operation.path, case.method.upper()
    if not path.startswith(PREFIX):
        return
    params = case.path_parameters or {}
    for name, key in (
        ("opinion_id", "opinion"), ("mediation_id", "mediation"), ("worthy_id", "worthy"),
    ):  # fmt: skip
        if name in params and real(f"grid {name}"):
            params[name] = x[key]
    if isinstance(case.query, dict) and real("grid query"):
        query = case.query
        for name, key in (("org_id", "org"), ("grid_id", "grid")):
            if name in query:
                query[name] = x[key]
        for name in ("cursor", "status", "category", "outcome", "dispute_type", "place",
                     "background"):  # fmt: skip
            query.pop(name, None)
    today = timezone.localdate().isoformat()
    bodies: dict[tuple[str, str], Any] = {
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
    make = bodies.get((method, path[len(BASE) :]))
    if make is not None and real("grid body"):
        case.body = make()
