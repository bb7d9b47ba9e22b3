"""Pages of 问题整改: the ledger (台账), a finding with its three lists, the create form.

Thin: access gate → form → one service or selector → template.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.accounts.workspace import current_grant
from dangjian.core.counting import CappedCount, ListExtent
from dangjian.core.files import serve_private_file
from dangjian.core.forms import add_validation_error
from dangjian.findings import selectors, services
from dangjian.findings.access import (
    access_finding_by_id,
    access_remedy_by_id,
    may_manage,
    may_verify,
)
from dangjian.findings.forms import (
    FindingForm,
    RemedyDoneForm,
    RemedyForm,
    ResponsibilityForm,
    VerdictForm,
)
from dangjian.findings.models import Finding
from dangjian.orgs.access import access_org_by_id, scope_roots
from dangjian.orgs.models import Organization

LEDGER_CRUMB = {"label": "问题整改台账", "url": "/findings/"}


def _int(raw: str | None) -> int | None:
    try:
        return int(raw or "")
    except ValueError:
        return None


def _require_any(viewer: Any) -> None:
    if not (
        scope_roots(viewer, action="finding.manage") or scope_roots(viewer, action="meeting.view")
    ):
        raise PermissionDenied("您没有查看问题整改台账的权限")


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    _require_any(viewer)
    org_id = _int(request.GET.get("org"))
    org: Organization | None = None
    if org_id is not None:
        org = access_org_by_id(viewer, org_id)
    state = request.GET.get("state", "")
    state = state if state in Finding.State.values else ""
    overdue = request.GET.get("overdue") == "1"
    items, counts, overdue_count = selectors.ledger(
        viewer=viewer, org=org, state=state, overdue=overdue
    )
    grant = current_grant(viewer, request.session)
    # The state counts are exact (one grouped count), so the matching total is too.
    matching = overdue_count if overdue else counts.get(state, 0) if state else sum(counts.values())
    context = {
        "nav_active": "findings",
        "crumbs": [{"label": "问题整改台账", "url": ""}],
        "items": items,
        "org": org,
        "state": state,
        "overdue": overdue,
        "states": [(v, label, counts.get(v, 0)) for v, label in Finding.State.choices],
        "total": sum(counts.values()),
        "overdue_count": overdue_count,
        # The list is cut at LEDGER_LIMIT rows: say how many match, so none vanish silently.
        "extent": ListExtent(
            showing=len(items),
            total=CappedCount(counted=matching, cap=matching),
            unit="条",
            what="",
            how="请按组织或状态筛选查看其余",
        ),
        "today": timezone.localdate(),
        "can_create": bool(scope_roots(viewer, action="finding.manage")),
        "new_org": org.pk if org else (grant.org_id if grant else ""),
    }
    return TemplateResponse(request, "findings/finding_ledger.html", context)


@login_required
def finding_new(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    params = request.POST if request.method == "POST" else request.GET
    org_id = _int(params.get("org"))
    if org_id is None:
        grant = current_grant(viewer, request.session)
        if grant is None:
            raise PermissionDenied("您没有登记问题的权限")
        org_id = grant.org_id
    org = access_org_by_id(viewer, org_id, action="finding.manage")
    source_type = params.get("source_type", "")[:64]
    source_id = _int(params.get("source_id"))
    form = FindingForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            finding = services.finding_create(
                actor=viewer,
                org=org,
                source_type=source_type,
                source_id=source_id,
                **form.cleaned_data,
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, "问题已登记，请明确责任并制定整改措施")
            return redirect("findings:detail", finding.pk)
    context = {
        "nav_active": "findings",
        "crumbs": [LEDGER_CRUMB, {"label": "登记问题", "url": ""}],
        "form": form,
        "org": org,
        "source_type": source_type if source_type in services.SOURCES else "",
        "source_label": services.SOURCES.get(source_type, ""),
        "source_id": source_id,
    }
    return TemplateResponse(request, "findings/finding_form.html", context)


def _actions(viewer: Any, finding: Finding) -> list[tuple[str, str, bool]]:
    """(action, label, needs a verdict) the viewer may take now, read off the transition table."""
    out = []
    manage, verify = may_manage(viewer, finding), may_verify(viewer, finding)
    for name, t in services.TRANSITIONS.items():
        if finding.state in t.sources and (verify if t.by_upper else manage):
            out.append((name, t.label, t.by_upper))
    return out


@login_required
def finding_detail(request: HttpRequest, finding_id: int) -> HttpResponse:
    viewer = request.user
    finding = access_finding_by_id(viewer, finding_id)
    today = timezone.localdate()
    remedies = list(finding.remedies.all())
    for r in remedies:
        r.is_late = r.overdue_on(today)  # type: ignore[attr-defined]
    context = {
        "nav_active": "findings",
        "crumbs": [LEDGER_CRUMB, {"label": finding.title[:20], "url": ""}],
        "f": finding,
        "responsibilities": list(finding.responsibilities.all()),
        "remedies": remedies,
        "remedies_done": sum(1 for r in remedies if r.done_on),
        "editable": may_manage(viewer, finding) and finding.state in services.EDITABLE,
        "actions": _actions(viewer, finding),
        "can_verify": may_verify(viewer, finding),
        "source_label": services.SOURCES.get(finding.source_type, ""),
        "responsibility_form": ResponsibilityForm(),
        "remedy_form": RemedyForm(),
        "done_form": RemedyDoneForm(),
        "verdict_form": VerdictForm(),
        "today": today,
    }
    return TemplateResponse(request, "findings/finding_detail.html", context)


def _back(finding_id: int) -> HttpResponse:
    return redirect(reverse("findings:detail", args=[finding_id]))


def _flash(request: HttpRequest, exc: ValidationError) -> None:
    for message in exc.messages:
        messages.error(request, message)


@login_required
@require_POST
def responsibility_add(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = access_finding_by_id(request.user, finding_id)
    form = ResponsibilityForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写责任人")
        return _back(finding.pk)
    try:
        services.responsibility_add(actor=request.user, finding=finding, **form.cleaned_data)
    except ValidationError as exc:
        _flash(request, exc)
    return _back(finding.pk)


@login_required
@require_POST
def remedy_add(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = access_finding_by_id(request.user, finding_id)
    form = RemedyForm(request.POST)
    if not form.is_valid():
        messages.error(request, "请填写整改措施、责任人和整改时限")
        return _back(finding.pk)
    try:
        services.remedy_add(actor=request.user, finding=finding, **form.cleaned_data)
    except ValidationError as exc:
        _flash(request, exc)
    return _back(finding.pk)


@login_required
@require_POST
def remedy_done(request: HttpRequest, remedy_id: int) -> HttpResponse:
    remedy = access_remedy_by_id(request.user, remedy_id)
    form = RemedyDoneForm(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, "请填写完成日期")
        return _back(remedy.finding_id)
    try:
        services.remedy_complete(actor=request.user, remedy=remedy, **form.cleaned_data)
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, "整改措施已标记完成")
    return _back(remedy.finding_id)


@login_required
@require_POST
def finding_transition(request: HttpRequest, finding_id: int, action: str) -> HttpResponse:
    finding = access_finding_by_id(request.user, finding_id)
    try:
        services.finding_transition(
            actor=request.user,
            finding=finding,
            action=action,
            verdict=request.POST.get("verdict", ""),
        )
    except ValidationError as exc:
        _flash(request, exc)
    else:
        messages.success(request, f"已{services.TRANSITIONS[action].label}")
    return _back(finding.pk)


@login_required
def remedy_evidence(request: HttpRequest, remedy_id: int) -> HttpResponseBase:
    """A remedy's evidence file, to those who may see its finding."""
    remedy = access_remedy_by_id(request.user, remedy_id)
    if not remedy.evidence_file:
        raise Http404("该整改措施没有佐证材料")
    return serve_private_file(request, remedy.evidence_file)
