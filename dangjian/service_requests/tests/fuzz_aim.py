"""Aim the API fuzzer's valid cases at real service requests (see tests/test_openapi_fuzz.py).

Each transition endpoint gets its own request in a state that allows it; a transition can
succeed only once, so the first valid case gets a 2xx and repeats are refused with a 400.
"""

from __future__ import annotations

import base64
import io
from typing import Any

from PIL import Image

from dangjian.grid.tests.factories import make_grid
from dangjian.members.tests.factories import make_member
from dangjian.service_requests import services
from dangjian.service_requests.models import RequestCategory

PREFIX = "/api/v1/requests/"


def _png() -> str:
    buf = io.BytesIO()
    Image.new("RGB", (8, 8), "red").save(buf, format="PNG")
    return base64.b64encode(buf.getvalue()).decode()


def rows(people: Any, tree: Any) -> dict[str, Any]:
    """One request per transition, in a state that allows it, in 甲村's grids."""
    actor = people.county_admin
    grid = make_grid(tree.village_a1, "诉求测试一网格")
    other = make_grid(tree.village_a1, "诉求测试二网格")
    member = make_member(actor, tree.village_a1, name="派单测试")
    policy = RequestCategory.objects.get(code="policy")

    def new() -> Any:
        req, token = services.request_submit(
            category=policy, grid=grid, description="模糊测试诉求", resident_phone="13912345678"
        )
        req._raw_token = token
        return req

    def claimed() -> Any:
        return services.request_claim(actor=actor, request=new())

    def dispatched() -> Any:
        return services.request_dispatch(actor=actor, request=claimed(), members=[member])

    waiting = services.request_wait(actor=actor, request=dispatched(), note="请补充")
    reported = new()
    services.request_claim(actor=actor, request=reported)
    services.request_dispatch(actor=actor, request=reported, members=[member])
    services.request_report(actor=actor, request=reported, note="已办", photos=[_FakePhoto()])
    services.request_rate(token=reported._raw_token, rating="satisfied")
    rated = new()
    services.request_claim(actor=actor, request=rated)
    services.request_dispatch(actor=actor, request=rated, members=[member])
    services.request_report(actor=actor, request=rated, note="已办", photos=[_FakePhoto()])
    services.request_rate(token=rated._raw_token, rating="basic")
    return {
        "grid": grid.pk,
        "other_grid": other.pk,
        "member": member.pk,
        "org": tree.village_a1.pk,
        "by_verb": {
            "claim": new().pk,
            "release": claimed().pk,
            "dispatch": claimed().pk,
            "start": dispatched().pk,
            "wait": dispatched().pk,
            "resume": waiting.pk,
            "report": dispatched().pk,
            "close": reported.pk,
            "reopen": rated.pk,
            "close-unresolved": new().pk,
            "escalate": new().pk,
            "transfer": new().pk,
            "recategorize": new().pk,
        },
        "any": new().pk,
    }


class _FakePhoto(io.BytesIO):
    """A small real PNG as an upload."""

    def __init__(self) -> None:
        buf = io.BytesIO()
        Image.new("RGB", (8, 8), "green").save(buf, format="PNG")
        super().__init__(buf.getvalue())
        self.size = len(buf.getvalue())
        self.name = "p.png"


def aim(case: Any, data: Any, x: dict[str, Any], real: Any) -> None:
    path, method = case.operation.path, case.method.upper()
    if not path.startswith(PREFIX):
        return
    params = case.path_parameters or {}
    verb = path.rsplit("/", 1)[-1]
    if "request_id" in params and real("request_id"):
        params["request_id"] = x["by_verb"].get(verb, x["any"])
    if (
        method == "GET"
        and path in (PREFIX + "stats", PREFIX + "overdue", PREFIX)
        and real("sr_query")
    ):
        case.query = {"org": x["org"]}
    bodies: dict[str, Any] = {
        "claim": lambda: {"note": ""},
        "release": lambda: {"note": "退回"},
        "dispatch": lambda: {"member_ids": [x["member"]], "note": ""},
        "start": lambda: {"note": ""},
        "wait": lambda: {"note": "请补充门牌号"},
        "resume": lambda: {"note": ""},
        "report": lambda: {"note": "已办好", "photos": [_png()]},
        "close": lambda: {"note": ""},
        "reopen": lambda: {"note": "群众来电反映仍未解决"},
        "close-unresolved": lambda: {
            "reason": "cannot_fix",
            "note": "资金未落实",
            "duplicate_of": "",
        },
        "escalate": lambda: {"note": "督办", "to_level": ""},
        "transfer": lambda: {"grid_id": x["other_grid"], "note": "不属本网格"},
        "recategorize": lambda: {"category": "sanitation", "priority": "", "note": ""},
    }
    if method == "POST" and path == PREFIX and real("sr_create"):
        case.body = {
            "grid_id": x["grid"], "category": "policy", "description": "电话咨询低保政策",
            "resident_phone": "13912345678", "channel": "phone", "consent_note": "电话中同意",
            "address": "", "resident_name": "", "priority": "", "extra": {},
        }  # fmt: skip
    elif method == "POST" and verb in bodies and "request_id" in params and real("sr_body"):
        case.body = bodies[verb]()
