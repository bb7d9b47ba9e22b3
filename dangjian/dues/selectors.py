"""Reads of dues profiles: the profile in force in a month and the amount it implies."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

from django.db.models import QuerySet

from dangjian.dues.models import DuesProfile
from dangjian.dues.rules import Quote, quote
from dangjian.members.models import Member


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def dues_profile_history(member: Member) -> QuerySet[DuesProfile]:
    """Every profile row of the member, newest effective month first."""
    return DuesProfile.objects.filter(member=member).select_related("created_by")


def dues_profile_on(member: Member, month: dt.date) -> DuesProfile | None:
    """The profile in force in ``month``: the latest row effective in or before it."""
    return (
        DuesProfile.objects.filter(member=member, effective_month__lte=first_of_month(month))
        .order_by("-effective_month", "-id")
        .first()
    )


def expected_quote(member: Member, month: dt.date) -> Quote | None:
    """The dues owed for ``month`` under the rules in force then (None: no profile yet)."""
    profile = dues_profile_on(member, month)
    if profile is None:
        return None
    return quote(
        profile.category,
        profile.monthly_base,
        on=first_of_month(month),
        org_path=member.org_path,
    )


def expected_amount(member: Member, month: dt.date) -> Decimal | None:
    """The amount owed for ``month``; a pay change counts from its effective month on."""
    q = expected_quote(member, month)
    return q.monthly_amount if q else None
