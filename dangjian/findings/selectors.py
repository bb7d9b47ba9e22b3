"""Reads of the ledger (台账): filtered lists, counts by state, overdue flags."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet
from django.utils import timezone

from dangjian.core.paths import subtree_q
from dangjian.findings.access import findings_visible_to
from dangjian.findings.models import Finding, Remedy
from dangjian.orgs.models import Organization
from dangjian.orgs.selectors import attach_org_places


def overdue_remedies_q(today: dt.date) -> Q:
    """A remedy is overdue the day after its deadline while it is not done."""
    return Q(deadline__lt=today, done_on__isnull=True)


def with_overdue(qs: QuerySet[Finding], today: dt.date | None = None) -> QuerySet[Finding]:
    today = today or timezone.localdate()
    late = Remedy.objects.filter(overdue_remedies_q(today), finding=OuterRef("pk"))
    # A closed finding is never overdue: the flag is read together with the state.
    return qs.annotate(late_remedies=Exists(late))


def ledger(
    *,
    viewer: Any,
    org: Organization | None = None,
    state: str = "",
    overdue: bool = False,
    source_type: str = "",
    source_id: int | None = None,
    limit: int = 200,
) -> tuple[list[Finding], dict[str, int], int]:
    """Findings in scope (under ``org``), counts by state and the overdue count (capped list)."""
    today = timezone.localdate()
    base = findings_visible_to(viewer)
    if org is not None:
        base = base.filter(subtree_q("org_path", org.path))
    if source_type:
        base = base.filter(source_type=source_type, source_id=source_id)
    counts = dict(base.values_list("state").annotate(n=Count("id")).values_list("state", "n"))
    late = Remedy.objects.filter(overdue_remedies_q(today), finding=OuterRef("pk"))
    overdue_count = base.exclude(state=Finding.State.CLOSED).filter(Exists(late)).count()
    qs = with_overdue(base, today).select_related("org")
    if state in Finding.State.values:
        qs = qs.filter(state=state)
    if overdue:
        qs = qs.filter(Exists(late)).exclude(state=Finding.State.CLOSED)
    qs = qs.annotate(
        remedy_total=Count("remedies", distinct=True),
        remedy_done=Count("remedies", filter=Q(remedies__done_on__isnull=False), distinct=True),
    )
    rows: list[Finding] = list(qs.order_by("-found_on", "-id")[:limit])
    attach_org_places(rows)  # each row names its township › village, not the branch alone
    return rows, counts, overdue_count
