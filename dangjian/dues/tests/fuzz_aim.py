"""Aim the API fuzzer's valid cases at real dues rows (see tests/test_openapi_fuzz.py)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.utils import timezone

from dangjian.dues.rules import add_months
from dangjian.dues.services import dues_profile_set, dues_reduction_apply, dues_reduction_discuss
from dangjian.members.tests.factories import make_member

PREFIX = "/api/v1/dues/"
# The generic fuzzer draws path org_ids from the whole tree; a branch's mode needs a branch.
ORG_ID_FOR_PATH = {"/api/v1/dues/orgs/{org_id}/mode": "branch"}


def rows(people: Any, tree: Any) -> dict[str, Any]:
    """Two members of 甲村 with dues profiles, an application awaiting the branch and one
    awaiting the township."""
    actor = people.county_admin
    today = timezone.localdate()
    this_month = today.replace(day=1)
    payer = make_member(actor, tree.village_a1, name="党费测试")
    applicant = make_member(actor, tree.village_a1, name="减免测试")
    waiting = make_member(actor, tree.village_a1, name="待审批测试")
    for m in (payer, applicant, waiting):
        dues_profile_set(
            actor=actor,
            member=m,
            category="salaried",
            monthly_base=Decimal("4500.00"),
            effective_month=this_month,
        )
    applied = dues_reduction_apply(
        actor=actor,
        member=waiting,
        kind="exempt",
        first_month=this_month,
        last_month=this_month,
        reason="生活困难",
    )
    discussed = dues_reduction_apply(
        actor=actor,
        member=waiting,
        kind="exempt",
        first_month=add_months(this_month, 1),
        last_month=add_months(this_month, 1),
        reason="生活困难",
    )
    dues_reduction_discuss(actor=actor, reduction=discussed, agreed=True, discussion="同意")
    return {
        "payer": payer.pk,
        "applicant": applicant.pk,
        "applied": applied.pk,
        "discussed": discussed.pk,
        "branch": tree.village_a1.pk,
    }


def aim(case: Any, data: Any, x: dict[str, Any], real: Any) -> None:
    path, method = case.operation.path, case.method.upper()
    if not path.startswith("/api/v1/dues/"):
        return
    params = case.path_parameters or {}
    if "member_id" in params and real("dues_member"):
        params["member_id"] = x["applicant"] if path.endswith("/reductions") else x["payer"]
    if "reduction_id" in params and real("reduction_id"):
        params["reduction_id"] = x["discussed"] if path.endswith("/decide") else x["applied"]
    if method == "GET" and path.endswith(("/ledger", "/summary")) and real("dues_month"):
        case.query = {"month": f"{timezone.localdate():%Y-%m}"}
    today = timezone.localdate()
    this_month = today.replace(day=1)
    bodies: dict[tuple[str, str], Any] = {
        ("POST", "/api/v1/dues/quote"): lambda: {"category": "salaried", "monthly_base": "4500.00"},
        ("POST", "/api/v1/dues/members/{member_id}/profile"): lambda: {
            "category": "salaried", "monthly_base": "4500.00", "effective_month": this_month.isoformat(),
        },
        ("POST", "/api/v1/dues/members/{member_id}/payments"): lambda: {
            "amount": "1.00", "method": "cash", "paid_on": today.isoformat(),
            "first_month": this_month.isoformat(), "kind": "regular", "reference": "",
        },
        ("POST", "/api/v1/dues/members/{member_id}/backpay-approvals"): lambda: {
            "first_month": add_months(this_month, -9).isoformat(),
            "last_month": add_months(this_month, -7).isoformat(), "reason": "外出务工期间未交",
        },
        ("POST", "/api/v1/dues/members/{member_id}/reductions"): lambda: {
            "kind": "reduce", "monthly_amount": "5.00", "first_month": this_month.isoformat(),
            "last_month": this_month.isoformat(), "reason": "长期患病",
        },
        ("POST", "/api/v1/dues/reductions/{reduction_id}/discuss"): lambda: {"agreed": True, "discussion": "同意"},
        ("POST", "/api/v1/dues/reductions/{reduction_id}/decide"): lambda: {"approve": True, "decision": ""},
        ("PUT", "/api/v1/dues/orgs/{org_id}/mode"): lambda: {
            "mode": "quarterly", "agreed_on": (today - dt.timedelta(days=3)).isoformat(), "note": "",
        },
    }  # fmt: skip
    make = bodies.get((method, path))
    if make is not None and real("dues_body"):
        case.body = make()
