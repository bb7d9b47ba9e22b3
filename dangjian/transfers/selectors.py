"""Reads over transfers, always for a viewer: the work boxes, keyset pages, pickers."""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet

from dangjian.core import crypto
from dangjian.members.access import members_visible_to
from dangjian.members.id_lookup import id_search_check
from dangjian.members.models import Member
from dangjian.members.rules import normalize_id
from dangjian.orgs.access import scope_q
from dangjian.orgs.models import BRANCH_TYPES, Organization
from dangjian.orgs.selectors import attach_org_places
from dangjian.transfers.access import RELATED, transfers_visible_to
from dangjian.transfers.models import Transfer

PAGE_MAX = 100
COUNT_CAP = 99

# The list's tabs: (key, label).
BOXES = (
    ("approve", "待我审批"),
    ("receive", "待我接收"),
    ("mine", "我发起的"),
    ("all", "全部"),
)


def _box_q(viewer: Any, box: str) -> Q:
    """The predicate of one work box (the actions' permission rules, as path ranges)."""
    if box == "approve":
        # The approver holds transfer.approve over the sending branch's upper committee.
        return Q(state=Transfer.State.REQUESTED) & scope_q(
            viewer, "from_branch__parent__path", action="transfer.approve"
        )
    if box == "receive":
        internal = Q(kind=Transfer.Kind.INTERNAL) & scope_q(
            viewer, "to_branch__path", action="transfer.accept"
        )
        outbound = Q(kind=Transfer.Kind.OUTBOUND) & scope_q(
            viewer, "from_branch__parent__path", action="transfer.approve"
        )
        return Q(state=Transfer.State.APPROVED) & (internal | outbound)
    if box == "mine":
        return Q(requested_by_id=getattr(viewer, "pk", None))
    return Q()


def transfers_in_box(
    *, viewer: Any, box: str = "all", state: str = "", kind: str = "", q: str = ""
) -> QuerySet[Transfer]:
    """The viewer's transfers in a work box, optionally by state, kind, name or number."""
    qs = transfers_visible_to(viewer).filter(_box_q(viewer, box))
    if state in Transfer.State.values:
        qs = qs.filter(state=state)
    if kind in Transfer.Kind.values:
        qs = qs.filter(kind=kind)
    if q:
        qs = qs.filter(Q(member_name__icontains=q) | Q(number=q.upper()) | Q(external_number=q))
    return qs


@dataclass
class Page:
    items: list[Transfer]
    next_cursor: str | None


def transfer_page(
    *,
    viewer: Any,
    box: str = "all",
    state: str = "",
    kind: str = "",
    q: str = "",
    cursor: str | None = None,
    limit: int = 20,
) -> Page:
    """One keyset page, newest first (the cursor is the last id shown)."""
    limit = max(1, min(limit, PAGE_MAX))
    qs = transfers_in_box(viewer=viewer, box=box, state=state, kind=kind, q=q)
    if cursor:
        with contextlib.suppress(ValueError):
            qs = qs.filter(pk__lt=int(cursor))
    rows = list(qs.select_related(*RELATED).order_by("-id")[: limit + 1])
    more = len(rows) > limit
    rows = rows[:limit]
    # Both ends name their township › village (one query for the page).
    attach_org_places([o for t in rows for o in (t.from_branch, t.to_branch)], org_of=lambda o: o)
    return Page(items=rows, next_cursor=str(rows[-1].pk) if more and rows else None)


def box_counts(*, viewer: Any) -> dict[str, int]:
    """How many transfers wait in the viewer's action boxes (capped: a badge, not a census)."""
    return {
        box: transfers_in_box(viewer=viewer, box=box)[: COUNT_CAP + 1].count()
        for box in ("approve", "receive")
    }


def transfer_open_for(*, member: Member) -> Transfer | None:
    """The member's transfer in progress, if any."""
    return Transfer.objects.filter(member=member, state__in=Transfer.OPEN_STATES).first()


def transfers_of_member(*, viewer: Any, member: Member) -> list[Transfer]:
    """Every transfer of one member that the viewer may see, newest first."""
    return list(transfers_visible_to(viewer).filter(member=member).select_related(*RELATED))


def receiving_branches(
    *, q: str, exclude: int | None = None, limit: int = 15
) -> list[Organization]:
    """Branches anywhere in the system matching a name or code (a destination may lie outside
    the requester's scope: the whole system is one party)."""
    q = q.strip()[:50]
    if not q:
        return []
    qs = Organization.objects.filter(org_type__in=BRANCH_TYPES, dissolved_on__isnull=True).filter(
        Q(name__icontains=q) | Q(short_name__icontains=q) | Q(code=q.upper())
    )
    if exclude:
        qs = qs.exclude(pk=exclude)
    return list(qs.select_related("parent").order_by("path")[:limit])


def accepting_branches(*, viewer: Any, q: str, limit: int = 15) -> list[Organization]:
    """Branches in the viewer's scope where they may accept (external inbound registration)."""
    q = q.strip()[:50]
    qs = Organization.objects.filter(
        scope_q(viewer, "path", action="transfer.accept"),
        org_type__in=BRANCH_TYPES,
        dissolved_on__isnull=True,
    )
    if q:
        qs = qs.filter(Q(name__icontains=q) | Q(short_name__icontains=q) | Q(code=q.upper()))
    return list(qs.select_related("parent").order_by("path")[:limit])


def requestable_members(*, viewer: Any, q: str, limit: int = 15) -> list[Member]:
    """Current members the viewer may start a transfer for, by name, initials or ID number.

    A search by a full number is counted and audited like the member list's (and refused with
    ``RateLimitedError`` past the limit) when the viewer may not reveal it (members/id_lookup.py).
    """
    q = q.strip()[:50]
    if not q:
        return []
    qs = members_visible_to(viewer).filter(
        scope_q(viewer, "org_path", action="transfer.request"), status=Member.Status.CURRENT
    )
    if len(q) == 18 and q[:17].isdigit():
        id_search_check(viewer=viewer, surface="transfer.member_picker")
        qs = qs.filter(id_number_hash=crypto.lookup_hash(normalize_id(q)))
    elif q.isascii() and q.isalpha():
        qs = qs.filter(name_initials__startswith=q.lower())
    else:
        qs = qs.filter(name__icontains=q)
    return list(qs.select_related("branch").order_by("org_path", "id")[:limit])
