"""Compliance of organizational life: which branches held what they owed, period by period.

A constant number of queries whatever the size of the subtree: the rule book, the branches
(with their groups and the direct children of the organization), a grouped count of full-member
dates, one grouped count of ``MeetingTypeTag`` rows bucketed by month, one grouped attendance
count. Everything else is Python over those rows.

Decisions, so the figures can be explained to a reviewer:

* a meeting counts once it is submitted or approved (``MeetingTypeTag.counts``); a combined
  meeting carries one tag per type, so it satisfies each of its types;
* 党小组会 held by a group count for the group's branch, also after the group is dissolved;
* a period is judged by the rule in force on its last day (clipped to the range) and by the
  branch as it was then (``rules.HISTORY_RULES``): full members placed in it on that day, the
  党小组 that existed during the period; periods the branch did not exist in are not owed, and a
  dissolved branch keeps the periods it existed in;
* ``held``: at least ``min_count`` on-time meetings; ``held_late``: only with 补录 meetings;
  ``missing``: the period ended without; ``pending``: not ended and not yet held;
* execution rate = (held + held_late) ÷ settled required periods (ended, or already held).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from django.db import connection
from django.db.models import Count, Q, QuerySet, Sum
from django.utils import timezone

from dangjian.core.paths import SEGMENT_WIDTH, subtree_q
from dangjian.meetings.compliance.services import PLAN_TYPES
from dangjian.meetings.models import AnnualPlan, Meeting, MeetingType, MeetingTypeTag
from dangjian.meetings.rules import (
    BranchFacts,
    Condition,
    FullMemberTimeline,
    Period,
    Rule,
    RuleBook,
    Span,
    applicable_rules,
    branch_facts,
    condition_holds,
    load_rule_book,
    member_timelines,
    months,
    periods,
)
from dangjian.orgs.access import scope_q
from dangjian.orgs.models import BRANCH_TYPES, Organization

HELD = "held"
HELD_LATE = "held_late"
MISSING = "missing"
PENDING = "pending"
NOT_REQUIRED = "not_required"
STATUS_LABELS = {
    HELD: "已开展",
    HELD_LATE: "补录完成",
    MISSING: "未开展",
    PENDING: "进行中",
    NOT_REQUIRED: "不适用",
}
BEHIND_LIMIT = 20
COUNTED_STATES = (Meeting.State.SUBMITTED, Meeting.State.APPROVED)


def _rate(num: int, den: int) -> float | None:
    return round(num * 100 / den, 1) if den else None


@dataclass
class Cell:
    """One branch × one meeting type over the range: period statuses and their tallies."""

    meeting_type: str
    frequency: str = ""
    periods: list[tuple[Period, str, int]] = field(default_factory=list)  # (period, status, n)
    held: int = 0
    held_late: int = 0
    missing: int = 0
    pending: int = 0
    not_required: int = 0
    meetings: int = 0  # counted meetings of this type in the range

    @property
    def label(self) -> str:
        return MeetingType(self.meeting_type).label

    @property
    def required(self) -> int:
        return self.held + self.held_late + self.missing + self.pending

    @property
    def satisfied(self) -> int:
        return self.held + self.held_late

    @property
    def tone(self) -> str:
        """A colour for the table cell."""
        if not self.required:
            return "secondary"
        if self.missing:
            return "danger"
        if self.held_late:
            return "warning"
        return "success"


@dataclass
class BranchRow:
    org_id: int
    name: str
    path: str
    parent_id: int | None
    full_members: int
    cells: dict[str, Cell]
    invited: int = 0
    present: int = 0
    dissolved_on: dt.date | None = None
    # Tallies over the cells, summed once when the row is built (the cells are complete then):
    # roll-ups, sorting and the table read them many times.
    satisfied: int = field(init=False, default=0)
    settled: int = field(init=False, default=0)  # decided required periods: ended, or held
    missing: int = field(init=False, default=0)
    held_late: int = field(init=False, default=0)
    pending: int = field(init=False, default=0)

    def __post_init__(self) -> None:
        for c in self.cells.values():
            self.satisfied += c.held + c.held_late
            self.settled += c.held + c.held_late + c.missing
            self.missing += c.missing
            self.held_late += c.held_late
            self.pending += c.pending

    @property
    def execution_rate(self) -> float | None:
        return _rate(self.satisfied, self.settled)

    @property
    def attendance_rate(self) -> float | None:
        return _rate(self.present, self.invited)


@dataclass
class Rollup:
    """Totals over a set of branches (the whole organization, or one direct child)."""

    org_id: int
    name: str
    branches: int = 0
    satisfied: int = 0
    settled: int = 0
    held_late: int = 0
    missing: int = 0
    pending: int = 0
    invited: int = 0
    present: int = 0
    branches_with_missing: int = 0

    def add(self, row: BranchRow) -> None:
        self.branches += 1
        self.satisfied += row.satisfied
        self.settled += row.settled
        self.held_late += row.held_late
        self.missing += row.missing
        self.pending += row.pending
        self.invited += row.invited
        self.present += row.present
        self.branches_with_missing += 1 if row.missing else 0

    @property
    def execution_rate(self) -> float | None:
        return _rate(self.satisfied, self.settled)

    @property
    def attendance_rate(self) -> float | None:
        return _rate(self.present, self.invited)


@dataclass
class Compliance:
    org: Organization
    start: dt.date
    end: dt.date
    today: dt.date
    types: list[str]
    branches: list[BranchRow]
    total: Rollup
    children: list[Rollup]
    behind: list[BranchRow]

    @property
    def type_labels(self) -> list[tuple[str, str]]:
        return [(t, MeetingType(t).label) for t in self.types]


# --- the queries ----------------------------------------------------------------------------


def _orgs(viewer: Any, org: Organization, start: dt.date) -> QuerySet[Any, Any]:
    """Branches and groups in the subtree the viewer may see with meeting.view, plus the
    organization's direct children (for the roll-up)."""
    qs = Organization.objects.filter(subtree_q("path", org.path)).filter(
        # Dissolved ones too, when they still existed in the range: their past periods and
        # meetings are part of it.
        Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=start)
    )
    qs = qs.filter(
        Q(org_type__in=[*BRANCH_TYPES, Organization.Type.GROUP])
        | Q(parent_id=org.pk)
        | Q(pk=org.pk)
    )
    if viewer is not None:  # None: a background job looking at every branch
        qs = qs.filter(scope_q(viewer, "path", action="meeting.view"))
    return qs.values_list(
        "id",
        "name",
        "short_name",
        "path",
        "parent_id",
        "org_type",
        "established_on",
        "dissolved_on",
    ).order_by("path")


def tag_counts_query(path: str, start: dt.date, end: dt.date) -> QuerySet[Any]:
    """One grouped count of counted type tags per (organization, type, late), bucketed by month
    with conditional counts (native SQL on both databases; no date functions)."""
    buckets = {
        f"m{i}": Count("id", filter=Q(held_on__gte=m_start, held_on__lte=m_end))
        for i, (m_start, m_end) in enumerate(months(start, end))
    }
    return (
        MeetingTypeTag.objects.filter(
            subtree_q("org_path", path), held_on__gte=start, held_on__lte=end, counts=True
        )
        .values("org_id_copy", "meeting_type", "is_late_entry")
        .annotate(**buckets)
        .order_by()
    )


def attendance_query(path: str, start: dt.date, end: dt.date) -> QuerySet[Any]:
    """Invited and present (出席 + 迟到) per meeting organization, counted meetings only: sums of
    the counts each meeting carries (``Meeting.invited_count``/``present_count``, kept equal to
    its attendance rows by every writer), so a county reads ~20k meetings, not ~600k rows."""
    tz = timezone.get_current_timezone()
    since = dt.datetime.combine(start, dt.time.min, tzinfo=tz)
    until = dt.datetime.combine(end + dt.timedelta(days=1), dt.time.min, tzinfo=tz)
    return (
        Meeting.objects.filter(
            subtree_q("org_path", path),
            held_at__gte=since,
            held_at__lt=until,
            state__in=COUNTED_STATES,
        )
        .values("org_id")
        .annotate(invited=Sum("invited_count"), present=Sum("present_count"))
        .order_by()
    )


# --- the selector ---------------------------------------------------------------------------


@dataclass(frozen=True)
class _Due:
    """One period with the rules in force on its last day for one set of rule scopes: built
    once per scopes (every branch of a county usually shares them), then judged per branch."""

    period: Period
    frequency: str
    first: int  # its months: month_list[first:stop] (contiguous)
    stop: int
    ended: bool  # the period ended before today
    rules: tuple[tuple[str, Rule], ...]


def _dues(
    book: RuleBook,
    scopes: tuple[str, ...],
    period_lists: dict[str, list[tuple[Period, list[int]]]],
    today: dt.date,
) -> list[_Due]:
    """Every period of every frequency, in the order the cells list them, with its rules."""
    return [
        _Due(
            period=period,
            frequency=freq,
            first=month_idx[0],
            stop=month_idx[-1] + 1,
            ended=period.end < today,
            rules=tuple(book.for_scopes_frequency(scopes, period.end, freq)),
        )
        for freq, plist in period_lists.items()
        for period, month_idx in plist
    ]


def _judge(
    *,
    dues: list[_Due],
    facts: BranchFacts,
    ontime: dict[str, list[int]],
    late: dict[str, list[int]],
    cells: dict[str, Cell],
    start: dt.date,
    end: dt.date,
) -> None:
    """Fill ``cells`` with the status of every period the branch existed in, per type.

    Conditions are ``condition_holds``; the usual branch gets constant answers without asking
    per period: no full member came or left within the range (the count is the same on every
    day of it), and a 党小组 existed on every day of the range (or the branch never had one).
    """
    established, dissolved = facts.established_on, facts.dissolved_on
    timeline = facts.timeline
    steady_members: int | None = None
    if not timeline.became_full and not timeline.left:
        steady_members = timeline.base
    steady_groups: bool | None = None
    if not facts.groups:
        steady_groups = False
    elif any(
        (g_est is None or g_est <= start) and (g_dis is None or g_dis > end)
        for g_est, g_dis in facts.groups
    ):
        steady_groups = True
    for due in dues:
        period = due.period
        if (established is not None and established > period.end) or (
            dissolved is not None and dissolved <= period.start
        ):
            continue  # the branch did not exist in this period: nothing owed
        first, stop = due.first, due.stop
        single = stop - first == 1
        for meeting_type, rule in due.rules:
            cell = cells.get(meeting_type)
            if cell is None:
                continue
            cell.frequency = due.frequency
            on_counts, late_counts = ontime.get(meeting_type), late.get(meeting_type)
            if single:
                n_on = on_counts[first] if on_counts else 0
                n_late = late_counts[first] if late_counts else 0
            else:
                n_on = sum(on_counts[first:stop]) if on_counts else 0
                n_late = sum(late_counts[first:stop]) if late_counts else 0
            n = n_on + n_late
            condition = rule.condition
            if condition == Condition.ALWAYS:
                holds = True
            elif condition == Condition.COMMITTEE and steady_members is not None:
                holds = steady_members >= (rule.threshold or 0)
            elif condition == Condition.HAS_GROUPS and steady_groups is not None:
                holds = steady_groups
            else:
                holds = condition_holds(rule, facts, period.end, since=period.start)
            if not holds:
                status = NOT_REQUIRED
                cell.not_required += 1
            elif n_on >= rule.min_count:
                status = HELD
                cell.held += 1
            elif n >= rule.min_count:
                status = HELD_LATE
                cell.held_late += 1
            elif due.ended:
                status = MISSING
                cell.missing += 1
            else:
                status = PENDING
                cell.pending += 1
            cell.periods.append((period, status, n))


def compliance(
    *, viewer: Any, org: Organization, start: dt.date, end: dt.date, today: dt.date
) -> Compliance:
    """Organizational-life compliance of every branch under ``org`` over ``[start, end]``.

    The caller gates ``org`` (``access_org_by_id(..., action="meeting.view")``); branches are
    further limited to the viewer's meeting.view scope (``viewer=None``: background jobs only).
    """
    book = load_rule_book(start=start, end=end)
    types = book.types()
    month_list = months(start, end)
    month_index = {m_start: i for i, (m_start, _) in enumerate(month_list)}
    period_lists: dict[str, list[tuple[Period, list[int]]]] = {}
    for freq in book.frequencies():
        plist = []
        for p in periods(freq, start, end):
            plist.append(
                (p, [i for m_start, i in month_index.items() if p.start <= m_start <= p.end])
            )
        period_lists[freq] = plist

    org_rows = list(_orgs(viewer, org, start))
    branch_info: dict[int, tuple[Any, ...]] = {}
    owner: dict[int, int] = {}  # org id (branch or group) → branch id
    group_spans: dict[int, list[Span]] = {}
    child_names: dict[str, tuple[int, str]] = {}
    child_depth_len = len(org.path) + SEGMENT_WIDTH
    for oid, name, short, path, parent_id, org_type, established, dissolved in org_rows:
        if org_type in BRANCH_TYPES:
            branch_info[oid] = (short or name, path, parent_id, established, dissolved)
            owner[oid] = oid
        if len(path) == child_depth_len:
            child_names[path] = (oid, short or name)
    for oid, _name, _short, _path, parent_id, org_type, established, dissolved in org_rows:
        if org_type == Organization.Type.GROUP and parent_id in branch_info:
            owner[oid] = parent_id
            group_spans.setdefault(parent_id, []).append((established, dissolved))

    timelines = member_timelines(path=org.path, start=start, end=end)

    ontime: dict[int, dict[str, list[int]]] = {}
    late: dict[int, dict[str, list[int]]] = {}
    # Thousands of rows × a dozen month columns: read with a bare cursor (the ORM's per-value
    # converters cost more than the query). Columns: org, type, late, then the months in order.
    sql, params = tag_counts_query(org.path, start, end).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        tag_rows = cursor.fetchall()
    for org_id, meeting_type, is_late, *by_month in tag_rows:
        branch_id = owner.get(org_id)
        if branch_id is None:
            continue
        by_type = (late if is_late else ontime).setdefault(branch_id, {})
        counts = by_type.get(meeting_type)
        if counts is None:
            by_type[meeting_type] = by_month
        else:  # a 党小组's meetings added to its branch's
            for i, n in enumerate(by_month):
                counts[i] += n

    attendance: dict[int, tuple[int, int]] = {}
    sql, params = attendance_query(org.path, start, end).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        attendance_rows = cursor.fetchall()
    for org_id, invited, present in attendance_rows:
        branch_id = owner.get(org_id)
        if branch_id is None:
            continue
        have = attendance.get(branch_id, (0, 0))
        attendance[branch_id] = (have[0] + (invited or 0), have[1] + (present or 0))

    branches: list[BranchRow] = []
    empty: dict[str, list[int]] = {}
    dues_by_scopes: dict[tuple[str, ...], list[_Due]] = {}
    for branch_id, (name, path, parent_id, established, dissolved) in branch_info.items():
        timeline = timelines.get(branch_id, FullMemberTimeline())
        facts = BranchFacts(
            timeline=timeline,
            groups=tuple(group_spans.get(branch_id, ())),
            established_on=established,
            dissolved_on=dissolved,
        )
        scopes = book.scopes_of(path)
        dues = dues_by_scopes.get(scopes)
        if dues is None:
            dues = dues_by_scopes[scopes] = _dues(book, scopes, period_lists, today)
        cells = {t: Cell(meeting_type=t) for t in types}
        b_ontime = ontime.get(branch_id, empty)
        b_late = late.get(branch_id, empty)
        _judge(
            dues=dues,
            facts=facts,
            ontime=b_ontime,
            late=b_late,
            cells=cells,
            start=start,
            end=end,
        )
        for t, counts in b_ontime.items():
            if t in cells:
                cells[t].meetings += sum(counts)
        for t, counts in b_late.items():
            if t in cells:
                cells[t].meetings += sum(counts)
        invited, present = attendance.get(branch_id, (0, 0))
        branches.append(
            BranchRow(
                org_id=branch_id,
                name=name,
                path=path,
                parent_id=parent_id,
                full_members=timeline.count_on(facts.last_day(max(start, min(end, today)))),
                dissolved_on=dissolved,
                cells=cells,
                invited=invited,
                present=present,
            )
        )

    total = Rollup(org_id=org.pk, name=org.display_name)
    children = {
        path: Rollup(org_id=oid, name=name) for path, (oid, name) in sorted(child_names.items())
    }
    for row in branches:
        total.add(row)
        child = children.get(row.path[:child_depth_len])
        if child is not None:
            child.add(row)
    behind = sorted(
        (b for b in branches if b.execution_rate is not None and b.execution_rate < 100),
        key=lambda b: (b.execution_rate, -b.missing, b.path),
    )[:BEHIND_LIMIT]
    return Compliance(
        org=org,
        start=start,
        end=end,
        today=today,
        types=types,
        branches=branches,
        total=total,
        children=[c for c in children.values() if c.branches],
        behind=behind,
    )


def branch_type_status(
    result: Compliance, branch_id: int, meeting_type: str, on: dt.date
) -> str | None:
    """The status of the period containing ``on`` for one branch and type (None: no rule)."""
    for row in result.branches:
        if row.org_id != branch_id:
            continue
        cell = row.cells.get(meeting_type)
        if cell is None:
            return None
        for period, status, _n in cell.periods:
            if period.start <= on <= period.end:
                return status
    return None


# 年度组织生活计划: planned vs held, by month and type.


@dataclass
class PlanCell:
    meeting_type: str
    planned: list[str] = field(default_factory=list)  # topics ("" when none)
    held: int = 0

    @property
    def tone(self) -> str:
        if self.planned and self.held >= len(self.planned):
            return "success"
        if self.planned and self.held:
            return "warning"
        if self.planned:
            return "danger"
        return "info" if self.held else ""


@dataclass
class PlanMonth:
    month: int
    cells: list[PlanCell]
    is_past: bool


@dataclass
class PlanCalendar:
    org: Organization
    year: int
    plan: AnnualPlan | None
    types: list[tuple[str, str]]
    months: list[PlanMonth]
    required: list[dict[str, Any]]
    planned_total: int
    held_total: int


def plan_calendar(
    *, viewer: Any, org: Organization, year: int, today: dt.date, all_types: bool = False
) -> PlanCalendar:
    """Planned vs held meetings of one organization (and its groups) by month and type.

    The caller gates ``org`` with meeting.view.
    """
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    plan = AnnualPlan.objects.filter(org=org, year=year).first()
    planned: dict[tuple[int, str], list[str]] = {}
    if plan is not None:
        for item in plan.items.all():
            planned.setdefault((item.month, item.meeting_type), []).append(item.topic)
    held: dict[tuple[int, str], int] = {}
    month_list = months(start, end)
    for row in tag_counts_query(org.path, start, end):
        for i in range(len(month_list)):
            if row[f"m{i}"]:
                key = (i + 1, row["meeting_type"])
                held[key] = held.get(key, 0) + row[f"m{i}"]
    book = load_rule_book(start=start, end=end)
    on = min(max(today, start), end)
    required = (
        applicable_rules(book, path=org.path, facts=branch_facts(org, on), on=on)
        if org.is_branch_level
        else []
    )
    shown = {r.meeting_type for r in required} | {t for _m, t in planned} | {t for _m, t in held}
    types = [(t, MeetingType(t).label) for t in PLAN_TYPES if all_types or t in shown]
    month_rows = [
        PlanMonth(
            month=m,
            cells=[
                PlanCell(t, planned=planned.get((m, t), []), held=held.get((m, t), 0))
                for t, _label in types
            ],
            is_past=dt.date(year, m, 1) <= today and (m < today.month or year < today.year),
        )
        for m in range(1, 13)
    ]
    return PlanCalendar(
        org=org,
        year=year,
        plan=plan,
        types=types,
        months=month_rows,
        required=[
            {
                "label": r.label,
                "frequency": r.frequency_label,
                "min_count": r.min_count,
                "source": r.source,
                "tag": r.tag,
            }
            for r in required
        ],
        planned_total=sum(len(v) for v in planned.values()),
        held_total=sum(held.values()),
    )
