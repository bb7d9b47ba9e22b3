"""Reads over the organization tree, always scoped by the viewer."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from dangjian.accounts.models import RoleGrant
from dangjian.core.paths import subtree_q
from dangjian.orgs.access import orgs_visible_to, scope_q, viewer_grants
from dangjian.orgs.models import BRANCH_TYPES, Organization, OrgLink

PAGE_MAX = 100


def with_has_children(qs: QuerySet[Organization]) -> QuerySet[Organization]:
    return qs.annotate(has_children=Exists(Organization.objects.filter(parent_id=OuterRef("pk"))))


def org_children(*, viewer: Any, org: Organization) -> list[Organization]:
    """Direct children of a visible organization (the tree's lazy level), with child flags."""
    return list(
        with_has_children(orgs_visible_to(viewer).filter(parent_id=org.pk)).order_by("path")
    )


def org_top_level(*, viewer: Any) -> list[Organization]:
    """The roots of the viewer's visible forest."""
    from dangjian.core.paths import collapse_roots

    roots = collapse_roots([g.org_path for g in viewer_grants(viewer)])
    return list(with_has_children(Organization.objects.filter(path__in=roots)).order_by("path"))


def org_ancestors(*, viewer: Any, org: Organization) -> list[Organization]:
    """The breadcrumb: visible ancestors of ``org``, top first."""
    ids = list(org.ancestor_ids)
    if not ids:
        return []
    by_id = {o.pk: o for o in orgs_visible_to(viewer).filter(pk__in=ids)}
    return [by_id[i] for i in ids if i in by_id]


@dataclass
class Page:
    items: list[Any]
    next_cursor: str | None


def org_search(
    *,
    viewer: Any,
    q: str = "",
    org_type: str = "",
    sector: str = "",
    within: Organization | None = None,
    cursor: str | None = None,
    limit: int = 20,
) -> Page:
    """Organizations in scope matching the filters; keyset pages in tree order."""
    limit = max(1, min(limit, PAGE_MAX))
    qs = orgs_visible_to(viewer)
    if within is not None:
        qs = qs.filter(subtree_q("path", within.path))
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(code=q.upper()))
    if org_type:
        qs = qs.filter(org_type=org_type)
    if sector:
        qs = qs.filter(sector=sector)
    if cursor:
        qs = qs.filter(path__gt=cursor)
    rows = list(with_has_children(qs).order_by("path")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    return Page(items=rows, next_cursor=rows[-1].path if more and rows else None)


@dataclass
class SubtreeCounts:
    total: int
    committees: int
    general_branches: int
    branches: int
    groups: int
    by_sector: list[tuple[str, str, int]]
    users: int


def org_subtree_counts(*, viewer: Any, org: Organization) -> SubtreeCounts:
    """Headline counts for an organization's subtree (visible part only): two queries."""
    qs = orgs_visible_to(viewer).filter(subtree_q("path", org.path), dissolved_on__isnull=True)
    by_type = dict(qs.values_list("org_type").annotate(n=Count("id")).order_by())
    by_sector_raw = (
        qs.filter(org_type__in=BRANCH_TYPES)
        .values_list("sector")
        .annotate(n=Count("id"))
        .order_by()
    )
    labels = dict(Organization.Sector.choices)
    by_sector = sorted(((s, labels.get(s, s), n) for s, n in by_sector_raw), key=lambda r: -r[2])
    types = Organization.Type
    users = (
        RoleGrant.objects.filter(subtree_q("org__path", org.path))
        .values("user_id")
        .distinct()
        .count()
    )
    return SubtreeCounts(
        total=sum(by_type.values()),
        committees=sum(
            by_type.get(t, 0)
            for t in (
                types.LOCAL_COMMITTEE,
                types.WORKING_COMMITTEE,
                types.COMMITTEE,
                types.SECONDARY_COMMITTEE,
            )
        ),
        general_branches=by_type.get(types.GENERAL_BRANCH, 0),
        branches=sum(by_type.get(t, 0) for t in BRANCH_TYPES),
        groups=by_type.get(types.GROUP, 0),
        by_sector=by_sector,
        users=users,
    )


def org_links(*, viewer: Any, org: Organization) -> list[OrgLink]:
    """Joint links where ``org`` leads or takes part, whose other side is visible too."""
    visible = scope_q(viewer, "lead__path") & scope_q(viewer, "partner__path")
    return list(
        OrgLink.objects.filter(Q(lead=org) | Q(partner=org))
        .filter(visible)
        .select_related("lead", "partner")
        .order_by("-started_on")
    )


def org_term_expiring(
    *, viewer: Any, within: Organization, within_days: int, today: dt.date
) -> QuerySet[Organization]:
    """Visible organizations under ``within`` whose term has ended or ends within the window."""
    return (
        orgs_visible_to(viewer)
        .filter(
            subtree_q("path", within.path),
            term_end__isnull=False,
            term_end__lte=today + dt.timedelta(days=within_days),
            dissolved_on__isnull=True,
        )
        .order_by("term_end")
    )
