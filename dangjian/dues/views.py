"""党费 pages: the branch's monthly collection ledger (record payments per member with HTMX,
arrears, reductions to discuss), the subtree summary with drill-down, Excel exports, and the
member's own phone view.

Thin: gate (orgs.access / dues.access) → form → one service or selector → template.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html_join
from django.views.decorators.http import require_POST

from dangjian.accounts.workspace import current_grant
from dangjian.core.counting import ListExtent, list_page
from dangjian.core.excel import xlsx_response
from dangjian.core.forms import add_validation_error
from dangjian.dues import excel, selectors, services
from dangjian.dues.access import (
    access_collect_member_by_id,
    access_dues_member_by_id,
    access_dues_org_by_id,
    access_reduction_by_id,
)
from dangjian.dues.forms import (
    BackPayForm,
    DecideForm,
    DiscussForm,
    ModeForm,
    OneOffForm,
    PaymentForm,
    ReductionForm,
    mode_initial,
    parse_month,
)
from dangjian.dues.models import DuesBranchSetting, DuesPayment, DuesReduction
from dangjian.members.models import Member
from dangjian.orgs.access import may, scope_roots
from dangjian.orgs.models import BRANCH_TYPES, Organization

LEDGER_MONTHS = 24  # how far back a ledger may be opened from the month picker
# Members per ledger page: on a phone each is a card with its own 登记 form.
LEDGER_PAGE_SIZE = 20


def _ledger_url(org: Organization, month: dt.date) -> str:
    return reverse("dues:ledger") + f"?org={org.pk}&month={month:%Y-%m}"


def _org(request: HttpRequest) -> Organization:
    raw = request.GET.get("org", "") or request.POST.get("org", "")
    if raw:
        if not raw.isdigit():
            raise Http404("未找到该组织，或您无权查看")
        return access_dues_org_by_id(request.user, int(raw))
    grant = current_grant(request.user, request.session)
    if grant is not None:
        org = Organization.objects.filter(pk=grant.org_id).first()
        if org is not None and may(request.user, "dues.view", org):
            return org
    roots = scope_roots(request.user, action="dues.view")
    if not roots:
        raise PermissionDenied("您没有查看党费的权限")
    org = Organization.objects.filter(path=roots[0]).first()
    if org is None:
        raise Http404("未找到该组织，或您无权查看")
    return org


def _month(request: HttpRequest, today: dt.date) -> dt.date:
    raw = request.GET.get("month", "") or request.POST.get("month", "")
    this_month = today.replace(day=1)
    if not raw:
        return this_month
    try:
        month = parse_month(raw)
    except ValidationError:
        raise Http404("月份格式不正确") from None
    if not services.add_months(this_month, -LEDGER_MONTHS) <= month <= this_month:
        raise Http404("月份超出范围")
    return month


def _next(request: HttpRequest) -> str:
    """Where to go back to: only a page of this app (never an outside address)."""
    nxt = request.POST.get("next", "")
    return nxt if nxt.startswith("/dues/") and not nxt.startswith("/dues//") else ""


def _form_errors(form: Any) -> str:
    return "；".join(str(e) for errs in form.errors.values() for e in errs)


def _is_branch(org: Organization) -> bool:
    return org.org_type in BRANCH_TYPES


def _members_choices(led: selectors.BranchLedger) -> list[tuple[int, str]]:
    """The branch's current members for the forms, in ledger order (no extra query)."""
    return [
        (r.member.pk, r.member.name)
        for r in led.rows
        if r.member.status == Member.Status.CURRENT and r.member.branch_id == led.branch.pk
    ][:500]


def _row_values(month: dt.date, today: dt.date) -> dict[str, Any]:
    """What every ledger row's form repeats, formatted once per page instead of once per row."""
    return {
        "month_value": f"{month:%Y-%m}",
        "today_value": today.isoformat(),
        "method_options": format_html_join(
            "", '<option value="{}">{}</option>', DuesPayment.Method.choices
        ),
    }


def _row_context(request: HttpRequest, row: Any, month: dt.date, **extra: Any) -> dict[str, Any]:
    today = timezone.localdate()
    return {
        "r": row,
        "month": month,
        "today": today,
        "can_collect": True,
        "methods": DuesPayment.Method.choices,
        **_row_values(month, today),
        **extra,
    }


@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    """党费收缴: a branch's monthly ledger, or the summary of a township / county."""
    today = timezone.localdate()
    org = _org(request)
    month = _month(request, today)
    months = selectors.recent_months(today, LEDGER_MONTHS + 1)
    context: dict[str, Any] = {
        "org": org,
        "month": month,
        "months": months,
        "today": today,
        "nav_active": "dues",
        "can_collect": may(request.user, "dues.collect", org),
        "can_approve": may(request.user, "dues.approve", org),
        "crumbs": _crumbs(org),
    }
    if _is_branch(org):
        # A read: members whose month is not opened yet show what they will owe (projected);
        # rows are written by the daily job, 生成本月台账 and payments, never by a GET.
        led = selectors.branch_ledger(branch=org, month=month, today=today)
        setting = led.setting
        context.update(
            ledger=led,
            page=list_page(led.rows, params=request.GET, per_page=LEDGER_PAGE_SIZE, unit="人"),
            alerts=selectors.lapse_alerts(org=org, today=today),
            reductions=selectors.reductions_open(org=org),
            methods=DuesPayment.Method.choices,
            **_row_values(month, today),
            member_choices=_members_choices(led),
            one_off_form=OneOffForm(initial={"paid_on": today, "method": "cash"}),
            reduction_form=ReductionForm(initial={"first_month": f"{month:%Y-%m}"}),
            mode_form=ModeForm(initial=mode_initial(setting)),
            setting=setting,
            reduction_states=DuesReduction.State,
        )
        return TemplateResponse(request, "dues/branch_ledger.html", context)
    alerts = selectors.lapse_alerts(org=org, today=today, limit=5000, absences_for=50)
    summary = selectors.org_summary(org=org, month=month, today=today, alerts=alerts)
    reductions = selectors.reductions_open(org=org)
    context.update(
        summary=summary,
        # 上级组织 only when the viewer may open it: a link to a page that answers 404 is broken.
        parent_visible=org.parent_id is not None
        and org.parent is not None
        and may(request.user, "dues.view", org.parent),
        alerts=alerts[:50],
        alerts_total=len(alerts),
        reductions=reductions,
        reductions_extent=ListExtent(
            showing=len(reductions),
            total=selectors.reductions_open_total(org=org),
            unit="件",
            what="待处理",
            how="处理后其余依次补上，也可点支部名称按支部查看",
        ),
        reduction_states=DuesReduction.State,
    )
    return TemplateResponse(request, "dues/summary.html", context)


def _crumbs(org: Organization) -> list[dict[str, str]]:
    return [{"label": "党费收缴", "url": reverse("dues:ledger")}, {"label": org.name, "url": ""}]


@login_required
@require_POST
def record(request: HttpRequest, member_id: int) -> HttpResponse:
    """HTMX: record one member's payment for the ledger's month; the row comes back."""
    member = access_collect_member_by_id(request.user, member_id)
    today = timezone.localdate()
    month = _month(request, today)
    form = PaymentForm(request.POST)
    error = ""
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.dues_payment_record(
                actor=request.user,
                member=member,
                amount=data["amount"],
                method=data["method"],
                reference=data["reference"],
                paid_on=data["paid_on"],
                first_month=data["first_month"] or month,
                last_month=data["last_month"],
                note=data["note"],
            )
        except ValidationError as exc:
            error = "；".join(exc.messages)
    else:
        error = _form_errors(form)
    if not getattr(request, "htmx", False):
        if error:
            messages.error(request, f"{member.name}：{error}")
        else:
            messages.success(request, f"已登记{member.name}的党费")
        return redirect(_ledger_url(member.branch, month))
    row = selectors.ledger_row(member=member, month=month, today=today)
    context = _row_context(request, row, month, row_error=error, row_saved=not error)
    return TemplateResponse(request, "dues/branch_ledger.html#ledger_row", context)


@login_required
@require_POST
def generate(request: HttpRequest, org_id: int) -> HttpResponse:
    """生成本月台账: open the month's rows for the branch's members (idempotent)."""
    branch = access_dues_org_by_id(request.user, org_id)
    month = _month(request, timezone.localdate())
    try:
        created = services.dues_ledger_generate(actor=request.user, branch=branch, month=month)
    except ValidationError as exc:
        messages.error(request, "；".join(exc.messages))
    else:
        if created:
            messages.success(request, f"已生成{month:%Y年%-m月}党费台账：{created} 名党员")
        else:
            messages.info(request, f"{month:%Y年%-m月}党费台账已是最新，无需生成")
    return redirect(_ledger_url(branch, month))


@login_required
@require_POST
def one_off(request: HttpRequest) -> HttpResponse:
    """一次性交纳 (≥ the threshold goes wholly to 中央)."""
    form = OneOffForm(request.POST)
    org = _org(request)
    month = _month(request, timezone.localdate())
    if form.is_valid():
        data = form.cleaned_data
        member = access_collect_member_by_id(request.user, data["member"])
        try:
            p = services.dues_payment_record(
                actor=request.user,
                member=member,
                amount=data["amount"],
                method=data["method"],
                reference=data["reference"],
                paid_on=data["paid_on"],
                kind=DuesPayment.Kind.ONE_OFF,
                note=data["note"],
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            tail = "（1000 元以上，全额上缴中央）" if p.to_central else ""
            messages.success(request, f"已登记{member.name}一次性交纳党费 {p.amount:.2f} 元{tail}")
    else:
        messages.error(request, _form_errors(form))
    return redirect(_ledger_url(org, month))


@login_required
@require_POST
def reduction_apply(request: HttpRequest) -> HttpResponse:
    """The branch enters a member's application for 减交 or 免交."""
    org = _org(request)
    month = _month(request, timezone.localdate())
    form = ReductionForm(request.POST)
    if form.is_valid() and form.cleaned_data["member"]:
        data = form.cleaned_data
        member = access_collect_member_by_id(request.user, data["member"])
        try:
            services.dues_reduction_apply(
                actor=request.user,
                member=member,
                kind=data["kind"],
                monthly_amount=data["monthly_amount"],
                first_month=data["first_month"],
                last_month=data["last_month"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已登记{member.name}的减免申请，待支部讨论")
    else:
        messages.error(request, _form_errors(form) or "请选择党员")
    return redirect(_ledger_url(org, month))


@login_required
@require_POST
def reduction_discuss(request: HttpRequest, reduction_id: int) -> HttpResponse:
    reduction = access_reduction_by_id(request.user, reduction_id)
    form = DiscussForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.dues_reduction_discuss(
                actor=request.user,
                reduction=reduction,
                agreed=data["agreed"] == "yes",
                discussion=data["discussion"],
                discussed_on=data["discussed_on"],
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已登记支部讨论意见")
    else:
        messages.error(request, _form_errors(form))
    return redirect(_next(request) or _ledger_url(reduction.branch, timezone.localdate()))


@login_required
@require_POST
def reduction_decide(request: HttpRequest, reduction_id: int) -> HttpResponse:
    reduction = access_reduction_by_id(request.user, reduction_id)
    form = DecideForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            r = services.dues_reduction_decide(
                actor=request.user,
                reduction=reduction,
                approve=data["approve"] == "yes",
                decision=data["decision"],
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"{r.member.name}的减免申请：{r.get_state_display()}")
    else:
        messages.error(request, _form_errors(form))
    return redirect(_next(request) or reverse("dues:ledger"))


@login_required
@require_POST
def backpay_approve(request: HttpRequest, member_id: int) -> HttpResponse:
    """The upper 党委 allows 补交 beyond the limit for one member."""
    member = access_dues_member_by_id(request.user, member_id)
    form = BackPayForm(request.POST)
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.dues_backpay_approve(
                actor=request.user,
                member=member,
                first_month=data["first_month"],
                last_month=data["last_month"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, f"已批准{member.name}超期补交")
    else:
        messages.error(request, _form_errors(form))
    return redirect(_ledger_url(member.branch, timezone.localdate()))


@login_required
@require_POST
def mode_edit(request: HttpRequest, org_id: int) -> HttpResponse:
    branch = access_dues_org_by_id(request.user, org_id, action="dues.collect")
    setting = DuesBranchSetting.objects.filter(branch=branch).first()
    form = ModeForm(request.POST, initial=mode_initial(setting))
    if form.is_valid():
        data = form.cleaned_data
        try:
            services.dues_branch_mode_set(
                actor=request.user,
                branch=branch,
                mode=data["mode"],
                agreed_on=data["agreed_on"],
                note=data["note"],
            )
        except ValidationError as exc:
            messages.error(request, "；".join(exc.messages))
        else:
            messages.success(request, "已保存党费交纳方式")
    else:
        messages.error(request, _form_errors(form))
    return redirect(_ledger_url(branch, timezone.localdate()))


@login_required
def export(request: HttpRequest) -> HttpResponse:
    """The ledger (branch) or the summary (township, county) of a month as .xlsx."""
    today = timezone.localdate()
    org = _org(request)
    month = _month(request, today)
    if _is_branch(org):
        led = selectors.branch_ledger(branch=org, month=month, today=today)
        data = excel.branch_ledger_workbook(led)
        name = f"党费收缴台账-{org.short_name or org.name}-{month:%Y%m}.xlsx"
    else:
        summary = selectors.org_summary(org=org, month=month, today=today)
        data = excel.summary_workbook(summary)
        name = f"党费收缴汇总-{org.short_name or org.name}-{month:%Y%m}.xlsx"
    return xlsx_response(data, name)


# --- the member's own page ---------------------------------------------------------------------


def _own_member(request: HttpRequest) -> Member:
    member = getattr(request.user, "member_record", None)
    if member is None:
        raise Http404("您的账号没有关联党员信息，请联系党支部书记")
    return member


@login_required
def home_card(request: HttpRequest) -> HttpResponse:
    """The home page's 我的党费 card: this month, paid-through month, arrears."""
    member = getattr(request.user, "member_record", None)
    statement = (
        selectors.member_statement(member, today=timezone.localdate(), months=1)
        if member is not None
        else None
    )
    return TemplateResponse(request, "dues/_home_card.html", {"s": statement})


@login_required
def mine(request: HttpRequest) -> HttpResponse:
    """我的党费 (phone-first): this month's amount and why, paid-through month, history."""
    member = _own_member(request)
    today = timezone.localdate()
    form = ReductionForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            services.dues_reduction_apply(
                actor=request.user,
                member=member,
                kind=data["kind"],
                monthly_amount=data["monthly_amount"],
                first_month=data["first_month"],
                last_month=data["last_month"],
                reason=data["reason"],
            )
        except ValidationError as exc:
            add_validation_error(form, exc)
        else:
            messages.success(request, "减免申请已提交，党支部讨论后报上级党委审批")
            return redirect("dues:mine")
    statement = selectors.member_statement(member, today=today)
    return TemplateResponse(
        request,
        "dues/mine.html",
        {
            "s": statement,
            "form": form,
            "nav_active": "my_dues",
            "crumbs": [{"label": "我的党费", "url": ""}],
        },
        status=400 if request.method == "POST" else 200,
    )
