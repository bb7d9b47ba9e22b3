"""Every write on dues: permission, rule, audit."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.core.audit import audit_record
from dangjian.dues.models import DuesProfile
from dangjian.dues.rules import DEFAULT_BASE_KINDS, quote
from dangjian.members.models import Member
from dangjian.orgs.access import may

# RULES §3: 补交 at most 6 months back, so a base change may reach back no further either.
BACKDATE_MONTHS = 6


def add_months(month: dt.date, n: int) -> dt.date:
    """The first of the month ``n`` months after (or before, if negative) ``month``."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def effective_month_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The earliest and latest month a profile change may take effect, seen from ``today``."""
    this_month = today.replace(day=1)
    return add_months(this_month, -BACKDATE_MONTHS), add_months(this_month, 1)


@transaction.atomic
def dues_profile_set(
    *,
    actor: Any,
    member: Member,
    category: str,
    monthly_base: Decimal | None,
    base_kind: str = "",
    effective_month: dt.date,
    today: dt.date | None = None,
) -> DuesProfile:
    """Record a member's dues category and base from ``effective_month`` on (a new row)."""
    if not may(actor, "member.edit", member.branch):
        raise PermissionDenied("您没有权限维护该党员的党费基数")
    if effective_month.day != 1:
        raise ValidationError({"effective_month": ["起始月份须为当月 1 日"]})
    earliest, latest = effective_month_window(today or timezone.localdate())
    if effective_month < earliest:
        raise ValidationError(
            {"effective_month": [f"起始月份最早为 {earliest:%Y年%m月}（补交不超过 6 个月）"]}
        )
    if effective_month > latest:
        raise ValidationError({"effective_month": [f"起始月份最晚为 {latest:%Y年%m月}"]})
    # Validates category and base against the rules in force in that month.
    q = quote(category, monthly_base, on=effective_month, org_path=member.org_path)
    if q.rate is None:
        monthly_base = None
    base_kind = base_kind.strip() or (DEFAULT_BASE_KINDS.get(category, "") if q.rate else "")
    profile = DuesProfile.objects.create(
        member=member,
        category=category,
        monthly_base=monthly_base,
        base_kind=base_kind[:30],
        effective_month=effective_month,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="dues.profile_set",
        obj=profile,
        object_repr=f"{member.name} 党费基数 {effective_month:%Y-%m}",
        changes={
            "member": member.pk,
            "category": category,
            "monthly_base": monthly_base,
            "base_kind": profile.base_kind,
            "effective_month": effective_month,
            "monthly_amount": q.monthly_amount,
        },
        org_id=member.branch_id,
        org_path=member.org_path,
    )
    return profile
