"""民主评议党员 endpoints: thin — access gate, schema, one service or selector."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router, Schema
from ninja.params import Query

from dangjian.meetings.access import access_meeting_by_id
from dangjian.meetings.models import MemberReview
from dangjian.meetings.reviews import selectors, services
from dangjian.meetings.reviews.access import reviews_visible_to
from dangjian.members.access import access_member_by_id
from dangjian.orgs.access import access_org_by_id
from dangjian.orgs.models import BRANCH_TYPES

router = Router(tags=["组织生活"])

NOT_FOUND = "未找到该评议记录，或您无权查看"


class MemberReviewOut(Schema):
    id: int
    member_id: int
    member_name: str
    year: int
    result: str
    result_label: str
    handling: str
    handling_label: str
    handling_deadline: dt.date | None
    note: str
    meeting_id: int | None


class RosterRowOut(Schema):
    member_id: int
    member_name: str
    review: MemberReviewOut | None


class ReviewListOut(Schema):
    org_id: int
    year: int
    counts: dict[str, int]
    pending: int
    total: int
    items: list[RosterRowOut]


class ReviewRecordIn(Schema):
    member_id: int
    year: int
    result: str
    note: str = ""
    meeting_id: int | None = None
    update: bool = False


class ReviewHandleIn(Schema):
    handling: str
    deadline: dt.date | None = None
    confirm: bool = False


def _out(review: MemberReview) -> dict[str, Any]:
    return {
        "id": review.pk,
        "member_id": review.member_id,
        "member_name": review.member.name,
        "year": review.year,
        "result": review.result,
        "result_label": review.get_result_display(),
        "handling": review.handling,
        "handling_label": review.get_handling_display() if review.handling else "",
        "handling_deadline": review.handling_deadline,
        "note": review.note,
        "meeting_id": review.meeting_id,
    }


@router.get("/", response=ReviewListOut, summary="党支部某年度的民主评议结果")
def review_list(request: HttpRequest, org: Query[int], year: Query[int]) -> Any:
    branch = access_org_by_id(request.user, org, action="member.view")
    if branch.org_type not in BRANCH_TYPES:
        raise Http404("请指定党支部")
    rows, summary = selectors.review_roster(branch=branch, year=year)
    return {
        "org_id": branch.pk,
        "year": year,
        "counts": {v: summary.counts.get(v, 0) for v in MemberReview.Result.values},
        "pending": summary.pending,
        "total": summary.total,
        "items": [
            {
                "member_id": r.member.pk,
                "member_name": r.member.name,
                "review": _out(r.review) if r.review else None,
            }
            for r in rows
        ],
    }


@router.post(
    "/", response={200: MemberReviewOut, 201: MemberReviewOut}, summary="登记（或更正）评议结果"
)
def review_record(request: HttpRequest, payload: ReviewRecordIn) -> Any:
    member = access_member_by_id(request.user, payload.member_id, action="member.edit")
    meeting = access_meeting_by_id(request.user, payload.meeting_id) if payload.meeting_id else None
    if payload.update:
        existing = MemberReview.objects.filter(member=member, year=payload.year).first()
        if existing is None:
            raise Http404(NOT_FOUND)
        review = services.review_update(
            actor=request.user,
            member_review=existing,
            result=payload.result,
            note=payload.note,
            meeting=meeting,
        )
        return 200, _out(review)
    review = services.review_record(
        actor=request.user,
        member=member,
        year=payload.year,
        result=payload.result,
        note=payload.note,
        meeting=meeting,
    )
    return 201, _out(review)


@router.post("/{int:review_id}/handle", response=MemberReviewOut, summary="处置不合格党员")
def review_handle(request: HttpRequest, review_id: int, payload: ReviewHandleIn) -> Any:
    review = reviews_visible_to(request.user).select_related("member").filter(pk=review_id).first()
    if review is None:
        raise Http404(NOT_FOUND)
    review = services.review_handle_unqualified(
        actor=request.user,
        member_review=review,
        handling=payload.handling,
        deadline=payload.deadline,
        confirm=payload.confirm,
    )
    return _out(review)
