"""Reads beyond one row: balances, the board (张榜晒分), the passbook, pending reports, stars.

A balance is ``base + sum(entries of the year up to the day)``, always from the ledger, except
for a closed period, whose board reads the balances frozen at the close. Every read here is a
fixed number of queries (grouped sums over the copied organization path).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal

from django.db.models import Q, QuerySet, Sum
from django.utils import timezone

from dangjian.core.paths import subtree_q
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.points.models import (
    Commitment,
    PointsBalance,
    PointsClaim,
    PointsEntry,
    PointsPeriod,
    PointsScheme,
    StarRating,
)
from dangjian.points.rules import catalogue_for, period_label

BOARD_MAX_ROWS = 500
BELOW_MAX_ROWS = 200
PASSBOOK_PAGE = 30


def current_members(org: Organization) -> QuerySet[Member]:
    """Current members placed in ``org``'s subtree (one range predicate)."""
    return Member.objects.filter(subtree_q("org_path", org.path)).exclude(
        status=Member.Status.FORMER
    )


def ledger_sums(
    *, members: QuerySet[Member] | None = None, org: Organization | None = None,
    year_start: dt.date, start: dt.date, end: dt.date,
) -> dict[int, tuple[Decimal, Decimal]]:  # fmt: skip
    """``{member_id: (earned in [start, end], year-to-date sum up to end)}`` in one query."""
    qs = PointsEntry.objects.filter(occurred_on__gte=year_start, occurred_on__lte=end)
    if org is not None:
        qs = qs.filter(subtree_q("org_path", org.path))
    if members is not None:
        qs = qs.filter(member__in=members)
    rows = qs.values("member_id").annotate(
        ytd=Sum("points"), earned=Sum("points", filter=Q(occurred_on__gte=start))
    )
    return {r["member_id"]: (r["earned"] or Decimal(0), r["ytd"] or Decimal(0)) for r in rows}


def competition_ranks(values: list[tuple[int, Decimal]]) -> dict[int, int]:
    """1, 2, 2, 4 … by value descending (ties share a rank)."""
    ranks: dict[int, int] = {}
    ordered = sorted(values, key=lambda kv: -kv[1])
    prev: Decimal | None = None
    rank = 0
    for i, (key, value) in enumerate(ordered, start=1):
        if value != prev:
            rank = i
            prev = value
        ranks[key] = rank
    return ranks


def current_stars(member_ids: Iterable[int]) -> dict[int, int]:
    """The stars now in force for each member (final reviews only)."""
    return dict(
        StarRating.objects.filter(member_id__in=list(member_ids), is_current=True).values_list(
            "member_id", "stars"
        )
    )


@dataclass
class BoardRow:
    member_id: int
    name: str
    branch: str
    earned: Decimal
    balance: Decimal
    rank: int | None
    below: bool
    stars: int = 0
    commitment: str = ""


@dataclass
class Board:
    org: Organization
    kind: str
    start: dt.date
    end: dt.date
    label: str
    base: Decimal
    threshold: Decimal
    min_members: int
    closed: bool
    total: int
    as_of: dt.date
    rows: list[BoardRow] = field(default_factory=list)
    # Everyone under the line (lowest first, capped), also those past the displayed rows.
    below: list[BoardRow] = field(default_factory=list)

    @property
    def ranked(self) -> bool:
        return self.total >= self.min_members

    @property
    def truncated(self) -> bool:
        return self.total > len(self.rows)


def closed_period(scheme: PointsScheme | None, kind: str, start: dt.date) -> PointsPeriod | None:
    if scheme is None:
        return None
    return PointsPeriod.objects.filter(
        scheme=scheme, kind=kind, start=start, state=PointsPeriod.State.CLOSED
    ).first()


def board(*, org: Organization, kind: str, start: dt.date, end: dt.date) -> Board:
    """张榜: every current member of ``org``'s subtree ranked by balance at the period's end."""
    cat = catalogue_for(org, start.year)
    scheme = cat.base
    base = scheme.base_points if scheme else Decimal(0)
    out = Board(
        org=org,
        kind=kind,
        start=start,
        end=end,
        label=period_label(kind, start),
        base=base,
        threshold=scheme.low_threshold if scheme else Decimal(0),
        min_members=scheme.board_min_members if scheme else 0,
        closed=False,
        total=0,
        as_of=min(end, timezone.localdate()),
    )
    members = list(
        current_members(org).select_related("branch").values_list("id", "name", "branch__name")
    )
    frozen = closed_period(scheme, kind, start)
    if frozen is not None:
        out.closed = True
        snap = {
            b.member_id: (b.earned, b.balance)
            for b in PointsBalance.objects.filter(period=frozen).filter(
                subtree_q("org_path", org.path)
            )
        }
        sums = {k: (v[0], v[1] - base) for k, v in snap.items()}
    else:
        sums = ledger_sums(org=org, year_start=dt.date(start.year, 1, 1), start=start, end=end)
    values = [(mid, base + sums.get(mid, (Decimal(0), Decimal(0)))[1]) for mid, _, _ in members]
    ranks = competition_ranks(values)
    out.total = len(members)
    stars = dict(
        StarRating.objects.filter(subtree_q("org_path", org.path), is_current=True).values_list(
            "member_id", "stars"
        )
    )
    pledges = dict(
        Commitment.objects.filter(subtree_q("org_path", org.path), year=start.year).values_list(
            "member_id", "text"
        )
    )
    rows = []
    for mid, name, branch in members:
        earned, ytd = sums.get(mid, (Decimal(0), Decimal(0)))
        balance = base + ytd
        rows.append(
            BoardRow(
                member_id=mid,
                name=name,
                branch=branch,
                earned=earned,
                balance=balance,
                rank=ranks[mid] if out.ranked else None,
                below=balance < out.threshold,
                stars=stars.get(mid, 0),
                commitment=pledges.get(mid, ""),
            )
        )
    rows.sort(key=lambda r: (-r.balance, r.name, r.member_id))
    out.rows = rows[:BOARD_MAX_ROWS]
    out.below = [r for r in reversed(rows) if r.below][:BELOW_MAX_ROWS]
    return out


@dataclass
class Passbook:
    member: Member
    year: int
    base: Decimal
    balance: Decimal
    earned_this_month: Decimal
    rank: int | None
    branch_size: int
    threshold: Decimal
    entries: list[PointsEntry]
    next_cursor: str
    pending_claims: list[PointsClaim]
    commitment: Commitment | None
    stars: int
    reversed_ids: set[int]


def _parse_cursor(cursor: str) -> tuple[dt.date, int] | None:
    try:
        day, pk = cursor.split("_")
        return dt.date.fromisoformat(day), int(pk)
    except ValueError:
        return None


def member_entries(
    member: Member, *, year: int, cursor: str = "", limit: int = PASSBOOK_PAGE
) -> tuple[list[PointsEntry], str]:
    """One page of the member's entries of a year, newest first (keyset on day and id)."""
    qs = (
        PointsEntry.objects.filter(
            member=member,
            occurred_on__gte=dt.date(year, 1, 1),
            occurred_on__lte=dt.date(year, 12, 31),
        )
        .select_related("item", "actor")
        .order_by("-occurred_on", "-id")
    )
    parsed = _parse_cursor(cursor) if cursor else None
    if parsed:
        day, pk = parsed
        qs = qs.filter(Q(occurred_on__lt=day) | Q(occurred_on=day, id__lt=pk))
    rows = list(qs[: limit + 1])
    nxt = ""
    if len(rows) > limit:
        rows = rows[:limit]
        nxt = f"{rows[-1].occurred_on.isoformat()}_{rows[-1].pk}"
    return rows, nxt


def passbook(
    *, member: Member, today: dt.date, year: int | None = None, cursor: str = ""
) -> Passbook:
    """积分存折: the year's balance, entries with reasons and sources, rank in the branch."""
    year = year or today.year
    cat = catalogue_for(member.branch, year)
    base = cat.base.base_points if cat.base else Decimal(0)
    end = min(today, dt.date(year, 12, 31))
    month_start = dt.date(end.year, end.month, 1)
    branch_ids = list(
        Member.objects.filter(branch_id=member.branch_id)
        .exclude(status=Member.Status.FORMER)
        .values_list("id", flat=True)
    )
    sums = ledger_sums(
        members=Member.objects.filter(pk__in=branch_ids),
        year_start=dt.date(year, 1, 1),
        start=month_start,
        end=end,
    )
    ranks = competition_ranks([(mid, sums.get(mid, (0, Decimal(0)))[1]) for mid in branch_ids])
    mine = sums.get(member.pk, (Decimal(0), Decimal(0)))
    min_members = cat.base.board_min_members if cat.base else 0
    entries, nxt = member_entries(member, year=year, cursor=cursor)
    reversed_ids = set(
        PointsEntry.objects.filter(reverses__in=[e.pk for e in entries]).values_list(
            "reverses_id", flat=True
        )
    )
    return Passbook(
        member=member,
        year=year,
        base=base,
        balance=base + mine[1],
        earned_this_month=mine[0],
        rank=ranks.get(member.pk) if len(branch_ids) >= min_members else None,
        branch_size=len(branch_ids),
        threshold=cat.base.low_threshold if cat.base else Decimal(0),
        entries=entries,
        next_cursor=nxt,
        pending_claims=list(
            PointsClaim.objects.filter(member=member).select_related("item").order_by("-id")[:10]
        ),
        commitment=Commitment.objects.filter(member=member, year=year).first(),
        stars=current_stars([member.pk]).get(member.pk, 0),
        reversed_ids=reversed_ids,
    )


def pending_claims(*, org: Organization, limit: int = 50) -> list[PointsClaim]:
    """Self-reports waiting for the branch in ``org``'s subtree, oldest first (capped)."""
    return list(
        PointsClaim.objects.filter(subtree_q("org_path", org.path), state=PointsClaim.State.PENDING)
        .select_related("member", "item")
        .order_by("id")[:limit]
    )


@dataclass(frozen=True)
class Mismatch:
    member_id: int
    frozen: Decimal
    ledger: Decimal


def period_reconcile(period: PointsPeriod) -> list[Mismatch]:
    """Frozen balances that no longer match the ledger (should be empty: the ledger is closed)."""
    base = period.scheme.base_points
    snap = list(PointsBalance.objects.filter(period=period).values_list("member_id", "balance"))
    sums = ledger_sums(
        members=Member.objects.filter(pk__in=[m for m, _ in snap]),
        year_start=dt.date(period.start.year, 1, 1),
        start=period.start,
        end=period.end,
    )
    out = []
    for mid, frozen in snap:
        live = base + sums.get(mid, (Decimal(0), Decimal(0)))[1]
        if live != frozen:
            out.append(Mismatch(mid, frozen, live))
    return out
