"""A deadline is never earlier than the earliest allowed date of the same step.

The page once showed 办理期限 2026-06-01 next to 最早可于 2026-12-01: the half-yearly 考察 was
shown as the deadline of 确定发展对象. The 考察 is its own obligation (``Outlook.review``); a
step's own deadline is moved to its earliest allowed date when a late prerequisite puts the
limit counted from an earlier step before it (``rules.not_before``).
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from dangjian.core import workdays
from dangjian.recruitment import rules
from dangjian.recruitment.models import RuleSet

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def book() -> rules.Book:
    workdays.clear_cache()
    return rules.load_book(RuleSet.objects.get(version="2014"))


def facts(done: dict[int, dt.date], *, probation_ends_on: dt.date | None = None) -> rules.Facts:
    return rules.facts_from_records(
        birth_date=D(1998, 5, 4),
        records=[(n, 1, d, {}) for n, d in done.items()],
        extended=False,
        probation_ends_on=probation_ends_on,
    )


def upto(last: int, on: dt.date, **extra: dt.date) -> dict[int, dt.date]:
    return dict.fromkeys(range(1, last + 1), on) | {int(k[1:]): v for k, v in extra.items()}


def test_the_half_yearly_review_is_not_the_candidate_steps_deadline(book) -> None:
    # Activist and last 考察 on 1 Dec 2025: 发展对象 from 1 Dec 2026, next 考察 by 1 Jun 2026.
    f = facts(upto(6, D(2025, 12, 1)))
    view = rules.outlook(book, f)
    assert view.step is not None
    assert view.step.number == rules.CANDIDATE
    assert view.earliest is not None
    assert view.earliest.on == D(2026, 12, 1)
    assert view.due is None  # 确定发展对象 has no deadline of its own
    assert view.review is not None
    assert view.review.on == D(2026, 6, 1)
    assert "考察一次" in view.review.label
    assert view.next_due == view.review  # the queue still tracks the 考察


@pytest.mark.parametrize(
    ("talk_on", "due_on", "moved"),
    [
        (D(2025, 4, 14), D(2025, 4, 15), False),  # the day before the three months
        (D(2025, 4, 15), D(2025, 4, 15), False),  # the day of
        (D(2025, 4, 16), D(2025, 4, 16), True),  # the day after: due on the earliest date
    ],
)
def test_an_approval_whose_talk_came_late_is_due_when_it_becomes_possible(
    book, talk_on, due_on, moved
) -> None:
    # 支部大会 on 15 Jan 2025: approval within three months (15 Apr); 上级谈话 (16) on talk_on.
    f = facts(upto(15, D(2025, 1, 15), s16=talk_on))
    due = rules.step_deadline(book, rules.APPROVAL, f)
    bound = rules.earliest(book, rules.APPROVAL, f)
    assert due is not None
    assert bound is not None
    assert due.on == due_on >= bound.on
    assert ("原定2025年4月15日前办理" in due.label) is moved
    assert due.hard == D(2025, 7, 15)  # the six-month limit is the rule's, never moved


def test_a_late_conversion_application_makes_the_meeting_due_at_once(book) -> None:
    end = D(2026, 3, 10)
    f = facts(upto(21, D(2025, 3, 10), s22=D(2026, 4, 1)), probation_ends_on=end)
    view = rules.outlook(book, f)
    assert view.step is not None
    assert view.step.number == rules.CONVERSION_MEETING
    assert view.earliest is not None
    assert view.earliest.on == D(2026, 4, 1)
    assert view.due is not None
    assert view.due.on == D(2026, 4, 1)
    assert "原定2026年3月10日前办理" in view.due.label


def test_the_review_is_never_due_before_mentors_are_assigned(book) -> None:
    # Activist in Jan; 培养联系人 assigned in October: the first 考察 cannot come before them.
    f = facts(upto(3, D(2025, 1, 10), s4=D(2025, 10, 1), s5=D(2025, 10, 1)))
    due = rules.step_deadline(book, rules.CULTIVATION, f)
    assert due is not None
    assert due.on == D(2025, 10, 1)


# --- the property: every step, every history ----------------------------------------------------

gaps = st.lists(st.integers(min_value=0, max_value=700), min_size=1, max_size=25)


@settings(
    max_examples=300, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    gaps=gaps,
    start=st.dates(min_value=D(2018, 1, 1), max_value=D(2026, 12, 31)),
    cultivations=st.integers(min_value=0, max_value=3),
    failed_vote=st.booleans(),
)
def test_no_deadline_is_earlier_than_the_earliest_allowed_date(
    book, gaps, start, cultivations, failed_vote
) -> None:
    records: list[tuple[int, int, dt.date, dict]] = []
    on = start
    for number, gap in enumerate(gaps, start=1):
        on += dt.timedelta(days=gap)
        data: dict = {}
        if number == rules.BRANCH_REVIEW:
            data = {"notice_start": on.isoformat()}
        records.append((number, 1, on, data))
        if number == rules.CULTIVATION:
            for k in range(cultivations):
                records.append((number, 1, on + dt.timedelta(days=90 * (k + 1)), {}))
    last = len(gaps)
    if failed_vote and last + 1 in (rules.GENERAL_MEETING, rules.CONVERSION_MEETING):
        records.append((last + 1, 1, on + dt.timedelta(days=30), {"vote": {"passed": False}}))
    meeting = next((d for n, _r, d, _x in records if n == rules.GENERAL_MEETING), None)
    f = rules.facts_from_records(
        birth_date=D(1990, 1, 1),
        records=records,
        extended=False,
        probation_ends_on=rules.probation_end(book, meeting) if meeting else None,
    )
    for number in book.steps:
        due = rules.step_deadline(book, number, f)
        bound = rules.earliest(book, number, f)
        if due is not None and bound is not None:
            assert due.on >= bound.on, (number, due, bound)
    view = rules.outlook(book, f)
    if view.due is not None and view.earliest is not None:
        assert view.due.on >= view.earliest.on
    if view.review is not None:
        bound = rules.earliest(book, rules.CULTIVATION, f)
        assert bound is None or view.review.on >= bound.on
