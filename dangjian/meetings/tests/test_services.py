"""Meeting services at their boundaries: time, late entry, check-in window, quorum, review."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.core.models import AuditLog
from dangjian.core.tests.sample_files import pdf_bytes
from dangjian.meetings import services
from dangjian.meetings.models import Attendance, Meeting, MeetingType, MeetingTypeTag
from dangjian.meetings.services import RECORD_RULES, is_late_entry
from dangjian.meetings.tests import factories
from dangjian.meetings.tests.factories import make_meeting, make_member
from dangjian.members.models import Member

T = MeetingType
pytestmark = pytest.mark.django_db
roll = factories.roll


def _codes(exc: ValidationError) -> list[str]:
    return (
        [e.code for e in exc.error_list]
        if hasattr(exc, "error_list")
        else [e.code for errs in exc.error_dict.values() for e in errs]
    )


def _present(meeting: Meeting, members: list[Member]) -> None:
    Attendance.objects.filter(meeting=meeting, member__in=members).update(status="present")


# --- recording --------------------------------------------------------------------------------


def test_meeting_in_the_future_is_refused(tree, people, roll):
    with pytest.raises(ValidationError, match="会议时间不能晚于当前时间"):
        make_meeting(
            people.village_secretary,
            tree.village_a1,
            held_at=timezone.now() + dt.timedelta(minutes=1),
        )
    assert not Meeting.objects.exists()


def test_meeting_just_held_is_accepted_as_draft_with_code_and_window(tree, people, roll):
    held = timezone.now() - dt.timedelta(seconds=1)
    m = make_meeting(people.village_secretary, tree.village_a1, held_at=held)
    assert m.state == Meeting.State.DRAFT
    assert len(m.checkin_code) == 6
    assert set(m.checkin_code) <= set(services.CODE_ALPHABET)
    assert len(m.checkin_token or "") >= 24
    assert m.checkin_opens_at == held - dt.timedelta(minutes=30)
    assert m.checkin_closes_at == held + dt.timedelta(hours=3)
    assert not m.is_late_entry
    assert AuditLog.objects.filter(action="meeting.create", object_id=str(m.pk)).exists()


@pytest.mark.parametrize(("days", "late"), [(29, False), (30, False), (31, True)])
def test_late_entry_threshold_in_days(days, late):
    entered = timezone.make_aware(dt.datetime(2026, 3, 31, 9, 0))
    held = entered - dt.timedelta(days=days)
    assert RECORD_RULES.late_entry_days == 30
    assert is_late_entry(held, entered) is late


def test_record_entered_31_days_late_is_marked_late_entry_on_meeting_and_tags(tree, people, roll):
    m = make_meeting(
        people.village_secretary,
        tree.village_a1,
        held_at=timezone.now() - dt.timedelta(days=31, hours=1),
    )
    assert m.is_late_entry
    assert all(t.is_late_entry for t in m.type_tags.all())


def test_combined_meeting_creates_one_uncounted_tag_per_type(tree, people, roll):
    types = [T.THEME_DAY, T.GENERAL_MEETING, T.PARTY_LECTURE]
    m = make_meeting(people.village_secretary, tree.village_a1, types=types)
    tags = MeetingTypeTag.objects.filter(meeting=m)
    assert sorted(t.meeting_type for t in tags) == sorted(types)
    assert {(t.org_id_copy, t.org_path, t.held_on, t.counts) for t in tags} == {
        (tree.village_a1.pk, tree.village_a1.path, timezone.localdate(m.held_at), False)
    }


def test_types_must_be_given_and_fit_the_organization(tree, people, roll):
    sec = people.village_secretary
    with pytest.raises(ValidationError, match="请至少选择一种会议类型"):
        make_meeting(sec, tree.village_a1, types=[])
    with pytest.raises(ValidationError, match="党小组只能登记党小组会"):
        make_meeting(sec, tree.group_a1, types=[T.GENERAL_MEETING])
    with pytest.raises(ValidationError, match="党小组会请在党小组下登记"):
        make_meeting(sec, tree.village_a1, types=[T.GROUP_MEETING])
    with pytest.raises(ValidationError, match="民主生活会由党委"):
        make_meeting(sec, tree.village_a1, types=[T.LEADERSHIP_LIFE_MEETING])
    assert not Meeting.objects.exists()
    # A 党委 records its 民主生活会.
    m = make_meeting(people.township_a, tree.township_a, types=[T.LEADERSHIP_LIFE_MEETING])
    assert m.types == [T.LEADERSHIP_LIFE_MEETING]


def test_invited_list_is_the_roll_on_the_meeting_day(tree, people, roll):
    late_joiner = make_member(
        people.county_admin, tree.village_a1, name="新党员",
        category="probationary", joined_on=timezone.localdate(),
    )  # fmt: skip
    former = roll.others[2]
    Member.objects.filter(pk=former.pk).update(status=Member.Status.FORMER)
    m = make_meeting(
        people.village_secretary,
        tree.village_a1,
        held_at=timezone.now() - dt.timedelta(days=2),
    )
    rows = {a.member_id: a for a in m.attendance.all()}
    assert set(rows) == {roll.me.pk, roll.others[0].pk, roll.others[1].pk, roll.probationary.pk}
    assert late_joiner.pk not in rows
    assert all(a.status == "absent" for a in rows.values())
    assert rows[roll.probationary.pk].is_voting is False
    assert rows[roll.me.pk].is_voting is True


def test_group_meeting_invites_only_the_group(tree, people, roll):
    m = make_meeting(people.village_secretary, tree.group_a1, types=[T.GROUP_MEETING])
    assert [a.member_id for a in m.attendance.all()] == [roll.me.pk]


@pytest.mark.parametrize("who", ["member", "township_b", "grid_worker", "inspector", "nobody"])
def test_only_recorders_of_the_org_may_create(tree, people, roll, who):
    with pytest.raises(PermissionDenied):
        make_meeting(getattr(people, who), tree.village_a1)
    assert not Meeting.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="meeting.").exists()


def test_minutes_are_cleaned(tree, people, roll):
    m = make_meeting(
        people.village_secretary,
        tree.village_a1,
        minutes='<h3>议程</h3><p onclick="x()">一、<strong>学习</strong><script>alert(1)</script>'
        '<img src=x onerror=alert(1)></p><table><tr><td style="color:red">表</td></tr></table>',
    )
    assert m.minutes == (
        "<h3>议程</h3><p>一、<strong>学习</strong></p><table><tbody><tr><td>表</td></tr></tbody></table>"
    )


def test_update_changes_types_and_tags_only_while_editable(tree, people, roll):
    sec = people.village_secretary
    m = make_meeting(sec, tree.village_a1, types=[T.THEME_DAY])
    services.meeting_update(
        actor=sec, meeting=m, data={"types": [T.THEME_DAY, T.PARTY_LECTURE], "topic": "新主题"}
    )
    assert set(m.type_tags.values_list("meeting_type", flat=True)) == {T.THEME_DAY, T.PARTY_LECTURE}
    services.meeting_submit(actor=sec, meeting=m)
    with pytest.raises(ValidationError, match="不能修改"):
        services.meeting_update(actor=sec, meeting=m, data={"topic": "再改"})
    m.refresh_from_db()
    assert m.topic == "新主题"


# --- attendance -------------------------------------------------------------------------------


def test_attendance_for_someone_not_invited_is_refused(tree, people, roll):
    sec = people.village_secretary
    m = make_meeting(sec, tree.village_a1)
    outsider = make_member(people.county_admin, tree.village_a2, name="乙村党员")
    with pytest.raises(ValidationError, match="该党员不是本次会议应到人员"):
        services.attendance_set(actor=sec, meeting=m, member=outsider, status="present")
    assert not Attendance.objects.filter(member=outsider).exists()


def test_excused_needs_a_reason(tree, people, roll):
    sec = people.village_secretary
    m = make_meeting(sec, tree.village_a1)
    with pytest.raises(ValidationError, match="请假需填写事由"):
        services.attendance_set(actor=sec, meeting=m, member=roll.me, status="excused")
    row = services.attendance_set(
        actor=sec, meeting=m, member=roll.me, status="excused", reason="外出务工"
    )
    assert (row.status, row.reason) == ("excused", "外出务工")
    row = services.attendance_set(actor=sec, meeting=m, member=roll.me, status="present")
    assert (row.status, row.reason) == ("present", "")


# --- check-in ---------------------------------------------------------------------------------


def _checkin(people, m, at, code=None):
    return services.meeting_checkin(
        user=people.member, code_or_token=code or m.checkin_code, now=at
    )


@pytest.mark.parametrize(
    ("offset", "outcome"),
    [
        (-dt.timedelta(minutes=30, seconds=1), "签到尚未开始"),
        (-dt.timedelta(minutes=30), "present"),
        (dt.timedelta(minutes=10), "present"),
        (dt.timedelta(minutes=10, seconds=1), "late"),
        (dt.timedelta(hours=3), "late"),
        (dt.timedelta(hours=3, seconds=1), "签到已截止"),
    ],
)
def test_checkin_window_edges_and_late_grace(tree, people, roll, offset, outcome):
    m = make_meeting(people.village_secretary, tree.village_a1)
    if outcome in ("present", "late"):
        result = _checkin(people, m, m.held_at + offset)
        assert result.status == outcome
        row = Attendance.objects.get(meeting=m, member=roll.me)
        assert (row.status, row.by_checkin) == (outcome, True)
    else:
        with pytest.raises(ValidationError, match=outcome):
            _checkin(people, m, m.held_at + offset)
        assert Attendance.objects.get(meeting=m, member=roll.me).status == "absent"


def test_checkin_is_idempotent_and_accepts_lowercase_code_and_token(tree, people, roll):
    m = make_meeting(people.village_secretary, tree.village_a1)
    first = _checkin(people, m, m.held_at + dt.timedelta(minutes=20), code=m.checkin_code.lower())
    assert first.message == "签到成功（迟到）"
    again = _checkin(people, m, m.held_at + dt.timedelta(minutes=1), code=m.checkin_token)
    assert (again.already, again.status) == (True, "late")
    assert AuditLog.objects.filter(action="meeting.checkin").count() == 1


def test_unknown_code_is_refused(tree, people, roll):
    make_meeting(people.village_secretary, tree.village_a1)
    with pytest.raises(ValidationError, match="签到码不存在"):
        services.meeting_checkin(user=people.member, code_or_token="ZZZZZZ")


def test_code_checks_in_only_to_its_own_meeting(tree, people, roll):
    sec = people.village_secretary
    a = make_meeting(sec, tree.village_a1, topic="A")
    b = make_meeting(sec, tree.village_a1, topic="B")
    _checkin(people, b, b.held_at)
    assert Attendance.objects.get(meeting=b, member=roll.me).status == "present"
    assert Attendance.objects.get(meeting=a, member=roll.me).status == "absent"


def test_code_of_another_branch_meeting_is_refused(tree, people, roll):
    other = make_meeting(people.township_a, tree.village_a2)
    with pytest.raises(ValidationError, match="您不是本次会议应到人员"):
        _checkin(people, other, other.held_at)


def test_user_without_member_record_cannot_check_in(tree, people, roll):
    m = make_meeting(people.village_secretary, tree.village_a1)
    with pytest.raises(ValidationError, match="未关联党员信息"):
        services.meeting_checkin(user=people.grid_worker, code_or_token=m.checkin_code)


# --- submit and quorum ------------------------------------------------------------------------


def test_general_meeting_with_exactly_half_of_full_members_is_refused(tree, people, roll):
    sec = people.village_secretary
    m = make_meeting(sec, tree.village_a1, types=[T.GENERAL_MEETING, T.THEME_DAY])
    # 4 voting members; 2 present plus the probationary member (no vote) is exactly half.
    _present(m, [roll.me, roll.others[0], roll.probationary])
    with pytest.raises(ValidationError, match="出席的正式党员未超过应到人数的一半"):
        services.meeting_submit(actor=sec, meeting=m)
    m.refresh_from_db()
    assert m.state == Meeting.State.DRAFT
    assert not m.type_tags.filter(counts=True).exists()


def test_general_meeting_with_half_plus_one_is_submitted_and_counts(tree, people, roll):
    sec = people.village_secretary
    m = make_meeting(sec, tree.village_a1, types=[T.GENERAL_MEETING, T.THEME_DAY])
    _present(m, roll.full[:2])
    Attendance.objects.filter(meeting=m, member=roll.full[2]).update(status="late")
    services.meeting_submit(actor=sec, meeting=m)
    m.refresh_from_db()
    assert m.state == Meeting.State.SUBMITTED
    assert m.submitted_at is not None
    assert m.type_tags.filter(counts=True).count() == 2


def test_committee_meeting_quorum_uses_party_posts(tree, people, roll):
    sec = people.village_secretary
    Member.objects.filter(pk__in=[roll.me.pk, roll.others[0].pk]).update(party_post="001A")
    Member.objects.filter(pk=roll.others[1].pk).update(party_post="030U")
    m = make_meeting(sec, tree.village_a1, types=[T.COMMITTEE_MEETING])
    _present(m, [roll.me])
    with pytest.raises(ValidationError, match="支委会成员未超过半数"):
        services.meeting_submit(actor=sec, meeting=m)
    _present(m, [roll.others[1]])
    services.meeting_submit(actor=sec, meeting=m)


def test_committee_meeting_without_posts_skips_the_check_with_a_note(tree, people, roll):
    sec = people.village_secretary
    m = make_meeting(sec, tree.village_a1, types=[T.COMMITTEE_MEETING])
    services.meeting_submit(actor=sec, meeting=m)
    log = AuditLog.objects.get(action="meeting.submit")
    assert "未校验" in log.changes["note"]


# --- review -----------------------------------------------------------------------------------


@pytest.fixture
def submitted(tree, people, roll):
    m = make_meeting(people.village_secretary, tree.village_a1, types=[T.THEME_DAY])
    return services.meeting_submit(actor=people.village_secretary, meeting=m)


@pytest.mark.parametrize("who", ["village_secretary", "township_b", "member", "inspector"])
def test_only_the_upper_organization_may_review(people, submitted, who):
    with pytest.raises(PermissionDenied):
        services.meeting_approve(actor=getattr(people, who), meeting=submitted)
    submitted.refresh_from_db()
    assert submitted.state == Meeting.State.SUBMITTED


@pytest.mark.parametrize("who", ["township_a", "county_admin"])
def test_township_or_county_approves(people, submitted, who):
    m = services.meeting_approve(actor=getattr(people, who), meeting=submitted, comment="规范")
    assert m.state == Meeting.State.APPROVED
    assert m.reviewed_by == getattr(people, who)
    assert m.type_tags.get().counts is True


def test_returning_needs_a_comment_and_stops_counting_until_resubmitted(people, submitted):
    with pytest.raises(ValidationError, match="退回时请填写审核意见"):
        services.meeting_return(actor=people.township_a, meeting=submitted, comment="  ")
    submitted.refresh_from_db()
    assert submitted.state == Meeting.State.SUBMITTED
    m = services.meeting_return(actor=people.township_a, meeting=submitted, comment="请补充照片")
    assert (m.state, m.review_comment) == (Meeting.State.RETURNED, "请补充照片")
    assert m.type_tags.get().counts is False
    services.meeting_update(actor=people.village_secretary, meeting=m, data={"topic": "已补充"})
    m = services.meeting_submit(actor=people.village_secretary, meeting=m)
    assert m.type_tags.get().counts is True


def test_approved_cannot_be_reviewed_again(people, submitted):
    services.meeting_approve(actor=people.township_a, meeting=submitted)
    with pytest.raises(ValidationError, match="只能审核已提交"):
        services.meeting_return(actor=people.township_a, meeting=submitted, comment="再退回")


# --- files ------------------------------------------------------------------------------------


def test_files_are_sanitized(tree, people, roll, settings, tmp_path):
    import io

    from django.core.files.uploadedfile import SimpleUploadedFile
    from PIL import Image

    settings.MEDIA_ROOT = tmp_path
    buf = io.BytesIO()
    Image.new("RGB", (4, 4), "red").save(buf, format="PNG")
    m = make_meeting(people.village_secretary, tree.village_a1)
    files = services.meeting_files_add(
        actor=people.village_secretary,
        meeting=m,
        uploads=[
            SimpleUploadedFile("合影.png", buf.getvalue()),
            SimpleUploadedFile("a.pdf", pdf_bytes()),
        ],
    )
    assert [f.is_photo for f in files] == [True, False]
    with pytest.raises(ValidationError):
        services.meeting_files_add(
            actor=people.village_secretary,
            meeting=m,
            uploads=[SimpleUploadedFile("x.html", b"<script>alert(1)</script>")],
        )
    assert m.files.count() == 2
