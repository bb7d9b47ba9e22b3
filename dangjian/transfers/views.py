"""Pages of 组织关系转接: work boxes, a transfer's page with its actions, forms, the letter.

Thin: access gate → form → one service or selector → template (a partial for HTMX).
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.core.forms import add_validation_error
from dangjian.core.ratelimit import RateLimitedError
from dangjian.dues.selectors import paid_through_text
from dangjian.members.access import access_member_by_id
from dangjian.members.models import Member
from dangjian.orgs.access import may, scope_roots
from dangjian.orgs.models import BRANCH_TYPES, Organization
from dangjian.transfers import letters, rules, selectors, services
from dangjian.transfers.access import (
    access_transfer_by_id,
    approving_org,
    may_see_letter,
    transfer_actions,
)
from dangjian.transfers.forms import (
    REASONS,
    AcceptForm,
    ApproveForm,
    TransferInForm,
    TransferOutForm,
    TransferRequestForm,
)
from dangjian.transfers.models import Transfer

LIST_CRUMB = {"label": "组织关系转接", "url": "/transfers/"}


def _htmx(request: HttpRequest) -> bool:
    return bool(getattr(request, "htmx", None))


def _crumbs(*extra: tuple[str, str]) -> list[dict[str, str]]:
    return [LIST_CRUMB, *({"label": label, "url": url} for label, url in extra)]


def _require_any(viewer: Any, action: str) -> None:
    if not scope_roots(viewer, action=action):
        raise PermissionDenied("您没有办理组织关系转接的权限")


# --- lists ------------------------------------------------------------------------------------


@login_required
def transfer_list(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    if not scope_roots(viewer, action="member.view"):
        raise PermissionDenied("您没有查看组织关系转接的权限")
    boxes = dict(selectors.BOXES)
    box = request.GET.get("box", "all")
    box = box if box in boxes else "all"
    state = request.GET.get("state", "")
    state = state if state in Transfer.State.values else ""
    q = request.GET.get("q", "").strip()[:50]
    counts = selectors.box_counts(viewer=viewer)
    page = selectors.transfer_page(
        viewer=viewer, box=box, state=state, q=q, cursor=request.GET.get("cursor"), limit=30
    )
    context: dict[str, Any] = {
        "nav_active": "transfers",
        "crumbs": _crumbs(),
        "page": page,
        "box": box,
        "tabs": [(key, label, counts.get(key)) for key, label in selectors.BOXES],
        "state": state,
        "states": Transfer.State.choices,
        "q": q,
        "can_request": bool(scope_roots(viewer, action="transfer.request")),
        "can_receive": bool(scope_roots(viewer, action="transfer.accept")),
        "today": timezone.localdate(),
    }
    if _htmx(request) and request.GET.get("cursor"):
        return TemplateResponse(request, "transfers/transfer_list.html#rows", context)
    return TemplateResponse(request, "transfers/transfer_list.html", context)


# --- one transfer -----------------------------------------------------------------------------


def _steps(t: Transfer) -> list[dict[str, Any]]:
    """The transfer's history as steps for the page (who, when)."""
    steps = [{"label": "发起申请", "by": t.requested_by, "at": t.requested_at, "note": t.reason}]
    if t.approved_at:
        steps.append(
            {
                "label": "审批通过，开具介绍信",
                "by": t.approved_by,
                "at": t.approved_at,
                "note": f"编号 {t.number}，有效期至{rules.date_label(t.valid_until)}",
            }
        )
    if t.accepted_at:
        label = "登记转入" if t.kind == Transfer.Kind.INBOUND else "接收，回执已登记"
        steps.append(
            {
                "label": label,
                "by": t.accepted_by,
                "at": t.accepted_at,
                "note": f"回执日期 {rules.date_label(t.received_on)}，经办人 {t.receiver_name}",
            }
        )
    if t.closed_at:
        steps.append(
            {
                "label": t.get_state_display(),
                "by": t.closed_by,
                "at": t.closed_at,
                "note": t.closed_reason,
            }
        )
    return steps


@login_required
def transfer_detail(request: HttpRequest, transfer_id: int) -> HttpResponse:
    viewer = request.user
    t = access_transfer_by_id(viewer, transfer_id)
    today = timezone.localdate()
    actions = transfer_actions(viewer, t, today=today)
    member_visible = t.member is not None and may(viewer, "member.view", t.member.branch)
    context = {
        "nav_active": "transfers",
        "t": t,
        "crumbs": _crumbs((t.member_name, "")),
        "actions": actions,
        "steps": _steps(t),
        "today": today,
        "has_letter": may_see_letter(t),
        "member_visible": member_visible,
        "issuer": approving_org(t.from_branch) if t.from_branch else None,
        "approve_form": ApproveForm(initial={"valid_until": rules.valid_until_for(today)}),
        "accept_form": AcceptForm(
            initial={"received_on": today, "receiver_name": getattr(viewer, "display_name", "")}
        ),
        "valid_months": rules.transfer_rules().valid_months,
        "expired_unaccepted": t.state == Transfer.State.APPROVED
        and not rules.is_letter_valid(t.valid_until, today),
    }
    return TemplateResponse(request, "transfers/transfer_detail.html", context)


def _act(request: HttpRequest, transfer_id: int, done: str, run: Any) -> HttpResponse:
    t = access_transfer_by_id(request.user, transfer_id)
    try:
        run(t)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        messages.success(request, done)
    return redirect("transfers:detail", t.pk)


@login_required
@require_POST
def transfer_approve_view(request: HttpRequest, transfer_id: int) -> HttpResponse:
    form = ApproveForm(request.POST)
    if not form.is_valid():
        messages.error(request, "有效期日期格式不正确")
        return redirect("transfers:detail", access_transfer_by_id(request.user, transfer_id).pk)
    valid_until = form.cleaned_data.get("valid_until")
    return _act(
        request,
        transfer_id,
        "已审批，介绍信已开具",
        lambda t: services.transfer_approve(
            actor=request.user, transfer=t, valid_until=valid_until
        ),
    )


@login_required
@require_POST
def transfer_accept_view(request: HttpRequest, transfer_id: int) -> HttpResponse:
    form = AcceptForm(request.POST)
    if not form.is_valid():
        messages.error(request, "回执日期或经办人填写不正确")
        return redirect("transfers:detail", access_transfer_by_id(request.user, transfer_id).pk)
    data = form.cleaned_data
    return _act(
        request,
        transfer_id,
        "已接收，回执已登记",
        lambda t: services.transfer_accept(
            actor=request.user,
            transfer=t,
            received_on=data.get("received_on"),
            receiver_name=data.get("receiver_name", ""),
        ),
    )


@login_required
@require_POST
def transfer_return_view(request: HttpRequest, transfer_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")[:500]
    return _act(
        request,
        transfer_id,
        "已退回",
        lambda t: services.transfer_return(actor=request.user, transfer=t, reason=reason),
    )


@login_required
@require_POST
def transfer_revoke_view(request: HttpRequest, transfer_id: int) -> HttpResponse:
    reason = request.POST.get("reason", "")[:500]
    return _act(
        request,
        transfer_id,
        "已撤销",
        lambda t: services.transfer_revoke(actor=request.user, transfer=t, reason=reason),
    )


# --- the letter -------------------------------------------------------------------------------


def _letter(request: HttpRequest, transfer_id: int) -> tuple[Transfer, letters.Letter | None]:
    t = access_transfer_by_id(request.user, transfer_id)
    if not may_see_letter(t):
        return t, None
    return t, services.letter_read(actor=request.user, transfer=t)


@login_required
def letter_html(request: HttpRequest, transfer_id: int) -> HttpResponse:
    t, letter = _letter(request, transfer_id)
    if letter is None:
        messages.info(request, "介绍信尚未开具（审批通过后才有介绍信）")
        return redirect("transfers:detail", t.pk)
    return TemplateResponse(request, "transfers/letter.html", {"t": t, "letter": letter})


@login_required
def letter_docx(request: HttpRequest, transfer_id: int) -> HttpResponse:
    t, letter = _letter(request, transfer_id)
    if letter is None:
        messages.info(request, "介绍信尚未开具（审批通过后才有介绍信）")
        return redirect("transfers:detail", t.pk)
    response = HttpResponse(
        letters.letter_docx(letter),
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    name = letters.letter_filename(letter)
    response["Content-Disposition"] = (
        f"attachment; filename=\"transfer-{t.pk}.docx\"; filename*=UTF-8''{quote(name)}"
    )
    response["Cache-Control"] = "no-store"
    return response


# --- starting a transfer ----------------------------------------------------------------------


def _member_for(request: HttpRequest) -> Member | None:
    raw = request.GET.get("member") or request.POST.get("member") or ""
    if not raw:
        return None
    try:
        member_id = int(raw)
    except ValueError:
        member_id = 0
    return access_member_by_id(request.user, member_id, action="transfer.request")


def _dues_initial(member: Member | None) -> dict[str, str]:
    """The letter's 党费交至年月 defaults to the month the dues ledger says is paid through."""
    text = paid_through_text(member) if member is not None else ""
    return {"dues_paid_through": text} if text else {}


def _start_context(request: HttpRequest, member: Member | None, title: str) -> dict[str, Any]:
    open_transfer = selectors.transfer_open_for(member=member) if member else None
    blocked = ""
    if member is not None:
        if member.status == Member.Status.FORMER:
            blocked = "该党员已在历史库中，不能办理组织关系转接。"
        elif open_transfer is not None:
            blocked = "该党员已有正在办理的组织关系转接，不能重复发起。"
    return {
        "nav_active": "transfers",
        "member": member,
        "open_transfer": open_transfer,
        "blocked": blocked,
        "reasons": REASONS,
        "crumbs": _crumbs((title, "")),
        "title": title,
    }


@login_required
def transfer_new(request: HttpRequest) -> HttpResponse:
    """发起系统内转接: pick a member (if none given), the receiving branch, the dues month."""
    _require_any(request.user, "transfer.request")
    member = _member_for(request)
    form = TransferRequestForm(request.POST or None, initial=_dues_initial(member))
    to_branch: Organization | None = None
    if request.method == "POST" and member is not None and form.is_valid():
        data = form.cleaned_data
        to_branch = Organization.objects.filter(
            pk=data["to_branch"], org_type__in=BRANCH_TYPES
        ).first()
        if to_branch is None:
            form.add_error(None, "请选择转入的党支部")
        else:
            try:
                t = services.transfer_request(
                    actor=request.user,
                    member=member,
                    to_branch=to_branch,
                    dues_paid_through=data["dues_paid_through"],
                    reason=data["reason"],
                    note=data["note"],
                )
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                messages.success(request, f"已发起{t.member_name}的组织关系转接，等待上级党委审批")
                return redirect("transfers:detail", t.pk)
    context = _start_context(request, member, "发起组织关系转接")
    context.update(form=form, purpose="request", picked=to_branch)
    return TemplateResponse(request, "transfers/transfer_form.html", context)


@login_required
def transfer_out(request: HttpRequest) -> HttpResponse:
    """转出到系统外: the letter goes to a party organization outside this system."""
    _require_any(request.user, "transfer.request")
    member = _member_for(request)
    form = TransferOutForm(request.POST or None, initial=_dues_initial(member))
    if request.method == "POST" and member is not None and form.is_valid():
        data = form.cleaned_data
        try:
            t = services.transfer_out_external(
                actor=request.user,
                member=member,
                external_unit=data["external_unit"],
                dues_paid_through=data["dues_paid_through"],
                reason=data["reason"],
                note=data["note"],
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已发起{t.member_name}转出到系统外，等待上级党委审批")
            return redirect("transfers:detail", t.pk)
    context = _start_context(request, member, "转出到系统外")
    context.update(form=form, purpose="out")
    return TemplateResponse(request, "transfers/transfer_form.html", context)


@login_required
def transfer_in(request: HttpRequest) -> HttpResponse:
    """从系统外转入: register the arriving member from the letter."""
    _require_any(request.user, "transfer.accept")
    form = TransferInForm(request.POST or None, initial={"received_on": timezone.localdate()})
    picked: Organization | None = None
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        picked = Organization.objects.filter(
            pk=data["to_branch"], org_type__in=BRANCH_TYPES
        ).first()
        if picked is None or not may(request.user, "org.view", picked):
            form.add_error(None, "请选择接收的党支部")
        else:
            try:
                t = services.transfer_in_external(
                    actor=request.user,
                    to_branch=picked,
                    data=form.member_data(),
                    external_unit=data["external_unit"],
                    external_number=data["external_number"],
                    dues_paid_through=data["dues_paid_through"],
                    received_on=data["received_on"],
                    reason=data["reason"],
                    note=data["note"],
                )
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                messages.success(request, f"已登记{t.member_name}从系统外转入{picked.display_name}")
                return redirect("transfers:detail", t.pk)
    return TemplateResponse(
        request,
        "transfers/transfer_in_form.html",
        {
            "nav_active": "transfers",
            "form": form,
            "picked": picked,
            "reasons": REASONS,
            "crumbs": _crumbs(("从系统外转入", "")),
        },
    )


# --- HTMX pickers -----------------------------------------------------------------------------


@login_required
def branch_picker(request: HttpRequest) -> HttpResponse:
    """Candidate branches: any branch in the system (a destination), or the viewer's own (to
    register an inbound member)."""
    purpose = request.GET.get("purpose", "request")
    q = (request.GET.get("q") or "").strip()[:50]
    if purpose == "in":
        _require_any(request.user, "transfer.accept")
        rows = selectors.accepting_branches(viewer=request.user, q=q)
    else:
        _require_any(request.user, "transfer.request")
        try:
            exclude = int(request.GET.get("exclude", "") or 0)
        except ValueError:
            exclude = 0
        rows = selectors.receiving_branches(q=q, exclude=exclude)
    return TemplateResponse(
        request, "transfers/_branch_picker.html", {"rows": rows, "q": q, "field": "to_branch"}
    )


@login_required
def member_picker(request: HttpRequest) -> HttpResponse:
    """Members the viewer may start a transfer for (links to the start form)."""
    _require_any(request.user, "transfer.request")
    q = (request.GET.get("q") or "").strip()[:50]
    target = "transfers:out" if request.GET.get("next") == "out" else "transfers:new"
    try:
        rows, refused = selectors.requestable_members(viewer=request.user, q=q), ""
    except RateLimitedError as exc:
        rows, refused = [], exc.message
    return TemplateResponse(
        request,
        "transfers/_member_picker.html",
        # 200 even when refused: htmx swaps only successful answers into the picker.
        {"rows": rows, "q": q, "target": reverse(target), "refused": refused},
    )
