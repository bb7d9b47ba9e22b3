"""党费 endpoints: thin — access gate, schema, one service or selector."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router

from dangjian.dues import selectors, services
from dangjian.dues.access import access_dues_member_by_id
from dangjian.dues.rules import quote
from dangjian.dues.schemas import MemberDuesOut, ProfileIn, ProfileOut, QuoteIn, QuoteOut
from dangjian.members.models import Member

router = Router(tags=["党费"])


@router.post("/quote", response=QuoteOut)
def dues_quote(request: HttpRequest, payload: QuoteIn) -> QuoteOut:
    """按现行规则测算每月应交党费。"""
    return QuoteOut.of(quote(payload.category, payload.monthly_base, on=timezone.localdate()))


def _member_dues(member: Member) -> MemberDuesOut:
    month = timezone.localdate().replace(day=1)
    current = selectors.dues_profile_on(member, month)
    q = selectors.expected_quote(member, month) if current else None
    return MemberDuesOut(
        member_id=member.pk,
        member_name=member.name,
        month=month,
        current=ProfileOut.of(current) if current else None,
        quote=QuoteOut.of(q) if q else None,
        history=[ProfileOut.of(p) for p in selectors.dues_profile_history(member)],
    )


@router.get("/members/{member_id}/profile", response=MemberDuesOut)
def dues_profile_get(request: HttpRequest, member_id: int) -> MemberDuesOut:
    """党员的党费基数变更记录和本月应交党费。"""
    return _member_dues(access_dues_member_by_id(request.user, member_id))


@router.post("/members/{member_id}/profile", response={201: MemberDuesOut})
def dues_profile_post(
    request: HttpRequest, member_id: int, payload: ProfileIn
) -> tuple[int, MemberDuesOut]:
    """登记党员的党费类别和计算基数（自起始月份起生效）。"""
    member = access_dues_member_by_id(request.user, member_id, for_write=True)
    services.dues_profile_set(
        actor=request.user,
        member=member,
        category=payload.category,
        monthly_base=payload.monthly_base,
        base_kind=payload.base_kind,
        effective_month=payload.effective_month,
    )
    return 201, _member_dues(member)
