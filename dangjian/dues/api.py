"""党费 endpoints: thin — access gate, schema, one service or selector."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router

from dangjian.core.api_errors import error_responses
from dangjian.dues import selectors, services
from dangjian.dues.access import (
    access_collect_member_by_id,
    access_dues_member_by_id,
    access_dues_org_by_id,
    access_reduction_by_id,
)
from dangjian.dues.forms import parse_month
from dangjian.dues.rules import quote
from dangjian.dues.schemas import (
    BackPayIn,
    BackPayOut,
    DiscussIn,
    DuesAlertOut,
    DuesLedgerOut,
    GenerateIn,
    GenerateOut,
    LedgerLineOut,
    MemberDuesOut,
    ModeIn,
    ModeOut,
    MonthOut,
    PaymentIn,
    PaymentOut,
    ProfileIn,
    ProfileOut,
    QuoteIn,
    QuoteOut,
    ReductionDecideIn,
    ReductionIn,
    ReductionOut,
    StatementOut,
    SummaryLineOut,
    SummaryOut,
    TotalsOut,
)
from dangjian.members.models import Member

router = Router(tags=["党费"])


@router.post("/quote", response=QuoteOut)
def dues_quote(request: HttpRequest, payload: QuoteIn) -> QuoteOut:
    """按现行规则测算每月应交党费。"""
    return QuoteOut.of(quote(payload.category, payload.monthly_base, on=timezone.localdate()))


def _member_dues(member: Member) -> MemberDuesOut:
    month = timezone.localdate().replace(day=1)
    current = selectors.dues_profile_on(member, month)
    q = selectors.expected_quote(member, month) if current else None
    return MemberDuesOut(
        member_id=member.pk,
        member_name=member.name,
        month=month,
        current=ProfileOut.of(current) if current else None,
        quote=QuoteOut.of(q) if q else None,
        history=[ProfileOut.of(p) for p in selectors.dues_profile_history(member)],
    )


@router.get("/members/{member_id}/profile", response=MemberDuesOut)
def dues_profile_get(request: HttpRequest, member_id: int) -> MemberDuesOut:
    """党员的党费基数变更记录和本月应交党费。"""
    return _member_dues(access_dues_member_by_id(request.user, member_id))


@router.post("/members/{member_id}/profile", response={201: MemberDuesOut})
def dues_profile_post(
    request: HttpRequest, member_id: int, payload: ProfileIn
) -> tuple[int, MemberDuesOut]:
    """登记党员的党费类别和计算基数（自起始月份起生效）。"""
    member = access_dues_member_by_id(request.user, member_id, for_write=True)
    services.dues_profile_set(
        actor=request.user,
        member=member,
        category=payload.category,
        monthly_base=payload.monthly_base,
        base_kind=payload.base_kind,
        effective_month=payload.effective_month,
    )
    return 201, _member_dues(member)


# --- collection ----------------------------------------------------------------------------------


def _totals(t: selectors.Totals) -> TotalsOut:
    return TotalsOut(
        members=t.rows,
        expected=f"{t.expected:.2f}",
        paid=f"{t.paid:.2f}",
        settled=t.settled,
        unpaid=t.unpaid,
        owed=f"{t.owed:.2f}",
        one_off=f"{t.one_off:.2f}",
        to_central=f"{t.to_central:.2f}",
        lapse=t.lapse,
    )


def _month_param(month: str) -> dt.date:
    today = timezone.localdate()
    if not month:
        return today.replace(day=1)
    try:
        value = parse_month(month)
    except ValidationError as exc:
        raise ValidationError(exc.messages[0], code="invalid") from exc
    if value > today.replace(day=1):
        raise ValidationError("月份不能晚于本月", code="invalid")
    return value


def _statement(member: Member) -> StatementOut:
    s = selectors.member_statement(member, today=timezone.localdate())
    return StatementOut(
        member_id=member.pk,
        member_name=member.name,
        month=s.this_month,
        quote=QuoteOut.of(s.quote) if s.quote else None,
        paid_through=f"{s.paid_through:%Y-%m}" if s.paid_through else "",
        owed=f"{s.owed:.2f}",
        owed_months=s.owed_months,
        months=[MonthOut.of(m) for m in s.months],
        payments=[PaymentOut.of(p) for p in s.payments],
        reductions=[ReductionOut.of(r) for r in s.reductions],
    )


@router.get("/mine", response={200: StatementOut, **error_responses(404)})
def dues_mine(request: HttpRequest) -> StatementOut:
    """我的党费：本月应交、交至年月、欠交、近一年记录、交纳记录、减免申请。"""
    member = getattr(request.user, "member_record", None)
    if member is None:
        raise Http404("您的账号没有关联党员信息")
    return _statement(member)


@router.get("/members/{member_id}/statement", response=StatementOut)
def dues_statement(request: HttpRequest, member_id: int) -> StatementOut:
    """党员的党费账户：交至年月、欠交、近一年应交与实交、交纳记录。"""
    return _statement(access_dues_member_by_id(request.user, member_id))


@router.post("/members/{member_id}/payments", response={201: PaymentOut})
def dues_payment_post(
    request: HttpRequest, member_id: int, payload: PaymentIn
) -> tuple[int, PaymentOut]:
    """登记党员交纳的党费（按月、按季、补交或一次性交纳）。"""
    member = access_collect_member_by_id(request.user, member_id)
    payment = services.dues_payment_record(
        actor=request.user,
        member=member,
        amount=payload.amount,
        method=payload.method,
        paid_on=payload.paid_on,
        first_month=payload.first_month,
        last_month=payload.last_month,
        kind=payload.kind,
        reference=payload.reference,
        note=payload.note,
    )
    return 201, PaymentOut.of(payment)


@router.post("/members/{member_id}/backpay-approvals", response={201: BackPayOut})
def dues_backpay_post(
    request: HttpRequest, member_id: int, payload: BackPayIn
) -> tuple[int, BackPayOut]:
    """上级党委批准超期（6 个月以前）补交党费。"""
    member = access_dues_member_by_id(request.user, member_id)
    a = services.dues_backpay_approve(
        actor=request.user,
        member=member,
        first_month=payload.first_month,
        last_month=payload.last_month,
        reason=payload.reason,
    )
    return 201, BackPayOut(
        id=a.pk,
        member_id=member.pk,
        first_month=a.first_month,
        last_month=a.last_month,
        reason=a.reason,
        approved_on=a.approved_on,
    )


@router.post("/members/{member_id}/reductions", response={201: ReductionOut})
def dues_reduction_post(
    request: HttpRequest, member_id: int, payload: ReductionIn
) -> tuple[int, ReductionOut]:
    """登记党员的减交、免交申请（党员本人或党支部）。"""
    own = getattr(request.user, "member_record", None)
    if own is not None and own.pk == member_id:
        member = own
    else:
        member = access_dues_member_by_id(request.user, member_id)
    r = services.dues_reduction_apply(
        actor=request.user,
        member=member,
        kind=payload.kind,
        monthly_amount=payload.monthly_amount,
        first_month=payload.first_month,
        last_month=payload.last_month,
        reason=payload.reason,
    )
    return 201, ReductionOut.of(r)


@router.post("/reductions/{reduction_id}/discuss", response=ReductionOut)
def dues_reduction_discuss(
    request: HttpRequest, reduction_id: int, payload: DiscussIn
) -> ReductionOut:
    """党支部讨论减免申请：同意则报上级党委审批。"""
    r = services.dues_reduction_discuss(
        actor=request.user,
        reduction=access_reduction_by_id(request.user, reduction_id),
        agreed=payload.agreed,
        discussion=payload.discussion,
        discussed_on=payload.discussed_on,
    )
    return ReductionOut.of(r)


@router.post("/reductions/{reduction_id}/decide", response=ReductionOut)
def dues_reduction_decide(
    request: HttpRequest, reduction_id: int, payload: ReductionDecideIn
) -> ReductionOut:
    """上级党委审批减免申请。"""
    r = services.dues_reduction_decide(
        actor=request.user,
        reduction=access_reduction_by_id(request.user, reduction_id),
        approve=payload.approve,
        decision=payload.decision,
    )
    return ReductionOut.of(r)


@router.get("/orgs/{org_id}/ledger", response=DuesLedgerOut)
def dues_ledger(request: HttpRequest, org_id: int, month: str = "") -> DuesLedgerOut:
    """党支部某月党费收缴台账（本组织直属党员）。month 如 2026-11，默认本月。"""
    org = access_dues_org_by_id(request.user, org_id)
    m = _month_param(month)
    today = timezone.localdate()
    led = selectors.branch_ledger(branch=org, month=m, today=today)
    return DuesLedgerOut(
        org_id=org.pk,
        month=m,
        quarterly=led.quarterly,
        totals=_totals(led.totals),
        rows=[
            LedgerLineOut(
                member_id=r.member.pk,
                member_name=r.member.name,
                status=r.status,
                expected=f"{r.row.expected:.2f}" if r.row else None,
                paid=f"{r.row.paid:.2f}" if r.row else None,
                outstanding=f"{r.outstanding:.2f}",
                paid_through=f"{r.paid_through:%Y-%m}" if r.paid_through else "",
                owed=f"{r.arrear.owed:.2f}" if r.arrear else "0.00",
                projected=r.projected,
            )
            for r in led.rows
        ],
        one_offs=[PaymentOut.of(p) for p in led.one_offs],
    )


@router.post("/orgs/{org_id}/ledger/generate", response=GenerateOut)
def dues_ledger_generate(request: HttpRequest, org_id: int, payload: GenerateIn) -> GenerateOut:
    """生成党支部某月党费台账（为有党费基数的在册党员开立该月应交记录；重复调用不会重复生成）。"""
    org = access_dues_org_by_id(request.user, org_id)
    m = _month_param(payload.month)
    created = services.dues_ledger_generate(actor=request.user, branch=org, month=m)
    return GenerateOut(org_id=org.pk, month=m, created=created)


@router.get("/orgs/{org_id}/summary", response=SummaryOut)
def dues_summary(request: HttpRequest, org_id: int, month: str = "") -> SummaryOut:
    """某组织某月党费收缴汇总（按直属下级组织）。"""
    org = access_dues_org_by_id(request.user, org_id)
    s = selectors.org_summary(org=org, month=_month_param(month), today=timezone.localdate())
    return SummaryOut(
        org_id=org.pk,
        month=s.month,
        totals=_totals(s.totals),
        rows=[
            SummaryLineOut(org_id=r.org.pk, org_name=r.org.name, totals=_totals(r.totals))
            for r in s.rows
        ],
    )


@router.get("/orgs/{org_id}/alerts", response=list[DuesAlertOut])
def dues_alerts(request: HttpRequest, org_id: int) -> list[DuesAlertOut]:
    """连续 6 个月未交纳党费的党员（党章第九条），附同期组织生活无故缺席次数。"""
    org = access_dues_org_by_id(request.user, org_id)
    return [
        DuesAlertOut(
            member_id=a.member_id,
            member_name=a.name,
            branch_id=a.branch_id,
            branch_name=a.branch_name,
            months=a.months,
            since=a.since,
            absences=a.absences,
            meetings=a.meetings,
        )
        for a in selectors.lapse_alerts(org=org, today=timezone.localdate())
    ]


@router.put("/orgs/{org_id}/mode", response=ModeOut)
def dues_mode_put(request: HttpRequest, org_id: int, payload: ModeIn) -> ModeOut:
    """设置党支部党费交纳方式（按季度须经支部同意）。"""
    org = access_dues_org_by_id(request.user, org_id, action="dues.collect")
    s = services.dues_branch_mode_set(
        actor=request.user,
        branch=org,
        mode=payload.mode,
        agreed_on=payload.agreed_on,
        note=payload.note,
    )
    return ModeOut(org_id=org.pk, mode=s.mode, agreed_on=s.agreed_on)
