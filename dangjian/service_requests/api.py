"""群众诉求（五单闭环） endpoints: thin — access gate, schema, one service or selector.

Every staff operation of the pages is here; the resident's rating goes through the private
link pages (``request_rate``), not this authenticated API.
"""

from __future__ import annotations

import base64
import binascii
import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.params import Query

from dangjian.grid.access import access_grid_by_id
from dangjian.members.models import Member
from dangjian.orgs.access import access_org_by_id, scope_roots
from dangjian.orgs.models import Organization
from dangjian.service_requests import selectors, services
from dangjian.service_requests.access import (
    access_request_by_id,
    may_see_private,
    requests_visible_to,
)
from dangjian.service_requests.models import RequestCategory, ServiceRequest
from dangjian.service_requests.schemas import (
    CategoryOut,
    CloseUnresolvedIn,
    DispatchIn,
    EscalateIn,
    MyOrdersOut,
    NoteIn,
    RecategorizeIn,
    ReportIn,
    RequestDetailOut,
    RequestPageOut,
    RequestStatsOut,
    RequiredNoteIn,
    StaffEntryIn,
    TransferIn,
)

router = Router(tags=["群众诉求"])


def _detail_out(request: HttpRequest, req: ServiceRequest) -> ServiceRequest:
    """The request with its member ids and the history the viewer may see attached."""
    req = ServiceRequest.objects.select_related("category", "grid", "org").get(pk=req.pk)
    req.member_ids = list(req.assignments.values_list("member_id", flat=True))  # type: ignore[attr-defined]
    req.history_for_viewer = selectors.history(viewer=request.user, req=req)  # type: ignore[attr-defined]
    if not may_see_private(request.user, req):
        req.consent_note = ""
    return req


def _org_or_default(request: HttpRequest, org: int | None) -> Organization:
    if org:
        return access_org_by_id(request.user, org, action="request.view")
    roots = scope_roots(request.user, action="request.view")
    top = Organization.objects.filter(path__in=roots[:1]).first()
    if top is None:
        raise Http404("您没有可查看的群众诉求")
    return top


def _category(code: str) -> RequestCategory:
    found = RequestCategory.objects.filter(code=code).first()
    if found is None:
        raise ValidationError({"category": ValidationError("诉求类别不存在", code="bad_category")})
    return found


def _req(request: HttpRequest, request_id: int) -> ServiceRequest:
    return access_request_by_id(request.user, request_id)


@router.get(
    "/categories", response=list[CategoryOut], summary="诉求类别（时限为待核实的常见做法，可修改）"
)
def category_list(request: HttpRequest) -> Any:
    return selectors.categories()


@router.get("/", response=RequestPageOut, summary="诉求列表（本组织及下级；键集分页）")
def request_list(
    request: HttpRequest,
    org: Query[int | None] = None,
    state: Query[str] = "",
    category: Query[str] = "",
    priority: Query[str] = "",
    overdue: Query[bool] = False,
    q: Query[str] = "",
    cursor: Query[str | None] = None,
) -> Any:
    scope = access_org_by_id(request.user, org, action="request.view") if org else None
    params = {
        "state": state,
        "category": category,
        "priority": priority,
        "overdue": overdue,
        "q": q,
    }
    qs = selectors.request_filter(viewer=request.user, org=scope, params=params)
    page = selectors.request_page(qs, cursor=cursor)
    return {"items": page.rows, "next_cursor": page.next_cursor}


@router.get("/overdue", response=RequestPageOut, summary="逾期督办（计时中且已过办结期限）")
def request_overdue(
    request: HttpRequest, org: Query[int | None] = None, cursor: Query[str | None] = None
) -> Any:
    page = selectors.overdue_board(
        viewer=request.user, org=_org_or_default(request, org), cursor=cursor
    )
    return {"items": page.rows, "next_cursor": page.next_cursor}


@router.get(
    "/stats",
    response=RequestStatsOut,
    summary="接诉即办统计：受理、响应率、解决率、满意率（仅计已评价）",
)
def request_stats(
    request: HttpRequest,
    org: Query[int | None] = None,
    start: Query[dt.date | None] = None,
    end: Query[dt.date | None] = None,
) -> Any:
    scope = _org_or_default(request, org)
    today = timezone.localdate()
    start = start or today.replace(month=1, day=1)
    end = end or today
    if end < start:
        raise ValidationError("结束日期不能早于开始日期", code="bad_period")
    if (end - start).days > 3660:
        raise ValidationError("统计区间不能超过十年", code="bad_period")
    s = selectors.request_stats(viewer=request.user, org=scope, start=start, end=end)
    out = {k: getattr(s, k) for k in RequestStatsOut.model_fields if k != "org_id"}
    out["org_id"] = scope.pk
    return out


@router.get("/mine", response=MyOrdersOut, summary="我的派单（党员本人）")
def my_orders(request: HttpRequest) -> Any:
    open_, done = selectors.my_orders(user=request.user)
    return {"open": open_, "done": done}


@router.post(
    "/",
    response={201: RequestDetailOut},
    summary="代录诉求（电话、走访、红色代办；须记录群众同意）",
)
def request_create(request: HttpRequest, payload: StaffEntryIn) -> Any:
    grid = access_grid_by_id(request.user, payload.grid_id)
    req, _token = services.request_submit(
        category=_category(payload.category),
        grid=grid,
        description=payload.description,
        address=payload.address,
        resident_name=payload.resident_name,
        resident_phone=payload.resident_phone,
        channel=payload.channel if payload.channel != "online" else "",
        actor=request.user,
        consent_note=payload.consent_note,
        priority=payload.priority,
        extra=payload.extra,
    )
    return 201, _detail_out(request, req)


@router.get("/{request_id}", response=RequestDetailOut, summary="诉求详情与办理记录")
def request_detail(request: HttpRequest, request_id: int) -> Any:
    return _detail_out(request, _req(request, request_id))


@router.post("/{request_id}/claim", response=RequestDetailOut, summary="领单（网格员）")
def request_claim(request: HttpRequest, request_id: int, payload: NoteIn) -> Any:
    req = services.request_claim(
        actor=request.user,
        request=_req(request, request_id),
        note=payload.note,
        note_public=payload.note_public,
    )
    return _detail_out(request, req)


@router.post("/{request_id}/release", response=RequestDetailOut, summary="退回待领")
def request_release(request: HttpRequest, request_id: int, payload: NoteIn) -> Any:
    req = services.request_release(
        actor=request.user, request=_req(request, request_id), note=payload.note
    )
    return _detail_out(request, req)


@router.post("/{request_id}/dispatch", response=RequestDetailOut, summary="派单（支部派给党员）")
def request_dispatch(request: HttpRequest, request_id: int, payload: DispatchIn) -> Any:
    members = list(Member.objects.filter(pk__in=payload.member_ids[:50]))
    if len(members) != len(set(payload.member_ids)):
        raise ValidationError(
            {"members": ValidationError("承办党员须为本支部（含下级）的在册党员")}
        )
    req = services.request_dispatch(
        actor=request.user,
        request=_req(request, request_id),
        members=members,
        note=payload.note,
        note_public=payload.note_public,
    )
    return _detail_out(request, req)


@router.post("/{request_id}/start", response=RequestDetailOut, summary="开始办理")
def request_start(request: HttpRequest, request_id: int, payload: NoteIn) -> Any:
    req = services.request_start(
        actor=request.user,
        request=_req(request, request_id),
        note=payload.note,
        note_public=payload.note_public,
    )
    return _detail_out(request, req)


@router.post("/{request_id}/wait", response=RequestDetailOut, summary="请群众补充（暂停计时）")
def request_wait(request: HttpRequest, request_id: int, payload: RequiredNoteIn) -> Any:
    req = services.request_wait(
        actor=request.user, request=_req(request, request_id), note=payload.note
    )
    return _detail_out(request, req)


@router.post("/{request_id}/resume", response=RequestDetailOut, summary="恢复办理（期限顺延）")
def request_resume(request: HttpRequest, request_id: int, payload: NoteIn) -> Any:
    req = services.request_resume(
        actor=request.user,
        request=_req(request, request_id),
        note=payload.note,
        note_public=payload.note_public,
    )
    return _detail_out(request, req)


def _decode_photos(photos: list[str]) -> list[ContentFile]:
    files = []
    for i, raw in enumerate(photos):
        try:
            data = base64.b64decode(raw.split(",", 1)[-1], validate=True)
        except (binascii.Error, ValueError):
            raise ValidationError(
                {"photos": ValidationError(f"第 {i + 1} 张照片不是有效的 base64 编码")}
            ) from None
        files.append(ContentFile(data, name=f"photo{i + 1}"))
    return files


@router.post("/{request_id}/report", response=RequestDetailOut, summary="晒单（至少一张照片）")
def request_report(request: HttpRequest, request_id: int, payload: ReportIn) -> Any:
    req = services.request_report(
        actor=request.user,
        request=_req(request, request_id),
        note=payload.note,
        note_public=payload.note_public,
        photos=_decode_photos(payload.photos),
        photos_public=payload.photos_public,
    )
    return _detail_out(request, req)


@router.post(
    "/{request_id}/close",
    response=RequestDetailOut,
    summary="结单（已评价，或评价期限已过记为未评价）",
)
def request_close(request: HttpRequest, request_id: int, payload: NoteIn) -> Any:
    req = services.request_close(
        actor=request.user,
        request=_req(request, request_id),
        note=payload.note,
        note_public=payload.note_public,
    )
    return _detail_out(request, req)


@router.post(
    "/{request_id}/reopen",
    response=RequestDetailOut,
    summary="重新办理（已评单或已办结；不超过重办上限）",
)
def request_reopen(request: HttpRequest, request_id: int, payload: RequiredNoteIn) -> Any:
    req = services.request_reopen(
        actor=request.user,
        request=_req(request, request_id),
        note=payload.note,
        note_public=payload.note_public,
    )
    return _detail_out(request, req)


@router.post(
    "/{request_id}/close-unresolved",
    response=RequestDetailOut,
    summary="未解决关闭（不计为已解决）",
)
def request_close_unresolved(
    request: HttpRequest, request_id: int, payload: CloseUnresolvedIn
) -> Any:
    dup = None
    if payload.duplicate_of:
        dup = (
            requests_visible_to(request.user)
            .filter(tracking_code=payload.duplicate_of.upper())
            .first()
        )
    req = services.request_close_unresolved(
        actor=request.user,
        request=_req(request, request_id),
        reason=payload.reason,
        note=payload.note,
        duplicate_of=dup,
    )
    return _detail_out(request, req)


@router.post("/{request_id}/escalate", response=RequestDetailOut, summary="升级督办")
def request_escalate(request: HttpRequest, request_id: int, payload: EscalateIn) -> Any:
    req = services.request_escalate(
        actor=request.user,
        request=_req(request, request_id),
        note=payload.note,
        to_level=payload.to_level or None,
    )
    return _detail_out(request, req)


@router.post("/{request_id}/transfer", response=RequestDetailOut, summary="转办到其他网格")
def request_transfer(request: HttpRequest, request_id: int, payload: TransferIn) -> Any:
    req = _req(request, request_id)
    grid = access_grid_by_id(request.user, payload.grid_id)
    out = services.request_transfer(
        actor=request.user, request=req, grid=grid, note=payload.note,
        note_public=payload.note_public,
    )  # fmt: skip
    return _detail_out(request, out)


@router.post(
    "/{request_id}/recategorize", response=RequestDetailOut, summary="调整类别或优先级（重算期限）"
)
def request_recategorize(request: HttpRequest, request_id: int, payload: RecategorizeIn) -> Any:
    req = services.request_recategorize(
        actor=request.user,
        request=_req(request, request_id),
        category=_category(payload.category),
        priority=payload.priority,
        note=payload.note,
        note_public=payload.note_public,
    )
    return _detail_out(request, req)
