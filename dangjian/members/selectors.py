"""Reads over the member registry, always scoped by the viewer; filters are an allowlist."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Q, QuerySet
from django.utils import timezone

from dangjian.core import crypto
from dangjian.core.counting import CappedCount, capped_count
from dangjian.core.paths import subtree_q
from dangjian.members.access import members_visible_to
from dangjian.members.id_lookup import id_search_check
from dangjian.members.models import DossierItem, DossierRequirement, Member, MemberEvent
from dangjian.members.rules import EDUCATION_GROUPS, HAN, check_id_number, education_groups
from dangjian.members.stats.selectors import age_band_birth_years, party_age_band_join_years
from dangjian.orgs.access import access_org_by_id
from dangjian.orgs.models import Organization

PAGE_SIZE = 20
ALERTS = {
    "lost_overdue": "失联满 6 个月",
    "probation_overdue": "预备期已满未转正",
    "mobile_unmanaged": "流动党员无管理党组织",
    "dossier_missing": "档案材料不全",
}


def alert_q(alert: str, today: dt.date, *, within: str | None = None) -> Q | None:
    """The list's ``alert=`` filter: exactly the predicates the alert panel counts with."""
    from dangjian.members.stats.selectors import alert_conditions

    return alert_conditions(today, within=within).get(alert)


def is_id_query(q: str) -> bool:
    """Is the search text a whole valid 公民身份号码 (searched by its keyed hash)?"""
    q = q.strip()
    return len(q) == 18 and check_id_number(q).valid


@dataclass
class MemberFilter:
    org: Organization | None = None
    q: str = ""
    by_id_number: bool = False  # q is a whole valid 公民身份号码
    applied: dict[str, str] = field(default_factory=dict)


def member_filter(
    *, viewer: Any, params: Any, today: dt.date | None = None, surface: str = "member.list"
) -> tuple[QuerySet[Member], MemberFilter]:
    """The viewer's members narrowed by the allowlisted GET parameters of the list page.

    The one read that writes: a search by a full 公民身份号码 is counted and audited here (and
    past the limit refused with ``RateLimitedError``) when the viewer may not reveal the range
    searched — every surface that searches members goes through this (members/id_lookup.py).
    """
    today = today or timezone.localdate()
    former = params.get("status") == "former"
    qs = members_visible_to(viewer, include_former=former)
    if former:
        qs = qs.filter(status=Member.Status.FORMER)
    info = MemberFilter()
    org_id = params.get("org")
    if org_id:
        try:
            info.org = access_org_by_id(viewer, int(org_id))
        except ValueError:
            info.org = None
        if info.org is not None:
            qs = qs.filter(subtree_q("org_path", info.org.path))
    q = (params.get("q") or "").strip()[:30]
    if q:
        info.q = q
        if is_id_query(q):
            info.by_id_number = True
            id_search_check(
                viewer=viewer, surface=surface, within=info.org.path if info.org else None
            )
            qs = qs.filter(id_number_hash=crypto.lookup_hash(q.upper()))
        elif q.isascii() and q.isalpha():
            qs = qs.filter(name_initials__startswith=q.lower())
        else:
            qs = qs.filter(name__contains=q)
    simple = {
        "category": ("category", Member.Category.values),
        "standing": ("standing", Member.Standing.values),
        "sex": ("sex", ["1", "2"]),
    }
    for key, (fname, allowed) in simple.items():
        value = params.get(key, "")
        if value in allowed:
            qs = qs.filter(**{fname: value})
            info.applied[key] = value
    for key, fname in (
        ("mobile", "is_mobile"),
        ("lost", "lost_contact"),
        ("retired", "is_retired"),
    ):
        if params.get(key) == "1":
            qs = qs.filter(**{fname: True})
            info.applied[key] = "1"
    if params.get("minority") == "1":
        qs = qs.exclude(ethnicity=HAN)
        info.applied["minority"] = "1"
    group = params.get("education_group", "")
    if group in dict(EDUCATION_GROUPS):
        codes = [c for c, g in education_groups().items() if g == group]
        qs = qs.filter(education__in=codes)
        info.applied["education_group"] = group
    # Bands by year (age on 31 December), the convention of the statistics and the 党统 tables.
    for key, fname, years_of in (
        ("age_band", "birth_date", age_band_birth_years),
        ("party_age_band", "joined_on", party_age_band_join_years),
    ):
        label = params.get(key, "")
        if not label:
            continue
        try:
            first, last = years_of(label, today=today)
        except KeyError:
            continue
        qs = qs.filter(
            **{f"{fname}__gte": dt.date(first, 1, 1), f"{fname}__lte": dt.date(last, 12, 31)}
        )
        info.applied[key] = label
    alert = params.get("alert", "")
    aq = (
        alert_q(alert, today, within=info.org.path if info.org else None)
        if alert in ALERTS
        else None
    )
    if aq is not None:
        qs = qs.filter(aq)
        info.applied["alert"] = alert
    return qs, info


@dataclass
class MemberPage:
    rows: list[Member]
    next_cursor: str | None
    count_label: str


def member_page(qs: QuerySet[Member], *, cursor: str | None, size: int = PAGE_SIZE) -> MemberPage:
    """A keyset page ordered by (org_path, id) and a capped count ("10000+")."""
    if cursor:
        path, _, last_id = cursor.partition("|")
        if last_id.isdigit():
            qs = qs.filter(Q(org_path__gt=path) | Q(org_path=path, id__gt=int(last_id)))
    rows = list(qs.select_related("branch").order_by("org_path", "id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    nxt = f"{rows[-1].org_path}|{rows[-1].pk}" if more and rows else None
    return MemberPage(rows=rows, next_cursor=nxt, count_label="")


MEMBER_COUNT_CAP = 10_000


def member_count(qs: QuerySet[Member], cap: int | None = None) -> CappedCount:
    """The number of matching members, capped so a province never counts everything."""
    return capped_count(qs, cap=cap or MEMBER_COUNT_CAP)


def member_timeline(*, member: Member, limit: int = 200) -> list[MemberEvent]:
    return list(member.events.select_related("actor").order_by("-occurred_on", "-id")[:limit])


def member_dossier(*, member: Member) -> list[tuple[DossierRequirement, DossierItem | None]]:
    """Each active required document and this member's item for it (None when never recorded)."""
    from dangjian.members.services import dossier_requirements

    items = {i.requirement_id: i for i in member.dossier_items.all()}
    return [(r, items.get(r.pk)) for r in dossier_requirements(member)]


def dossier_gaps(*, viewer: Any, org: Organization, limit: int = 200) -> list[Member]:
    """Members under ``org`` whose dossier lacks a required document (档案补缺)."""
    return list(
        members_visible_to(viewer)
        .filter(subtree_q("org_path", org.path))
        .filter(alert_q("dossier_missing", timezone.localdate(), within=org.path) or Q(pk__in=[]))
        .select_related("branch")
        .order_by("org_path", "id")[:limit]
    )
