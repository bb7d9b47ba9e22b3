"""Reads beyond one row for 村情民意, 矛盾调解 and 乡贤: keyset pages (a cursor, never
OFFSET) with a constant number of queries; subtree filters are the copied-path range."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Prefetch, Q, QuerySet

from dangjian.community.access import (
    mediations_visible_to,
    opinions_visible_to,
    worthies_visible_to,
)
from dangjian.community.models import LocalWorthy, Mediation, OpinionRecord
from dangjian.core.paths import SEGMENT_WIDTH, subtree_q
from dangjian.grid.models import Grid
from dangjian.grid.selectors import CHOICES_CAP, PAGE_SIZE, Page, count_of, int_cursor
from dangjian.orgs.models import Organization

# ── records ──────────────────────────────────────────────────────────────────


def _dated_page(qs: QuerySet[Any], day_field: str, cursor: str | None, size: int) -> Page[Any]:
    """Newest first by (day, id)."""
    if cursor:
        day, _, last_id = cursor.partition("|")
        try:
            when = dt.date.fromisoformat(day)
        except ValueError:
            when = None
        if when is not None and last_id.isdigit():
            qs = qs.filter(
                Q(**{f"{day_field}__lt": when}) | Q(**{day_field: when, "id__lt": int(last_id)})
            )
    rows = list(qs.order_by(f"-{day_field}", "-id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    nxt = f"{getattr(rows[-1], day_field).isoformat()}|{rows[-1].pk}" if more and rows else None
    return Page(rows=rows, next_cursor=nxt)


def _narrow(qs: QuerySet[Any], org: Organization | None, grid: Grid | None) -> QuerySet[Any]:
    if grid is not None:
        return qs.filter(grid=grid)
    if org is not None:
        return qs.filter(subtree_q("org_path", org.path))
    return qs


def opinion_page(
    *,
    viewer: Any,
    org: Organization | None,
    grid: Grid | None = None,
    params: Any,
    cursor: str | None,
    size: int = PAGE_SIZE,
) -> Page[OpinionRecord]:
    """村情民意 under ``org`` or in ``grid``, newest first; filters by status and category."""
    qs = _narrow(opinions_visible_to(viewer), org, grid)
    if (status := params.get("status") or "") in OpinionRecord.Status.values:
        qs = qs.filter(status=status)
    if (category := params.get("category") or "") in OpinionRecord.Category.values:
        qs = qs.filter(category=category)
    qs = qs.select_related("grid", "org", "collected_by_user", "collected_by_member")
    return _dated_page(qs, "collected_on", cursor, size)


def mediation_page(
    *,
    viewer: Any,
    org: Organization | None,
    grid: Grid | None = None,
    params: Any,
    cursor: str | None,
    size: int = PAGE_SIZE,
) -> Page[Mediation]:
    """矛盾调解 under ``org`` or in ``grid``, newest first; filters by outcome, type and place."""
    qs = _narrow(mediations_visible_to(viewer), org, grid)
    if (outcome := params.get("outcome") or "") in Mediation.Outcome.values:
        qs = qs.filter(outcome=outcome)
    if (kind := params.get("dispute_type") or "") in Mediation.DisputeType.values:
        qs = qs.filter(dispute_type=kind)
    if (place := params.get("place") or "") in Mediation.Place.values:
        qs = qs.filter(place=place)
    qs = qs.select_related("grid", "org").prefetch_related(
        Prefetch("worthies", queryset=LocalWorthy.objects.only("id", "name"))
    )
    return _dated_page(qs, "mediated_on", cursor, size)


def worthy_page(
    *,
    viewer: Any,
    org: Organization | None,
    params: Any,
    cursor: str | None,
    size: int = PAGE_SIZE,
) -> Page[LocalWorthy]:
    """乡贤 under ``org``, in tree order, each with how many mediations they joined."""
    qs = _narrow(worthies_visible_to(viewer), org, None)
    if params.get("inactive") != "1":
        qs = qs.filter(is_active=True)
    if (background := params.get("background") or "") in LocalWorthy.Background.values:
        qs = qs.filter(background=background)
    last = int_cursor(cursor)
    if last is not None:
        qs = qs.filter(id__gt=last)
    rows = list(
        qs.select_related("org")
        .annotate(mediation_count=count_of(Mediation.worthies.through, "localworthy_id"))
        .order_by("id")[: size + 1]
    )
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows=rows, next_cursor=str(rows[-1].pk) if more and rows else None)


def worthy_choices(org: Organization) -> list[LocalWorthy]:
    """Active 乡贤 of ``org``'s township (or street) who may join a mediation there."""
    parent_path = org.path[:-SEGMENT_WIDTH] if org.depth > 1 else org.path
    return list(
        LocalWorthy.objects.filter(subtree_q("org_path", parent_path), is_active=True)
        .select_related("org")
        .order_by("org_path", "name")[:CHOICES_CAP]
    )
