"""The time rules at their boundaries: the day before, of and after.

National Day 2025 (seeded by core.0002): Oct 1–8 off; Sat Oct 11 is a 调休 working day.
"""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError

from dangjian.core import workdays
from dangjian.recruitment import rules
from dangjian.recruitment.models import RuleSet

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def book() -> rules.Book:
    workdays.clear_cache()
    return rules.load_book(RuleSet.objects.get(version="2014"))


BIRTH = D(1998, 5, 4)


def facts(birth: dt.date = BIRTH, done: dict[int, dt.date] | None = None) -> rules.Facts:
    records = [(n, 1, d, {}) for n, d in (done or {}).items()]
    return rules.facts_from_records(
        birth_date=birth, records=records, extended=False, probation_ends_on=None
    )


def check(book: rules.Book, number: int, on: dt.date, f: rules.Facts) -> None:
    rules.check_order_and_date(book, number, on, f, today=D(2026, 11, 21))


def test_the_2014_rule_set_has_25_steps_in_five_stages_with_articles(book) -> None:
    assert sorted(book.steps) == list(range(1, 26))
    assert {s.stage for s in book.steps.values()} == {
        "applicant", "activist", "candidate", "admission", "probation"
    }  # fmt: skip
    assert book.step(7).article == "第十三条"
    assert book.limit("candidate_after_activist_months").value == 12


def test_admission_age_and_probation_come_from_the_member_rules(book) -> None:
    from dangjian.members.rules import STATUS_RULES

    assert book.n("min_age") == STATUS_RULES.admission_min_age
    assert book.n("probation_months") == STATUS_RULES.probation_months


@pytest.mark.parametrize(
    ("on", "ok"), [(D(2016, 5, 3), False), (D(2016, 5, 4), True), (D(2016, 5, 5), True)]
)
def test_applying_on_the_18th_birthday_exactly(book, on, ok) -> None:
    f = facts(birth=D(1998, 5, 4))
    if ok:
        check(book, rules.APPLY, on, f)
    else:
        with pytest.raises(ValidationError) as exc:
            check(book, rules.APPLY, on, f)
        assert exc.value.messages == ["递交入党申请书须年满18周岁（第五条），最早可于 2016年5月4日"]


def test_a_29_february_birthday_turns_18_on_1_march(book) -> None:
    f = facts(birth=D(2004, 2, 29))
    with pytest.raises(ValidationError, match="最早可于 2022年3月1日"):
        check(book, rules.APPLY, D(2022, 2, 28), f)
    check(book, rules.APPLY, D(2022, 3, 1), f)


@pytest.mark.parametrize(
    ("on", "ok"), [(D(2025, 3, 1), False), (D(2025, 3, 2), True), (D(2025, 3, 3), True)]
)
def test_candidate_one_year_after_activist_exactly(book, on, ok) -> None:
    f = facts(
        done={1: D(2023, 1, 5), 2: D(2023, 1, 20), 3: D(2024, 3, 2), 4: D(2024, 3, 5),
              5: D(2024, 3, 6), 6: D(2024, 9, 1)}
    )  # fmt: skip
    if ok:
        check(book, rules.CANDIDATE, on, f)
    else:
        with pytest.raises(ValidationError) as exc:
            check(book, rules.CANDIDATE, on, f)
        assert exc.value.messages == [
            "确定为发展对象须在确定为入党积极分子满一年后（第十三条），最早可于 2025年3月2日"
        ]


@pytest.mark.parametrize(
    ("on", "ok"), [(D(2023, 7, 4), False), (D(2023, 7, 5), True), (D(2023, 7, 6), True)]
)
def test_activist_six_months_after_application_is_local_practice(book, on, ok) -> None:
    f = facts(done={1: D(2023, 1, 5), 2: D(2023, 1, 20)})
    if ok:
        check(book, rules.ACTIVIST, on, f)
    else:
        with pytest.raises(ValidationError, match="地方做法"):
            check(book, rules.ACTIVIST, on, f)


def test_talk_deadline_is_one_month_after_the_application(book) -> None:
    f = facts(done={1: D(2025, 1, 31)})
    due = rules.deadline(book, rules.TALK, f)
    assert due is not None
    assert due.on == D(2025, 2, 28)
    assert "第七条" in due.label


@pytest.mark.parametrize(
    ("start", "end", "first_review"),
    [
        # Mon 29 Sep: 29, 30 Sep, (1–8 Oct off), 9, 10 Oct, Sat 11 Oct (调休) = 5 working days.
        (D(2025, 9, 29), D(2025, 10, 11), D(2025, 10, 12)),
        # An ordinary week: Mon 13 – Fri 17 Oct.
        (D(2025, 10, 13), D(2025, 10, 17), D(2025, 10, 18)),
        # Starting on a holiday: 9, 10, Sat 11 (调休), 13, 14 Oct.
        (D(2025, 10, 3), D(2025, 10, 14), D(2025, 10, 15)),
    ],
)
def test_public_notice_counts_working_days_across_national_day(
    book, start, end, first_review
) -> None:
    assert rules.notice_end(book, start) == end
    f = facts(done={1: D(2023, 1, 5)})
    f.done = {n: D(2025, 1, 1) for n in range(1, 13)}
    f.counts = {6: 1}
    f.data = {rules.BRANCH_REVIEW: {"notice_start": start.isoformat()}}
    bound = rules.earliest(book, rules.PRE_REVIEW, f)
    assert bound is not None
    assert bound.on == first_review
    with pytest.raises(ValidationError, match="公示满5个工作日"):
        check(book, rules.PRE_REVIEW, first_review - dt.timedelta(days=1), f)
    check(book, rules.PRE_REVIEW, first_review, f)


def _admitted(book: rules.Book, meeting: dt.date) -> rules.Facts:
    f = facts()
    f.done = {n: meeting - dt.timedelta(days=30) for n in range(1, 15)}
    f.done[rules.GENERAL_MEETING] = meeting
    f.counts = {6: 1}
    return f


def test_approval_deadline_is_three_months_hard_limit_six(book) -> None:
    f = _admitted(book, D(2025, 1, 15))
    due = rules.deadline(book, rules.APPROVAL, f)
    assert due is not None
    assert due.on == D(2025, 4, 15)
    assert due.hard == D(2025, 7, 15)


def test_probation_ends_one_year_after_the_general_meeting(book) -> None:
    assert rules.probation_end(book, D(2025, 3, 10)) == D(2026, 3, 10)
    assert rules.probation_end(book, D(2024, 2, 29)) == D(2025, 2, 28)


@pytest.mark.parametrize(
    ("number", "on", "ok"),
    [
        (rules.CONVERSION_MEETING, D(2026, 3, 9), False),
        (rules.CONVERSION_MEETING, D(2026, 3, 10), True),
        (rules.CONVERSION_MEETING, D(2026, 3, 11), True),
        (rules.CONVERSION_APPLY, D(2026, 2, 9), False),
        (rules.CONVERSION_APPLY, D(2026, 2, 10), True),
    ],
)
def test_conversion_dates_follow_the_probation_end(book, number, on, ok) -> None:
    f = facts()
    f.done = {n: D(2025, 3, 10) for n in range(1, 21)}
    f.counts = {6: 1, 21: 1}
    if number == rules.CONVERSION_MEETING:
        f.done[rules.CONVERSION_APPLY] = D(2026, 2, 20)
    f.probation_ends_on = D(2026, 3, 10)
    if ok:
        check(book, number, on, f)
    else:
        with pytest.raises(ValidationError, match="预备期满"):
            check(book, number, on, f)


def test_a_step_out_of_order_names_the_step_that_is_due(book) -> None:
    f = facts(done={1: D(2025, 1, 5)})
    with pytest.raises(ValidationError) as exc:
        check(book, rules.CANDIDATE, D(2026, 1, 5), f)
    assert exc.value.messages == [
        "步骤顺序不对：当前应办理第2步“党组织派人谈话”，不能登记第7步“确定发展对象”"
    ]


@pytest.mark.parametrize(
    ("entitled", "present", "votes_for", "outcome"),
    [
        (20, 10, 10, "vote_quorum"),  # exactly half present: the meeting cannot decide
        (20, 11, 10, False),  # quorate, 10 ayes of 20 entitled is exactly half: not passed
        (20, 11, 11, True),  # half + 1 of the entitled: passed
        (20, 20, 10, False),  # everyone present, still only half of the entitled
        (7, 4, 4, True),
        (7, 4, 3, False),
        (7, 3, 3, "vote_quorum"),
        (20, 21, 11, "vote_present"),
        (20, 11, 12, "vote_total"),
    ],
)
def test_vote_needs_more_than_half_present_and_more_than_half_of_the_entitled(
    entitled, present, votes_for, outcome
) -> None:
    kwargs = {"entitled": entitled, "present": present, "votes_for": votes_for, "against": 0,
              "abstain": 0, "article": "第二十二条"}  # fmt: skip
    if isinstance(outcome, bool):
        assert rules.vote_check(**kwargs) is outcome
        return
    with pytest.raises(ValidationError) as exc:
        rules.vote_check(**kwargs)
    assert exc.value.code == outcome


def test_a_failed_vote_is_kept_apart_and_a_new_vote_may_follow(book) -> None:
    failed = {"vote": {"entitled": 20, "present": 15, "for": 10, "passed": False}}
    records = [(n, 1, D(2025, 6, 1), {}) for n in range(1, 15)]
    records.append((rules.GENERAL_MEETING, 1, D(2025, 7, 1), failed))
    f = rules.facts_from_records(
        birth_date=BIRTH, records=records, extended=False, probation_ends_on=None
    )
    assert rules.next_step(f) == rules.GENERAL_MEETING
    assert f.failed_votes == {rules.GENERAL_MEETING: [D(2025, 7, 1)]}
    assert rules.stage_of(book, f) == "admission"  # still a 发展对象, not a 预备党员
    with pytest.raises(ValidationError) as exc:
        check(book, rules.GENERAL_MEETING, D(2025, 6, 30), f)
    assert exc.value.code == "before_failed_vote"
    check(book, rules.GENERAL_MEETING, D(2025, 7, 1), f)
    check(book, rules.GENERAL_MEETING, D(2025, 7, 2), f)


@pytest.mark.parametrize(
    ("done", "stage"),
    [
        ([1], "applicant"),
        ([1, 2], "applicant"),
        ([1, 2, 3], "activist"),
        ([1, 2, 3, 4, 5, 6], "activist"),  # waiting for 确定发展对象: still an activist
        ([*range(1, 8)], "candidate"),
        ([*range(1, 13)], "admission"),
        ([*range(1, 21)], "probation"),  # after the oath: the 考察 of the probation stage is open
        ([*range(1, 22)], "probation"),
    ],
)
def test_the_stage_is_where_the_applicant_stands(book, done, stage) -> None:
    f = facts(done={n: D(2024, 1, 1) for n in done})
    assert rules.stage_of(book, f) == stage


@pytest.mark.parametrize(
    ("start", "ok"),
    [
        (D(2025, 2, 28), False),  # the day before the review
        (D(2025, 3, 1), True),  # the review's own day
        (D(2025, 4, 29), True),  # day 59
        (D(2025, 4, 30), True),  # day 60: the last day allowed
        (D(2025, 5, 1), False),  # day 61
    ],
)
def test_the_notice_starts_within_the_local_limit_after_the_branch_review(book, start, ok) -> None:
    review = D(2025, 3, 1)
    if ok:
        rules.check_notice_start(book, review, start)
        return
    with pytest.raises(ValidationError) as exc:
        rules.check_notice_start(book, review, start)
    if start > review:
        assert exc.value.code == "notice_late"
        assert exc.value.messages == [
            "公示应在支部委员会审查后60天内开始（第十九条未规定天数，地方做法），"
            "最迟可于 2025年4月30日"
        ]
    else:
        assert exc.value.code == "notice_before"


def test_the_notice_start_limit_is_data_a_county_can_edit(book) -> None:
    from dangjian.recruitment.models import Limit

    row = Limit.objects.get(rule_set_id=book.rule_set_id, key="notice_start_within_days")
    assert (row.value, row.tag) == (60, "local")
    row.value = 30
    row.save()
    rules.clear_cache()
    edited = rules.load_book(book.rule_set_id)
    rules.check_notice_start(edited, D(2025, 3, 1), D(2025, 3, 31))
    with pytest.raises(ValidationError, match="审查后30天内开始"):
        rules.check_notice_start(edited, D(2025, 3, 1), D(2025, 4, 1))
    assert "须在支部委员会审查后30天内开始" in rules.form_hints(edited)["notice"]


def test_page_hints_read_the_rule_numbers(book) -> None:
    hints = rules.form_hints(book)
    assert hints["mentors"] == "培养联系人（1至2名正式党员）"
    assert hints["sponsors"] == "入党介绍人（2名正式党员）"
    assert hints["leaving"] == "未来3个月内将离开工作、学习单位"
    assert hints["extension"] == "延长预备期的填写：6至12个月，只能延长一次"
    assert hints["gap_years"] == "三年"
    assert hints["talk"] == "递交申请后一个月内未谈话"


def test_a_local_rule_whose_article_says_so_is_not_labelled_twice(book) -> None:
    assert book.limit("notice_working_days").cite == "（地方做法）"
    assert book.limit("activist_after_apply_months").cite == "（第八条，地方做法）"
