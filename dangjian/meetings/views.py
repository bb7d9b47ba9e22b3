"""Meeting pages: list, record, detail with attendance and review, the review queue, check-in.

Thin: gate (meetings.access / orgs.access) → form → one service or selector → template.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.safestring import mark_safe
from django.views.decorators.http import require_POST

from dangjian.accounts.workspace import current_grant
from dangjian.core.counting import ListExtent
from dangjian.core.files import serve_private_file
from dangjian.core.forms import STALE_MESSAGE, add_validation_error
from dangjian.core.paths import subtree_q
from dangjian.meetings import selectors, services
from dangjian.meetings.access import access_meeting_by_id, access_meeting_file_by_id, may_review
from dangjian.meetings.forms import (
    AttendanceSheetForm,
    CancelForm,
    CheckinForm,
    FilesForm,
    MeetingEditForm,
    MeetingForm,
    MeetingPlanEditForm,
    MeetingPlanForm,
    RescheduleForm,
    ReviewForm,
)
from dangjian.meetings.models import Attendance, Meeting, MeetingType
from dangjian.meetings.qr import qr_svg
from dangjian.members.access import access_member_by_id
from dangjian.members.models import Member
from dangjian.orgs.access import access_org_by_id, may, orgs_visible_to, scope_roots
from dangjian.orgs.models import Organization

FILTER_KEYS = ("org", "type", "state", "month")
MEETING_ORG_TYPES = frozenset(
    services.BRANCH_LEVEL | services.COMMITTEE_TYPES | {Organization.Type.GROUP}
)


def _crumbs(*extra: tuple[str, str]) -> list[dict[str, str]]:
    return [{"label": "组织生活", "url": reverse("meetings:list")}] + [
        {"label": label, "url": url} for label, url in extra
    ]


def _working_org(request: HttpRequest) -> Organization | None:
    grant = current_grant(request.user, request.session)
    return access_org_by_id(request.user, grant.org_id) if grant else None


def _recordable_orgs(viewer: Any, within: Organization | None) -> list[tuple[int, str]]:
    """Organizations under the working org where the viewer may record meetings."""
    qs = orgs_visible_to(viewer).filter(org_type__in=MEETING_ORG_TYPES, dissolved_on__isnull=True)
    if within is not None:
        qs = qs.filter(subtree_q("path", within.path))
    rows = list(qs.order_by("path").only("id", "name", "path", "depth")[:1500])
    top = min((o.depth for o in rows), default=1)
    return [
        (o.pk, "　" * (o.depth - top) + o.name) for o in rows if may(viewer, "meeting.record", o)
    ]


def _label_types(meetings: list[Meeting]) -> list[Meeting]:
    labels = dict(MeetingType.choices)
    for m in meetings:
        m.type_names = [labels.get(t, t) for t in m.types]  # type: ignore[attr-defined]
    return meetings


def _require_meeting_scope(request: HttpRequest) -> None:
    if not scope_roots(request.user, action="meeting.view"):
        raise PermissionDenied("您没有查看组织生活的权限")


@login_required
def meeting_list(request: HttpRequest) -> HttpResponse:
    _require_meeting_scope(request)
    org = None
    if request.GET.get("org", "").isdigit():
        org = access_org_by_id(request.user, int(request.GET["org"]), action="meeting.view")
    elif (working := _working_org(request)) is not None and may(
        request.user, "meeting.view", working
    ):
        org = working
    qs = selectors.meeting_filter(viewer=request.user, org=org, params=request.GET)
    page = selectors.meeting_page(qs, cursor=request.GET.get("cursor"))
    _label_types(page.rows)
    params = {k: request.GET[k] for k in FILTER_KEYS if request.GET.get(k)}
    context = {
        "nav_active": "meetings",
        "org": org,
        "page": page,
        "params": params,
        "next_query": urlencode({**params, "cursor": page.next_cursor}) if page.next_cursor else "",
        "type_choices": MeetingType.choices,
        "type_labels": dict(MeetingType.choices),
        "state_choices": Meeting.State.choices,
        "crumbs": _crumbs(),
        "can_record": bool(scope_roots(request.user, action="meeting.record")),
        "can_review": bool(scope_roots(request.user, action="meeting.review")),
    }
    if getattr(request, "htmx", False) and request.GET.get("cursor"):
        return TemplateResponse(request, "meetings/meeting_list.html#rows", context)
    return TemplateResponse(request, "meetings/meeting_list.html", context)


def _form_page(
    request: HttpRequest, form: MeetingForm, title: str, meeting: Meeting | None
) -> HttpResponse:
    back = reverse("meetings:detail", args=[meeting.pk]) if meeting else reverse("meetings:list")
    return TemplateResponse(
        request,
        "meetings/meeting_form.html",
        {
            "nav_active": "meetings",
            "form": form,
            "title": title,
            "meeting": meeting,
            "cancel_url": back,
            "crumbs": _crumbs((title, "")),
        },
    )


def _new_form_initial(request: HttpRequest, orgs: list[tuple[int, str]]) -> dict[str, Any]:
    """The organization asked for (``?org=``) or else the working one, when it is a choice."""
    initial: dict[str, Any] = {}
    choice_ids = {pk for pk, _ in orgs}
    if request.GET.get("org", "").isdigit():
        initial["org"] = int(request.GET["org"])
    elif (working := _working_org(request)) is not None and working.pk in choice_ids:
        initial["org"] = working.pk
    return initial


@login_required
def meeting_new(request: HttpRequest) -> HttpResponse:
    if not scope_roots(request.user, action="meeting.record"):
        raise PermissionDenied("您没有登记会议的权限")
    orgs = _recordable_orgs(request.user, _working_org(request))
    initial = _new_form_initial(request, orgs)
    initial["held_at"] = timezone.localtime().replace(second=0, microsecond=0)
    form = MeetingForm(request.POST or None, orgs=orgs, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            org = access_org_by_id(request.user, form.cleaned_data["org"], action="meeting.record")
            meeting = services.meeting_create(actor=request.user, org=org, **form.record_data())
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已登记会议，签到码 {meeting.checkin_code}")
            return redirect("meetings:detail", meeting.pk)
    return _form_page(request, form, "登记会议", None)


@login_required
def meeting_new_planned(request: HttpRequest) -> HttpResponse:
    """通知会议: a meeting announced ahead; the invited members are notified on save."""
    if not scope_roots(request.user, action="meeting.record"):
        raise PermissionDenied("您没有登记会议的权限")
    orgs = _recordable_orgs(request.user, _working_org(request))
    initial = _new_form_initial(request, orgs)
    tomorrow = timezone.localtime() + dt.timedelta(days=1)
    initial["held_at"] = tomorrow.replace(hour=9, minute=0, second=0, microsecond=0)
    form = MeetingPlanForm(request.POST or None, orgs=orgs, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            org = access_org_by_id(request.user, form.cleaned_data["org"], action="meeting.record")
            meeting = services.meeting_plan(actor=request.user, org=org, **form.record_data())
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            reach = selectors.notice_reach(meeting)
            messages.success(
                request,
                f"已发出会议通知：应到 {reach.invited} 人，其中 {reach.reachable} 人"
                f"有登录账号，已收到通知。签到码 {meeting.checkin_code}",
            )
            return redirect("meetings:detail", meeting.pk)
    return _form_page(request, form, "通知会议（会前）", None)


@login_required
def meeting_edit(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access_meeting_by_id(request.user, meeting_id, action="meeting.record")
    planned = meeting.state == Meeting.State.PLANNED
    if not planned and meeting.state not in services.EDITABLE_STATES:
        messages.error(request, "会议记录已提交、已审核通过或已取消，不能修改")
        return redirect("meetings:detail", meeting.pk)
    initial = {f: getattr(meeting, f) for f in services.FIELDS}
    initial["held_at"] = timezone.localtime(meeting.held_at)
    form_class = MeetingPlanEditForm if planned else MeetingEditForm
    if planned:
        initial.pop("minutes")
    form = form_class(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        try:
            services.meeting_update(actor=request.user, meeting=meeting, data=form.record_data())
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, "已保存")
            return redirect("meetings:detail", meeting.pk)
    title = "修改会议通知" if planned else "修改会议记录"
    return _form_page(request, form, f"{title}：{meeting.topic}", meeting)


def _detail_context(
    request: HttpRequest, meeting: Meeting, *, sheet: AttendanceSheetForm | None = None
) -> dict[str, Any]:
    rows = selectors.attendance_rows(meeting)
    can_record = may(request.user, "meeting.record", meeting.org)
    editable = meeting.state in services.EDITABLE_STATES
    planned = meeting.state == Meeting.State.PLANNED
    now = timezone.now()
    can_mark = can_record and meeting.state in services.ATTENDANCE_STATES and bool(rows)
    if can_mark and sheet is None:
        sheet = AttendanceSheetForm(rows=rows)
    committee_posts = services.RECORD_RULES.committee_posts
    context: dict[str, Any] = {
        "nav_active": "meetings",
        "meeting": meeting,
        "type_labels": [MeetingType(t).label for t in meeting.types],
        "rows": rows,
        "summary": selectors.attendance_summary(rows),
        "files": list(meeting.files.all()),
        "can_record": can_record,
        "can_edit": can_record and (editable or planned),
        "can_submit": can_record and editable,
        "can_mark": can_mark,
        "sheet": sheet if can_mark else None,
        "committee_ids": [r.member_id for r in rows if r.member.party_post in committee_posts],
        "quorum_general": MeetingType.GENERAL_MEETING in meeting.types,
        "quorum_committee": MeetingType.COMMITTEE_MEETING in meeting.types,
        "planned": planned,
        "can_plan_change": can_record and planned,
        "can_start_record": can_record and planned and meeting.held_at <= now,
        "reach": selectors.notice_reach(meeting) if planned else None,
        "can_review": meeting.state == Meeting.State.SUBMITTED
        and may_review(request.user, meeting),
        "statuses": Attendance.Status.choices,
        "review_form": ReviewForm(),
        "files_form": FilesForm(),
        "reschedule_form": RescheduleForm(
            prefix="reschedule",
            initial={"held_at": timezone.localtime(meeting.held_at), "place": meeting.place},
        ),
        "cancel_form": CancelForm(prefix="cancel"),
        "crumbs": _crumbs((meeting.topic, "")),
        "grace_minutes": int(services.RECORD_RULES.late_grace.total_seconds() // 60),
    }
    if can_record and meeting.state in services.CHECKIN_STATES and meeting.checkin_token:
        url = request.build_absolute_uri(
            reverse("meetings:checkin_token", args=[meeting.checkin_token])
        )
        context["checkin_url"] = url
        # The SVG is generated here from our own URL, never from user input.
        context["checkin_qr"] = mark_safe(qr_svg(url))  # noqa: S308
        context["checkin_open"] = bool(
            meeting.checkin_opens_at
            and meeting.checkin_closes_at
            and meeting.checkin_opens_at <= now <= meeting.checkin_closes_at
        )
    return context


@login_required
def meeting_detail(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access_meeting_by_id(request.user, meeting_id)
    return TemplateResponse(
        request, "meetings/meeting_detail.html", _detail_context(request, meeting)
    )


def _submit(request: HttpRequest, meeting: Meeting, *, saved: str = "") -> HttpResponse:
    try:
        services.meeting_submit(actor=request.user, meeting=meeting)
    except ValidationError as exc:
        messages.error(request, saved + "提交未成功：" + "；".join(exc.messages))
    else:
        messages.success(request, saved + "已提交上级党组织审核")
    return redirect("meetings:detail", meeting.pk)


@login_required
@require_POST
def attendance_edit(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """The whole attendance sheet in one save (and, from 提交审核, save then submit)."""
    meeting = access_meeting_by_id(request.user, meeting_id, action="meeting.record")
    rows = selectors.attendance_rows(meeting)
    form = AttendanceSheetForm(request.POST, rows=rows)
    if form.is_valid():
        try:
            changed = services.attendance_bulk_set(
                actor=request.user, meeting=meeting, marks=form.marks()
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            saved = f"已保存出席情况（{len(changed)} 人有变动）。" if changed else ""
            if request.POST.get("then_submit") == "1":
                return _submit(request, meeting, saved=saved)
            messages.success(request, saved or "出席情况没有变动")
            return redirect(reverse("meetings:detail", args=[meeting.pk]) + "#attendance")
    if any(e.code == "stale" for e in form.non_field_errors().as_data()):
        # Someone (a check-in, another recorder) changed the sheet meanwhile: show it as it is
        # now, with the message; nothing of this post was saved.
        context = _detail_context(request, meeting)
        context["sheet_errors"] = [STALE_MESSAGE]
        return TemplateResponse(request, "meetings/meeting_detail.html", context)
    context = _detail_context(request, meeting, sheet=form)
    return TemplateResponse(request, "meetings/meeting_detail.html", context)


@login_required
@require_POST
def meeting_submit(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access_meeting_by_id(request.user, meeting_id, action="meeting.record")
    return _submit(request, meeting)


@login_required
@require_POST
def meeting_reschedule(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """改期: a new time (and place) for a planned meeting; the members are told again."""
    meeting = access_meeting_by_id(request.user, meeting_id, action="meeting.record")
    form = RescheduleForm(request.POST, prefix="reschedule")
    if not form.is_valid():
        messages.error(request, "；".join(str(e) for errs in form.errors.values() for e in errs))
        return redirect("meetings:detail", meeting.pk)
    try:
        services.meeting_reschedule(actor=request.user, meeting=meeting, **form.cleaned_data)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "已改期，并重新通知应到党员")
    return redirect("meetings:detail", meeting.pk)


@login_required
@require_POST
def meeting_cancel(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access_meeting_by_id(request.user, meeting_id, action="meeting.record")
    form = CancelForm(request.POST, prefix="cancel")
    try:
        if not form.is_valid():
            raise ValidationError("取消会议请填写原因")
        services.meeting_cancel(
            actor=request.user, meeting=meeting, reason=form.cleaned_data["reason"]
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, "会议已取消，并已通知应到党员")
    return redirect("meetings:detail", meeting.pk)


@login_required
@require_POST
def meeting_start_record(request: HttpRequest, meeting_id: int) -> HttpResponse:
    """登记会议记录: a planned meeting that has been held becomes a draft record."""
    meeting = access_meeting_by_id(request.user, meeting_id, action="meeting.record")
    try:
        services.meeting_start_record(actor=request.user, meeting=meeting)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("meetings:detail", meeting.pk)
    messages.success(request, "请填写会议记录，并核对出席情况后提交审核")
    return redirect("meetings:edit", meeting.pk)


@login_required
@require_POST
def meeting_review(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access_meeting_by_id(request.user, meeting_id)
    form = ReviewForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请选择审核结果")
        return redirect("meetings:detail", meeting.pk)
    try:
        if form.cleaned_data["decision"] == "approve":
            services.meeting_approve(
                actor=request.user, meeting=meeting, comment=form.cleaned_data["comment"]
            )
            messages.success(request, "已审核通过")
        else:
            services.meeting_return(
                actor=request.user, meeting=meeting, comment=form.cleaned_data["comment"]
            )
            messages.success(request, "已退回，请登记人修改后重新提交")
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    return redirect("meetings:detail", meeting.pk)


@login_required
@require_POST
def meeting_files(request: HttpRequest, meeting_id: int) -> HttpResponse:
    meeting = access_meeting_by_id(request.user, meeting_id, action="meeting.record")
    form = FilesForm(request.POST)
    caption = form.cleaned_data["caption"] if form.is_valid() else ""
    try:
        added = services.meeting_files_add(
            actor=request.user,
            meeting=meeting,
            uploads=request.FILES.getlist("files"),
            caption=caption,
        )
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, f"已上传 {len(added)} 个文件")
    return redirect("meetings:detail", meeting.pk)


@login_required
def meeting_file(request: HttpRequest, file_id: int) -> HttpResponseBase:
    """A meeting's photo or PDF, to those who may see the meeting (core.files serves it)."""
    row = access_meeting_file_by_id(request.user, file_id)
    return serve_private_file(request, row.file)


@login_required
def review_queue(request: HttpRequest) -> HttpResponse:
    if not scope_roots(request.user, action="meeting.review"):
        raise PermissionDenied("您没有审核会议记录的权限")
    page = selectors.meeting_review_page(viewer=request.user, cursor=request.GET.get("cursor"))
    return TemplateResponse(
        request,
        "meetings/meeting_review_list.html",
        {
            "nav_active": "meetings",
            "rows": _label_types(page.rows),
            "extent": ListExtent(
                showing=len(page.rows),
                total=page.total,
                unit="条",
                what="待审核",
                how="点“下一页”查看其余",
                first_page=not request.GET.get("cursor"),
            ),
            "next_query": urlencode({"cursor": page.next_cursor}) if page.next_cursor else "",
            "type_labels": dict(MeetingType.choices),
            "crumbs": _crumbs(("待我审核", "")),
        },
    )


@login_required
def checkin(request: HttpRequest, token: str = "") -> HttpResponse:
    """Phone-first check-in: a 6-character code typed in, or the QR token in the URL."""
    form = CheckinForm(request.POST or None, initial={"code": token} if token else None)
    meeting = services.find_meeting(token) if token else None
    error = "签到码不存在" if token and meeting is None else ""
    result = None
    if request.method == "POST" and not error and form.is_valid():
        try:
            result = services.meeting_checkin(
                user=request.user, code_or_token=form.cleaned_data["code"]
            )
        except ValidationError as exc:
            error = "；".join(exc.messages)
    return TemplateResponse(
        request,
        "meetings/checkin.html",
        {
            "nav_active": "meetings",
            "form": form,
            "token": token,
            "meeting": result.meeting if result else meeting,
            "result": result,
            "error": error,
            "crumbs": [{"label": "会议签到", "url": ""}],
        },
    )


@login_required
def member_tab(request: HttpRequest, member_id: int) -> HttpResponse:
    """The meetings tab of a member profile: attended meetings and the 12-month rate."""
    member: Member = access_member_by_id(request.user, member_id)
    data = selectors.member_meetings(member=member)
    return TemplateResponse(
        request,
        "meetings/member_meetings_tab.html",
        {
            "member": member,
            "data": data,
            "can_view_meetings": bool(scope_roots(request.user, action="meeting.view")),
        },
    )


@login_required
def home_card(request: HttpRequest) -> HttpResponse:
    """The home page's 我的组织生活 card: the member's last meetings and attendance rate."""
    member = getattr(request.user, "member_record", None)
    mine = selectors.member_meetings(member=member, limit=3) if member is not None else None
    return TemplateResponse(request, "meetings/_home_card.html", {"mine": mine})


@login_required
def my_checkins(request: HttpRequest) -> HttpResponse:
    """Home-page card: meetings the member can check in to right now."""
    rows = selectors.open_checkins_for(user=request.user, now=timezone.now())
    return TemplateResponse(request, "meetings/my_checkins.html", {"rows": rows})
