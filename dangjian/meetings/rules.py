"""Organizational-life rules: which meeting types a branch owes, how often, and when.

The numbers live in ``RuleSet``/``Requirement`` rows (migration 0002 holds the national
《中国共产党支部工作条例（试行）》 set); this module only interprets them:

* the most specific active rule set wins per meeting type — a set scoped to an ancestor of the
  organization beats the national one, the longest scope path beats shorter ones;
* a requirement's condition is read from the branch as it was in the period, never as it is
  today (``HISTORY_RULES`` says it in words for the pages):
  ``committee`` applies when the branch had ``threshold`` full members placed in it on the
  period's last day (the day before it was dissolved, if that came first) — the same day the
  rule in force is read on; ``has_groups`` when a 党小组 of the branch existed on any day of the
  period (established on or before its last day, not dissolved on or before its first day);
* a branch owes the periods it existed in: established on or before the period's last day and
  not dissolved on or before its first day (``dissolved_on`` is the first day it no longer
  exists);
* a period (month, quarter, year) is judged by the rule in force on its last day.

Everything except ``load_rule_book``/``requirements_for`` is pure and works on plain values.
"""

from __future__ import annotations

import bisect
import calendar
import datetime as dt
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from django.db.models import Case, Count, DateField, F, Q, When
from django.db.models.functions import Coalesce, Greatest

from dangjian.core.paths import is_within
from dangjian.meetings.models import MeetingType, Requirement
from dangjian.orgs.models import Organization

Frequency = Requirement.Frequency
Condition = Requirement.Condition

# Display order of meeting types (the choices' order: 三会一课 first).
TYPE_ORDER = {value: i for i, value in enumerate(MeetingType.values)}
FREQUENCY_ORDER = (Frequency.MONTHLY, Frequency.QUARTERLY, Frequency.YEARLY)


# --- periods ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Period:
    """One month/quarter/year window, clipped to the range asked for."""

    frequency: str
    start: dt.date
    end: dt.date
    label: str

    @property
    def key(self) -> str:
        return f"{self.frequency}:{self.start.isoformat()}"


def _month_end(year: int, month: int) -> dt.date:
    return dt.date(year, month, calendar.monthrange(year, month)[1])


def period_of(frequency: str, day: dt.date) -> tuple[dt.date, dt.date, str]:
    """The full (unclipped) period of ``frequency`` containing ``day``, with its label."""
    if frequency == Frequency.MONTHLY:
        return (
            dt.date(day.year, day.month, 1),
            _month_end(day.year, day.month),
            f"{day.year}年{day.month}月",
        )
    if frequency == Frequency.QUARTERLY:
        q = (day.month - 1) // 3
        return (
            dt.date(day.year, q * 3 + 1, 1),
            _month_end(day.year, q * 3 + 3),
            f"{day.year}年第{'一二三四'[q]}季度",
        )
    if frequency == Frequency.YEARLY:
        return dt.date(day.year, 1, 1), dt.date(day.year, 12, 31), f"{day.year}年"
    raise ValueError(f"unknown frequency: {frequency}")


def periods(frequency: str, start: dt.date, end: dt.date) -> Iterator[Period]:
    """The ``frequency`` windows covering ``[start, end]``, the first and last clipped to it."""
    day = start
    while day <= end:
        p_start, p_end, label = period_of(frequency, day)
        yield Period(frequency, max(p_start, start), min(p_end, end), label)
        day = p_end + dt.timedelta(days=1)


def months(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """Calendar months covering ``[start, end]``, clipped to it (the buckets tags are counted in)."""
    return [(p.start, p.end) for p in periods(Frequency.MONTHLY, start, end)]


# --- the rule book --------------------------------------------------------------------------


@dataclass(frozen=True)
class Rule:
    """A requirement as plain values, with the rule set it comes from."""

    meeting_type: str
    frequency: str
    min_count: int
    condition: str
    threshold: int | None
    source: str
    tag: str
    rule_set_id: int
    rule_set_name: str
    scope_path: str  # "" for the national set
    effective_from: dt.date
    effective_to: dt.date | None
    requirement_id: int = 0

    def active_on(self, day: dt.date) -> bool:
        return self.effective_from <= day and (
            self.effective_to is None or day <= self.effective_to
        )

    @property
    def label(self) -> str:
        return MeetingType(self.meeting_type).label

    @property
    def frequency_label(self) -> str:
        return Frequency(self.frequency).label


@dataclass
class RuleBook:
    """Every rule of every rule set; resolves the winning rule per type for a path and a day."""

    rules: list[Rule]
    _cache: dict[tuple[int, ...], dict[str, Rule]] = field(default_factory=dict, repr=False)
    # (scopes containing the path, day) → resolved: a county asks ~30k times for a few answers.
    _by_scope_day: dict[tuple[tuple[str, ...], dt.date], dict[str, Rule]] = field(
        default_factory=dict, repr=False
    )
    _scope_paths: list[str] | None = field(default=None, repr=False)
    # Keyed by the resolved dict's id: those dicts live as long as the book (in ``_cache``).
    _by_frequency: dict[tuple[int, str], list[tuple[str, Rule]]] = field(
        default_factory=dict, repr=False
    )

    def for_path(self, path: str, on: dt.date) -> dict[str, Rule]:
        """meeting type → the rule in force for an organization at ``path`` on ``on``."""
        if self._scope_paths is None:
            self._scope_paths = sorted({r.scope_path for r in self.rules if r.scope_path})
        scopes = tuple(s for s in self._scope_paths if is_within(path, s))
        hit = self._by_scope_day.get((scopes, on))
        if hit is not None:
            return hit
        applicable = [
            r
            for r in self.rules
            if r.active_on(on) and (not r.scope_path or r.scope_path in scopes)
        ]
        key = tuple(sorted(r.requirement_id or id(r) for r in applicable))
        resolved = self._cache.get(key)
        if resolved is None:
            resolved = {}
            # Longest scope wins; among equals the later effective date (a newer version).
            for r in sorted(applicable, key=lambda r: (len(r.scope_path), r.effective_from)):
                resolved[r.meeting_type] = r
            self._cache[key] = resolved
        self._by_scope_day[(scopes, on)] = resolved
        return resolved

    def for_path_frequency(self, path: str, on: dt.date, frequency: str) -> list[tuple[str, Rule]]:
        """``for_path`` narrowed to the rules of one frequency (the compliance loop's view)."""
        resolved = self.for_path(path, on)
        key = (id(resolved), frequency)
        hit = self._by_frequency.get(key)
        if hit is None:
            hit = [(t, r) for t, r in resolved.items() if r.frequency == frequency]
            self._by_frequency[key] = hit
        return hit

    def types(self) -> list[str]:
        """Meeting types any rule asks for, in display order."""
        return sorted({r.meeting_type for r in self.rules}, key=lambda t: TYPE_ORDER.get(t, 99))

    def frequencies(self) -> list[str]:
        present = {r.frequency for r in self.rules}
        return [f for f in FREQUENCY_ORDER if f in present]


def rule_from_requirement(req: Requirement) -> Rule:
    rs = req.rule_set
    return Rule(
        meeting_type=req.meeting_type,
        frequency=req.frequency,
        min_count=req.min_count,
        condition=req.condition,
        threshold=req.threshold,
        source=req.source,
        tag=req.tag,
        rule_set_id=rs.pk,
        rule_set_name=rs.name,
        scope_path=rs.scope.path if rs.scope is not None else "",
        effective_from=rs.effective_from,
        effective_to=rs.effective_to,
        requirement_id=req.pk,
    )


def load_rule_book(*, start: dt.date | None = None, end: dt.date | None = None) -> RuleBook:
    """All requirements of rule sets in force at some point of ``[start, end]`` (one query)."""
    qs = Requirement.objects.select_related("rule_set", "rule_set__scope")
    if end is not None:
        qs = qs.filter(rule_set__effective_from__lte=end)
    if start is not None:
        qs = qs.filter(
            Q(rule_set__effective_to__isnull=True) | Q(rule_set__effective_to__gte=start)
        )
    return RuleBook([rule_from_requirement(r) for r in qs])


# --- conditions -----------------------------------------------------------------------------


@dataclass
class FullMemberTimeline:
    """When a branch's members became full members and when they left: counts on any day by
    bisecting two sorted lists, so a year of monthly checks costs no query.

    ``base`` is the net count of members that became full (minus those that left) before the
    window the timeline was loaded for; only dates inside the window are kept individually, so
    ``count_on`` is exact for days inside that window.
    """

    became_full: list[dt.date] = field(default_factory=list)
    left: list[dt.date] = field(default_factory=list)
    base: int = 0

    def add(self, full_on: dt.date | None, left_on: dt.date | None, n: int = 1) -> None:
        if full_on is not None:
            self.became_full.extend([full_on] * n)
        if left_on is not None:
            self.left.extend([left_on] * n)

    def freeze(self) -> FullMemberTimeline:
        self.became_full.sort()
        self.left.sort()
        return self

    def count_on(self, day: dt.date) -> int:
        """Full members on ``day``: became full on or before it, not left on or before it."""
        return (
            self.base
            + bisect.bisect_right(self.became_full, day)
            - bisect.bisect_right(self.left, day)
        )

    def reaches_on(self, threshold: int) -> dt.date | None:
        """The first day (in the window) with at least ``threshold`` full members."""
        for day in sorted({*self.became_full, *self.left}):
            if self.count_on(day) >= threshold:
                return day
        return None


Span = tuple[dt.date | None, dt.date | None]  # (established_on, dissolved_on) of an organization

ONE_DAY = dt.timedelta(days=1)


def existed_during(span: Span, start: dt.date, end: dt.date) -> bool:
    """Did an organization exist on some day of ``[start, end]``? It exists from its
    establishment day up to the day before its dissolution day."""
    established, dissolved = span
    return (established is None or established <= end) and (dissolved is None or dissolved > start)


# The rules above in words, for the compliance page's explanation (本地规定 where the regulation
# names no day).
HISTORY_RULES = (
    "各期要求按该期当时的组织和党员情况确定，不随今天的变动而改变。",
    "党支部委员会会议：以该期最后一天（党支部在期内撤销的，以撤销前一天）编入本支部的"
    "正式党员人数判断是否达到设立支部委员会的人数（本地规定）。",
    "党小组会：该期内任何一天本支部有党小组（成立日期不晚于期末、撤销日期晚于期初）即应召开；"
    "党小组撤销后，其撤销前召开的会议仍计入所属党支部（本地规定）。",
    "组织关系转接以回执日期为准：转出党支部计至回执日期前一天，转入党支部自回执日期起计入；"
    "党员减少（转入历史库）自减少日期起不再计入（本地规定）。",
    "党支部自成立当期起应开展组织生活，撤销日期及以后开始的各期不再要求（本地规定）。",
)


@dataclass(frozen=True)
class BranchFacts:
    """What conditions read about a branch, with the history they need."""

    timeline: FullMemberTimeline
    groups: tuple[Span, ...] = ()
    established_on: dt.date | None = None
    dissolved_on: dt.date | None = None

    def exists_during(self, start: dt.date, end: dt.date) -> bool:
        return existed_during((self.established_on, self.dissolved_on), start, end)

    def last_day(self, end: dt.date) -> dt.date:
        """The day a period ending on ``end`` is judged on: its last day, or the branch's
        last day when it was dissolved within the period."""
        if self.dissolved_on is not None and self.dissolved_on <= end:
            return self.dissolved_on - ONE_DAY
        return end

    def groups_during(self, start: dt.date, end: dt.date) -> int:
        """党小组 of the branch that existed on some day of ``[start, end]``."""
        if not self.groups:
            return 0
        return sum(1 for span in self.groups if existed_during(span, start, end))


def condition_holds(
    rule: Rule, facts: BranchFacts, on: dt.date, *, since: dt.date | None = None
) -> bool:
    """Does ``rule``'s condition hold for the period ``[since, on]`` (one day when ``since`` is
    omitted)? Membership is read on the period's last day, groups on any of its days."""
    if rule.condition == Condition.ALWAYS:
        return True
    if rule.condition == Condition.COMMITTEE:
        return facts.timeline.count_on(facts.last_day(on)) >= (rule.threshold or 0)
    if rule.condition == Condition.HAS_GROUPS:
        return facts.groups_during(since or on, on) > 0
    return False


def member_timelines(
    *, path: str, start: dt.date, end: dt.date, org_ids: Iterable[int] | None = None
) -> dict[int, FullMemberTimeline]:
    """branch id → full-member timeline over ``[start, end]`` for every branch under ``path``,
    read from the placement history: one grouped query whose rows are one per branch plus one
    per date of change inside the window (earlier changes are summed into ``base``).

    A placement counts from the later of its start and the day the member became full
    (``full_member_on``, or the joining date when a full member's date was never recorded) up to
    the day before it ended (a transfer's 回执 date, a move, the 减少 date).
    """
    from dangjian.core.paths import subtree_q
    from dangjian.members.models import Member, MemberPlacement

    qs = MemberPlacement.objects.filter(subtree_q("org_path", path)).filter(
        Q(member__full_member_on__isnull=False) | Q(member__category=Member.Category.FULL)
    )
    if org_ids is not None:
        qs = qs.filter(branch_id__in=list(org_ids))
    rows = (
        qs.annotate(
            counts_from=Greatest(
                F("since"), Coalesce(F("member__full_member_on"), F("member__joined_on"))
            )
        )
        .filter(Q(until__isnull=True) | Q(until__gt=F("counts_from")))
        .annotate(
            full_in=Case(
                When(counts_from__gte=start, counts_from__lte=end, then="counts_from"),
                default=None,
                output_field=DateField(),
            ),
            left_in=Case(
                When(until__gte=start, until__lte=end, then="until"),
                default=None,
                output_field=DateField(),
            ),
        )
        .values_list("branch_id", "full_in", "left_in")
        .annotate(
            n=Count("id"),
            full_before=Count("id", filter=Q(counts_from__lt=start)),
            left_before=Count("id", filter=Q(until__lt=start)),
        )
        .order_by()
    )
    timelines: dict[int, FullMemberTimeline] = {}
    for branch_id, full_in, left_in, n, full_before, left_before in rows:
        t = timelines.setdefault(branch_id, FullMemberTimeline())
        t.base += full_before - left_before
        if full_in is not None or left_in is not None:
            t.add(full_in, left_in, n)
    for t in timelines.values():
        t.freeze()
    return timelines


def branch_facts(org: Organization, on: dt.date) -> BranchFacts:
    """The facts of one branch on a day (two queries); the compliance selector loads them in bulk."""
    timeline = member_timelines(path=org.path, start=on, end=on, org_ids=[org.pk]).get(
        org.pk, FullMemberTimeline()
    )
    groups = tuple(
        org.children.filter(org_type=Organization.Type.GROUP)
        .filter(Q(established_on__isnull=True) | Q(established_on__lte=on))
        .filter(Q(dissolved_on__isnull=True) | Q(dissolved_on__gt=on))
        .values_list("established_on", "dissolved_on")
    )
    return BranchFacts(
        timeline=timeline,
        groups=groups,
        established_on=org.established_on,
        dissolved_on=org.dissolved_on,
    )


def applicable_rules(book: RuleBook, *, path: str, facts: BranchFacts, on: dt.date) -> list[Rule]:
    """The rules in force for a branch on ``on`` whose condition holds, in display order."""
    chosen = book.for_path(path, on)
    return sorted(
        (r for r in chosen.values() if condition_holds(r, facts, on)),
        key=lambda r: TYPE_ORDER.get(r.meeting_type, 99),
    )


def requirements_for(org: Organization, on: dt.date) -> list[Requirement]:
    """The requirements an organization owes on ``on``: most specific rule set per type, with
    conditions (支部委员会 at ≥ threshold full members, 党小组 present) evaluated on that day."""
    book = load_rule_book(start=on, end=on)
    rules = applicable_rules(book, path=org.path, facts=branch_facts(org, on), on=on)
    by_id = {
        r.pk: r
        for r in Requirement.objects.select_related("rule_set").filter(
            pk__in=[rule.requirement_id for rule in rules]
        )
    }
    return [by_id[rule.requirement_id] for rule in rules]


def describe(rules: Iterable[Rule]) -> list[dict[str, Any]]:
    """Rules as rows for a page or an API answer."""
    return [
        {
            "meeting_type": r.meeting_type,
            "label": r.label,
            "frequency": r.frequency,
            "frequency_label": r.frequency_label,
            "min_count": r.min_count,
            "condition": r.condition,
            "threshold": r.threshold,
            "source": r.source,
            "tag": r.tag,
            "rule_set": r.rule_set_name,
        }
        for r in rules
    ]
