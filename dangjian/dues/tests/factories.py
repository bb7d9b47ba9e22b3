"""Dues test data: a member with a profile and open months, seen from a fixed day."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from dangjian.dues.models import DuesPayment
from dangjian.dues.rules import month_span
from dangjian.dues.services import dues_payment_record, dues_profile_set, months_open

D = dt.date
TODAY = D(2026, 11, 21)


def profiled(
    actor: Any,
    member: Any,
    *,
    since: dt.date,
    base: str = "4500.00",
    category: str = "salaried",
    through: dt.date | None = None,
) -> Any:
    """Give the member a profile from ``since`` (set on that day) and open every month from it
    to ``through`` (TODAY's month by default), as the daily job would."""
    dues_profile_set(
        actor=actor,
        member=member,
        category=category,
        monthly_base=Decimal(base) if base else None,
        effective_month=since,
        today=since,
    )
    months_open(members=[member], months=month_span(since, through or TODAY.replace(day=1)))
    return member


def pay(
    actor: Any,
    member: Any,
    first: dt.date,
    amount: str,
    *,
    last: dt.date | None = None,
    today: dt.date = TODAY,
    **kw: Any,
) -> DuesPayment:
    kw.setdefault("method", "cash")
    kw.setdefault("paid_on", today)
    return dues_payment_record(
        actor=actor,
        member=member,
        amount=Decimal(amount),
        first_month=first,
        last_month=last,
        today=today,
        **kw,
    )
