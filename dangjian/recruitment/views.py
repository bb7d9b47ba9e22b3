"""Pages of 发展党员: the branch board or the township/county overview, an applicant's timeline
with the next step's form, documents, the annual plan, rules and template uploads.

Thin: gate (recruitment.access / orgs.access) → form → one service or selector → template.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

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
from dangjian.core.files import serve_private_file
from dangjian.core.forms import add_validation_error
from dangjian.core.paths import subtree_q
from dangjian.orgs.access import access_org_by_id, may, orgs_visible_to, scope_q, scope_roots
from dangjian.orgs.models import BRANCH_TYPES, Organization
from dangjian.orgs.selectors import attach_org_places
from dangjian.recruitment import documents, rules, selectors, services
from dangjian.recruitment.access import (
    access_applicant_by_id,
    access_step_file_by_id,
    access_template_by_id,
    may_record_step,
    upper_org,
)
from dangjian.recruitment.forms import (
    APPROVAL_OUTCOMES,
    CONVERSION_OUTCOMES,
    ApplicantForm,
    PlanForm,
    StepForm,
    StopForm,
    TemplateUploadForm,
)
from dangjian.recruitment.models import (
    Applicant,
    DocumentKind,
    DocumentTemplate,
    RuleSet,
    Stage,
)


def _crumbs(*extra: tuple[str, str]) -> list[dict[str, str]]:
    return [{"label": "发展党员", "url": reverse("recruitment:board")}] + [
        {"label": label, "url": url} for label, url in extra
    ]


def _require_scope(request: HttpRequest) -> None:
    if not scope_roots(request.user, action="recruit.view"):
        raise PermissionDenied("您没有查看发展党员工作的权限")


def _working_org(request: HttpRequest) -> Organization | None:
    grant = current_grant(request.user, request.session)
    if grant is None:
        return None
    org = access_org_by_id(request.user, grant.org_id)
    return org if may(request.user, "recruit.view", org) else None


def _hints_today() -> dict[str, str]:
    """Rule numbers for page labels, from the rule set in force today."""
    return rules.form_hints(rules.load_book(rules.rule_set_for(timezone.localdate())))


def _year(request: HttpRequest) -> int:
    raw = request.GET.get("year", "")
    today = timezone.localdate()
    return int(raw) if raw.isdigit() and 2000 <= int(raw) <= 2100 else today.year


@login_required
def board(request: HttpRequest) -> HttpResponse:
    """A branch's pipeline board; for a township or county, the overview by organization."""
    _require_scope(request)
    org = None
    if request.GET.get("org", "").isdigit():
        org = access_org_by_id(request.user, int(request.GET["org"]), action="recruit.view")
    else:
        org = _working_org(request)
    if org is None:
        roots = scope_roots(request.user, action="recruit.view")
        org = Organization.objects.filter(path=roots[0]).first() if roots else None
    if org is None:
        raise Http404("没有可查看的组织")
    today = timezone.localdate()
    year = _year(request)
    crumbs = _crumbs(*[(o.display_name, "") for o in [org]])
    if org.org_type in BRANCH_TYPES:
        columns = selectors.board(viewer=request.user, org=org, today=today)
        attach_org_places([org], org_of=lambda o: o)  # the page names the branch's place
        context = {
            "nav_active": "recruitment",
            "org": org,
            "columns": columns,
            "finished": selectors.finished(viewer=request.user, org=org),
            "alerts": selectors.branch_alerts(
                viewer=request.user, org=org, today=today, columns=columns
            ),
            "progress": selectors.plan_progress(org=org, year=year),
            "year": year,
            "today": today,
            "hints": _hints_today(),
            "upcoming_days": selectors.UPCOMING_DAYS,
            "can_record": may(request.user, "recruit.record", org),
            "crumbs": crumbs,
        }
        return TemplateResponse(request, "recruitment/board.html", context)
    summary = selectors.overview(viewer=request.user, org=org, today=today, year=year)
    context = {
        "nav_active": "recruitment",
        "org": org,
        "overview": summary,
        "alerts": selectors.alerts(
            viewer=request.user,
            org=org,
            today=today,
            villages=summary.villages,
            counts=(summary.total.overdue, summary.total.not_talked),
        ),
        "stages": Stage.choices,
        "year": year,
        "today": today,
        "hints": _hints_today(),
        "upcoming_days": selectors.UPCOMING_DAYS,
        "can_plan": may(request.user, "recruit.record", org),
        "can_templates": may(request.user, "recruit.approve", org),
        "parent_visible": org.parent is not None and may(request.user, "recruit.view", org.parent),
        "crumbs": crumbs,
    }
    return TemplateResponse(request, "recruitment/overview.html", context)


def _branch_choices(viewer: Any, within: Organization | None) -> list[tuple[int, str]]:
    qs = orgs_visible_to(viewer).filter(org_type__in=BRANCH_TYPES, dissolved_on__isnull=True)
    if within is not None:
        qs = qs.filter(subtree_q("path", within.path))
    return [
        (o.pk, o.name)
        for o in qs.order_by("path").only("id", "name", "path")[:1500]
        if may(viewer, "recruit.record", o)
    ]


@login_required
def applicant_new(request: HttpRequest) -> HttpResponse:
    if not scope_roots(request.user, action="recruit.record"):
        raise PermissionDenied("您没有登记入党申请人的权限")
    initial: dict[str, Any] = {"applied_on": timezone.localdate()}
    if request.GET.get("org", "").isdigit():
        initial["org"] = int(request.GET["org"])
    form = ApplicantForm(
        request.POST or None,
        orgs=_branch_choices(request.user, _working_org(request)),
        initial=initial,
    )
    if request.method == "POST" and form.is_valid():
        try:
            org = access_org_by_id(request.user, form.cleaned_data["org"], action="recruit.record")
            applicant = services.applicant_create(
                actor=request.user,
                org=org,
                data=form.applicant_data(),
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, f"已登记入党申请人 {applicant.name}")
            return redirect("recruitment:applicant", applicant.pk)
    return TemplateResponse(
        request,
        "recruitment/applicant_form.html",
        {
            "nav_active": "recruitment",
            "form": form,
            "hints": _hints_today(),
            "crumbs": _crumbs(("登记入党申请人", "")),
        },
    )


def _step_form(
    request: HttpRequest, applicant: Applicant, number: int | None, data: Any = None
) -> StepForm:
    people = [
        (m.pk, m.name if m.branch_id == applicant.org_id else f"{m.name}（其他支部）")
        for m in selectors.eligible_people(viewer=request.user, applicant=applicant)
    ]
    groups = [
        (g.pk, g.name)
        for g in applicant.org.children.filter(
            org_type=Organization.Type.GROUP, dissolved_on__isnull=True
        ).order_by("path")
    ]
    outcomes = APPROVAL_OUTCOMES if number == rules.APPROVAL else CONVERSION_OUTCOMES
    initial: dict[str, Any] = {"number": number}
    if number in (rules.GENERAL_MEETING, rules.CONVERSION_MEETING):
        from dangjian.members.models import Member

        initial["entitled"] = Member.objects.filter(
            branch=applicant.org, category=Member.Category.FULL, status=Member.Status.CURRENT
        ).count()
    if number == rules.APPROVAL:
        initial["outcome"] = "approved"
    form = StepForm(data, people=people, groups=groups, outcomes=outcomes, initial=initial)
    form.fields["leaving_soon"].label = rules.form_hints(rules.load_book(applicant.rule_set_id))[
        "leaving"
    ]
    return form


def _detail(
    request: HttpRequest, applicant: Applicant, form: StepForm | None = None, status: int = 200
) -> HttpResponse:
    line = selectors.timeline(applicant)
    view = line.outlook
    default = view.step.number if view.step else None
    raw = str((form.data.get("number") or form.initial.get("number") or "") if form else "")
    number = int(raw) if raw.isdigit() else default
    open_now = {default} | {s.rule.number for s in line.steps if s.state == "open"}
    if form is not None and not form.is_bound and number not in open_now:
        form, number = None, default  # a step that cannot be recorded now: offer the next one
    step = line.book.steps.get(number) if number is not None else None
    bound = rules.earliest(line.book, step.number, line.facts) if step else None
    # The shown step's own deadline (never before ``bound``); the 考察 runs beside the steps.
    step_due = rules.step_deadline(line.book, step.number, line.facts) if step else None
    review = view.review if step is not None and step.number != rules.CULTIVATION else None
    can_step = step is not None and may_record_step(
        request.user, applicant, needs_upper=step.needs_upper
    )
    done = {s.rule.number for s in line.steps if s.records}
    form = form or (_step_form(request, applicant, number) if step else None)
    if form is not None:
        # The earliest allowed date is shown before the user picks one, and bounds the picker.
        attrs = form.fields["done_on"].widget.attrs
        attrs["max"] = timezone.localdate().isoformat()
        if bound is not None:
            attrs["min"] = bound.on.isoformat()
    context = {
        "nav_active": "recruitment",
        "a": applicant,
        "line": line,
        "view": view,
        "step": step,
        "bound": bound,
        "step_due": step_due,
        "review": review,
        "review_step": line.book.steps.get(rules.CULTIVATION),
        "form": form,
        "hints": rules.form_hints(line.book),
        "can_step": can_step,
        "can_record": may(request.user, "recruit.record", applicant.org),
        "upper": upper_org(applicant.org),
        "documents": documents.available_kinds(applicant, done),
        "stop_form": StopForm(),
        "today": timezone.localdate(),
        "repeatables": [
            s
            for s in line.steps
            if s.state == "open" and (view.step is None or s.rule.number != view.step.number)
        ],
        "crumbs": _crumbs(
            (applicant.org.display_name, reverse("recruitment:board") + f"?org={applicant.org_id}"),
            (applicant.name, ""),
        ),
    }
    return TemplateResponse(request, "recruitment/applicant_detail.html", context, status=status)


@login_required
def applicant_detail(request: HttpRequest, applicant_id: int) -> HttpResponse:
    applicant = access_applicant_by_id(request.user, applicant_id)
    number = request.GET.get("step", "")
    if number.isdigit():
        return _detail(request, applicant, _step_form(request, applicant, int(number)))
    return _detail(request, applicant)


@login_required
@require_POST
def step_new(request: HttpRequest, applicant_id: int) -> HttpResponse:
    applicant = access_applicant_by_id(request.user, applicant_id)
    number = request.POST.get("number", "")
    form = _step_form(request, applicant, int(number) if number.isdigit() else None, request.POST)
    if form.is_valid():
        try:
            record = services.step_record(
                actor=request.user,
                applicant=applicant,
                number=form.cleaned_data["number"],
                done_on=form.cleaned_data["done_on"],
                note=form.cleaned_data["note"],
                people=form.cleaned_data["people"],
                people_names=form.cleaned_data["people_names"],
                data=form.step_data(),
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            if record.failed:
                messages.warning(
                    request,
                    f"已登记支部大会表决结果：{rules.vote_failed_text(record.data['vote'])}",
                )
            else:
                messages.success(request, "已登记")
            return redirect("recruitment:applicant", applicant.pk)
    applicant.refresh_from_db()
    return _detail(request, applicant, form, status=400)


@login_required
@require_POST
def applicant_stop(request: HttpRequest, applicant_id: int) -> HttpResponse:
    applicant = access_applicant_by_id(request.user, applicant_id, action="recruit.record")
    form = StopForm(request.POST)
    if form.is_valid():
        try:
            services.applicant_stop(
                actor=request.user, applicant=applicant, reason=form.cleaned_data["reason"]
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已终止培养")
    else:
        messages.error(request, "请填写终止原因")
    return redirect("recruitment:applicant", applicant.pk)


@login_required
@require_POST
def step_file_new(request: HttpRequest, applicant_id: int, record_id: int) -> HttpResponse:
    applicant = access_applicant_by_id(request.user, applicant_id)
    record = applicant.steps.filter(pk=record_id).first()
    if record is None:
        raise Http404("未找到该步骤记录")
    upload = request.FILES.get("file")
    if upload is None:
        messages.error(request, "请选择要上传的文件")
    else:
        try:
            services.step_file_add(
                actor=request.user,
                record=record,
                upload=upload,
                caption=request.POST.get("caption", ""),
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已上传材料")
    return redirect("recruitment:applicant", applicant.pk)


@login_required
def step_file(request: HttpRequest, file_id: int) -> HttpResponseBase:
    """A filed scan, through the applicant's gate (core.files serves it)."""
    row = access_step_file_by_id(request.user, file_id)
    return serve_private_file(request, row.file)


@login_required
def document(request: HttpRequest, applicant_id: int, kind: str) -> HttpResponse:
    applicant = access_applicant_by_id(request.user, applicant_id)
    try:
        doc = services.document_issue(actor=request.user, applicant=applicant, kind=kind)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
        return redirect("recruitment:applicant", applicant.pk)
    response = HttpResponse(
        doc.content,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="recruitment-{applicant.pk}-{kind}.docx"; '
        f"filename*=UTF-8''{quote(doc.filename)}"
    )
    return response


@login_required
def plan_edit(request: HttpRequest, org_id: int, year: int) -> HttpResponse:
    """A year's 发展党员计划 of one organization: progress, and the plan's edit form."""
    if not 2000 <= year <= 2100:
        raise Http404("年度不正确")
    org = access_org_by_id(request.user, org_id, action="recruit.view")
    may_edit = may(request.user, "recruit.record", org)
    progress = selectors.plan_progress(org=org, year=year)
    current = progress["plan"]
    initial = (
        {"quota": current.quota, "farmer_quota": current.farmer_quota, "note": current.note}
        if current
        else {"quota": 0, "farmer_quota": 0, "note": ""}
    )
    form = PlanForm(request.POST or None, initial=initial)
    if request.method == "POST":
        if not may_edit:
            raise PermissionDenied("您没有制定该组织发展计划的权限")
        if form.is_valid():
            try:
                services.plan_save(actor=request.user, org=org, year=year, **form.cleaned_data)
            except ValidationError as exc:
                add_validation_error(form, exc)
            else:
                messages.success(request, f"已保存{year}年发展党员计划")
                return redirect("recruitment:plan", org.pk, year)
    below = selectors.overview(viewer=request.user, org=org, today=timezone.localdate(), year=year)
    return TemplateResponse(
        request,
        "recruitment/plan.html",
        {
            "nav_active": "recruitment",
            "org": org,
            "year": year,
            "form": form,
            "may_edit": may_edit,
            "progress": progress,
            "overview": below,
            "crumbs": _crumbs(
                (org.display_name, reverse("recruitment:board") + f"?org={org.pk}"),
                (f"{year}年发展党员计划", ""),
            ),
        },
    )


@login_required
def rule_sets(request: HttpRequest) -> HttpResponse:
    _require_scope(request)
    books = [rules.load_book(rs) for rs in RuleSet.objects.order_by("-effective_from")]
    return TemplateResponse(
        request,
        "recruitment/rules.html",
        {
            "nav_active": "recruitment",
            "books": books,
            "rule_sets": {rs.pk: rs for rs in RuleSet.objects.all()},
            "crumbs": _crumbs(("发展党员规则", "")),
        },
    )


@login_required
def doc_templates(request: HttpRequest) -> HttpResponse:
    roots = scope_roots(request.user, action="recruit.approve")
    if not roots:
        raise PermissionDenied("您没有维护文书模板的权限")
    scope = _working_org(request)
    if scope is None or not may(request.user, "recruit.approve", scope):
        scope = Organization.objects.get(path=roots[0])
    form = TemplateUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            services.template_upload(
                actor=request.user,
                scope=scope,
                kind=form.cleaned_data["kind"],
                content=form.cleaned_data["file"].read(documents.MAX_TEMPLATE_BYTES + 1),
                note=form.cleaned_data["note"],
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, "已上传并启用新模板")
            return redirect("recruitment:doc_templates")
    rows = list(
        DocumentTemplate.objects.filter(subtree_q("scope_path", scope.path))
        .select_related("scope", "uploaded_by")
        .order_by("kind", "scope_path", "-version")[:200]
    )
    return TemplateResponse(
        request,
        "recruitment/doc_templates.html",
        {
            "nav_active": "recruitment",
            "scope": scope,
            "form": form,
            "rows": rows,
            "kinds": [(k, label, documents.FIELDS[k]) for k, label in DocumentKind.choices],
            "crumbs": _crumbs(("文书模板", "")),
        },
    )


@login_required
def doc_template_default(request: HttpRequest, kind: str) -> HttpResponse:
    """The shipped default template, to download, edit in Word and upload back."""
    _require_scope(request)
    if kind not in DocumentKind.values:
        raise Http404("没有这种文书")
    content = (documents.DEFAULTS_DIR / f"{kind}.docx").read_bytes()
    response = HttpResponse(
        content,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    name = f"默认模板-{DocumentKind(kind).label}.docx"
    response["Content-Disposition"] = (
        f"attachment; filename=\"template-{kind}.docx\"; filename*=UTF-8''{quote(name)}"
    )
    return response


@login_required
def doc_template_file(request: HttpRequest, template_id: int) -> HttpResponseBase:
    """An uploaded template version, to those who maintain templates on its scope."""
    row = access_template_by_id(request.user, template_id)
    name = f"{row.get_kind_display()}-v{row.version}.docx"
    return serve_private_file(request, row.file, download_name=name, inline=False)


@login_required
@require_POST
def doc_template_activate(request: HttpRequest, template_id: int) -> HttpResponse:
    row = (
        DocumentTemplate.objects.filter(
            scope_q(request.user, "scope_path", action="recruit.approve")
        )
        .filter(pk=template_id)
        .select_related("scope")
        .first()
    )
    if row is None:
        raise Http404("未找到该模板")
    services.template_activate(
        actor=request.user, template=row, active=request.POST.get("active") == "1"
    )
    messages.success(request, "已更新模板启用状态")
    return redirect("recruitment:doc_templates")
