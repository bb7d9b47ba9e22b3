"""Reads over the organization tree, always scoped by the viewer."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Count, Exists, OuterRef, Q, QuerySet

from dangjian.accounts.models import RoleGrant
from dangjian.core.paths import SEGMENT_WIDTH, subtree_q
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

    @property
    def organizations(self) -> int:
        """党组织 as the statistics count them: every organization but the 党小组 (a 党小组
        is not a 党组织 in the 党内统计; the home page shows them apart so the two agree)."""
        return self.total - self.groups


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


# --- where a row is: "甲镇党委 › 甲村党支部 › 第一党小组" --------------------------------------

PLACE_SEPARATOR = " › "
PLACE_LEVELS = 3  # the organization and its two nearest ancestors; the top one is left out


def org_places(orgs: Iterable[Organization | None]) -> dict[int, str]:
    """The place of each organization as a queue shows it, nearest ancestors first-to-last,
    the tree's top organization (the county, known to everyone) left out: one query for all.

    Ancestors are found by the prefixes of the materialized path, so rows loaded with only a
    few organization fields still cost no query each."""
    present = [o for o in orgs if o is not None]
    prefixes = {
        o.path[:end]
        for o in present
        for end in range(SEGMENT_WIDTH * 2, len(o.path), SEGMENT_WIDTH)
    }
    names: dict[str, str] = {}
    if prefixes:
        rows = Organization.objects.filter(path__in=prefixes).values_list(
            "path", "short_name", "name"
        )
        names = {path: short or name for path, short, name in rows}
    labels: dict[int, str] = {}
    for o in present:
        if o.pk in labels:
            continue
        chain = [
            names[o.path[:end]]
            for end in range(SEGMENT_WIDTH * 2, len(o.path), SEGMENT_WIDTH)
            if o.path[:end] in names
        ]
        chain.append(o.display_name)
        labels[o.pk] = PLACE_SEPARATOR.join(chain[-PLACE_LEVELS:])
    return labels


def attach_org_places(
    rows: Iterable[Any], org_of: Callable[[Any], Organization | None] = lambda r: r.org
) -> None:
    """Set ``org.place`` on the organization of every row (see ``org_places``); one query.

    Templates show it with ``{{ r.org|org_place }}`` (``dangjian/orgs/templatetags``)."""
    rows = list(rows)
    orgs = [org_of(r) for r in rows]
    labels = org_places(orgs)
    for org in orgs:
        if org is not None:
            org.place = labels[org.pk]  # type: ignore[attr-defined]
