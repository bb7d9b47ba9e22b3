"""API input and output shapes for 党费. Money goes out as decimal strings (to the 分)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from ninja import Schema

from dangjian.dues.models import DuesProfile
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
