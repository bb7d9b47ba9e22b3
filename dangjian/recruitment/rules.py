"""The recruitment rule engine: which step comes next, its earliest allowed date, its deadline.

The numbers and articles live in ``RuleSet``/``StepDef``/``Limit`` rows (migration 0002 holds
the 2014 细则); an applicant is judged by the rule set they started under. Everything except
``load_book`` is pure and works on plain values, so the boundaries are tested without a
database (the 公示 window needs the holiday table through ``add_working_days``).

Date conventions (documented in docs/recruitment.md):

* "满 N 个月/一年" is reached on the same calendar day N months later (``add_months``: 31 January
  + 1 month = 28/29 February); so an activist of 2 March 2024 may become a 发展对象 on
  2 March 2025, not on 1 March.
* 年满18周岁 is reached on the 18th birthday (29 February → 1 March in a common year).
* The 公示 runs N working days counting its first day when that is a working day; the
  上级党委预审 may follow from the next calendar day.
* 预备期 ends one year after the 支部大会 date; the 转正 takes effect on that day.
"""

from __future__ import annotations

import datetime as dt
import time
from dataclasses import dataclass, field

from django.core.exceptions import ValidationError

from dangjian.core.workdays import add_months, add_working_days
from dangjian.recruitment.models import Limit, RuleSet, Stage, StepDef

REPEATABLE = (6, 21)
CONVERSION_STEPS = (22, 23, 24)
LAST_STEP = 25

# Step numbers by the part they play in the code (the names and articles are data).
APPLY, TALK, ACTIVIST, MENTORS, CULTIVATION, CANDIDATE = 1, 2, 3, 5, 6, 7
SPONSORS, POLITICAL_REVIEW, TRAINING, BRANCH_REVIEW, PRE_REVIEW = 9, 10, 11, 12, 13
VOLUNTEER_FORM, GENERAL_MEETING, APPROVAL, PLACEMENT, OATH = 14, 15, 17, 19, 20
PROBATION_EDUCATION, CONVERSION_APPLY, CONVERSION_MEETING, CONVERSION_APPROVAL = 21, 22, 23, 24
ARCHIVE = 25


@dataclass(frozen=True)
class LimitRule:
    key: str
    value: int
    unit: str
    label: str
    article: str
    tag: str

    @property
    def cite(self) -> str:
        """The article in brackets as messages show it: （第十三条） or （…，地方做法）."""
        if self.tag != Limit.Tag.LOCAL or "地方做法" in self.article:
            return f"（{self.article}）"
        return f"（{self.article}，地方做法）"


@dataclass(frozen=True)
class StepRule:
    number: int
    code: str
    name: str
    stage: str
    article: str
    requirement: str
    needs_upper: bool
    repeatable: bool

    @property
    def stage_label(self) -> str:
        return Stage(self.stage).label


@dataclass
class Book:
    """One rule set's steps and numbers."""

    rule_set_id: int
    name: str
    version: str
    steps: dict[int, StepRule]
    limits: dict[str, LimitRule]

    def n(self, key: str) -> int:
        return self.limits[key].value

    def limit(self, key: str) -> LimitRule:
        return self.limits[key]

    def step(self, number: int) -> StepRule:
        return self.steps[number]

    @property
    def label(self) -> str:
        return f"{self.name}（{self.version}）"


# Rule sets change rarely (an administrator edits a number): a process keeps a loaded book for
# a minute, so a board that reads several applicants' rules costs no query per applicant.
CACHE_SECONDS = 60
_cache: dict[int, tuple[float, Book]] = {}
_in_force: dict[dt.date, tuple[float, RuleSet]] = {}


def clear_cache() -> None:
    _cache.clear()
    _in_force.clear()


def load_book(rule_set: RuleSet | int) -> Book:
    """A rule set's steps and limits (three queries, then cached for ``CACHE_SECONDS``)."""
    key = rule_set.pk if isinstance(rule_set, RuleSet) else int(rule_set)
    hit = _cache.get(key)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    book = _load_book(rule_set)
    _cache[key] = (now, book)
    return book


def _load_book(rule_set: RuleSet | int) -> Book:
    rs = rule_set if isinstance(rule_set, RuleSet) else RuleSet.objects.get(pk=rule_set)
    steps = {
        s.number: StepRule(
            s.number,
            s.code,
            s.name,
            s.stage,
            s.article,
            s.requirement,
            s.needs_upper,
            s.repeatable,
        )
        for s in StepDef.objects.filter(rule_set=rs)
    }
    limits = {
        x.key: LimitRule(x.key, x.value, x.unit, x.label, x.article, x.tag)
        for x in Limit.objects.filter(rule_set=rs)
    }
    return Book(rs.pk, rs.name, rs.version, steps, limits)


def rule_set_for(day: dt.date) -> RuleSet:
    """The rule set in force on ``day`` (the newest one that has started and not ended);
    cached like the books, so a page that asks several times costs one query."""
    hit = _in_force.get(day)
    now = time.monotonic()
    if hit is not None and now - hit[0] < CACHE_SECONDS:
        return hit[1]
    rs = _rule_set_for(day)
    _in_force[day] = (now, rs)
    return rs


def _rule_set_for(day: dt.date) -> RuleSet:
    from django.db.models import Q

    rs = (
        RuleSet.objects.filter(effective_from__lte=day)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=day))
        .order_by("-effective_from", "-id")
        .first()
    )
    if rs is None:
        rs = RuleSet.objects.order_by("effective_from", "id").first()
    if rs is None:
        raise ValidationError("尚未配置发展党员规则", code="no_rule_set")
    return rs


# --- dates ------------------------------------------------------------------------------------


def date_label(day: dt.date | None) -> str:
    return f"{day.year}年{day.month}月{day.day}日" if day else ""


def years_after(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later; 29 February → 1 March in a common year (a birthday)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def span(months: int) -> str:
    if months % 12 == 0:
        years = months // 12
        return "一年" if years == 1 else f"{years}年"
    return "一个月" if months == 1 else f"{months}个月"


_CN_DIGITS = "零一二三四五六七八九十"


def cn_count(n: int) -> str:
    """Small counts the way the texts write them (三年, 一次); larger ones in digits."""
    return _CN_DIGITS[n] if 0 <= n <= 10 else str(n)


def form_hints(book: Book) -> dict[str, str]:
    """The rule numbers the pages print next to a field, read from the rule set (never typed
    into a template), so a county that edits a number sees it everywhere."""
    m_low, m_high = book.n("mentors_min"), book.n("mentors_max")
    mentors = f"{m_low}名" if m_low == m_high else f"{m_low}至{m_high}名"
    return {
        "min_age": f"递交入党申请书时须年满{book.n('min_age')}周岁{book.limit('min_age').cite}",
        "mentors": f"培养联系人（{mentors}正式党员）",
        "sponsors": f"入党介绍人（{book.n('sponsors')}名正式党员）",
        "notice": (
            f"公示期{book.n('notice_working_days')}个工作日，遇节假日顺延；"
            f"须在支部委员会审查后{book.n('notice_start_within_days')}天内开始"
        ),
        "leaving": f"未来{book.n('departure_months')}个月内将离开工作、学习单位",
        "approval_delay": (
            f"超过{book.n('approval_months')}个月审批的，须填写原因"
            f"（最长不超过{book.n('approval_max_months')}个月）"
        ),
        "extension": (
            f"延长预备期的填写：{book.n('extension_min_months')}至"
            f"{book.n('extension_max_months')}个月，只能延长"
            f"{cn_count(book.n('extensions_allowed'))}次"
        ),
        "talk": f"递交申请后{span(book.n('talk_within_months'))}内未谈话",
        "gap_years": f"{cn_count(book.n('rural_gap_years'))}年",
    }


def notice_end(book: Book, start: dt.date) -> dt.date:
    """The last day of a 公示 that starts on ``start`` (its N-th working day, ``start`` counted)."""
    return add_working_days(start - dt.timedelta(days=1), book.n("notice_working_days"))


def notice_start_latest(book: Book, review_on: dt.date) -> dt.date:
    """The last day the 公示 may start after the 支部委员会审查 of ``review_on`` (that day counted
    as day 0: a review on 1 March with a 60-day limit allows a start up to 30 April)."""
    return review_on + dt.timedelta(days=book.n("notice_start_within_days"))


def check_notice_start(book: Book, review_on: dt.date, start: dt.date) -> None:
    """The 公示 starts on or after the 支部委员会审查 and within the rule set's limit of days."""
    if start < review_on:
        raise ValidationError("公示开始日期不能早于支部委员会审查日期", code="notice_before")
    latest = notice_start_latest(book, review_on)
    if start > latest:
        lim = book.limit("notice_start_within_days")
        raise ValidationError(
            f"公示应在支部委员会审查后{lim.value}{lim.unit}内开始{lim.cite}，"
            f"最迟可于 {date_label(latest)}",
            code="notice_late",
        )


def probation_end(book: Book, admitted_on: dt.date) -> dt.date:
    return add_months(admitted_on, book.n("probation_months"))


# --- the applicant's facts ---------------------------------------------------------------------


@dataclass
class Facts:
    """What the rules read about one applicant: step dates, counts and the probation state."""

    birth_date: dt.date
    done: dict[int, dt.date] = field(default_factory=dict)  # current round; repeatables: last
    first: dict[int, dt.date] = field(default_factory=dict)  # repeatables: first record
    counts: dict[int, int] = field(default_factory=dict)
    data: dict[int, dict] = field(default_factory=dict)  # current round's data per step
    round: int = 1
    previous_round_end: dt.date | None = None  # step 24 of round 1 when extended
    # 支部大会 votes of the current round that were quorate but did not pass (step → dates).
    failed_votes: dict[int, list[dt.date]] = field(default_factory=dict)
    probation_ends_on: dt.date | None = None
    extended: bool = False
    active: bool = True

    def has(self, number: int) -> bool:
        return self.counts.get(number, 0) > 0 if number in REPEATABLE else number in self.done

    def latest_fixed(self) -> tuple[int, dt.date] | None:
        """The latest non-repeatable step done (number, date) — the floor for the next one."""
        fixed = [(d, n) for n, d in self.done.items() if n not in REPEATABLE]
        if self.previous_round_end is not None:
            fixed.append((self.previous_round_end, CONVERSION_APPROVAL))
        if not fixed:
            return None
        d, n = max(fixed)
        return n, d


def vote_failed(data: dict) -> bool:
    """Is this step record a 支部大会 vote that did not pass (a record, not a done step)?"""
    vote = data.get("vote") if isinstance(data, dict) else None
    return isinstance(vote, dict) and vote.get("passed") is False


def facts_from_records(
    *,
    birth_date: dt.date,
    records: list[tuple[int, int, dt.date, dict]],
    extended: bool,
    probation_ends_on: dt.date | None,
    active: bool = True,
) -> Facts:
    """Facts from (number, round, date, data) rows; failed votes are kept apart."""
    current_round = 2 if extended else 1
    f = Facts(
        birth_date=birth_date,
        round=current_round,
        extended=extended,
        probation_ends_on=probation_ends_on,
        active=active,
    )
    for number, rnd, day, data in sorted(records, key=lambda r: (r[2], r[0])):
        if number in CONVERSION_STEPS and rnd != current_round:
            if number == CONVERSION_APPROVAL:
                f.previous_round_end = day
            continue
        if vote_failed(data):
            f.failed_votes.setdefault(number, []).append(day)
            continue
        f.counts[number] = f.counts.get(number, 0) + 1
        f.first.setdefault(number, day)
        f.done[number] = day
        f.data[number] = data
    return f


# --- order, earliest dates, deadlines -----------------------------------------------------------


def next_step(facts: Facts) -> int | None:
    """The step to do next in the fixed order (a repeatable one needs one record to pass)."""
    if not facts.active:
        return None
    for number in range(1, LAST_STEP + 1):
        if not facts.has(number):
            return number
    return None


def may_record_now(facts: Facts, number: int) -> bool:
    """Is ``number`` open now: the next step, or a repeatable 考察 inside its stage."""
    nxt = next_step(facts)
    if nxt is None:
        return False
    if number == nxt:
        return True
    if number == CULTIVATION:
        return facts.has(MENTORS) and nxt <= GENERAL_MEETING
    if number == PROBATION_EDUCATION:
        return facts.has(OATH) and nxt <= CONVERSION_APPROVAL
    return False


@dataclass(frozen=True)
class Bound:
    """A date limit with the sentence that explains it (without the date)."""

    on: dt.date
    message: str
    code: str = "too_early"

    def text(self) -> str:
        return f"{self.message}，最早可于 {date_label(self.on)}"


def earliest(book: Book, number: int, facts: Facts) -> Bound | None:
    """The earliest date allowed for step ``number``, with the rule that sets it."""
    bounds: list[Bound] = []
    step = book.step(number)
    if number == APPLY:
        age = book.limit("min_age")
        bounds.append(
            Bound(
                years_after(facts.birth_date, age.value),
                f"递交入党申请书须年满{age.value}周岁{age.cite}",
                "too_young",
            )
        )
    floor = facts.latest_fixed()
    if number == CULTIVATION:
        floor = (MENTORS, facts.done[MENTORS]) if MENTORS in facts.done else floor
    if number == PROBATION_EDUCATION:
        floor = (OATH, facts.done[OATH]) if OATH in facts.done else floor
    if floor is not None and number != APPLY:
        prev_number, prev_day = floor
        prev = book.step(prev_number)
        bounds.append(
            Bound(
                prev_day,
                f"“{step.name}”不能早于已完成的“{prev.name}”（{date_label(prev_day)}）",
                "before_previous",
            )
        )
    if facts.failed_votes.get(number):
        last = max(facts.failed_votes[number])
        bounds.append(
            Bound(
                last,
                f"新的支部大会不能早于上次表决未通过的支部大会（{date_label(last)}）",
                "before_failed_vote",
            )
        )
    if number == ACTIVIST and APPLY in facts.done:
        lim = book.limit("activist_after_apply_months")
        bounds.append(
            Bound(
                add_months(facts.done[APPLY], lim.value),
                f"确定为入党积极分子须在递交入党申请书满{span(lim.value)}后{lim.cite}",
            )
        )
    if number == CANDIDATE and ACTIVIST in facts.done:
        lim = book.limit("candidate_after_activist_months")
        bounds.append(
            Bound(
                add_months(facts.done[ACTIVIST], lim.value),
                f"确定为发展对象须在确定为入党积极分子满{span(lim.value)}后{lim.cite}",
            )
        )
    if number == PRE_REVIEW and BRANCH_REVIEW in facts.data:
        start = date_of(facts.data[BRANCH_REVIEW].get("notice_start"))
        if start is not None:
            lim = book.limit("notice_working_days")
            end = notice_end(book, start)
            bounds.append(
                Bound(
                    end + dt.timedelta(days=1),
                    f"上级党委预审须在公示满{lim.value}个工作日后{lim.cite}，"
                    f"公示期为{date_label(start)}至{date_label(end)}",
                    "notice_running",
                )
            )
    if number == CONVERSION_APPLY and facts.probation_ends_on is not None:
        lim = book.limit("conversion_apply_months_before")
        bounds.append(
            Bound(
                add_months(facts.probation_ends_on, -lim.value),
                f"转正申请一般在预备期满前{span(lim.value)}内提出{lim.cite}，"
                f"预备期满日为{date_label(facts.probation_ends_on)}",
            )
        )
    if number == CONVERSION_MEETING and facts.probation_ends_on is not None:
        lim = book.limit("probation_months")
        bounds.append(
            Bound(
                facts.probation_ends_on,
                f"支部大会讨论转正须在预备期满后（预备期{span(lim.value)}，{lim.article}）",
                "probation_running",
            )
        )
    if not bounds:
        return None
    return max(bounds, key=lambda b: b.on)


@dataclass(frozen=True)
class Deadline:
    on: dt.date
    label: str
    hard: dt.date | None = None  # a later limit that may not be passed at all


def deadline(book: Book, number: int, facts: Facts) -> Deadline | None:
    """By when step ``number`` should be done, when a rule sets a limit."""
    if number == TALK and APPLY in facts.done:
        lim = book.limit("talk_within_months")
        return Deadline(
            add_months(facts.done[APPLY], lim.value),
            f"收到入党申请书后{span(lim.value)}内派人谈话{lim.cite}",
        )
    if number == APPROVAL and GENERAL_MEETING in facts.done:
        lim, hard = book.limit("approval_months"), book.limit("approval_max_months")
        return Deadline(
            add_months(facts.done[GENERAL_MEETING], lim.value),
            f"支部大会通过后{span(lim.value)}内审批{lim.cite}",
            add_months(facts.done[GENERAL_MEETING], hard.value),
        )
    if number in (CONVERSION_APPLY, CONVERSION_MEETING) and facts.probation_ends_on is not None:
        return Deadline(facts.probation_ends_on, "预备期满应及时讨论转正（党章第七条）")
    if number == CONVERSION_APPROVAL and CONVERSION_MEETING in facts.done:
        lim = book.limit("conversion_approval_months")
        return Deadline(
            add_months(facts.done[CONVERSION_MEETING], lim.value),
            f"支部大会讨论转正后{span(lim.value)}内审批{lim.cite}",
        )
    return None


def review_due(book: Book, facts: Facts) -> Deadline | None:
    """The next half-yearly 考察 of an activist/candidate, until the 支部大会."""
    if ACTIVIST not in facts.done or facts.has(GENERAL_MEETING):
        return None
    lim = book.limit("review_every_months")
    last = facts.done.get(CULTIVATION) or facts.done[ACTIVIST]
    return Deadline(add_months(last, lim.value), f"每{span(lim.value)}考察一次{lim.cite}")


def not_before(due: Deadline | None, bound: Bound | None) -> Deadline | None:
    """A deadline never earlier than the earliest allowed date of the same step.

    A limit counted from an earlier step (``deadline``) can fall before the step becomes
    possible, when a later prerequisite came late (the 上级党委谈话 after the three months, a
    转正申请 after the 预备期). The step is then due on the day it becomes possible, and the label
    says that the limit counted from the earlier step has passed.
    """
    if due is None or bound is None or due.on >= bound.on:
        return due
    return Deadline(
        bound.on,
        f"{due.label}；原定{date_label(due.on)}前办理，已过期限，期限自最早可办理之日"
        f"（{date_label(bound.on)}）起算，应即办理",
        due.hard,
    )


def step_deadline(book: Book, number: int, facts: Facts) -> Deadline | None:
    """By when step ``number`` is due, as tracked and shown: its own limit (``deadline``; the
    考察 step's is the half-yearly 考察), never before its earliest allowed date."""
    due = review_due(book, facts) if number == CULTIVATION else deadline(book, number, facts)
    return not_before(due, earliest(book, number, facts))


@dataclass(frozen=True)
class Outlook:
    """What comes next for an applicant: the step, when it may be done, by when.

    ``due`` is the next step's own deadline (never before ``earliest``); ``review`` is the
    half-yearly 考察 that runs beside the steps from 入党积极分子 to the 支部大会. They are two
    obligations: a 考察 due in June does not make a 发展对象 possible before December.
    """

    step: StepRule | None
    earliest: Bound | None
    due: Deadline | None
    stage: str
    review: Deadline | None = None

    @property
    def next_due(self) -> Deadline | None:
        """The first of the two: what the applicant's queue card tracks."""
        dues = [d for d in (self.due, self.review) if d is not None]
        return min(dues, key=lambda d: d.on) if dues else None


def outlook(book: Book, facts: Facts) -> Outlook:
    nxt = next_step(facts)
    if nxt is None:
        return Outlook(None, None, None, Stage.PROBATION)
    step = book.step(nxt)
    review = step_deadline(book, CULTIVATION, facts) if review_due(book, facts) else None
    return Outlook(
        step, earliest(book, nxt, facts), step_deadline(book, nxt, facts), step.stage, review
    )


def check_order_and_date(
    book: Book, number: int, on: dt.date, facts: Facts, *, today: dt.date
) -> None:
    """Raise ValidationError unless step ``number`` may be recorded on ``on`` now."""
    if number not in book.steps:
        raise ValidationError("没有这个步骤", code="unknown_step")
    if not facts.active:
        raise ValidationError("该同志的发展工作已结束，不能再登记步骤", code="closed")
    if not may_record_now(facts, number):
        nxt = next_step(facts)
        expected = book.step(nxt) if nxt else None
        raise ValidationError(
            f"步骤顺序不对：当前应办理第{nxt}步“{expected.name if expected else ''}”，"
            f"不能登记第{number}步“{book.step(number).name}”",
            code="out_of_order",
        )
    if on > today:
        raise ValidationError("日期不能晚于今天", code="future")
    bound = earliest(book, number, facts)
    if bound is not None and on < bound.on:
        raise ValidationError(bound.text(), code=bound.code)


def vote_check(
    *, entitled: int, present: int, votes_for: int, against: int, abstain: int, article: str
) -> bool:
    """The 支部大会 rules: more than half of the entitled present, or the meeting cannot decide
    (refused); approval by more than half of the entitled (not of those present). A quorate
    vote that does not reach it is a valid outcome: returns whether the resolution passed."""
    if min(entitled, present, votes_for, against, abstain) < 0:
        raise ValidationError("表决人数不能为负数", code="vote_negative")
    if entitled == 0:
        raise ValidationError("请填写应到会有表决权的正式党员人数", code="vote_entitled")
    if present > entitled:
        raise ValidationError("实到人数不能多于应到人数", code="vote_present")
    if votes_for + against + abstain > present:
        raise ValidationError("赞成、反对、弃权票合计不能多于实到人数", code="vote_total")
    if present * 2 <= entitled:
        raise ValidationError(
            f"到会有表决权的正式党员{present}人，未超过应到会{entitled}人的半数，"
            f"不能召开支部大会表决（{article}）",
            code="vote_quorum",
        )
    return votes_for * 2 > entitled


def vote_failed_text(vote: dict) -> str:
    """Why a quorate vote did not pass, for the timeline and the message."""
    return (
        f"赞成{vote.get('for')}票，未超过应到会有表决权的正式党员{vote.get('entitled')}人的半数，"
        "表决未通过"
    )


def date_of(value: object) -> dt.date | None:
    if isinstance(value, dt.date):
        return value
    if isinstance(value, str) and value:
        try:
            return dt.date.fromisoformat(value)
        except ValueError:
            return None
    return None


def stage_of(book: Book, facts: Facts) -> str:
    """Where the applicant stands: the furthest stage of a step done (an activist stays an
    activist until 确定发展对象 is done), or the next step's stage when that opens with a
    repeatable 考察 (after 入党宣誓 the probationary member is in the probation stage)."""
    order = {s: i for i, s in enumerate(Stage.values)}
    done = [book.step(n).stage for n in facts.done if n in book.steps]
    nxt = next_step(facts)
    if nxt is not None and nxt in REPEATABLE:
        done.append(book.step(nxt).stage)
    return max(done, key=order.__getitem__, default=Stage.APPLICANT)
