"""积分与星级 endpoints: thin — access gate, schema, one service or selector."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.params import Query

from dangjian.core.api_errors import error_responses
from dangjian.core.uploads import MAX_BYTES
from dangjian.orgs.access import access_org_by_id
from dangjian.points import selectors, services
from dangjian.points.access import (
    access_claim_by_id,
    access_entry_by_id,
    access_item_by_id,
    access_points_member,
    access_review_by_id,
    access_scheme_by_id,
    claims_visible_to,
    own_member,
    reviews_visible_to,
)
from dangjian.points.models import PointsClaim, PointsItem, StarRating
from dangjian.points.rules import catalogue_for, parse_period
from dangjian.points.schemas import (
    AdjustIn,
    AwardIn,
    BoardOut,
    CatalogueOut,
    ClaimDecideIn,
    ClaimIn,
    ClaimOut,
    CloseIn,
    CommitmentIn,
    CommitmentOut,
    EntryOut,
    ItemIn,
    ItemOut,
    ItemUpdateIn,
    PassbookOut,
    PeriodOut,
    ReasonIn,
    ReviewDetailOut,
    SchemeCreateIn,
    SchemeOut,
    SchemeUpdateIn,
    StarReviewIn,
    StarReviewOut,
)

router = Router(tags=["积分"])

LIST_CAP = 200


def _item_for(request: HttpRequest, item_id: int) -> PointsItem:
    item = PointsItem.objects.select_related("scheme__scope").filter(pk=item_id).first()
    if item is None:
        raise Http404("未找到该积分项目")
    return item


@router.get(
    "/catalogue",
    response=CatalogueOut,
    summary="适用于某组织的年度积分方案（县级方案 + 乡镇补充项目）",
)
def catalogue(
    request: HttpRequest, org: Query[int | None] = None, year: Query[int | None] = None
) -> Any:
    if org is not None:
        scope = access_org_by_id(request.user, org, action="points.view")
    else:
        me = own_member(request.user)
        if me is None:
            raise Http404("请指定组织")
        scope = me.branch
    y = year if year and 2000 <= year <= 2100 else timezone.localdate().year
    cat = catalogue_for(scope, y)
    return {
        "year": y,
        "base": cat.base,
        "additions": cat.additions,
        "items": list(cat.items.values()),
        "bands": list(cat.base.star_bands.all()) if cat.base else [],
    }


@router.post(
    "/schemes", response={201: SchemeOut}, summary="制定本级积分方案（复制现行方案）或乡镇补充项目"
)
def scheme_create(request: HttpRequest, payload: SchemeCreateIn) -> Any:
    org = access_org_by_id(request.user, payload.org_id, action="points.rules")
    return 201, services.scheme_create(
        actor=request.user, org=org, year=payload.year, kind=payload.kind
    )


@router.patch(
    "/schemes/{scheme_id}",
    response=SchemeOut,
    summary="修改方案参数（基础分、预警线、张榜人数、星级）",
)
def scheme_update(request: HttpRequest, scheme_id: int, payload: SchemeUpdateIn) -> Any:
    scheme = access_scheme_by_id(request.user, scheme_id, for_write=True)
    return services.scheme_update(
        actor=request.user, scheme=scheme, data=payload.dict(exclude_none=True)
    )


@router.post("/schemes/{scheme_id}/items", response={201: ItemOut}, summary="添加积分项目")
def item_create(request: HttpRequest, scheme_id: int, payload: ItemIn) -> Any:
    scheme = access_scheme_by_id(request.user, scheme_id, for_write=True)
    return 201, services.item_create(actor=request.user, scheme=scheme, data=payload.dict())


@router.patch("/items/{item_id}", response=ItemOut, summary="修改或停用积分项目（已记分录不变）")
def item_update(request: HttpRequest, item_id: int, payload: ItemUpdateIn) -> Any:
    item = access_item_by_id(request.user, item_id, for_write=True)
    return services.item_update(actor=request.user, item=item, data=payload.dict(exclude_none=True))


@router.post("/entries", response={201: EntryOut}, summary="书记登记加分或扣分（须填写事由）")
def entry_create(request: HttpRequest, payload: AwardIn) -> Any:
    member = access_points_member(request.user, payload.member_id, action="points.award")
    item = _item_for(request, payload.item_id)
    return 201, services.points_award_manual(
        actor=request.user, member=member, item=item, on=payload.on, reason=payload.reason
    )


@router.post(
    "/entries/{entry_id}/reverse",
    response={201: EntryOut},
    summary="冲正一笔分录（新增反向分录，原分录不变）",
)
def entry_reverse(request: HttpRequest, entry_id: int, payload: ReasonIn) -> Any:
    entry = access_entry_by_id(request.user, entry_id, action="points.award")
    return 201, services.points_entry_reverse(
        actor=request.user, entry=entry, reason=payload.reason
    )


def _passbook(member: Any, year: int | None, cursor: str) -> dict[str, Any]:
    today = timezone.localdate()
    y = year if year and 2000 <= year <= today.year else today.year
    book = selectors.passbook(member=member, today=today, year=y, cursor=cursor)
    return {
        "member_id": member.pk,
        "member_name": member.name,
        "branch_id": member.branch_id,
        "year": book.year,
        "base": book.base,
        "balance": book.balance,
        "earned_this_month": book.earned_this_month,
        "rank": book.rank,
        "branch_size": book.branch_size,
        "threshold": book.threshold,
        "stars": book.stars,
        "commitment": book.commitment.text if book.commitment else "",
        "entries": book.entries,
        "next_cursor": book.next_cursor,
    }


@router.get(
    "/passbook",
    response={200: PassbookOut, **error_responses(404)},
    summary="我的积分存折",
)
def passbook_mine(
    request: HttpRequest, year: Query[int | None] = None, cursor: Query[str] = ""
) -> Any:
    me = own_member(request.user)
    if me is None:
        raise Http404("您的账号未关联党员信息")
    return _passbook(me, year, cursor)


@router.get("/members/{member_id}/passbook", response=PassbookOut, summary="党员的积分存折")
def passbook_member(
    request: HttpRequest, member_id: int, year: Query[int | None] = None, cursor: Query[str] = ""
) -> Any:
    member = access_points_member(request.user, member_id)
    return _passbook(member, year, cursor)


def _claim_out(claim: PointsClaim) -> dict[str, Any]:
    return {
        "id": claim.pk,
        "member_id": claim.member_id,
        "member_name": claim.member.name,
        "item_id": claim.item_id,
        "item_name": claim.item.name,
        "occurred_on": claim.occurred_on,
        "description": claim.description,
        "has_evidence": bool(claim.evidence),
        "state": claim.state,
        "decision_reason": claim.decision_reason,
    }


@router.get(
    "/claims", response=list[ClaimOut], summary="党员申报（默认待审核；本组织及下级；最多200条）"
)
def claim_list(
    request: HttpRequest, org: Query[int | None] = None, state: Query[str] = "pending"
) -> Any:
    qs = claims_visible_to(request.user).select_related("member", "item")
    if org is not None:
        scope = access_org_by_id(request.user, org, action="points.view")
        qs = qs.filter(org_path__gte=scope.path, org_path__lt=scope.path + "~")
    if state in PointsClaim.State.values:
        qs = qs.filter(state=state)
    return [_claim_out(c) for c in qs.order_by("-id")[:LIST_CAP]]


def _decode_evidence(data: str) -> ContentFile | None:
    if not data:
        return None
    if len(data) > MAX_BYTES * 4 // 3 + 4:
        raise ValidationError("文件不能超过 10 MB", code="too_large")
    try:
        raw = base64.b64decode(data, validate=True)
    except (binascii.Error, ValueError):
        raise ValidationError("佐证照片编码不正确（应为 base64）", code="bad_base64") from None
    return ContentFile(raw, name="evidence")


@router.post("/claims", response={201: ClaimOut}, summary="党员申报积分（本人；附佐证照片）")
def claim_create(request: HttpRequest, payload: ClaimIn) -> Any:
    item = _item_for(request, payload.item_id)
    claim = services.claim_submit(
        actor=request.user,
        item=item,
        on=payload.on,
        description=payload.description,
        evidence=_decode_evidence(payload.evidence_base64),
    )
    return 201, _claim_out(claim)


@router.post(
    "/claims/{claim_id}/decide", response=ClaimOut, summary="支部审核党员申报（不通过须填写理由）"
)
def claim_decide(request: HttpRequest, claim_id: int, payload: ClaimDecideIn) -> Any:
    claim = access_claim_by_id(request.user, claim_id, action="points.award")
    claim = services.claim_decide(
        actor=request.user, claim=claim, approve=payload.approve, reason=payload.reason
    )
    return _claim_out(claim)


@router.get(
    "/board",
    response=BoardOut,
    summary="张榜晒分：某组织某周期的积分榜（period 如 2026-Q3、2026-09、2026）",
)
def board(request: HttpRequest, org: Query[int | None] = None, period: Query[str] = "") -> Any:
    if org is not None:
        scope = access_org_by_id(request.user, org, action="points.view")
    else:
        me = own_member(request.user)
        if me is None:
            raise Http404("请指定组织")
        scope = me.branch
    kind, start, end = parse_period(period, today=timezone.localdate())
    b = selectors.board(org=scope, kind=kind, start=start, end=end)
    return {
        "org_id": scope.pk,
        "kind": b.kind,
        "start": b.start,
        "end": b.end,
        "label": b.label,
        "base": b.base,
        "threshold": b.threshold,
        "min_members": b.min_members,
        "ranked": b.ranked,
        "closed": b.closed,
        "total": b.total,
        "rows": [r.__dict__ for r in b.rows],
    }


@router.post("/periods/close", response={201: PeriodOut}, summary="积分结账：冻结该周期的期末积分")
def period_close(request: HttpRequest, payload: CloseIn) -> Any:
    org = access_org_by_id(request.user, payload.org_id, action="points.rules")
    period = services.period_close(
        actor=request.user, org=org, kind=payload.kind, start=payload.start
    )
    return 201, {
        "id": period.pk,
        "kind": period.kind,
        "start": period.start,
        "end": period.end,
        "state": period.state,
        "balances": period.balances.count(),
    }


@router.put(
    "/commitments/{member_id}",
    response=CommitmentOut,
    summary="亮承诺：党员本人（或支部代为）公开年度承诺",
)
def commitment_put(request: HttpRequest, member_id: int, payload: CommitmentIn) -> Any:
    member = access_points_member(request.user, member_id)
    row = services.commitment_set(
        actor=request.user, member=member, year=payload.year, text=payload.text
    )
    return {"member_id": row.member_id, "year": row.year, "text": row.text}


@router.get(
    "/stars", response=list[StarReviewOut], summary="星级评定记录（本组织及下级；最多200条）"
)
def review_list(request: HttpRequest, org: Query[int | None] = None) -> Any:
    qs = reviews_visible_to(request.user)
    if org is not None:
        scope = access_org_by_id(request.user, org, action="points.view")
        qs = qs.filter(org_path__gte=scope.path, org_path__lt=scope.path + "~")
    return list(qs.order_by("-year", "org_path")[:LIST_CAP])


@router.post(
    "/stars", response={201: ReviewDetailOut}, summary="党支部发起年度星级评定（评分由积分带入）"
)
def review_create(request: HttpRequest, payload: StarReviewIn) -> Any:
    org = access_org_by_id(request.user, payload.org_id, action="points.award")
    review = services.star_review_start(actor=request.user, org=org, year=payload.year)
    return 201, _review_detail(review)


def _review_detail(review: Any) -> dict[str, Any]:
    data = StarReviewOut.from_orm(review).dict()
    data["ratings"] = list(
        StarRating.objects.filter(review=review).select_related("member").order_by("-score", "id")
    )
    return data


@router.get("/stars/{review_id}", response=ReviewDetailOut, summary="星级评定详情（评分与星级）")
def review_detail(request: HttpRequest, review_id: int) -> Any:
    return _review_detail(access_review_by_id(request.user, review_id))


@router.put(
    "/stars/{review_id}/ratings/{rating_id}",
    response=ReviewDetailOut,
    summary="调整党员评分（评定中；须填写说明）",
)
def rating_adjust(request: HttpRequest, review_id: int, rating_id: int, payload: AdjustIn) -> Any:
    review = access_review_by_id(request.user, review_id, action="points.award")
    rating = StarRating.objects.filter(pk=rating_id, review=review).select_related("member").first()
    if rating is None:
        raise Http404("未找到该评分")
    services.star_rating_adjust(
        actor=request.user, rating=rating, score=payload.score, note=payload.note
    )
    return _review_detail(review)


@router.post(
    "/stars/{review_id}/publish",
    response=ReviewDetailOut,
    summary="评定星级（按比例上限）并开始公示",
)
def review_publish(request: HttpRequest, review_id: int) -> Any:
    review = access_review_by_id(request.user, review_id, action="points.rules")
    return _review_detail(services.star_review_publish(actor=request.user, review=review))


@router.post(
    "/stars/{review_id}/withdraw",
    response=ReviewDetailOut,
    summary="撤回公示（有异议时；须填写原因）",
)
def review_withdraw(request: HttpRequest, review_id: int, payload: ReasonIn) -> Any:
    review = access_review_by_id(request.user, review_id, action="points.rules")
    return _review_detail(
        services.star_review_withdraw(actor=request.user, review=review, reason=payload.reason)
    )
