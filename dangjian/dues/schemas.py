"""API input and output shapes for 党费. Money goes out as decimal strings (to the 分)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Field, Schema

from dangjian.dues.models import DuesMonth, DuesPayment, DuesProfile, DuesReduction
from dangjian.dues.rules import Quote


class QuoteIn(Schema):
    category: str
    monthly_base: Decimal | None = None


class QuoteOut(Schema):
    monthly_amount: str
    rate: str | None
    rule_set: str
    explanation: str

    @classmethod
    def of(cls, q: Quote) -> QuoteOut:
        return cls(
            monthly_amount=f"{q.monthly_amount:.2f}",
            rate=f"{q.rate:f}" if q.rate is not None else None,
            rule_set=q.rule_set_label,
            explanation=q.explanation,
        )


class ProfileIn(Schema):
    category: str
    monthly_base: Decimal | None = None
    base_kind: str = ""
    effective_month: dt.date


class ProfileOut(Schema):
    id: int
    category: str
    category_label: str
    monthly_base: str | None
    base_kind: str
    effective_month: dt.date
    created_by: str
    created_at: dt.datetime

    @classmethod
    def of(cls, p: DuesProfile) -> ProfileOut:
        return cls(
            id=p.pk,
            category=p.category,
            category_label=p.get_category_display(),
            monthly_base=f"{p.monthly_base:.2f}" if p.monthly_base is not None else None,
            base_kind=p.base_kind,
            effective_month=p.effective_month,
            created_by=getattr(p.created_by, "name", "") or str(p.created_by or ""),
            created_at=p.created_at,
        )


class MemberDuesOut(Schema):
    member_id: int
    member_name: str
    month: dt.date
    current: ProfileOut | None
    quote: QuoteOut | None
    history: list[ProfileOut]


def money(value: Decimal | None) -> str | None:
    return f"{value:.2f}" if value is not None else None


class PaymentIn(Schema):
    amount: Decimal = Field(..., description="金额（元），如 45.00")
    method: str = Field(..., description="cash 现金 / transfer 银行转账 / online 线上支付")
    paid_on: dt.date
    first_month: dt.date | None = Field(None, description="所属起始月份（当月 1 日）")
    last_month: dt.date | None = Field(None, description="所属截止月份，默认同起始月份")
    kind: str = Field("regular", description="regular 按月（季）/ one_off 一次性交纳")
    reference: str = Field("", max_length=64, description="流水号（转账、线上支付必填）")
    note: str = Field("", max_length=200)


class PaymentOut(Schema):
    id: int
    member_id: int
    kind: str
    method: str
    reference: str
    amount: str
    paid_on: dt.date
    first_month: dt.date | None
    last_month: dt.date | None
    to_central: bool

    @classmethod
    def of(cls, p: DuesPayment) -> PaymentOut:
        return cls(
            id=p.pk,
            member_id=p.member_id,
            kind=p.kind,
            method=p.method,
            reference=p.reference,
            amount=f"{p.amount:.2f}",
            paid_on=p.paid_on,
            first_month=p.first_month,
            last_month=p.last_month,
            to_central=p.to_central,
        )


class MonthOut(Schema):
    month: dt.date
    category: str
    monthly_base: str | None
    standard: str
    expected: str
    paid: str
    due_month: dt.date
    last_paid_on: dt.date | None
    reduction_id: int | None

    @classmethod
    def of(cls, m: DuesMonth) -> MonthOut:
        return cls(
            month=m.month,
            category=m.category,
            monthly_base=money(m.monthly_base),
            standard=f"{m.standard:.2f}",
            expected=f"{m.expected:.2f}",
            paid=f"{m.paid:.2f}",
            due_month=m.due_month,
            last_paid_on=m.last_paid_on,
            reduction_id=m.reduction_id,
        )


class ReductionIn(Schema):
    kind: str = Field(..., description="reduce 减交 / exempt 免交")
    monthly_amount: Decimal | None = Field(None, description="减交后每月交纳（元）")
    first_month: dt.date
    last_month: dt.date
    reason: str = Field(..., max_length=300)


class DiscussIn(Schema):
    agreed: bool
    discussion: str = Field(..., max_length=300)
    discussed_on: dt.date | None = None


class ReductionDecideIn(Schema):
    approve: bool
    decision: str = Field("", max_length=300)


class ReductionOut(Schema):
    id: int
    member_id: int
    member_name: str
    kind: str
    monthly_amount: str
    first_month: dt.date
    last_month: dt.date
    reason: str
    state: str
    state_label: str
    applied_on: dt.date
    discussed_on: dt.date | None
    discussion: str
    decided_on: dt.date | None
    decision: str

    @classmethod
    def of(cls, r: DuesReduction) -> ReductionOut:
        return cls(
            id=r.pk,
            member_id=r.member_id,
            member_name=r.member.name,
            kind=r.kind,
            monthly_amount=f"{r.monthly_amount:.2f}",
            first_month=r.first_month,
            last_month=r.last_month,
            reason=r.reason,
            state=r.state,
            state_label=r.get_state_display(),
            applied_on=r.applied_on,
            discussed_on=r.discussed_on,
            discussion=r.discussion,
            decided_on=r.decided_on,
            decision=r.decision,
        )


class BackPayIn(Schema):
    first_month: dt.date
    last_month: dt.date
    reason: str = Field(..., max_length=300)


class BackPayOut(Schema):
    id: int
    member_id: int
    first_month: dt.date
    last_month: dt.date
    reason: str
    approved_on: dt.date


class StatementOut(Schema):
    member_id: int
    member_name: str
    month: dt.date
    quote: QuoteOut | None
    paid_through: str = Field(..., description="党费交至年月，如 2026-10；无记录为空")
    owed: str
    owed_months: int
    months: list[MonthOut]
    payments: list[PaymentOut]
    reductions: list[ReductionOut]


class LedgerLineOut(Schema):
    member_id: int
    member_name: str
    status: str
    expected: str | None
    paid: str | None
    outstanding: str
    paid_through: str
    owed: str
    # True: the month is not opened for this member yet; expected is what it will owe
    # (from the dues profile), paid is 0.00.
    projected: bool = False


class TotalsOut(Schema):
    members: int
    expected: str
    paid: str
    settled: int
    unpaid: int
    owed: str
    one_off: str
    to_central: str
    lapse: int


class DuesLedgerOut(Schema):
    org_id: int
    month: dt.date
    quarterly: bool
    totals: TotalsOut
    rows: list[LedgerLineOut]
    one_offs: list[PaymentOut]


class SummaryLineOut(Schema):
    org_id: int
    org_name: str
    totals: TotalsOut


class SummaryOut(Schema):
    org_id: int
    month: dt.date
    totals: TotalsOut
    rows: list[SummaryLineOut]


class DuesAlertOut(Schema):
    member_id: int
    member_name: str
    branch_id: int
    branch_name: str
    months: int
    since: dt.date
    absences: int
    meetings: int


class GenerateIn(Schema):
    month: str = Field("", description="如 2026-11；默认本月")


class GenerateOut(Schema):
    org_id: int
    month: dt.date
    created: int


class ModeIn(Schema):
    mode: str = Field(..., description="monthly 按月 / quarterly 按季度（须支部同意）")
    agreed_on: dt.date | None = None
    note: str = Field("", max_length=200)


class ModeOut(Schema):
    org_id: int
    mode: str
    agreed_on: dt.date | None
