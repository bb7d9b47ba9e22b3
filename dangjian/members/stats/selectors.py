"""Member statistics (党内统计 tables 2 and 4) and status alerts for an organization's subtree.

Figures come from the ``MemberStat`` rollup with one grouped query; ``member_stats_live``
recounts the member rows the same way, for verification only. Alerts are not rolled up (they
depend on dates), so they are read from the member rows with one grouped query and a few small
example queries, whatever the size of the subtree.

Ages are counted by year: ``age = today.year - birth_year``, i.e. the age a member reaches by
31 December of the current year. The rollup stores birth years (so it never goes stale), which
cannot give exact ages; the member list's ``age_band`` filter must use the same convention
(``age_band_birth_years``). Party age (党龄) is counted the same way from the year of joining.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any, cast
from urllib.parse import urlencode

from django.db.models import (
    Count,
    F,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.db.models.lookups import Exact

from dangjian.core.paths import subtree_q
from dangjian.core.workdays import add_months
from dangjian.members import rollups
from dangjian.members.models import DossierItem, DossierRequirement, Member, MemberStat
from dangjian.members.rules import (
    AGE_BANDS,
    AGE_BANDS_SOURCE,
    EDUCATION_GROUPS,
    EDUCATION_GROUPS_SOURCE,
    PARTY_AGE_BANDS,
    STATUS_RULES,
    band_of,
    code_labels,
)
from dangjian.orgs.access import require, scope_q
from dangjian.orgs.models import Organization

AGE_BASIS = "年龄、党龄按年份计算（当年年份减出生或入党年份），即截至本年12月31日的周岁"
MOBILE_RULE_SOURCE = (
    "《中国共产党党员教育管理工作条例》（2019）：流动党员由流出地和流入地党组织共同管理，"
    "应明确管理的党组织"
)
DOSSIER_RULE_SOURCE = "党员档案必备材料清单（系统“档案必备材料”设置）"
EXAMPLES = 10
BRANCHES_PER_ALERT = 10
# Sex codes always shown (GB/T 2261.1); 0/9 appear only when someone is recorded so.
SEX_SHOWN = ("1", "2")


@dataclass(frozen=True)
class Figure:
    """One labelled count, with its share of the total and the member-list filter that lists it."""

    key: str
    label: str
    count: int
    share: float  # percent of all members in scope, one decimal
    query: str = ""  # GET parameters for the member list (without ``org``)


@dataclass(frozen=True)
class MemberStats:
    org_id: int
    org_name: str
    as_of: dt.date
    total: Figure
    category: list[Figure]
    sex: list[Figure]
    women: Figure
    minority: Figure
    age_bands: list[Figure]
    education: list[Figure]
    party_age_bands: list[Figure]
    mobile: Figure
    lost_contact: Figure
    retired: Figure
    suspended: Figure
    age_basis: str = AGE_BASIS
    age_source: str = AGE_BANDS_SOURCE
    education_source: str = EDUCATION_GROUPS_SOURCE

    @property
    def probationary(self) -> Figure:
        return next(f for f in self.category if f.key == Member.Category.PROBATIONARY)

    @property
    def headline(self) -> list[Figure]:
        """The cards at the top of the panel, in reading order."""
        return [
            self.total,
            self.probationary,
            self.women,
            self.minority,
            self.mobile,
            self.lost_contact,
            self.retired,
            self.suspended,
        ]


def _share(count: int, total: int) -> float:
    return round(count * 100 / total, 1) if total else 0.0


def _fig(key: str, label: str, count: int, total: int, **query: str) -> Figure:
    return Figure(key, label, count, _share(count, total), urlencode(query))


def age_band_birth_years(label: str, *, today: dt.date) -> tuple[int, int]:
    """The birth years (inclusive) of a table-2 age band, by the year convention above."""
    for band, low, high in AGE_BANDS:
        if band == label:
            return today.year - high, today.year - low
    raise KeyError(label)


def party_age_band_join_years(label: str, *, today: dt.date) -> tuple[int, int]:
    """The joining years (inclusive) of a party-age band, by the year convention above."""
    for band, low, high in PARTY_AGE_BANDS:
        if band == label:
            return today.year - high, today.year - low
    raise KeyError(label)


def _banded(
    years: Mapping[str, int],
    bands: tuple[tuple[str, int, int], ...],
    *,
    today: dt.date,
    total: int,
    param: str,
) -> list[Figure]:
    counts: Counter[str] = Counter()
    for year, n in years.items():
        counts[band_of(today.year - int(year), bands)] += n
    return [_fig(label, label, counts[label], total, **{param: label}) for label, _, _ in bands]


def _build(
    cells: Mapping[tuple[str, str], int], *, org: Organization, today: dt.date
) -> MemberStats:
    """Figures from ``{(dimension, value): count}`` summed over the subtree."""

    def dim(name: str) -> dict[str, int]:
        return {v: n for (d, v), n in cells.items() if d == name and n}

    total = cells.get(("total", "all"), 0)
    sex = dim("sex")
    sex_labels = code_labels("sex")
    sex_codes = [*SEX_SHOWN, *sorted(c for c in sex if c not in SEX_SHOWN)]
    category = dim("category")
    education = dim("education_group")
    flag = {name: dim(name).get("1", 0) for name in ("minority", "mobile", "lost", "retired")}
    return MemberStats(
        org_id=org.pk,
        org_name=org.display_name,
        as_of=today,
        total=_fig("total", "党员总数", total, total),
        category=[
            _fig(value, label, category.get(value, 0), total, category=value)
            for value, label in Member.Category.choices
        ],
        sex=[
            _fig(c, sex_labels.get(c, c), sex.get(c, 0), total, sex=c)
            for c in sex_codes
            if c in SEX_SHOWN or sex.get(c)
        ],
        women=_fig("women", "女党员", sex.get("2", 0), total, sex="2"),
        minority=_fig("minority", "少数民族党员", flag["minority"], total, minority="1"),
        age_bands=_banded(dim("birth_year"), AGE_BANDS, today=today, total=total, param="age_band"),
        education=[
            _fig(key, label, education.get(key, 0), total, education_group=key)
            for key, label in EDUCATION_GROUPS
        ],
        party_age_bands=_banded(
            dim("join_year"), PARTY_AGE_BANDS, today=today, total=total, param="party_age_band"
        ),
        mobile=_fig("mobile", "流动党员", flag["mobile"], total, mobile="1"),
        lost_contact=_fig("lost", "失联党员", flag["lost"], total, lost="1"),
        retired=_fig("retired", "离退休党员", flag["retired"], total, retired="1"),
        suspended=_fig(
            "suspended",
            "停止党籍",
            dim("standing").get(Member.Standing.SUSPENDED, 0),
            total,
            standing=Member.Standing.SUSPENDED,
        ),
    )


def _scope(viewer: Any, org: Organization) -> Q:
    """The visible part of ``org``'s subtree, as a predicate on ``org_path``."""
    require(viewer, "member.view", org)
    return scope_q(viewer, "org_path", action="member.view") & subtree_q("org_path", org.path)


def member_stats(*, viewer: Any, org: Organization, today: dt.date) -> MemberStats:
    """党内统计 tables 2 and 4 for ``org``'s subtree, summed from the rollup in one query."""
    rows = (
        MemberStat.objects.filter(_scope(viewer, org))
        .values("dimension", "value")
        .annotate(n=Sum("count"))
        .order_by()
    )
    cells = {(r["dimension"], r["value"]): int(r["n"] or 0) for r in rows}
    return _build(cells, org=org, today=today)


def member_stats_live(*, viewer: Any, org: Organization, today: dt.date) -> MemberStats:
    """The same figures recounted from the member rows (verification only: reads every row)."""
    fields = (
        "category", "sex", "ethnicity", "education", "birth_date", "joined_on", "standing",
        "is_mobile", "lost_contact", "is_retired",
    )  # fmt: skip
    qs = (
        Member.objects.filter(_scope(viewer, org))
        .exclude(status=Member.Status.FORMER)
        .values_list(*fields)
    )
    cells: Counter[tuple[str, str]] = Counter()
    for values in qs.iterator(chunk_size=5000):
        row = SimpleNamespace(**dict(zip(fields, values, strict=True)))
        cells.update(rollups.member_dims(row))
    return _build(cells, org=org, today=today)


# --- alerts ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class AlertExample:
    member_id: int
    name: str
    branch_name: str
    detail: str


@dataclass(frozen=True)
class BranchCount:
    branch_id: int
    branch_name: str
    count: int


@dataclass(frozen=True)
class Alert:
    key: str  # also the member list's ``alert=`` filter value
    title: str
    description: str
    level: str  # Tabler colour: "red" needs action now, "yellow" needs attention
    count: int
    source: str
    examples: list[AlertExample] = field(default_factory=list)
    by_branch: list[BranchCount] = field(default_factory=list)


def latest_start(today: dt.date, months: int, *, inclusive: bool) -> dt.date:
    """The last start date whose ``start + months`` (``add_months``) is ≤ today (or < today).

    ``add_months`` clamps to the month's end, so the inverse is found by stepping, not by
    subtracting months: 31 August + 6 months is 28 February, and so is 28 August.
    """

    def hit(start: dt.date) -> bool:
        end = add_months(start, months)
        return end <= today if inclusive else end < today

    day = add_months(today, -months)
    while not hit(day):
        day -= dt.timedelta(days=1)
    while hit(day + dt.timedelta(days=1)):
        day += dt.timedelta(days=1)
    return day


def _rule_clause(keyword: str) -> str:
    """The clause of ``STATUS_RULES.source`` that mentions ``keyword`` (else the whole text)."""
    clauses = [c for c in STATUS_RULES.source.split("；") if keyword in c]
    return clauses[0] if clauses else STATUS_RULES.source


# (id, name, applies to probationary members) of each active dossier requirement.
Requirement = tuple[int, str, bool]


def active_requirements() -> list[Requirement]:
    """The active dossier checklist (a handful of rows)."""
    return list(
        DossierRequirement.objects.filter(is_active=True).values_list(
            "id", "name", "applies_to_probationary"
        )
    )


def _present_count(requirement_ids: list[int]) -> Subquery:
    """How many of ``requirement_ids`` the outer member's dossier holds: one range probe of the
    (member, present, requirement) covering index, never a read of the items themselves."""
    # COUNT as a plain function: one row always, no GROUP BY (an aggregate would add one).
    items = (
        DossierItem.objects.filter(
            member_id=OuterRef("pk"), present=True, requirement_id__in=requirement_ids
        )
        .order_by()
        .annotate(n=Func(F("pk"), function="COUNT"))
        .values("n")
    )
    return Subquery(items, output_field=IntegerField())


def _dossier_missing_q(
    requirements: list[Requirement], *, within: str | None, branch_ids: list[int] | None = None
) -> Q:
    """Members lacking an applicable requirement: fewer present items than their category needs.

    A (member, requirement) pair is unique, so a full count means nothing is missing. The count
    is a correlated subquery on the covering index, so the work follows the members the outer
    query reads (a village reads its own, the county all ~30k at ~3 µs each) — not a grouped
    scan of every dossier, and not a GROUP BY over whole member rows (4 s for a county).
    ``within`` and ``branch_ids`` are kept for callers; the outer query does the narrowing.
    """
    full_ids = [rid for rid, _, _ in requirements]
    probationary_ids = [rid for rid, _, p in requirements if p]
    if not full_ids:
        return Q(pk__in=[])
    complete = Q(category=Member.Category.FULL) & Q(Exact(_present_count(full_ids), len(full_ids)))
    if probationary_ids:
        complete |= Q(category=Member.Category.PROBATIONARY) & Q(
            Exact(_present_count(probationary_ids), len(probationary_ids))
        )
    else:  # nothing is required of probationary members
        complete |= Q(category=Member.Category.PROBATIONARY)
    return ~complete


def alert_conditions(
    today: dt.date,
    *,
    requirements: list[Requirement] | None = None,
    within: str | None = None,
) -> dict[str, Q]:
    """Each alert's predicate on ``Member``; the member list's ``alert=`` filter should use these.

    ``within`` (an organization path) narrows the dossier subquery to that subtree; it does not
    narrow the members themselves.
    """
    if requirements is None:
        requirements = active_requirements()
    lost_cutoff = latest_start(today, STATUS_RULES.lost_contact_review_months, inclusive=True)
    probation_cutoff = latest_start(today, STATUS_RULES.probation_months, inclusive=False)
    return {
        # A member already suspended has had the review; an unknown date counts as overdue.
        "lost_overdue": Q(lost_contact=True, standing=Member.Standing.NORMAL)
        & (Q(lost_contact_since__lte=lost_cutoff) | Q(lost_contact_since__isnull=True)),
        "probation_overdue": Q(
            category=Member.Category.PROBATIONARY,
            full_member_on__isnull=True,
            joined_on__lte=probation_cutoff,
        ),
        "mobile_unmanaged": Q(is_mobile=True, mobile_branch__isnull=True),
        "dossier_missing": _dossier_missing_q(requirements, within=within),
    }


def _branch_name(short: str | None, name: str | None) -> str:
    return short or name or "—"


def _cn_date(day: dt.date) -> str:
    return f"{day.year}年{day.month}月{day.day}日"


def _months_between(start: dt.date, end: dt.date) -> int:
    months = (end.year - start.year) * 12 + end.month - start.month
    return months - (add_months(start, months) > end)


def _example_detail(key: str, m: Member, *, today: dt.date, missing: Iterable[str] = ()) -> str:
    if key == "lost_overdue":
        if m.lost_contact_since is None:
            return "已标记失联，未登记失联日期"
        months = _months_between(m.lost_contact_since, today)
        return f"自{_cn_date(m.lost_contact_since)}失联，已{months}个月"
    if key == "probation_overdue":
        due = add_months(m.joined_on, STATUS_RULES.probation_months)
        return f"{_cn_date(m.joined_on)}入党，预备期{_cn_date(due)}届满，尚未转正"
    if key == "mobile_unmanaged":
        since = f"自{_cn_date(m.mobile_since)}" if m.mobile_since else ""
        return f"{since}外出至{m.mobile_destination or '（未登记流向）'}，未明确管理党组织"
    names = list(missing)
    return "缺少：" + "、".join(names) if names else "档案材料不全"


ALERT_TEXT: dict[str, tuple[str, str, str]] = {
    "lost_overdue": (
        f"失联满{STATUS_RULES.lost_contact_review_months}个月",
        f"失联已满{STATUS_RULES.lost_contact_review_months}个月，应启动停止党籍审核",
        "red",
    ),
    "probation_overdue": (
        "预备期已满未转正",
        f"预备期满{STATUS_RULES.probation_months}个月仍未办理转正（或延长预备期、取消预备党员资格）",
        "red",
    ),
    "mobile_unmanaged": ("流动党员无管理组织", "外出流动但没有明确管理的流动党员党支部", "yellow"),
    "dossier_missing": ("档案材料不全", "必备档案材料未归档或未登记", "yellow"),
}
EXAMPLE_FIELDS = (
    "id", "name", "category", "joined_on", "lost_contact_since", "mobile_since",
    "mobile_destination", "branch", "branch__name", "branch__short_name",
)  # fmt: skip
ALERT_ORDER = {
    "lost_overdue": ("lost_contact_since", "id"),
    "probation_overdue": ("joined_on", "id"),
    "mobile_unmanaged": ("mobile_since", "id"),
    "dossier_missing": ("org_path", "id"),
}


def _sources(key: str) -> str:
    return {
        "lost_overdue": _rule_clause("失联"),
        "probation_overdue": _rule_clause("预备期"),
        "mobile_unmanaged": MOBILE_RULE_SOURCE,
        "dossier_missing": DOSSIER_RULE_SOURCE,
    }[key]


def _current(viewer: Any, org: Organization) -> QuerySet[Member]:
    return Member.objects.filter(_scope(viewer, org)).exclude(status=Member.Status.FORMER)


def member_alerts(*, viewer: Any, org: Organization, today: dt.date) -> list[Alert]:
    """Members who need action in ``org``'s subtree, with counts per branch and examples.

    Queries: the dossier checklist, one grouped count per branch over the alerting members,
    the names of the busiest branches, one example query per alert and the example members'
    dossier items — constant, whatever the subtree.
    """
    requirements = active_requirements()
    conditions = alert_conditions(today, requirements=requirements, within=org.path)
    base = _current(viewer, org)
    # No WHERE on the conditions: it would evaluate the dossier subquery a second time.
    per_branch = (
        base.order_by()
        .values("branch_id")
        .annotate(**{k: Count("pk", filter=q) for k, q in conditions.items()})
    )
    totals: Counter[str] = Counter()
    branch_counts: dict[str, list[tuple[int, int]]] = {k: [] for k in conditions}
    for values in per_branch:
        row = cast(dict[str, Any], values)  # annotation names are dynamic
        for k in conditions:
            if row[k]:
                totals[k] += row[k]
                branch_counts[k].append((row["branch_id"], row[k]))
    top = {
        k: sorted(rows, key=lambda r: (-r[1], r[0]))[:BRANCHES_PER_ALERT]
        for k, rows in branch_counts.items()
    }
    wanted = {branch_id for rows in top.values() for branch_id, _ in rows}
    names = (
        {
            pk: _branch_name(short, name)
            for pk, short, name in Organization.objects.filter(pk__in=wanted).values_list(
                "pk", "short_name", "name"
            )
        }
        if wanted
        else {}
    )

    # Examples come from the branches with the most cases, so each query reads only those
    # branches' members (the branch index) instead of the whole subtree again.
    examples: dict[str, list[Member]] = {}
    for k, q in conditions.items():
        picked = _example_branches(branch_counts[k])
        if not picked:
            examples[k] = []
            continue
        if k == "dossier_missing":
            q = _dossier_missing_q(requirements, within=None, branch_ids=picked)
        examples[k] = list(
            base.filter(q, branch_id__in=picked)
            .select_related("branch")
            .only(*EXAMPLE_FIELDS)
            .order_by(*ALERT_ORDER[k])[:EXAMPLES]
        )
    missing = _missing_names(examples["dossier_missing"], requirements)

    alerts = []
    for k in conditions:
        title, description, level = ALERT_TEXT[k]
        alerts.append(
            Alert(
                key=k,
                title=title,
                description=description,
                level=level,
                count=totals[k],
                source=_sources(k),
                examples=[
                    AlertExample(
                        m.pk,
                        m.name,
                        m.branch.display_name,
                        _example_detail(k, m, today=today, missing=missing.get(m.pk, ())),
                    )
                    for m in examples[k]
                ],
                by_branch=[BranchCount(b, names.get(b, "—"), n) for b, n in top[k]],
            )
        )
    return alerts


def _example_branches(rows: list[tuple[int, int]]) -> list[int]:
    """The busiest branches, enough of them to hold ``EXAMPLES`` members."""
    picked: list[int] = []
    seen = 0
    for branch_id, n in sorted(rows, key=lambda r: (-r[1], r[0])):
        picked.append(branch_id)
        seen += n
        if seen >= EXAMPLES:
            break
    return picked


def _missing_names(members: list[Member], requirements: list[Requirement]) -> dict[int, list[str]]:
    """Names of the missing dossier items for a handful of example members (one query)."""
    if not members:
        return {}
    present = set(
        DossierItem.objects.filter(member__in=members, present=True)
        .order_by()
        .values_list("member_id", "requirement_id")
    )
    return {
        m.pk: [
            name
            for rid, name, for_probationary in requirements
            if (for_probationary or m.category == Member.Category.FULL)
            and (m.pk, rid) not in present
        ]
        for m in members
    }
