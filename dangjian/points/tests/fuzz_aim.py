"""Aim the API fuzzer's valid cases at real 积分 rows (see tests/test_openapi_fuzz.py).

The fuzzing user is the county administrator (org_admin at the county), linked here to a
member record of 甲村 so the passbook, self-report and commitment endpoints have an owner.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.points import services
from dangjian.points.models import PointsItem, PointsScheme


def _item(code: str, year: int) -> PointsItem:
    return PointsItem.objects.get(scheme__scope__isnull=True, scheme__year=year, code=code)


PREFIX = "/api/v1/points/"


def rows(people: Any, tree: Any) -> dict[str, Any]:
    """Members of 甲村 (one of them the fuzzing user's own), an entry to reverse, a pending
    claim, a township addition scheme, a draft star review of 甲村 and one in 公示 of 乙村."""
    actor = people.county_admin
    today = timezone.localdate()
    own = Member.objects.filter(user=actor).first()
    if own is None:
        own = make_member(actor, tree.village_a1, name="积分本人")
        Member.objects.filter(pk=own.pk).update(user=actor)
        own.refresh_from_db()
    other = make_member(actor, tree.village_a1, name="积分测试")
    make_member(actor, tree.village_a2, name="乙村党员")
    entry = services.points_award_manual(
        actor=actor,
        member=other,
        item=_item("discipline_violation", today.year),
        on=today,
        reason="模糊测试",
    )
    claim = services.claim_submit(
        actor=actor, item=_item("suggestion_adopted", today.year), on=today, description="建议"
    )
    addition = services.scheme_create(
        actor=actor, org=tree.township_b, year=today.year, kind=PointsScheme.Kind.ADDITION
    )
    draft = services.star_review_start(actor=actor, org=tree.village_a1, year=today.year)
    shown = services.star_review_start(actor=actor, org=tree.village_a2, year=today.year)
    services.star_review_publish(actor=actor, review=shown)
    default = PointsScheme.objects.get(scope__isnull=True, year=today.year)
    return {
        "own": own.pk,
        "other": other.pk,
        "entry": entry.pk,
        "claim": claim.pk,
        "default_scheme": default.pk,
        "addition": addition.pk,
        "item": _item("volunteer_service", today.year).pk,
        "manual_item": _item("role_model", today.year).pk,
        "claim_item": _item("suggestion_adopted", today.year).pk,
        "draft": draft.pk,
        "rating": draft.ratings.values_list("pk", flat=True).first(),
        "shown": shown.pk,
        "county": tree.county.pk,
        "township_a": tree.township_a.pk,
        "branch": tree.village_a1.pk,
        "branch_b": tree.village_b1.pk,
    }


def aim(case: Any, data: Any, x: dict[str, Any], real: Any) -> None:
    path, method = case.operation.path, case.method.upper()
    if not path.startswith("/api/v1/points/"):
        return
    today = timezone.localdate()
    params = case.path_parameters or {}
    if "member_id" in params and real("points_member"):
        params["member_id"] = x["own"] if "commitments" in path else x["other"]
    if "entry_id" in params and real("points_entry"):
        params["entry_id"] = x["entry"]
    if "claim_id" in params and real("points_claim"):
        params["claim_id"] = x["claim"]
    if "scheme_id" in params and real("points_scheme"):
        params["scheme_id"] = x["addition"] if path.endswith("/items") else x["default_scheme"]
    if "item_id" in params and real("points_item"):
        params["item_id"] = x["item"]
    if "review_id" in params and real("points_review"):
        params["review_id"] = x["shown"] if path.endswith("/withdraw") else x["draft"]
    if "rating_id" in params and real("points_rating"):
        params["rating_id"] = x["rating"]
    listing = path.endswith(("/board", "/catalogue", "/claims", "/stars"))
    if method == "GET" and listing and real("points_query"):
        case.query = {"org": x["branch"]}
    month_ago = (today.replace(day=1) - dt.timedelta(days=1)).isoformat()
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/api/v1/points/schemes"): lambda: {
            "org_id": x["township_a"], "year": today.year, "kind": "addition",
        },
        ("PATCH", "/api/v1/points/schemes/{scheme_id}"): lambda: {"low_threshold": "60"},
        ("POST", "/api/v1/points/schemes/{scheme_id}/items"): lambda: {
            "code": "river_patrol", "name": "参加河道巡查", "category": "service",
            "points": "2", "mode": "manual",
        },
        ("PATCH", "/api/v1/points/items/{item_id}"): lambda: {"name": "参加志愿服务"},
        ("POST", "/api/v1/points/entries"): lambda: {
            "member_id": x["other"], "item_id": x["manual_item"], "on": today.isoformat(),
            "reason": "模糊测试表彰",
        },
        ("POST", "/api/v1/points/entries/{entry_id}/reverse"): lambda: {"reason": "误录"},
        ("POST", "/api/v1/points/claims"): lambda: {
            "item_id": x["claim_item"], "on": today.isoformat(), "description": "提出建议",
        },
        ("POST", "/api/v1/points/claims/{claim_id}/decide"): lambda: {"approve": True},
        ("POST", "/api/v1/points/periods/close"): lambda: {
            "org_id": x["county"], "kind": "month", "start": month_ago,
        },
        ("PUT", "/api/v1/points/commitments/{member_id}"): lambda: {
            "year": today.year, "text": "带头参加志愿服务",
        },
        ("POST", "/api/v1/points/stars"): lambda: {"org_id": x["branch_b"], "year": today.year},
        ("PUT", "/api/v1/points/stars/{review_id}/ratings/{rating_id}"): lambda: {
            "score": "88", "note": "模糊测试",
        },
        ("POST", "/api/v1/points/stars/{review_id}/withdraw"): lambda: {"reason": "群众有异议"},
    }  # fmt: skip
    make = bodies.get((method, path))
    if make is not None and real("points_body"):
        case.body = make()
