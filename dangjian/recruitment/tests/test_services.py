"""Recording steps through the services: effects on the member registry, bad input, permissions."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core.models import AuditLog
from dangjian.core.workdays import add_months
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.recruitment import rules, services
from dangjian.recruitment.models import Applicant, RuleSet, StepRecord
from dangjian.recruitment.tests.factories import make_applicant, sponsors, step_payload, walk

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def elders(tree, people) -> list[int]:
    return [m.pk for m in sponsors(people.county_admin, tree.village_a1)]


def snapshot(applicant: Applicant) -> tuple:
    applicant.refresh_from_db()
    return (
        applicant.next_step,
        applicant.stage,
        StepRecord.objects.filter(applicant=applicant).count(),
        Member.objects.count(),
        applicant.status,
    )


def test_registering_records_step_one_and_sets_the_talk_deadline(tree, people) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2026, 10, 31))
    assert a.next_step == rules.TALK
    assert a.stage == "applicant"
    assert a.due_on == D(2026, 11, 30)
    assert a.rule_set.version == "2014"
    assert StepRecord.objects.get(applicant=a).number == rules.APPLY
    assert a.id_number_masked.count("*") == 12
    assert AuditLog.objects.filter(action="recruit.create", object_id=str(a.pk)).exists()


def test_an_applicant_under_18_is_refused_and_nothing_is_written(tree, people) -> None:
    with pytest.raises(ValidationError) as exc:
        make_applicant(
            people.village_secretary,
            tree.village_a1,
            birth=D(2008, 11, 22),
            applied_on=D(2026, 11, 21),
        )
    assert exc.value.message_dict["applied_on"] == [
        "递交入党申请书须年满18周岁（第五条），最早可于 2026年11月22日"
    ]
    assert not Applicant.objects.exists()


def test_a_whole_pipeline_creates_then_converts_the_member(tree, people, elders) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2022, 3, 1))
    walk(people.township_a, a, upto=25, people=elders)
    a.refresh_from_db()
    assert a.status == Applicant.Status.FULL
    member = a.member
    assert member is not None
    member.refresh_from_db()
    meeting = StepRecord.objects.get(applicant=a, number=rules.GENERAL_MEETING).done_on
    assert member.joined_on == meeting == a.admitted_on
    assert a.probation_ends_on == D(meeting.year + 1, meeting.month, meeting.day)
    assert member.category == Member.Category.FULL
    assert member.full_member_on == a.probation_ends_on == a.full_on
    assert StepRecord.objects.filter(applicant=a).values("number").distinct().count() == 25


def test_accepting_creates_a_probationary_member_joined_on_the_meeting_date(
    tree, people, elders
) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2022, 3, 1))
    walk(people.township_a, a, upto=rules.APPROVAL, people=elders)
    a.refresh_from_db()
    assert a.member.category == Member.Category.PROBATIONARY
    assert a.member.joined_on == a.admitted_on
    assert a.member.events.filter(increase_reason="11").exists()
    assert a.stage == "admission"
    assert a.next_step == 18


def _to_meeting(people, tree, elders, meeting: dt.date) -> Applicant:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2021, 3, 1))
    walk(people.township_a, a, upto=16, people=elders,
         overrides={rules.GENERAL_MEETING: {}})  # fmt: skip
    # Move the 支部大会 and the 上级派人谈话 to the dates the test needs.
    StepRecord.objects.filter(applicant=a, number=rules.GENERAL_MEETING).update(done_on=meeting)
    StepRecord.objects.filter(applicant=a, number=16).update(done_on=meeting)
    return a


@pytest.mark.parametrize(
    ("on", "reason", "error"),
    [
        (D(2025, 4, 15), "", None),  # three months exactly
        (D(2025, 4, 16), "", "delay_reason"),
        (D(2025, 4, 16), "审批会议延期", None),
        (D(2025, 7, 15), "审批会议延期", None),  # six months exactly
        (D(2025, 7, 16), "审批会议延期", "approval_expired"),
    ],
)
def test_approval_within_three_months_or_six_with_a_reason(
    tree, people, elders, on, reason, error
) -> None:
    a = _to_meeting(people, tree, elders, D(2025, 1, 15))
    kwargs = {"actor": people.township_a, "applicant": a, "number": rules.APPROVAL, "done_on": on,
              "data": {"outcome": "approved", "delay_reason": reason}}  # fmt: skip
    if error is None:
        record = services.step_record(**kwargs)
        assert record.is_late == (on > D(2025, 4, 15))
        return
    before = snapshot(a)
    with pytest.raises(ValidationError) as exc:
        services.step_record(**kwargs)
    assert exc.value.error_dict[next(iter(exc.value.error_dict))][0].code == error
    assert snapshot(a) == before


def test_a_step_out_of_order_changes_nothing(tree, people) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2024, 3, 1))
    before = snapshot(a)
    with pytest.raises(ValidationError, match="当前应办理第2步"):
        services.step_record(
            actor=people.village_secretary, applicant=a, number=rules.ACTIVIST,
            done_on=D(2025, 3, 1), data={"method": "member"},
        )  # fmt: skip
    assert snapshot(a) == before


def test_a_date_before_the_earliest_names_the_rule_and_the_date(tree, people, elders) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2023, 1, 5))
    walk(people.village_secretary, a, upto=6, people=elders)
    a.refresh_from_db()
    activist = StepRecord.objects.get(applicant=a, number=rules.ACTIVIST).done_on
    before = snapshot(a)
    day_before = D(activist.year + 1, activist.month, activist.day) - dt.timedelta(days=1)
    with pytest.raises(ValidationError) as exc:
        services.step_record(
            actor=people.village_secretary, applicant=a, number=rules.CANDIDATE, done_on=day_before
        )
    earliest = rules.date_label(D(activist.year + 1, activist.month, activist.day))
    assert exc.value.message_dict["done_on"] == [
        f"确定为发展对象须在确定为入党积极分子满一年后（第十三条），最早可于 {earliest}"
    ]
    assert snapshot(a) == before
    assert a.next_earliest_on == D(activist.year + 1, activist.month, activist.day)


def test_a_probationary_sponsor_is_refused(tree, people, elders) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2022, 3, 1))
    walk(people.village_secretary, a, upto=8, people=elders)
    young = make_member(people.county_admin, tree.village_a1, name="新党员", category="probationary",
                        joined_on=D(2026, 1, 10))  # fmt: skip
    before = snapshot(a)
    with pytest.raises(ValidationError) as exc:
        services.step_record(
            actor=people.village_secretary, applicant=a, number=rules.SPONSORS,
            done_on=D(2024, 12, 1), people=[elders[0], young.pk],
        )  # fmt: skip
    assert exc.value.message_dict["people"] == [
        "入党介绍人须是正式党员（第十四条），新党员是预备党员"
    ]
    assert snapshot(a) == before


def test_a_sponsor_from_outside_the_scope_is_refused(tree, people, elders) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2022, 3, 1))
    walk(people.village_secretary, a, upto=8, people=elders)
    stranger = make_member(people.county_admin, tree.village_b1, name="外镇党员")
    with pytest.raises(ValidationError, match="不在甲镇党委范围内"):
        services.step_record(
            actor=people.village_secretary, applicant=a, number=rules.SPONSORS,
            done_on=D(2024, 12, 1), people=[elders[0], stranger.pk],
        )  # fmt: skip
    with pytest.raises(ValidationError, match="入党介绍人应为2名正式党员"):
        services.step_record(
            actor=people.village_secretary, applicant=a, number=rules.SPONSORS,
            done_on=D(2024, 12, 1), people=[elders[0]],
        )  # fmt: skip
    assert not StepRecord.objects.filter(applicant=a, number=rules.SPONSORS).exists()


def test_a_vote_without_quorum_changes_nothing(tree, people, elders) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2022, 3, 1))
    walk(people.township_a, a, upto=14, people=elders)
    before = snapshot(a)
    with pytest.raises(ValidationError) as exc:
        services.step_record(
            actor=people.village_secretary, applicant=a, number=rules.GENERAL_MEETING,
            done_on=D(2026, 1, 10),
            data={"entitled": 20, "present": 10, "votes_for": 10},
        )  # fmt: skip
    assert exc.value.messages == [
        "到会有表决权的正式党员10人，未超过应到会20人的半数，不能召开支部大会表决（第二十二条）"
    ]
    assert snapshot(a) == before


def test_short_training_and_a_failed_review_are_refused(tree, people, elders) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2022, 3, 1))
    walk(people.village_secretary, a, upto=9, people=elders)
    with pytest.raises(ValidationError, match="政治审查不合格的，不能发展入党"):
        services.step_record(
            actor=people.village_secretary, applicant=a, number=rules.POLITICAL_REVIEW,
            done_on=D(2025, 6, 1), data={"result": "fail"},
        )  # fmt: skip
    walk(people.village_secretary, a, upto=10, people=elders)
    with pytest.raises(ValidationError, match="不少于3天或24个学时"):
        services.step_record(
            actor=people.village_secretary, applicant=a, number=rules.TRAINING,
            done_on=D(2025, 6, 1), data={"days": 2, "hours": 16},
        )  # fmt: skip


def test_the_upper_committees_steps_need_recruit_approve_above(tree, people, elders) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2022, 3, 1))
    walk(people.village_secretary, a, upto=12, people=elders)
    with pytest.raises(PermissionDenied, match="由上级党委办理"):
        services.step_record(
            actor=people.village_secretary, applicant=a, number=rules.PRE_REVIEW,
            done_on=D(2025, 12, 1),
        )  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.step_record(
            actor=people.township_b, applicant=a, number=rules.PRE_REVIEW, done_on=D(2025, 12, 1)
        )


def test_extension_moves_the_probation_end_once_only(tree, people, elders) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2021, 3, 1))
    ext = {**step_payload(rules.CONVERSION_MEETING, [])["data"], "outcome": "extend",
           "extend_months": 6}  # fmt: skip
    walk(people.township_a, a, upto=24, people=elders, overrides={23: {"data": ext}})
    a.refresh_from_db()
    first_end = rules.probation_end(rules.load_book(a.rule_set_id), a.admitted_on)
    assert a.extended
    assert a.probation_ends_on == add_months(first_end, 6)
    assert a.member.category == Member.Category.PROBATIONARY
    assert a.next_step == rules.CONVERSION_APPLY
    walk(people.township_a, a, upto=22, people=elders)
    a.refresh_from_db()
    with pytest.raises(ValidationError, match="预备期只能延长1次"):
        services.step_record(
            actor=people.village_secretary, applicant=a, number=rules.CONVERSION_MEETING,
            done_on=a.probation_ends_on, data={**ext},
        )  # fmt: skip


def test_cancellation_moves_the_member_to_the_history(tree, people, elders) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2021, 3, 1))
    cancel = {**step_payload(rules.CONVERSION_MEETING, [])["data"], "outcome": "cancel"}
    walk(people.township_a, a, upto=24, people=elders, overrides={23: {"data": cancel}})
    a.refresh_from_db()
    assert a.status == Applicant.Status.CANCELLED
    assert a.next_step is None
    a.member.refresh_from_db()
    assert a.member.status == Member.Status.FORMER
    assert a.member.leave_reason == "214"


def test_the_same_person_cannot_be_registered_twice(tree, people) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1)
    from dangjian.core import crypto

    number = crypto.decrypt(a.id_number_enc)
    with pytest.raises(ValidationError, match="已有正在办理的入党申请"):
        services.applicant_create(
            actor=people.village_secretary, org=tree.village_a1,
            data={"name": "重复", "id_number": number, "education": "21", "job": "1",
                  "applied_on": "2023-01-01"},
        )  # fmt: skip


def test_stopping_ends_the_pipeline(tree, people) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1)
    services.applicant_stop(
        actor=people.village_secretary, applicant=a, reason="外出务工，本人申请暂缓"
    )
    a.refresh_from_db()
    assert a.status == Applicant.Status.STOPPED
    assert a.next_step is None
    assert a.due_on is None
    with pytest.raises(ValidationError, match="已结束"):
        services.step_record(
            actor=people.village_secretary, applicant=a, number=rules.TALK, done_on=D(2022, 3, 5)
        )


def test_a_late_talk_is_recorded_and_marked_late(tree, people) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2026, 1, 10))
    record = services.step_record(
        actor=people.village_secretary, applicant=a, number=rules.TALK, done_on=D(2026, 2, 11),
        people_names="张书记",
    )  # fmt: skip
    assert record.is_late


def _revised_rule_set(effective_from: dt.date) -> RuleSet:
    """A revision as an administrator would add it: a copy with one number changed."""
    old = RuleSet.objects.get(version="2014")
    new = RuleSet.objects.create(
        name="《中国共产党发展党员工作细则》",
        version="2026修订",
        source="测试",
        effective_from=effective_from,
    )
    for s in old.steps.all():
        s.pk, s.rule_set = None, new
        s.save()
    for x in old.limits.all():
        x.pk, x.rule_set = None, new
        if x.key == "activist_after_apply_months":
            x.value = 3
        x.save()
    rules.clear_cache()
    return new


def test_a_revised_rule_set_applies_to_new_applicants_only(tree, people) -> None:
    before = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2026, 1, 5))
    services.step_record(actor=people.village_secretary, applicant=before, number=rules.TALK,
                         done_on=D(2026, 1, 20))  # fmt: skip
    revised = _revised_rule_set(D(2026, 6, 1))
    after = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2026, 6, 2))
    assert after.rule_set == revised
    before.refresh_from_db()
    assert before.rule_set.version == "2014"
    assert before.next_earliest_on == D(2026, 7, 5)  # six months under the 2014 set
    services.step_record(actor=people.village_secretary, applicant=after, number=rules.TALK,
                         done_on=D(2026, 6, 10))  # fmt: skip
    after.refresh_from_db()
    assert after.next_earliest_on == D(2026, 9, 2)  # three months under the revision
    # Moving deliberately is the upper committee's decision, audited.
    with pytest.raises(PermissionDenied):
        services.applicant_move_rule_set(
            actor=people.village_secretary, applicant=before, rule_set=revised
        )
    services.applicant_move_rule_set(actor=people.township_a, applicant=before, rule_set=revised)
    before.refresh_from_db()
    assert before.next_earliest_on == D(2026, 4, 5)
    assert AuditLog.objects.filter(action="recruit.rule_set", object_id=str(before.pk)).exists()
    rules.clear_cache()


def test_training_needs_three_days_or_24_hours(tree, people, elders) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2022, 3, 1))
    walk(people.village_secretary, a, upto=10, people=elders)
    kwargs = {"actor": people.village_secretary, "applicant": a, "number": rules.TRAINING,
              "done_on": D(2025, 6, 1)}  # fmt: skip
    for days, hours in ((2, 23), (0, 23), (2, 0)):
        with pytest.raises(ValidationError, match="不少于3天或24个学时"):
            services.step_record(**kwargs, data={"days": days, "hours": hours})
    services.step_record(**kwargs, data={"days": 0, "hours": 24})


def test_extension_is_six_to_twelve_months(tree, people, elders) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2021, 3, 1))
    walk(people.township_a, a, upto=22, people=elders)
    a.refresh_from_db()
    vote = {**step_payload(rules.CONVERSION_MEETING, [])["data"], "outcome": "extend"}
    kwargs = {"actor": people.village_secretary, "applicant": a,
              "number": rules.CONVERSION_MEETING, "done_on": a.probation_ends_on}  # fmt: skip
    before = snapshot(a)
    for months in (5, 13):
        with pytest.raises(ValidationError, match="不能少于6个月，最长不超过12个月"):
            services.step_record(**kwargs, data={**vote, "extend_months": months})
    assert snapshot(a) == before
    services.step_record(**kwargs, data={**vote, "extend_months": 12})
    services.step_record(actor=people.township_a, applicant=a, number=rules.CONVERSION_APPROVAL,
                         done_on=a.probation_ends_on)  # fmt: skip
    a.refresh_from_db()
    assert a.probation_ends_on == add_months(
        rules.probation_end(rules.load_book(a.rule_set_id), a.admitted_on), 12
    )


def _ready_for_vote(tree, people, elders) -> Applicant:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2022, 3, 1))
    return walk(people.township_a, a, upto=14, people=elders)


def _vote(people, a: Applicant, on: dt.date, ayes: int, **extra) -> StepRecord:
    return services.step_record(
        actor=people.village_secretary, applicant=a, number=rules.GENERAL_MEETING, done_on=on,
        data={"entitled": 20, "present": 15, "votes_for": ayes, "votes_against": 15 - ayes,
              "votes_abstain": 0, **extra},
    )  # fmt: skip


def test_a_quorate_vote_with_exactly_half_ayes_is_recorded_as_not_passed(
    tree, people, elders
) -> None:
    a = _ready_for_vote(tree, people, elders)
    members_before = Member.objects.count()
    record = _vote(people, a, D(2026, 1, 10), ayes=10)
    a.refresh_from_db()
    assert record.failed is True
    assert record.data["vote"] == {
        "entitled": 20, "present": 15, "for": 10, "against": 5, "abstain": 0, "passed": False
    }  # fmt: skip
    # The meeting happened; the 发展对象 is not admitted and the vote is due again.
    assert a.next_step == rules.GENERAL_MEETING
    assert a.stage == "admission"
    assert a.status == Applicant.Status.ACTIVE
    assert a.vote_failed_on == D(2026, 1, 10)
    assert a.admitted_on is None
    assert a.member_id is None
    assert Member.objects.count() == members_before
    assert AuditLog.objects.filter(action="recruit.vote_failed", object_id=str(a.pk)).exists()
    # A new 支部大会 may decide later (not before the failed one); half + 1 passes.
    with pytest.raises(ValidationError, match="不能早于上次表决未通过的支部大会"):
        _vote(people, a, D(2026, 1, 9), ayes=11)
    second = _vote(people, a, D(2026, 3, 5), ayes=11)
    a.refresh_from_db()
    assert second.failed is False
    assert second.data["vote"]["passed"] is True
    assert a.next_step == 16
    assert a.vote_failed_on is None
    assert list(
        StepRecord.objects.filter(applicant=a, number=rules.GENERAL_MEETING)
        .order_by("done_on")
        .values_list("failed", flat=True)
    ) == [True, False]
    walk(people.township_a, a, upto=rules.APPROVAL, people=elders)
    a.refresh_from_db()
    assert a.admitted_on == D(2026, 3, 5)  # joined on the date of the vote that passed


def test_a_passed_vote_cannot_be_recorded_twice(tree, people, elders) -> None:
    a = _ready_for_vote(tree, people, elders)
    _vote(people, a, D(2026, 1, 10), ayes=12)
    with pytest.raises(ValidationError, match="步骤顺序不对"):
        _vote(people, a, D(2026, 1, 12), ayes=12)


def test_after_a_failed_vote_the_branch_may_end_the_application(tree, people, elders) -> None:
    a = _ready_for_vote(tree, people, elders)
    _vote(people, a, D(2026, 1, 10), ayes=3)
    services.applicant_stop(
        actor=people.village_secretary, applicant=a, reason="支部大会表决未通过，本人表示继续努力"
    )
    a.refresh_from_db()
    assert a.status == Applicant.Status.STOPPED
    assert a.vote_failed_on is None
    assert a.next_step is None
    assert StepRecord.objects.filter(applicant=a, failed=True).count() == 1


def test_a_vote_without_quorum_is_still_refused_after_a_failed_one(tree, people, elders) -> None:
    a = _ready_for_vote(tree, people, elders)
    _vote(people, a, D(2026, 1, 10), ayes=10)
    before = snapshot(a)
    with pytest.raises(ValidationError, match="未超过应到会20人的半数，不能召开支部大会表决"):
        _vote(people, a, D(2026, 2, 10), ayes=10, present=10, votes_against=0)
    assert snapshot(a) == before


def test_a_failed_conversion_vote_keeps_the_probation_open(tree, people, elders) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2022, 3, 1))
    walk(people.township_a, a, upto=rules.CONVERSION_APPLY, people=elders)
    a.refresh_from_db()
    on = a.probation_ends_on
    vote = {**step_payload(rules.CONVERSION_MEETING, [])["data"], "votes_for": 10}
    record = services.step_record(
        actor=people.village_secretary, applicant=a, number=rules.CONVERSION_MEETING,
        done_on=on, data=vote,
    )  # fmt: skip
    a.refresh_from_db()
    assert record.failed
    assert a.next_step == rules.CONVERSION_MEETING
    assert a.member.category == Member.Category.PROBATIONARY
    services.step_record(
        actor=people.village_secretary, applicant=a, number=rules.CONVERSION_MEETING,
        done_on=on + dt.timedelta(days=7),
        data={**vote, "votes_for": 17},
    )  # fmt: skip
    a.refresh_from_db()
    assert a.next_step == rules.CONVERSION_APPROVAL


@pytest.mark.parametrize(("days", "ok"), [(59, True), (60, True), (61, False)])
def test_the_notice_must_start_within_the_rule_sets_days(tree, people, elders, days, ok) -> None:
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2022, 3, 1))
    walk(people.township_a, a, upto=rules.TRAINING, people=elders)
    review = D(2025, 9, 1)
    kwargs = {
        "actor": people.village_secretary, "applicant": a, "number": rules.BRANCH_REVIEW,
        "done_on": review, "data": {"notice_start": (review + dt.timedelta(days=days)).isoformat()},
    }  # fmt: skip
    if ok:
        services.step_record(**kwargs)
        return
    before = snapshot(a)
    with pytest.raises(ValidationError) as exc:
        services.step_record(**kwargs)
    assert exc.value.message_dict["notice_start"] == [
        "公示应在支部委员会审查后60天内开始（第十九条未规定天数，地方做法），最迟可于 2025年10月31日"
    ]
    assert snapshot(a) == before
