"""Reads beyond one row: grid lists with their counts, household lists, statistics (which count
the records of ``community`` too).

Lists are keyset pages (a cursor, never OFFSET) with a constant number of queries; subtree
filters are the copied-path range (``subtree_q``).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

from django.db.models import (
    Count,
    Exists,
    F,
    IntegerField,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
)
from django.db.models.functions import Coalesce

from dangjian.accounts.models import RoleGrant, User
from dangjian.accounts.roles import ROLE_ACTIONS
from dangjian.community.models import LocalWorthy, Mediation, OpinionRecord
from dangjian.core import crypto
from dangjian.core.paths import SEGMENT_WIDTH, subtree_q
from dangjian.grid.access import (
    grids_of_worker,
    grids_visible_to,
    households_visible_to,
)
from dangjian.grid.models import (
    AnchorHousehold,
    Grid,
    Household,
    HouseholdLink,
    HouseholdTag,
)
from dangjian.grid.rules import GRID_HOSTS
from dangjian.members.models import Member
from dangjian.orgs.access import scope_q
from dangjian.orgs.models import Organization

PAGE_SIZE = 20
PHONE_LOOKUP = re.compile(r"1[3-9]\d{9}")
ID_LOOKUP = re.compile(r"\d{17}[\dX]")
T = TypeVar("T")


@dataclass
class Page(Generic[T]):
    rows: Sequence[T]
    next_cursor: str | None


def int_cursor(cursor: str | None) -> int | None:
    return int(cursor) if cursor and cursor.isdigit() and len(cursor) < 19 else None


def count_of(model: Any, fk: str, **filters: Any) -> Any:
    """A correlated COUNT subquery (no join fan-out between several counts)."""
    rows: QuerySet[Any] = model.objects.filter(**{fk: OuterRef("pk")}, **filters)
    sub = rows.order_by().values(fk).annotate(n=Count("pk")).values("n")
    return Coalesce(Subquery(sub, output_field=IntegerField()), 0)


# ── grids ────────────────────────────────────────────────────────────────────


def grid_filter(
    *, viewer: Any, org: Organization | None, include_inactive: bool = False
) -> QuerySet[Grid]:
    """Visible grids under ``org`` (or the whole scope)."""
    qs = grids_visible_to(viewer)
    if org is not None:
        qs = qs.filter(subtree_q("org_path", org.path))
    if not include_inactive:
        qs = qs.filter(is_active=True)
    return qs


def grid_page(qs: QuerySet[Grid], *, cursor: str | None, size: int = PAGE_SIZE) -> Page[Grid]:
    """A keyset page of grids in tree order, each with its workers and household/anchor counts."""
    if cursor:
        path, _, last_id = cursor.partition("|")
        if last_id.isdigit():
            qs = qs.filter(Q(org_path__gt=path) | Q(org_path=path, id__gt=int(last_id)))
    qs = (
        qs.select_related("org")
        .annotate(
            household_count=count_of(Household, "grid", is_active=True),
            anchor_count=count_of(AnchorHousehold, "grid", ended_on__isnull=True),
        )
        .prefetch_related(Prefetch("workers", queryset=User.objects.only("id", "name", "username")))
        .order_by("org_path", "id")
    )
    rows = list(qs[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    nxt = f"{rows[-1].org_path}|{rows[-1].pk}" if more and rows else None
    return Page(rows=rows, next_cursor=nxt)


@dataclass
class GridDetail:
    grid: Grid
    households: int
    care_households: int
    anchors: Sequence[AnchorHousehold]
    links: int
    opinions_open: int
    recent_opinions: list[OpinionRecord]
    recent_mediations: list[Mediation]


def grid_detail(grid: Grid, *, today: dt.date) -> GridDetail:
    """What the grid page shows besides the household list (a fixed number of queries)."""
    households = Household.objects.filter(grid=grid, is_active=True)
    counts = {
        "n": households.count(),
        "care": households.filter(needs_care=True).count(),
    }
    anchors = list(
        AnchorHousehold.objects.filter(grid=grid, ended_on__isnull=True)
        .select_related("member", "household")
        .annotate(link_count=count_of(HouseholdLink, "anchor", ended_on__isnull=True))
        .order_by("id")
    )
    links = HouseholdLink.objects.filter(household__grid=grid, ended_on__isnull=True).count()
    opinions_open = OpinionRecord.objects.filter(
        grid=grid, status__in=[OpinionRecord.Status.RECEIVED, OpinionRecord.Status.HANDLING]
    ).count()
    return GridDetail(
        grid=grid,
        households=counts["n"],
        care_households=counts["care"],
        anchors=anchors,
        links=links,
        opinions_open=opinions_open,
        recent_opinions=list(
            OpinionRecord.objects.filter(grid=grid).order_by("-collected_on", "-id")[:5]
        ),
        recent_mediations=list(
            Mediation.objects.filter(grid=grid).order_by("-mediated_on", "-id")[:5]
        ),
    )


# ── households ───────────────────────────────────────────────────────────────


def household_filter(
    *, viewer: Any, org: Organization | None = None, grid: Grid | None = None, params: Any
) -> QuerySet[Household]:
    """Visible households under ``org`` or in ``grid``, narrowed by tag, care and linking."""
    qs = households_visible_to(viewer)
    if grid is not None:
        qs = qs.filter(grid=grid)
    elif org is not None:
        qs = qs.filter(subtree_q("org_path", org.path))
    qs = qs.filter(is_active=params.get("inactive") != "1")
    tag = params.get("tag") or ""
    if tag:
        qs = qs.filter(tags__code=tag)
    if params.get("care") == "1":
        qs = qs.filter(needs_care=True)
    linked = params.get("linked") or ""
    active_link = HouseholdLink.objects.filter(household=OuterRef("pk"), ended_on__isnull=True)
    if linked == "1":
        qs = qs.filter(Exists(active_link))
    elif linked == "0":
        qs = qs.exclude(Exists(active_link))
    q = (params.get("q") or "").strip()[:50]
    if PHONE_LOOKUP.fullmatch(q):
        # A full phone or ID number is found through its keyed hash (the value is encrypted).
        qs = qs.filter(phone_hash=crypto.lookup_hash(q))
    elif ID_LOOKUP.fullmatch(q.upper()):
        qs = qs.filter(head_id_hash=crypto.lookup_hash(q.upper()))
    elif q:
        qs = qs.filter(Q(address__contains=q) | Q(head_name=q))
    return qs


def household_page(
    qs: QuerySet[Household], *, cursor: str | None, size: int = PAGE_SIZE
) -> Page[Household]:
    """A keyset page of households by id, with tags and the members who look after them."""
    last = int_cursor(cursor)
    if last is not None:
        qs = qs.filter(id__gt=last)
    rows = list(
        qs.select_related("grid")
        .prefetch_related(
            "tags",
            Prefetch(
                "links",
                queryset=HouseholdLink.objects.filter(ended_on__isnull=True).select_related(
                    "member"
                ),
                to_attr="active_links",
            ),
        )
        .order_by("id")[: size + 1]
    )
    more = len(rows) > size
    rows = rows[:size]
    return Page(rows=rows, next_cursor=str(rows[-1].pk) if more and rows else None)


def household_links(household: Household) -> list[HouseholdLink]:
    """Every link of a household, current first, with member and 中心户."""
    return list(
        HouseholdLink.objects.filter(household=household)
        .select_related("member", "anchor")
        .order_by("ended_on", "-started_on", "id")
    )


def tag_choices() -> list[HouseholdTag]:
    return list(HouseholdTag.objects.filter(is_active=True))


# ── statistics ───────────────────────────────────────────────────────────────


@dataclass
class GridStats:
    """Figures for a subtree and period, in the words of the seeds ("收集村情民意90余条,
    化解矛盾纠纷60余起"). Structure counts are as of today; record counts are for the period."""

    org_id: int
    start: dt.date
    end: dt.date
    grids: int = 0
    households: int = 0
    care_households: int = 0
    anchors: int = 0
    linked_households: int = 0
    linking_members: int = 0
    opinions: int = 0
    opinions_resolved: int = 0
    opinions_replied: int = 0
    opinions_open: int = 0
    opinions_overdue: int = 0
    mediations: int = 0
    mediations_success: int = 0
    mediations_failed: int = 0
    mediations_referred: int = 0
    mediations_with_worthy: int = 0
    mediations_in_room: int = 0
    worthies: int = 0
    worthies_joined: int = 0
    by_category: dict[str, int] = field(default_factory=dict)
    by_dispute_type: dict[str, int] = field(default_factory=dict)

    @property
    def opinions_handled(self) -> int:
        """Handled = 已办结 + 已答复; only 已办结 counts as solved."""
        return self.opinions_resolved + self.opinions_replied

    @property
    def success_rate(self) -> float | None:
        """调解成功率 in percent (None with no mediations, never a made-up 100%)."""
        if not self.mediations:
            return None
        return round(100 * self.mediations_success / self.mediations, 1)

    @property
    def category_rows(self) -> list[tuple[str, int]]:
        """(类别, count) for the opinions of the period, largest first."""
        labels = dict(OpinionRecord.Category.choices)
        rows = [(labels.get(k, k), n) for k, n in self.by_category.items()]
        return sorted(rows, key=lambda r: -r[1])

    @property
    def dispute_rows(self) -> list[tuple[str, int]]:
        """(纠纷类型, count) for the mediations of the period, largest first."""
        labels = dict(Mediation.DisputeType.choices)
        rows = [(labels.get(k, k), n) for k, n in self.by_dispute_type.items()]
        return sorted(rows, key=lambda r: -r[1])

    @property
    def worthy_share(self) -> float | None:
        """Share of mediations a 乡贤 took part in, in percent."""
        if not self.mediations:
            return None
        return round(100 * self.mediations_with_worthy / self.mediations, 1)


def grid_stats(*, org: Organization, start: dt.date, end: dt.date, today: dt.date) -> GridStats:
    """Grid-work statistics for ``org``'s subtree: structure now, opinions and mediations
    collected/mediated between ``start`` and ``end`` (inclusive). The caller checks access."""
    sub = subtree_q("org_path", org.path)
    stats = GridStats(org_id=org.pk, start=start, end=end)
    stats.grids = Grid.objects.filter(sub, is_active=True).count()
    households = Household.objects.filter(sub, is_active=True)
    stats.households = households.count()
    stats.care_households = households.filter(needs_care=True).count()
    stats.anchors = AnchorHousehold.objects.filter(sub, ended_on__isnull=True).count()
    links = HouseholdLink.objects.filter(sub, ended_on__isnull=True).aggregate(
        households=Count("household", distinct=True), members=Count("member", distinct=True)
    )
    stats.linked_households, stats.linking_members = links["households"], links["members"]

    st = OpinionRecord.Status
    opinions = OpinionRecord.objects.filter(sub, collected_on__gte=start, collected_on__lte=end)
    o = opinions.aggregate(
        n=Count("pk"),
        resolved=Count("pk", filter=Q(status=st.RESOLVED)),
        replied=Count("pk", filter=Q(status=st.REPLIED)),
        open=Count("pk", filter=Q(status__in=[st.RECEIVED, st.HANDLING])),
        overdue=Count(
            "pk",
            filter=Q(status__in=[st.RECEIVED, st.HANDLING], due_on__lt=today)
            | Q(handled_on__isnull=False, handled_on__gt=F("due_on")),
        ),
    )
    stats.opinions, stats.opinions_resolved = o["n"], o["resolved"]
    stats.opinions_replied, stats.opinions_open = o["replied"], o["open"]
    stats.opinions_overdue = o["overdue"]
    stats.by_category = dict(
        opinions.order_by()
        .values_list("category")
        .annotate(n=Count("pk"))
        .values_list("category", "n")
    )

    out = Mediation.Outcome
    mediations = Mediation.objects.filter(sub, mediated_on__gte=start, mediated_on__lte=end)
    m = mediations.aggregate(
        n=Count("pk"),
        success=Count("pk", filter=Q(outcome=out.SUCCESS)),
        failed=Count("pk", filter=Q(outcome=out.FAILED)),
        referred=Count("pk", filter=Q(outcome=out.REFERRED)),
        room=Count("pk", filter=Q(place=Mediation.Place.WORTHY_ROOM)),
    )
    stats.mediations, stats.mediations_success = m["n"], m["success"]
    stats.mediations_failed, stats.mediations_referred = m["failed"], m["referred"]
    stats.mediations_in_room = m["room"]
    through = Mediation.worthies.through.objects.filter(mediation__in=mediations.values("pk"))
    w = through.aggregate(
        mediations=Count("mediation", distinct=True), worthies=Count("localworthy", distinct=True)
    )
    stats.mediations_with_worthy, stats.worthies_joined = w["mediations"], w["worthies"]
    stats.by_dispute_type = dict(
        mediations.order_by()
        .values_list("dispute_type")
        .annotate(n=Count("pk"))
        .values_list("dispute_type", "n")
    )
    stats.worthies = LocalWorthy.objects.filter(sub, is_active=True).count()
    return stats


# ── choices for forms ─────────────────────────────────────────────────────────

CHOICES_CAP = 300


def ancestor_paths(path: str) -> list[str]:
    """``path`` and every ancestor path (fixed-width segments)."""
    return [path[: i + SEGMENT_WIDTH] for i in range(0, len(path), SEGMENT_WIDTH)]


def worker_candidates(org: Organization, *, today: dt.date) -> list[User]:
    """Users who may be grid workers of ``org``: a grant in force on it or above that includes
    grid.view (网格员, 支部书记, 党务工作者 …)."""
    roles = [r for r, actions in ROLE_ACTIONS.items() if "grid.view" in actions]
    grants = (
        RoleGrant.objects.filter(
            org__path__in=ancestor_paths(org.path), role__in=roles, valid_from__lte=today
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .values("user_id")
    )
    return list(
        User.objects.filter(pk__in=grants, is_active=True, is_superuser=False)
        .only("id", "name", "username")
        .order_by("name", "id")[:CHOICES_CAP]
    )


def member_choices_qs(org: Organization) -> QuerySet[Member]:
    """Current members who may look after households of ``org`` (placed in it or checked in)."""
    return Member.objects.filter(status=Member.Status.CURRENT).filter(
        subtree_q("org_path", org.path)
        | Q(checkin_community__path__gte=org.path, checkin_community__path__lt=org.path + "~")
    )


def member_choices(org: Organization) -> list[Member]:
    """The same members, for a form (capped)."""
    return list(
        member_choices_qs(org)
        .select_related("checkin_community")
        .order_by("name", "id")[:CHOICES_CAP]
    )


def recordable_grids(viewer: Any, *, within: Organization | None) -> list[Grid]:
    """Grids where the viewer may record opinions and mediations: their own grids first, then
    those they manage under the working organization."""
    own = list(grids_of_worker(viewer).select_related("org").order_by("org_path", "name"))
    managed = grids_visible_to(viewer, "grid.manage").filter(is_active=True)
    if within is not None:
        managed = managed.filter(subtree_q("org_path", within.path))
    seen = {g.pk for g in own}
    rest = [
        g
        for g in managed.select_related("org").order_by("org_path", "name")[:CHOICES_CAP]
        if g.pk not in seen
    ]
    return own + rest


def grid_host_orgs(viewer: Any, *, within: Organization | None) -> list[Organization]:
    """Villages and communities under the working organization where the viewer may draw grids."""
    qs = Organization.objects.filter(
        scope_q(viewer, action="grid.manage"),
        sector__in=GRID_HOSTS.sectors,
        org_type__in=GRID_HOSTS.org_types,
        dissolved_on__isnull=True,
    )
    if within is not None:
        qs = qs.filter(subtree_q("path", within.path))
    return list(qs.order_by("path")[:1500])


@dataclass
class ChildStats:
    org: Organization
    grids: int = 0
    households: int = 0
    anchors: int = 0
    linked_households: int = 0
    opinions: int = 0
    opinions_resolved: int = 0
    mediations: int = 0
    mediations_success: int = 0

    @property
    def linked_share(self) -> float | None:
        """Share of households looked after by a member, in percent."""
        if not self.households:
            return None
        return round(100 * self.linked_households / self.households, 1)


CHILDREN_CAP = 300


def grid_stats_by_child(*, org: Organization, start: dt.date, end: dt.date) -> list[ChildStats]:
    """The grid figures broken down by ``org``'s child organizations (those with any grid),
    in a fixed number of queries: rows are grouped by copied path, then bucketed by child."""
    width = len(org.path) + SEGMENT_WIDTH
    children = {
        c.path: ChildStats(c)
        for c in Organization.objects.filter(parent=org, dissolved_on__isnull=True).order_by(
            "path"
        )[:CHILDREN_CAP]
    }
    sub = subtree_q("org_path", org.path)

    def bucket(rows: Any, *fields: str) -> None:
        for path, *values in rows:
            row = children.get(path[:width])
            if row is None:
                continue
            for name, value in zip(fields, values, strict=True):
                setattr(row, name, getattr(row, name) + (value or 0))

    def grouped(qs: QuerySet[Any], **counts: Any) -> Any:
        return qs.order_by().values("org_path").annotate(**counts).values_list("org_path", *counts)

    bucket(grouped(Grid.objects.filter(sub, is_active=True), n=Count("pk")), "grids")
    bucket(grouped(Household.objects.filter(sub, is_active=True), n=Count("pk")), "households")
    bucket(
        grouped(AnchorHousehold.objects.filter(sub, ended_on__isnull=True), n=Count("pk")),
        "anchors",
    )
    bucket(
        grouped(
            HouseholdLink.objects.filter(sub, ended_on__isnull=True),
            n=Count("household", distinct=True),
        ),
        "linked_households",
    )
    bucket(
        grouped(
            OpinionRecord.objects.filter(sub, collected_on__gte=start, collected_on__lte=end),
            n=Count("pk"),
            ok=Count("pk", filter=Q(status=OpinionRecord.Status.RESOLVED)),
        ),
        "opinions",
        "opinions_resolved",
    )
    bucket(
        grouped(
            Mediation.objects.filter(sub, mediated_on__gte=start, mediated_on__lte=end),
            n=Count("pk"),
            ok=Count("pk", filter=Q(outcome=Mediation.Outcome.SUCCESS)),
        ),
        "mediations",
        "mediations_success",
    )
    return [c for c in children.values() if c.grids or c.opinions or c.mediations]
