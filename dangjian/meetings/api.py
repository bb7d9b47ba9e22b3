"""Meeting endpoints: the same gates and services as the pages."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from ninja import Router
from ninja.params import Query

from dangjian.meetings import selectors, services
from dangjian.meetings.access import access_meeting_by_id
from dangjian.meetings.models import Meeting
from dangjian.meetings.schemas import (
    AttendanceIn,
    AttendanceOut,
    AttendanceSheetIn,
    CancelIn,
    CheckinIn,
    CheckinOut,
    MeetingCreateIn,
    MeetingDetailOut,
    MeetingFields,
    MeetingOut,
    MeetingPageOut,
    MeetingPlanIn,
    MeetingReviewIn,
    RescheduleIn,
)
from dangjian.members.models import Member
from dangjian.orgs.access import access_org_by_id, may

router = Router(tags=["组织生活"])


def _detail(request: HttpRequest, meeting: Meeting) -> dict[str, Any]:
    data = MeetingOut.from_orm(meeting).dict()
    data["attendance"] = selectors.attendance_rows(meeting)
    if may(request.user, "meeting.record", meeting.org):
        data.update(
            checkin_code=meeting.checkin_code,
            checkin_opens_at=meeting.checkin_opens_at,
            checkin_closes_at=meeting.checkin_closes_at,
        )
    return data


@router.get("/", response=MeetingPageOut, summary="会议记录列表（本组织及下级；键集分页）")
def meeting_list(
    request: HttpRequest,
    org: Query[int | None] = None,
    type: Query[str] = "",  # noqa: A002
    state: Query[str] = "",
    month: Query[str] = "",
    cursor: Query[str | None] = None,
    limit: Query[int] = 20,
) -> Any:
    scope = access_org_by_id(request.user, org, action="meeting.view") if org else None
    qs = selectors.meeting_filter(
        viewer=request.user, org=scope, params={"type": type, "state": state, "month": month}
    )
    page = selectors.meeting_page(qs, cursor=cursor, size=max(1, min(limit, 100)))
    return {"items": page.rows, "next_cursor": page.next_cursor}


@router.post("/", response={201: MeetingDetailOut}, summary="登记会议（草稿）")
def meeting_create(request: HttpRequest, payload: MeetingCreateIn) -> Any:
    org = access_org_by_id(request.user, payload.org_id, action="meeting.record")
    data = payload.dict(exclude={"org_id"}, exclude_none=True)
    meeting = services.meeting_create(actor=request.user, org=org, **data)
    return 201, _detail(request, meeting)


@router.post(
    "/planned", response={201: MeetingDetailOut}, summary="会前通知会议（通知应到党员，到时签到）"
)
def meeting_plan(request: HttpRequest, payload: MeetingPlanIn) -> Any:
    org = access_org_by_id(request.user, payload.org_id, action="meeting.record")
    meeting = services.meeting_plan(actor=request.user, org=org, **payload.dict(exclude={"org_id"}))
    return 201, _detail(request, meeting)


@router.post("/checkin", response=CheckinOut, summary="党员签到（签到码或二维码令牌）")
def meeting_checkin(request: HttpRequest, payload: CheckinIn) -> Any:
    result = services.meeting_checkin(user=request.user, code_or_token=payload.code)
    return {
        "meeting_id": result.meeting.pk,
        "status": result.status,
        "message": result.message,
        "already": result.already,
    }


@router.get("/to-review", response=list[MeetingOut], summary="待我审核的会议记录")
def meeting_review_queue(request: HttpRequest) -> Any:
    return selectors.meetings_to_review(viewer=request.user)


@router.get("/{meeting_id}", response=MeetingDetailOut, summary="会议详情（含出席情况）")
def meeting_detail(request: HttpRequest, meeting_id: int) -> Any:
    return _detail(request, access_meeting_by_id(request.user, meeting_id))


@router.patch("/{meeting_id}", response=MeetingDetailOut, summary="修改草稿或退回的会议记录")
def meeting_update(request: HttpRequest, meeting_id: int, payload: MeetingFields) -> Any:
    meeting = access_meeting_by_id(request.user, meeting_id, action="meeting.record")
    meeting = services.meeting_update(
        actor=request.user,
        meeting=meeting,
        data=payload.dict(exclude_unset=True, exclude_none=True),
    )
    return _detail(request, meeting)


@router.put(
    "/{meeting_id}/attendance/{member_id}", response=AttendanceOut, summary="登记一名党员的出席情况"
)
def attendance_put(
    request: HttpRequest, meeting_id: int, member_id: int, payload: AttendanceIn
) -> Any:
    meeting = access_meeting_by_id(request.user, meeting_id, action="meeting.record")
    member = Member.objects.filter(pk=member_id, attendance__meeting=meeting).first()
    if member is None:
        raise Http404("该党员不是本次会议应到人员")
    return services.attendance_set(
        actor=request.user,
        meeting=meeting,
        member=member,
        status=payload.status,
        reason=payload.reason,
    )


@router.put(
    "/{meeting_id}/attendance",
    response=list[AttendanceOut],
    summary="一次保存出席情况（整张名单，全部成功或全部不保存）",
)
def attendance_sheet_put(request: HttpRequest, meeting_id: int, payload: AttendanceSheetIn) -> Any:
    meeting = access_meeting_by_id(request.user, meeting_id, action="meeting.record")
    services.attendance_bulk_set(
        actor=request.user,
        meeting=meeting,
        marks=[services.AttendanceMark(r.member_id, r.status, r.reason) for r in payload.rows],
    )
    return selectors.attendance_rows(meeting)


@router.post(
    "/{meeting_id}/reschedule", response=MeetingDetailOut, summary="已通知的会议改期（重新通知）"
)
def meeting_reschedule(request: HttpRequest, meeting_id: int, payload: RescheduleIn) -> Any:
    meeting = access_meeting_by_id(request.user, meeting_id, action="meeting.record")
    meeting = services.meeting_reschedule(actor=request.user, meeting=meeting, **payload.dict())
    return _detail(request, meeting)


@router.post("/{meeting_id}/cancel", response=MeetingOut, summary="取消已通知的会议（通知党员）")
def meeting_cancel(request: HttpRequest, meeting_id: int, payload: CancelIn) -> Any:
    meeting = access_meeting_by_id(request.user, meeting_id, action="meeting.record")
    return services.meeting_cancel(actor=request.user, meeting=meeting, reason=payload.reason)


@router.post(
    "/{meeting_id}/record", response=MeetingDetailOut, summary="会议召开后转为会议记录（草稿）"
)
def meeting_start_record(request: HttpRequest, meeting_id: int) -> Any:
    meeting = access_meeting_by_id(request.user, meeting_id, action="meeting.record")
    meeting = services.meeting_start_record(actor=request.user, meeting=meeting)
    return _detail(request, meeting)


@router.post("/{meeting_id}/submit", response=MeetingOut, summary="提交上级审核")
def meeting_submit(request: HttpRequest, meeting_id: int) -> Any:
    meeting = access_meeting_by_id(request.user, meeting_id, action="meeting.record")
    return services.meeting_submit(actor=request.user, meeting=meeting)


@router.post("/{meeting_id}/approve", response=MeetingOut, summary="审核通过（上级党组织）")
def meeting_approve(request: HttpRequest, meeting_id: int, payload: MeetingReviewIn) -> Any:
    meeting = access_meeting_by_id(request.user, meeting_id)
    return services.meeting_approve(actor=request.user, meeting=meeting, comment=payload.comment)


@router.post("/{meeting_id}/return", response=MeetingOut, summary="退回修改（须填写意见）")
def meeting_return(request: HttpRequest, meeting_id: int, payload: MeetingReviewIn) -> Any:
    meeting = access_meeting_by_id(request.user, meeting_id)
    return services.meeting_return(actor=request.user, meeting=meeting, comment=payload.comment)
