"""Reads of 发展党员: the branch board, the township/county overview, alerts, plan progress,
villages without a new member for three years, and an applicant's timeline.

Every read is scoped through ``recruitment.access`` and costs a fixed number of queries: the
board and overview group in the database over the copied path, never per branch.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db.models import CharField, Count, Exists, F, Max, OuterRef, Q, Subquery, Value
from django.db.models.functions import Concat

from dangjian.core.paths import SEGMENT_WIDTH, subtree_q
from dangjian.members.models import Member
from dangjian.orgs.models import BRANCH_TYPES, Organization
from dangjian.orgs.selectors import attach_org_places
from dangjian.recruitment import rules
from dangjian.recruitment.access import applicants_visible_to
from dangjian.recruitment.models import Applicant, DevelopmentPlan, Stage, StepRecord

BOARD_CAP = 300
ALERT_CAP = 50
VILLAGE_CAP = 300
UPCOMING_DAYS = 30
# A village's party organization: a 党支部, a 联合党支部 of small villages, or a 党总支 (a
# 临时党支部 of a project area is not a village).
VILLAGE_TYPES = frozenset(
    {Organization.Type.BRANCH, Organization.Type.JOINT_BRANCH, Organization.Type.GENERAL_BRANCH}
)
ACTIVE = Applicant.Status.ACTIVE


def _books(rule_set_ids: set[int]) -> dict[int, rules.Book]:
    return {i: rules.load_book(i) for i in rule_set_ids}


@dataclass
class Card:
    """An applicant on the board, with what comes next."""

    applicant: Applicant
    next_name: str
    overdue: bool
    ready: bool  # the earliest date of the next step has come

    @property
    def pk(self) -> int:
        return self.applicant.pk


@dataclass
class Column:
    stage: str
    label: str
    cards: list[Card] = field(default_factory=list)


def _card(a: Applicant, books: dict[int, rules.Book], today: dt.date) -> Card:
    book = books[a.rule_set_id]
    name = book.step(a.next_step).name if a.next_step else "已完成"
    overdue = a.due_on is not None and a.due_on < today
    ready = a.next_earliest_on is None or a.next_earliest_on <= today
    return Card(a, name, overdue, ready)


def board(*, viewer: Any, org: Organization, today: dt.date) -> list[Column]:
    """The pipeline of one branch: active applicants in columns by stage (two queries)."""
    rows = list(
        applicants_visible_to(viewer)
        .filter(org=org, status=ACTIVE)
        .order_by("next_step", "next_earliest_on", "id")[:BOARD_CAP]
    )
    books = _books({a.rule_set_id for a in rows})
    columns = {s: Column(s, label) for s, label in Stage.choices}
    for a in rows:
        columns[a.stage].cards.append(_card(a, books, today))
    return list(columns.values())


def finished(*, viewer: Any, org: Organization, limit: int = 20) -> list[Applicant]:
    """The branch's latest closed files: 已转正, 取消预备党员资格, 终止培养 (one query)."""
    return list(
        applicants_visible_to(viewer)
        .filter(org=org)
        .exclude(status=ACTIVE)
        .order_by("-updated_at", "-id")[:limit]
    )


@dataclass
class OverviewRow:
    org: Organization
    stages: dict[str, int] = field(default_factory=dict)
    overdue: int = 0
    not_talked: int = 0
    admitted: int = 0
    admitted_farmers: int = 0
    quota: int | None = None
    farmer_quota: int | None = None
    villages_without: int = 0

    @property
    def counts(self) -> list[int]:
        """Active applicants per stage, in the stages' order."""
        return [self.stages.get(s, 0) for s in Stage.values]

    @property
    def active(self) -> int:
        return sum(self.stages.values())

    @property
    def progress(self) -> int | None:
        if not self.quota:
            return None
        return min(100, round(self.admitted * 100 / self.quota))


@dataclass
class Overview:
    org: Organization
    year: int
    rows: list[OverviewRow]
    total: OverviewRow
    villages: list[Organization]


def _child_path(path: str, depth_len: int) -> str:
    return path[:depth_len]


def overview(*, viewer: Any, org: Organization, today: dt.date, year: int) -> Overview:
    """Counts by stage, overdue steps, plan progress and villages without development, for each
    child of ``org`` (township → its branches; county → its townships). Constant queries."""
    children = list(
        Organization.objects.filter(parent=org, dissolved_on__isnull=True)
        .exclude(org_type=Organization.Type.GROUP)
        .order_by("path")[:500]
    )
    cut = len(org.path) + SEGMENT_WIDTH
    rows = {c.path: OverviewRow(c) for c in children}
    total = OverviewRow(org)
    base = applicants_visible_to(viewer).filter(subtree_q("org_path", org.path))

    def bump(path: str) -> list[OverviewRow]:
        row = rows.get(_child_path(path, cut))
        return [total] + ([row] if row is not None else [])

    for path, stage, n in (
        base.filter(status=ACTIVE).values_list("org_path", "stage").annotate(n=Count("id"))
    ):
        for r in bump(path):
            r.stages[stage] = r.stages.get(stage, 0) + n
    for path, n, talk in (
        base.filter(status=ACTIVE, due_on__lt=today)
        .values_list("org_path")
        .annotate(n=Count("id"), talk=Count("id", filter=Q(next_step=rules.TALK)))
    ):
        for r in bump(path):
            r.overdue += n
            r.not_talked += talk
    for path, farmer, n in (
        base.filter(admitted_on__year=year)
        .values_list("org_path", "is_farmer")
        .annotate(n=Count("id"))
    ):
        for r in bump(path):
            r.admitted += n
            r.admitted_farmers += n if farmer else 0
    # A row's quota is its own plan, or the sum of the plans below it when it has none: one
    # pass over the plans (plain tuples — a county has hundreds), each added to the total and
    # to the child row whose path it starts with.
    own: dict[str, tuple[int, int]] = {}
    below: dict[str, list[int]] = {}
    for path, quota, farmers in DevelopmentPlan.objects.filter(
        subtree_q("org_path", org.path), year=year
    ).values_list("org_path", "quota", "farmer_quota"):
        own[path] = (quota, farmers)
        for key in {org.path, path[:cut]}:
            if key != path:
                acc = below.setdefault(key, [0, 0])
                acc[0] += quota
                acc[1] += farmers
    for r in [total, *rows.values()]:
        plan = own.get(r.org.path) or below.get(r.org.path)
        if plan is not None:
            r.quota, r.farmer_quota = plan[0], plan[1]
    villages = villages_without_development(org=org, today=today)
    for v in villages:
        for r in bump(v.path):
            r.villages_without += 1
    return Overview(org, year, list(rows.values()), total, villages)


def _may_be_village(org: Organization) -> bool:
    return (
        org.org_type in VILLAGE_TYPES
        and org.sector == Organization.Sector.RURAL
        and not org.is_mobile
        and not org.is_retiree
        and org.dissolved_on is None
    )


def _one_village(org: Organization, cutoff: dt.date) -> list[Organization]:
    """The village test for one branch (a branch board): the same answer as the correlated
    query, with two plain aggregates (and the parent's sector) that cost far less to build."""
    parent = org.parent
    if parent is not None and parent.sector == Organization.Sector.RURAL:
        return []  # a branch inside a village 党总支: the 党总支 is the village
    last_joined = Member.objects.filter(subtree_q("org_path", org.path)).aggregate(
        last=Max("joined_on")
    )["last"]
    if last_joined is not None and last_joined >= cutoff:
        return []
    found = Applicant.objects.filter(subtree_q("org_path", org.path)).aggregate(
        recent=Count("id", filter=Q(admitted_on__gte=cutoff)),
        pipeline=Count("id", filter=Q(status=ACTIVE)),
    )
    if found["recent"]:
        return []
    org.last_joined = last_joined  # type: ignore[attr-defined]
    org.in_pipeline = found["pipeline"] or None  # type: ignore[attr-defined]
    return [org]


def villages_without_development(
    *, org: Organization, today: dt.date, years: int | None = None
) -> list[Organization]:
    """三年未发展党员的村: rural village organizations under ``org`` where nobody joined the party
    in the last N years — by the member registry's joining dates and by this system's accepted
    applicants alike. Annotated with the last joining date and the active pipeline (one query)."""
    if org.org_type in BRANCH_TYPES and not _may_be_village(org):
        return []  # a company's or a community's branch board: no village to look at
    if years is None:
        years = rules.load_book(rules.rule_set_for(today)).n("rural_gap_years")
    cutoff = rules.years_after(today, -years)
    if org.org_type in BRANCH_TYPES:
        return _one_village(org, cutoff)
    end = Concat(OuterRef("path"), Value("~"), output_field=CharField())
    in_village = {"org_path__gte": OuterRef("path"), "org_path__lt": end}
    members = Member.objects.filter(**in_village)
    last_joined = members.order_by("-joined_on").values("joined_on")[:1]
    pipeline = (
        Applicant.objects.filter(**in_village, status=ACTIVE)
        .order_by()
        .values("status")
        .annotate(n=Count("id"))
        .values("n")[:1]
    )
    return list(
        Organization.objects.filter(subtree_q("path", org.path))
        .filter(
            org_type__in=VILLAGE_TYPES,
            sector=Organization.Sector.RURAL,
            dissolved_on__isnull=True,
            is_mobile=False,
            is_retiree=False,
        )
        .exclude(parent__sector=Organization.Sector.RURAL)  # a branch inside a village 党总支
        .annotate(
            recent_member=Exists(members.filter(joined_on__gte=cutoff)),
            recent_applicant=Exists(
                Applicant.objects.filter(**in_village, admitted_on__gte=cutoff)
            ),
            last_joined=Subquery(last_joined),
            in_pipeline=Subquery(pipeline),
        )
        .filter(recent_member=False, recent_applicant=False)
        .select_related("parent")
        .order_by("path")[:VILLAGE_CAP]
    )


@dataclass
class Alerts:
    overdue: list[Card]
    overdue_count: int
    not_talked: list[Card]
    upcoming: list[Card]
    not_talked_count: int
    villages: list[Organization]


def alerts(
    *,
    viewer: Any,
    org: Organization,
    today: dt.date,
    villages: list[Organization] | None = None,
    counts: tuple[int, int] | None = None,
) -> Alerts:
    """Overdue steps, applications not talked to within the month, next steps whose earliest
    date comes within 30 days, and villages without development (capped lists). The overview
    page passes the villages and the (overdue, not talked) totals it has already counted."""
    base = (
        applicants_visible_to(viewer)
        .filter(subtree_q("org_path", org.path), status=ACTIVE)
        .select_related("org")
    )
    overdue = list(base.filter(due_on__lt=today).order_by("due_on", "id")[:ALERT_CAP])
    if counts is not None:
        count, talk_count = counts
    else:
        count = base.filter(due_on__lt=today).order_by()[:10000].count()
        talk_count = (
            base.filter(due_on__lt=today, next_step=rules.TALK).order_by()[:10000].count()
            if count
            else 0
        )
    # Only steps held back by a time rule (an earliest date after the last step's date), not
    # the ones that may simply follow the previous step.
    upcoming = list(
        base.filter(
            next_earliest_on__gte=today,
            next_earliest_on__lte=today + dt.timedelta(days=UPCOMING_DAYS),
            next_earliest_on__gt=F("last_step_on"),
        ).order_by("next_earliest_on", "id")[:ALERT_CAP]
    )
    books = _books({a.rule_set_id for a in overdue + upcoming})
    attach_org_places(overdue + upcoming)  # each alert names its township › village
    cards = [_card(a, books, today) for a in overdue]
    return Alerts(
        overdue=cards,
        overdue_count=count,
        not_talked=[c for c in cards if c.applicant.next_step == rules.TALK],
        upcoming=[_card(a, books, today) for a in upcoming],
        not_talked_count=talk_count,
        villages=villages
        if villages is not None
        else villages_without_development(org=org, today=today),
    )


def branch_alerts(
    *, viewer: Any, org: Organization, today: dt.date, columns: list[Column]
) -> Alerts:
    """The alerts of one branch read off its board's cards, the same selection and order as
    ``alerts`` without its four queries; a board at its cap falls back to ``alerts``."""
    cards = [c for col in columns for c in col.cards]
    if len(cards) >= BOARD_CAP:
        return alerts(viewer=viewer, org=org, today=today)
    for c in cards:
        c.applicant.org = org  # the board's rows are all of this branch
    attach_org_places([org], org_of=lambda o: o)
    overdue = sorted((c for c in cards if c.overdue), key=lambda c: (c.applicant.due_on, c.pk))
    horizon = today + dt.timedelta(days=UPCOMING_DAYS)

    def held_back(a: Applicant) -> bool:
        # Only steps held back by a time rule, as in ``alerts``.
        on, last = a.next_earliest_on, a.last_step_on
        return on is not None and last is not None and today <= on <= horizon and on > last

    upcoming = sorted(
        (c for c in cards if held_back(c.applicant)),
        key=lambda c: (c.applicant.next_earliest_on, c.pk),
    )
    shown = overdue[:ALERT_CAP]
    return Alerts(
        overdue=shown,
        overdue_count=len(overdue),
        not_talked=[c for c in shown if c.applicant.next_step == rules.TALK],
        upcoming=upcoming[:ALERT_CAP],
        not_talked_count=sum(1 for c in overdue if c.applicant.next_step == rules.TALK),
        villages=villages_without_development(org=org, today=today),
    )


@dataclass
class TimelineStep:
    rule: rules.StepRule
    records: list[StepRecord]
    state: str  # done / next / open (a repeatable that may be added) / pending


@dataclass
class Timeline:
    book: rules.Book
    steps: list[TimelineStep]
    outlook: rules.Outlook
    facts: rules.Facts


def timeline(applicant: Applicant) -> Timeline:
    """The 25 steps of an applicant with their records, people, files and what comes next
    (four queries)."""
    book = rules.load_book(applicant.rule_set_id)
    records = list(
        StepRecord.objects.filter(applicant=applicant)
        .prefetch_related("people", "files")
        .order_by("number", "round", "done_on", "id")
    )
    facts = rules.facts_from_records(
        birth_date=applicant.birth_date,
        records=[(r.number, r.round, r.done_on, r.data) for r in records],
        extended=applicant.extended,
        probation_ends_on=applicant.probation_ends_on,
        active=applicant.status == ACTIVE,
    )
    view = rules.outlook(book, facts)
    by_number: dict[int, list[StepRecord]] = {}
    labels = result_labels()
    for r in records:
        parts = [
            labels[v] for k in ("method", "result", "outcome") if (v := r.data.get(k)) in labels
        ]
        if r.failed:
            # The motion put to a failed conversion vote is not a decision: name it as such.
            parts = ["表决未通过" + (f"（议题：{'、'.join(parts)}）" if parts else "")]
        elif isinstance(r.data.get("vote"), dict):
            parts.append("表决通过")
        r.result_label = "、".join(parts)  # type: ignore[attr-defined]
        by_number.setdefault(r.number, []).append(r)
    steps = []
    for number in sorted(book.steps):
        recs = by_number.get(number, [])
        if view.step is not None and view.step.number == number:
            state = "next"
        elif number in rules.REPEATABLE and rules.may_record_now(facts, number):
            state = "open"
        elif recs:
            state = "done"
        else:
            state = "pending"
        steps.append(TimelineStep(book.step(number), recs, state))
    return Timeline(book, steps, view, facts)


def result_labels() -> dict[str, str]:
    from dangjian.recruitment.services import ACTIVIST_METHODS, OUTCOMES

    return {
        **ACTIVIST_METHODS, **OUTCOMES, "approved": "批准", "rejected": "不予批准",
        "pass": "政审合格", "fail": "政审不合格",
    }  # fmt: skip


def plan_progress(*, org: Organization, year: int) -> dict[str, Any]:
    """An organization's plan for a year and the members accepted against it (two queries)."""
    plan = DevelopmentPlan.objects.filter(org=org, year=year).first()
    counts = Applicant.objects.filter(
        subtree_q("org_path", org.path), admitted_on__year=year
    ).aggregate(n=Count("id"), farmers=Count("id", filter=Q(is_farmer=True)))
    return {"plan": plan, "admitted": counts["n"] or 0, "farmers": counts["farmers"] or 0}


def eligible_people(*, viewer: Any, applicant: Applicant) -> list[Member]:
    """Full members in good standing within the upper committee, for mentors and sponsors."""
    from dangjian.members.access import members_visible_to
    from dangjian.recruitment.access import upper_org

    scope = upper_org(applicant.org)
    return list(
        members_visible_to(viewer)
        .filter(subtree_q("org_path", scope.path))
        .filter(
            category=Member.Category.FULL,
            standing=Member.Standing.NORMAL,
            lost_contact=False,
        )
        .annotate(same=Q(branch_id=applicant.org_id))
        .order_by("-same", "org_path", "name")
        .only("id", "name", "branch_id", "org_path")[:300]
    )


@dataclass
class ApplicantPage:
    rows: list[Applicant]
    next_cursor: str | None


def applicant_page(
    *,
    viewer: Any,
    org: Organization | None,
    stage: str = "",
    status: str = "",
    cursor: str | None = None,
    size: int = 20,
) -> ApplicantPage:
    """Visible applicants (under ``org``), keyset-paged by (org_path, id)."""
    qs = applicants_visible_to(viewer)
    if org is not None:
        qs = qs.filter(subtree_q("org_path", org.path))
    if stage in Stage.values:
        qs = qs.filter(stage=stage)
    if status in Applicant.Status.values:
        qs = qs.filter(status=status)
    if cursor and "\x00" not in cursor:
        path, _, last_id = cursor.partition("|")
        if last_id.isdigit() and len(last_id) < 19:
            qs = qs.filter(Q(org_path__gt=path) | Q(org_path=path, id__gt=int(last_id)))
    rows = list(qs.order_by("org_path", "id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    nxt = f"{rows[-1].org_path}|{rows[-1].pk}" if more and rows else None
    return ApplicantPage(rows, nxt)
