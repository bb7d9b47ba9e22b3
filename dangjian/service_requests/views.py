"""Staff pages of the five-order loop: the grid worker's queue, the branch's dispatch board,
the overdue board, statistics, a member's orders (晒单), request detail with history, staff
entry (红色代办), and one small POST view per step (``_step`` holds their shared plumbing).

Thin: gate (service_requests.access / orgs.access) → form → one service or selector → template.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.accounts.roles import Role
from dangjian.accounts.workspace import current_grant
from dangjian.core.counting import CappedCount, ListExtent
from dangjian.core.files import serve_private_file
from dangjian.core.forms import add_validation_error
from dangjian.core.paths import subtree_q
from dangjian.grid.access import grids_visible_to
from dangjian.members.models import Member
from dangjian.orgs.access import access_org_by_id, may, orgs_visible_to, scope_roots
from dangjian.orgs.models import Organization
from dangjian.service_requests import rules, selectors, services
from dangjian.service_requests.access import (
    access_request_by_id,
    allowed_transitions,
    may_see_private,
    requests_visible_to,
)
from dangjian.service_requests.forms import (
    CloseUnresolvedForm,
    DispatchForm,
    EscalateForm,
    NoteForm,
    ReportForm,
    StaffEntryForm,
    TransferForm,
)
from dangjian.service_requests.models import (
    Channel,
    Priority,
    RequestCategory,
    RequestPhoto,
    RequestState,
    ServiceRequest,
)

S = RequestState


def _crumbs(*extra: tuple[str, str]) -> list[dict[str, str]]:
    return [{"label": "群众诉求", "url": reverse("service_requests:queue")}] + [
        {"label": label, "url": url} for label, url in extra
    ]


def _require_scope(request: HttpRequest, action: str = "request.view") -> None:
    if not scope_roots(request.user, action=action):
        raise PermissionDenied("您没有查看群众诉求的权限")


def _org_param(request: HttpRequest, action: str = "request.view") -> Organization:
    """The organization asked for (``?org=``), else the working grant's, else the top one."""
    raw = request.GET.get("org", "")
    if raw.isdigit():
        return access_org_by_id(request.user, int(raw), action=action)
    grant = current_grant(request.user, request.session)
    if grant is not None:
        working = orgs_visible_to(request.user).filter(pk=grant.org_id).first()
        if working is not None and may(request.user, action, working):
            return working
    roots = scope_roots(request.user, action=action)
    if not roots:
        raise PermissionDenied("您没有查看群众诉求的权限")
    found = Organization.objects.filter(path=roots[0]).first()
    if found is None:  # pragma: no cover - a grant always has its organization
        raise Http404
    return found


def _tabs(request: HttpRequest, active: str) -> list[dict[str, Any]]:
    user = request.user
    tabs: list[dict[str, Any]] = []
    if selectors.grids_of_worker_exists(user):
        tabs.append({"key": "pool", "label": "网格待领", "url": reverse("service_requests:pool")})
    if scope_roots(user, action="request.dispatch"):
        tabs.append(
            {"key": "board", "label": "支部派单台", "url": reverse("service_requests:board")}
        )
    tabs.append({"key": "overdue", "label": "逾期督办", "url": reverse("service_requests:overdue")})
    tabs.append({"key": "list", "label": "全部诉求", "url": reverse("service_requests:list")})
    tabs.append({"key": "stats", "label": "统计", "url": reverse("service_requests:stats")})
    if scope_roots(user, action="request.handle"):
        tabs.append({"key": "new", "label": "代录诉求", "url": reverse("service_requests:new")})
    for t in tabs:
        t["active"] = t["key"] == active
    return tabs


def _page_context(request: HttpRequest, active: str, **extra: Any) -> dict[str, Any]:
    return {
        "nav_active": "requests",
        "tabs": _tabs(request, active),
        "now": timezone.now(),
        **extra,
    }


@login_required
def queue(request: HttpRequest) -> HttpResponse:
    """群众诉求: the page for the working grant — grid worker → pool, branch → dispatch board,
    township/county → overdue board (with the figures)."""
    grant = current_grant(request.user, request.session)
    if grant is None or grant.role == Role.MEMBER:
        return redirect("service_requests:mine")
    if grant.role == Role.GRID_WORKER:
        return redirect("service_requests:pool")
    if grant.role == Role.SECRETARY:
        return redirect("service_requests:board")
    return redirect("service_requests:overdue")


@login_required
def home_card(request: HttpRequest) -> HttpResponse:
    """The grid worker's home card: how many wait in the pool of my grids, the most urgent,
    and what I claimed."""
    _require_scope(request, "request.handle")
    q = selectors.worker_queue(viewer=request.user)
    return TemplateResponse(
        request,
        "service_requests/_home_card.html",
        {"q": q, "pool_total": CappedCount(counted=q.pool_total, cap=selectors.CAP)},
    )


@login_required
def pool(request: HttpRequest) -> HttpResponse:
    """网格员: the pool of my grids and what I claimed (phone-first)."""
    _require_scope(request, "request.handle")
    q = selectors.worker_queue(viewer=request.user, cursor=request.GET.get("cursor"))
    return TemplateResponse(
        request,
        "service_requests/pool.html",
        _page_context(
            request,
            "pool",
            q=q,
            pool_extent=ListExtent(
                showing=len(q.pool.rows),
                total=CappedCount(counted=q.pool_total, cap=selectors.CAP),
                unit="条",
                what="待领",
                how="点“下一页”查看其余",
                first_page=not request.GET.get("cursor"),
            ),
            next_query=urlencode({"cursor": q.pool.next_cursor}) if q.pool.next_cursor else "",
            crumbs=_crumbs(("网格待领", "")),
        ),
    )


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """支部派单台: requests to dispatch, and those in hand."""
    org = _org_param(request, "request.dispatch")
    to_dispatch = selectors.dispatch_board(
        viewer=request.user, org=org, cursor=request.GET.get("cursor")
    )
    hand = selectors.in_hand(viewer=request.user, org=org)
    # Every card offers the same members: sent once per page (a JSON island the cards' pickers
    # read), not once per card. The branch tells apart two members of the same name.
    people = _dispatchable(org).values_list("id", "name", "branch__short_name", "branch__name")
    return TemplateResponse(
        request,
        "service_requests/board.html",
        _page_context(
            request,
            "board",
            org=org,
            page=to_dispatch,
            hand=hand,
            dispatch_people=_people_with_branches(people),
            next_query=urlencode({"org": org.pk, "cursor": to_dispatch.next_cursor})
            if to_dispatch.next_cursor
            else "",
            crumbs=_crumbs(("支部派单台", "")),
        ),
    )


def _people_with_branches(rows: Any) -> list[list[Any]]:
    """[id, name, branch] for the picker; the branch only when the people span several."""
    people = [[pk, name, short or branch] for pk, name, short, branch in rows]
    if len({p[2] for p in people}) <= 1:
        for p in people:
            p[2] = ""
    return people


def _dispatchable(org: Organization) -> Any:
    """The members a request under ``org`` may be dispatched to (the first 500 by place)."""
    return Member.objects.filter(
        subtree_q("org_path", org.path), status=Member.Status.CURRENT
    ).order_by("org_path", "name", "id")[:500]


def _member_choices(org: Organization) -> list[tuple[int, str]]:
    return list(_dispatchable(org).values_list("id", "name"))


@login_required
def overdue(request: HttpRequest) -> HttpResponse:
    """逾期督办: open requests past their deadline under the organization, most overdue first."""
    org = _org_param(request)
    page = selectors.overdue_board(viewer=request.user, org=org, cursor=request.GET.get("cursor"))
    today = timezone.localdate()
    stats = selectors.request_stats(
        viewer=request.user, org=org, start=today.replace(month=1, day=1), end=today, detail=False
    )
    return TemplateResponse(
        request,
        "service_requests/overdue.html",
        _page_context(
            request,
            "overdue",
            org=org,
            page=page,
            stats=stats,
            next_query=urlencode({"org": org.pk, "cursor": page.next_cursor})
            if page.next_cursor
            else "",
            crumbs=_crumbs(("逾期督办", "")),
        ),
    )


@login_required
def request_list(request: HttpRequest) -> HttpResponse:
    """全部诉求 under the organization, filtered by an allowlist of fields, keyset-paged."""
    org = _org_param(request)
    qs = selectors.request_filter(viewer=request.user, org=org, params=request.GET)
    page = selectors.request_page(qs, cursor=request.GET.get("cursor"))
    params = {
        k: request.GET[k]
        for k in ("org", "state", "category", "priority", "overdue", "q")
        if request.GET.get(k)
    }
    return TemplateResponse(
        request,
        "service_requests/list.html",
        _page_context(
            request,
            "list",
            org=org,
            page=page,
            params=params,
            state_choices=[("open", "未办结")] + S.choices,
            categories=selectors.categories(),
            next_query=urlencode({**params, "cursor": page.next_cursor})
            if page.next_cursor
            else "",
            crumbs=_crumbs(("全部诉求", "")),
        ),
    )


def _date_param(value: str, default: dt.date) -> dt.date:
    try:
        return dt.date.fromisoformat(value) if value else default
    except ValueError:
        return default


@login_required
def stats(request: HttpRequest) -> HttpResponse:
    """接诉即办统计 for any organization and period."""
    org = _org_param(request)
    today = timezone.localdate()
    start = _date_param(request.GET.get("start", ""), today.replace(month=1, day=1))
    end = _date_param(request.GET.get("end", ""), today)
    if end < start:
        start, end = end, start
    figures = selectors.request_stats(
        viewer=request.user, org=org, start=start, end=end, children=True
    )
    return TemplateResponse(
        request,
        "service_requests/stats.html",
        _page_context(
            request,
            "stats",
            org=org,
            s=figures,
            start=start,
            end=end,
            child_stats=figures.children,
            crumbs=_crumbs(("统计", "")),
        ),
    )


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的派单: a member's dispatched orders, with the 晒单 form (phone-first)."""
    open_, done = selectors.my_orders(user=request.user)
    return TemplateResponse(
        request,
        "service_requests/mine.html",
        {"nav_active": "my_orders", "open_rows": open_, "done_rows": done, "now": timezone.now()},
    )


@login_required
def detail(request: HttpRequest, request_id: int) -> HttpResponse:
    req = access_request_by_id(request.user, request_id)
    return _detail_page(request, req)


def _detail_page(request: HttpRequest, req: ServiceRequest, **forms_: Any) -> HttpResponse:
    actions = allowed_transitions(request.user, req)
    private = may_see_private(request.user, req)
    grid_choices = (
        [
            (g.pk, f"{g.org.short_name or g.org.name} · {g.name}")
            for g in grids_visible_to(request.user)
            .filter(is_active=True)
            .exclude(pk=req.grid_id)
            .select_related("org")[:300]
        ]
        if "transfer" in actions
        else []
    )
    context = _page_context(
        request,
        "",
        req=req,
        events=selectors.history(viewer=request.user, req=req),
        photos=list(req.photos.order_by("id")),
        assignments=list(req.assignments.select_related("member")),
        actions=actions,
        private=private,
        limits=rules.limits_for(req.category, req.priority),
        extra_rows=[
            (spec.get("label", spec.get("code")), req.extra[spec.get("code")])
            for spec in req.category.extra_fields
            if spec.get("code") in req.extra
        ],
        categories=selectors.categories() if "recategorize" in actions else [],
        priority_choices=Priority.choices,
        dispatch_form=forms_.get("dispatch_form")
        or DispatchForm(member_choices=_member_choices(req.org) if "dispatch" in actions else []),
        report_form=forms_.get("report_form") or ReportForm(),
        note_form=forms_.get("note_form") or NoteForm(),
        close_form=forms_.get("close_form") or CloseUnresolvedForm(),
        escalate_form=forms_.get("escalate_form") or EscalateForm(),
        transfer_form=forms_.get("transfer_form") or TransferForm(grid_choices=grid_choices),
        crumbs=_crumbs((req.tracking_code, "")),
    )
    context["nav_active"] = (
        "requests" if may(request.user, "request.view", req.org) else "my_orders"
    )
    return TemplateResponse(request, "service_requests/detail.html", context)


@login_required
def photo(request: HttpRequest, photo_id: int) -> HttpResponseBase:
    """A request photo, to those who may see the request (core.files serves it)."""
    row = RequestPhoto.objects.filter(pk=photo_id).first()
    if row is None:
        raise Http404("未找到该照片")
    access_request_by_id(request.user, row.request_id)
    return serve_private_file(request, row.file)


def _back(request: HttpRequest, req: ServiceRequest) -> HttpResponse:
    nxt = request.POST.get("next", "")
    if nxt in ("mine", "pool", "board"):
        return redirect(f"service_requests:{nxt}")
    if (
        may(request.user, "request.view", req.org)
        or req.assignments.filter(member__user_id=request.user.pk or 0).exists()
    ):
        return redirect("service_requests:detail", req.pk)
    return redirect("service_requests:queue")


def _step(
    do: Callable[[HttpRequest, ServiceRequest], str],
) -> Callable[[HttpRequest, int], HttpResponse]:
    """A POST view for one step: gate, run ``do`` (one service; it returns what to tell the
    user), show its message or the refusal, and go back where the form was."""

    @login_required
    @require_POST
    @wraps(do)
    def view(request: HttpRequest, request_id: int) -> HttpResponse:
        req = access_request_by_id(request.user, request_id)
        try:
            messages.success(request, do(request, req))
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        return _back(request, req)

    return view


def _note(request: HttpRequest) -> str:
    return request.POST.get("note", "")


def _note_public(request: HttpRequest) -> bool:
    """A note stays internal unless its author ticks 说明对群众公开."""
    return request.POST.get("note_public") == "on"


@_step
def claim(request: HttpRequest, req: ServiceRequest) -> str:
    services.request_claim(
        actor=request.user, request=req, note=_note(request), note_public=_note_public(request)
    )
    return f"已领单：{req.tracking_code}"


@_step
def release(request: HttpRequest, req: ServiceRequest) -> str:
    services.request_release(actor=request.user, request=req, note=_note(request))
    return "已退回待领"


@_step
def dispatch(request: HttpRequest, req: ServiceRequest) -> str:
    prefix = request.POST.get("prefix") or None
    form = DispatchForm(request.POST, member_choices=_member_choices(req.org), prefix=prefix)
    if not form.is_valid():
        raise ValidationError("请选择本支部的在册党员")
    members = list(Member.objects.filter(pk__in=form.cleaned_data["members"]))
    services.request_dispatch(
        actor=request.user,
        request=req,
        members=members,
        note=form.cleaned_data["note"],
        note_public=form.cleaned_data["note_public"],
    )
    return f"已派单：{req.tracking_code}"


@_step
def start(request: HttpRequest, req: ServiceRequest) -> str:
    services.request_start(
        actor=request.user, request=req, note=_note(request), note_public=_note_public(request)
    )
    return "已开始办理"


@_step
def wait(request: HttpRequest, req: ServiceRequest) -> str:
    services.request_wait(actor=request.user, request=req, note=_note(request))
    return "已请群众补充，计时暂停"


@_step
def resume(request: HttpRequest, req: ServiceRequest) -> str:
    services.request_resume(
        actor=request.user, request=req, note=_note(request), note_public=_note_public(request)
    )
    return "已恢复办理"


@_step
def report(request: HttpRequest, req: ServiceRequest) -> str:
    services.request_report(
        actor=request.user,
        request=req,
        note=_note(request),
        note_public=_note_public(request),
        photos=request.FILES.getlist("photos"),
        photos_public=request.POST.get("photos_public") == "on",
    )
    return "晒单成功，等待群众评价"


@_step
def recategorize(request: HttpRequest, req: ServiceRequest) -> str:
    category = RequestCategory.objects.filter(
        code=request.POST.get("category", ""), is_active=True
    ).first()
    if category is None:
        raise ValidationError({"category": ValidationError("请选择诉求类别")})
    services.request_recategorize(
        actor=request.user,
        request=req,
        category=category,
        priority=request.POST.get("priority", ""),
        note=_note(request),
        note_public=_note_public(request),
    )
    return "已调整类别，办结期限已重新计算"


@_step
def reopen_by_staff(request: HttpRequest, req: ServiceRequest) -> str:
    services.request_reopen(
        actor=request.user, request=req, note=_note(request), note_public=_note_public(request)
    )
    return "已重新办理，承办党员已收到通知"


@_step
def close(request: HttpRequest, req: ServiceRequest) -> str:
    services.request_close(
        actor=request.user, request=req, note=_note(request), note_public=_note_public(request)
    )
    return "已结单"


@_step
def close_unresolved(request: HttpRequest, req: ServiceRequest) -> str:
    form = CloseUnresolvedForm(request.POST)
    form.is_valid()  # the service words the refusals; the form only cleans the input
    dup = None
    code = (form.cleaned_data.get("duplicate_of") or "").strip().upper()
    if code:
        dup = requests_visible_to(request.user).filter(tracking_code=code).first()
    services.request_close_unresolved(
        actor=request.user,
        request=req,
        reason=form.cleaned_data.get("reason") or "",
        note=_note(request),
        duplicate_of=dup,
    )
    return "已关闭（未解决）"


@_step
def escalate(request: HttpRequest, req: ServiceRequest) -> str:
    form = EscalateForm(request.POST)
    form.is_valid()
    services.request_escalate(
        actor=request.user,
        request=req,
        note=_note(request),
        to_level=form.cleaned_data.get("to_level") or None,
    )
    return "已升级督办"


@_step
def transfer(request: HttpRequest, req: ServiceRequest) -> str:
    raw = request.POST.get("grid", "")
    grid = (
        grids_visible_to(request.user).filter(pk=int(raw)).select_related("org").first()
        if raw.isdigit()
        else None
    )
    if grid is None:
        raise ValidationError({"grid": ValidationError("请选择要转至的网格")})
    services.request_transfer(
        actor=request.user,
        request=req,
        grid=grid,
        note=_note(request),
        note_public=_note_public(request),
    )
    return f"已转办至{grid.name}"


@login_required
def new(request: HttpRequest) -> HttpResponse:
    """代录诉求: staff enter a request for a resident (phone, visit, 红色代办) with consent."""
    _require_scope(request, "request.handle")
    grids = list(
        grids_visible_to(request.user, "request.handle")
        .filter(is_active=True)
        .select_related("org")
        .order_by("org_path", "name")[:500]
    )
    grid_choices = [(g.pk, f"{g.org.short_name or g.org.name} · {g.name}") for g in grids]
    cats = selectors.categories()
    cat_choices = [
        (c.code, f"{c.name}（{c.completion_amount}{c.get_completion_unit_display()}）")
        for c in cats
    ]
    form = StaffEntryForm(
        request.POST or None, grid_choices=grid_choices, category_choices=cat_choices
    )
    if request.method == "POST" and form.is_valid():
        d = form.cleaned_data
        grid = next(g for g in grids if g.pk == d["grid"])
        category = RequestCategory.objects.get(code=d["category"])
        extra = {
            f["code"]: request.POST.get(f"extra_{f['code']}", "") for f in category.extra_fields
        }
        try:
            req, _token = services.request_submit(
                category=category,
                grid=grid,
                description=d["description"],
                address=d["address"],
                resident_name=d["resident_name"],
                resident_phone=d["resident_phone"],
                photos=request.FILES.getlist("photos"),
                channel=d["channel"],
                actor=request.user,
                consent_note=d["consent_note"],
                priority=d["priority"] or "",
                extra=extra,
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(
                request, f"已代录诉求，受理编号 {req.tracking_code}（群众可凭编号和手机号查询）"
            )
            return redirect("service_requests:detail", req.pk)
    return TemplateResponse(
        request,
        "service_requests/new.html",
        _page_context(
            request,
            "new",
            form=form,
            categories=cats,
            channel_help=dict(Channel.choices),
            crumbs=_crumbs(("代录诉求", "")),
        ),
    )
