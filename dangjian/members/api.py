"""Member endpoints: the same gates, rules and masking as the pages."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router
from ninja.params import Query

from dangjian.core.api_errors import error_responses
from dangjian.members import selectors, services
from dangjian.members.access import access_member_by_id
from dangjian.members.rules import check_id_number
from dangjian.members.schemas import (
    EventOut,
    IdCheckIn,
    IdCheckOut,
    MemberActionIn,
    MemberCreateIn,
    MemberFields,
    MemberOut,
    MemberPageOut,
    RevealOut,
)
from dangjian.orgs.access import access_org_by_id

router = Router(tags=["党员管理"])


# 429: a search by a full ID number past ID_LOOKUP_LIMIT (members/id_lookup.py).
@router.get(
    "/",
    response={200: MemberPageOut, **error_responses(429)},
    summary="党员名册（筛选、键集分页；敏感信息脱敏）",
)
def member_list(
    request: HttpRequest,
    org: Query[int | None] = None,
    q: Query[str] = "",
    category: Query[str] = "",
    standing: Query[str] = "",
    sex: Query[str] = "",
    minority: Query[str] = "",
    education_group: Query[str] = "",
    age_band: Query[str] = "",
    party_age_band: Query[str] = "",
    mobile: Query[str] = "",
    lost: Query[str] = "",
    retired: Query[str] = "",
    alert: Query[str] = "",
    status: Query[str] = "",
    cursor: Query[str | None] = None,
    limit: Query[int] = 20,
) -> Any:
    params = {
        k: v
        for k, v in locals().items()
        if k not in ("request", "cursor", "limit") and v not in (None, "")
    }
    qs, _ = selectors.member_filter(viewer=request.user, params=params, surface="api.member.list")
    page = selectors.member_page(qs, cursor=cursor, size=max(1, min(limit, 100)))
    return {"items": page.rows, "next_cursor": page.next_cursor}


@router.post("/check-id", response=IdCheckOut, summary="校验公民身份号码（表单即时校验用）")
def check_id(request: HttpRequest, payload: IdCheckIn) -> Any:
    result = check_id_number(payload.id_number)
    return {
        "valid": result.valid,
        "birth_date": result.birth_date,
        "sex": result.sex,
        "message": result.message,
    }


@router.post("/", response={201: MemberOut}, summary="登记党员")
def member_create(request: HttpRequest, payload: MemberCreateIn) -> Any:
    branch = access_org_by_id(request.user, payload.branch_id, action="member.edit")
    group = access_org_by_id(request.user, payload.group_id) if payload.group_id else None
    data = payload.dict(exclude={"branch_id", "group_id"}, exclude_none=True)
    return 201, services.member_create(actor=request.user, branch=branch, group=group, data=data)


@router.get("/{member_id}", response=MemberOut, summary="党员详情（脱敏）")
def member_detail(request: HttpRequest, member_id: int) -> Any:
    return access_member_by_id(request.user, member_id)


@router.patch("/{member_id}", response=MemberOut, summary="修改党员信息")
def member_update(request: HttpRequest, member_id: int, payload: MemberFields) -> Any:
    member = access_member_by_id(request.user, member_id, action="member.edit")
    data = payload.dict(exclude_unset=True, exclude_none=True)
    return services.member_update(actor=request.user, member=member, data=data)


@router.post(
    "/{member_id}/reveal", response=RevealOut, summary="查看完整身份证号和电话（需权限，记入审计）"
)
def member_reveal(request: HttpRequest, member_id: int) -> Any:
    member = access_member_by_id(request.user, member_id)
    return services.member_reveal(actor=request.user, member=member)


@router.get("/{member_id}/events", response=list[EventOut], summary="党员动态")
def member_events(request: HttpRequest, member_id: int) -> Any:
    member = access_member_by_id(request.user, member_id)
    return selectors.member_timeline(member=member)


ACTIONS = (
    "confirm_full", "lost", "contact_restored", "mobile", "mobile_end", "retired", "unretired",
    "checkin", "suspend", "restore", "leave", "place",
)  # fmt: skip


def _need(value: Any, message: str) -> Any:
    if value in (None, ""):
        raise ValidationError(message, code="missing_field")
    return value


@router.post(
    "/{member_id}/actions/{action}",
    response=MemberOut,
    summary="办理状态变化（转正、失联、流动、减少等）",
)
def member_action(
    request: HttpRequest, member_id: int, action: str, payload: MemberActionIn
) -> Any:
    if action not in ACTIONS:
        from django.http import Http404

        raise Http404("未知的操作")
    actor, p = request.user, payload
    member = access_member_by_id(actor, member_id, action="member.edit")
    if action == "confirm_full":
        return services.member_confirm_full(
            actor=actor, member=member, on=_need(p.on, "请提供转正日期 on")
        )
    if action == "lost":
        return services.member_set_lost_contact(
            actor=actor, member=member, since=_need(p.since, "请提供失联日期 since")
        )
    if action == "contact_restored":
        return services.member_set_lost_contact(actor=actor, member=member, since=None)
    if action == "mobile":
        branch = access_org_by_id(actor, p.mobile_branch_id) if p.mobile_branch_id else None
        return services.member_set_mobile(
            actor=actor, member=member, destination=p.destination, reason=p.reason,
            since=_need(p.since, "请提供外出日期 since"), mobile_branch=branch,
        )  # fmt: skip
    if action == "mobile_end":
        return services.member_end_mobile(actor=actor, member=member)
    if action in ("retired", "unretired"):
        return services.member_set_retired(actor=actor, member=member, retired=action == "retired")
    if action == "checkin":
        community = access_org_by_id(actor, p.community_id) if p.community_id else None
        return services.member_set_checkin(
            actor=actor, member=member, community=community, since=p.since
        )
    if action in ("suspend", "restore"):
        return services.member_set_standing(
            actor=actor,
            member=member,
            suspended=action == "suspend",
            on=_need(p.on, "请提供日期 on"),
            note=p.note,
        )
    if action == "leave":
        return services.member_leave(
            actor=actor,
            member=member,
            on=_need(p.on, "请提供减少日期 on"),
            decrease_reason=p.decrease_reason,
            note=p.note,
        )
    branch = access_org_by_id(
        actor, _need(p.branch_id, "请提供党支部 branch_id"), action="member.edit"
    )
    group = access_org_by_id(actor, p.group_id) if p.group_id else None
    return services.member_place(actor=actor, member=member, branch=branch, group=group)
