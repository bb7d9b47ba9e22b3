"""The whole attendance sheet in one save: all or nothing, invited members only, one audit row."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.core.models import AuditLog
from dangjian.meetings import services
from dangjian.meetings.models import Attendance, Meeting
from dangjian.meetings.services import AttendanceMark
from dangjian.meetings.tests import factories
from dangjian.meetings.tests.factories import make_meeting, make_member

pytestmark = pytest.mark.django_db
roll = factories.roll


@pytest.fixture
def meeting(tree, people, roll) -> Meeting:
    return make_meeting(people.village_secretary, tree.village_a1)


def _sheet(meeting: Meeting) -> dict[int, tuple[str, str]]:
    return {a.member_id: (a.status, a.reason) for a in meeting.attendance.all()}


def _all_present_but(roll, **exceptions: AttendanceMark) -> list[AttendanceMark]:
    marks = {m.pk: AttendanceMark(m.pk, "present") for m in [*roll.full, roll.probationary]}
    for mark in exceptions.values():
        marks[mark.member_id] = mark
    return list(marks.values())


def test_one_save_marks_everyone_and_writes_one_audit_row(people, meeting, roll):
    excused = AttendanceMark(roll.others[0].pk, "excused", " 外出务工 ")
    changed = services.attendance_bulk_set(
        actor=people.village_secretary, meeting=meeting, marks=_all_present_but(roll, a=excused)
    )
    assert len(changed) == 5
    sheet = _sheet(meeting)
    assert sheet[roll.others[0].pk] == ("excused", "外出务工")
    assert sheet[roll.me.pk] == ("present", "")
    assert sorted(s for s, _ in sheet.values()).count("present") == 4
    logs = AuditLog.objects.filter(action="meeting.attendance_bulk", object_id=str(meeting.pk))
    assert logs.count() == 1
    log = logs.get()
    assert log.changes["count"] == 5
    line = next(x for x in log.changes["attendance"] if x["member_id"] == roll.others[0].pk)
    assert line["status"] == ["absent", "excused"]
    assert line["reason"] == ["", "外出务工"]
    assert line["name"] == roll.others[0].name


def test_an_unchanged_sheet_changes_nothing_not_even_the_audit_log(people, meeting, roll):
    marks = [AttendanceMark(a.member_id, a.status, a.reason) for a in meeting.attendance.all()]
    assert (
        services.attendance_bulk_set(actor=people.village_secretary, meeting=meeting, marks=marks)
        == []
    )
    assert not AuditLog.objects.filter(action="meeting.attendance_bulk").exists()


def test_a_member_not_invited_is_refused_and_nothing_changes(people, tree, meeting, roll):
    outsider = make_member(people.county_admin, tree.village_a2, name="乙村党员")
    before = _sheet(meeting)
    marks = [*_all_present_but(roll), AttendanceMark(outsider.pk, "present")]
    with pytest.raises(ValidationError, match="不是本次会议的应到人员") as exc:
        services.attendance_bulk_set(actor=people.village_secretary, meeting=meeting, marks=marks)
    assert exc.value.code == "not_invited"
    assert outsider.name not in str(exc.value)  # the message names no one outside the meeting
    assert _sheet(meeting) == before
    assert not Attendance.objects.filter(member=outsider).exists()
    assert not AuditLog.objects.filter(action="meeting.attendance_bulk").exists()


def test_excused_without_reason_refuses_the_whole_sheet(people, meeting, roll):
    before = _sheet(meeting)
    bad = AttendanceMark(roll.others[1].pk, "excused", "  ")
    with pytest.raises(ValidationError) as exc:
        services.attendance_bulk_set(
            actor=people.village_secretary, meeting=meeting, marks=_all_present_but(roll, b=bad)
        )
    assert f"{roll.others[1].name}：请假需填写事由" in exc.value.messages
    assert _sheet(meeting) == before


def test_an_unknown_status_or_a_doubled_member_is_refused(people, meeting, roll):
    before = _sheet(meeting)
    sec = people.village_secretary
    with pytest.raises(ValidationError, match="出席情况不正确"):
        services.attendance_bulk_set(
            actor=sec, meeting=meeting, marks=[AttendanceMark(roll.me.pk, "here")]
        )
    twice = [AttendanceMark(roll.me.pk, "present"), AttendanceMark(roll.me.pk, "absent")]
    with pytest.raises(ValidationError, match="出现了两次"):
        services.attendance_bulk_set(actor=sec, meeting=meeting, marks=twice)
    assert _sheet(meeting) == before


def test_lines_not_sent_stay_as_they_are(people, meeting, roll):
    Attendance.objects.filter(meeting=meeting, member=roll.me).update(status="late")
    services.attendance_bulk_set(
        actor=people.village_secretary,
        meeting=meeting,
        marks=[AttendanceMark(roll.others[0].pk, "present")],
    )
    sheet = _sheet(meeting)
    assert sheet[roll.me.pk] == ("late", "")
    assert sheet[roll.others[0].pk] == ("present", "")


@pytest.mark.parametrize("who", ["inspector", "township_b", "member"])
def test_only_recorders_may_save_the_sheet(people, meeting, roll, who):
    before = _sheet(meeting)
    with pytest.raises(PermissionDenied):
        services.attendance_bulk_set(
            actor=getattr(people, who), meeting=meeting, marks=_all_present_but(roll)
        )
    assert _sheet(meeting) == before


def test_a_submitted_sheet_cannot_be_changed(people, meeting, roll):
    sec = people.village_secretary
    services.attendance_bulk_set(actor=sec, meeting=meeting, marks=_all_present_but(roll))
    services.meeting_submit(actor=sec, meeting=meeting)
    with pytest.raises(ValidationError, match="不能修改出席情况"):
        services.attendance_bulk_set(
            actor=sec, meeting=meeting, marks=[AttendanceMark(roll.me.pk, "absent")]
        )
    assert _sheet(meeting)[roll.me.pk] == ("present", "")


def test_a_branch_member_not_on_the_roll_that_day_is_refused(people, tree, roll):
    sec = people.village_secretary
    held = timezone.now() - dt.timedelta(days=2)
    m = make_meeting(sec, tree.village_a1, held_at=held)
    newcomer = make_member(
        people.county_admin,
        tree.village_a1,
        name="新党员",
        category="probationary",
        joined_on=timezone.localdate(),
    )
    before = _sheet(m)
    with pytest.raises(ValidationError, match="不是本次会议的应到人员"):
        services.attendance_bulk_set(
            actor=sec, meeting=m, marks=[AttendanceMark(newcomer.pk, "present")]
        )
    assert _sheet(m) == before


def test_members_who_checked_in_start_the_sheet_marked_present(people, meeting, roll):
    services.meeting_checkin(user=people.member, code_or_token=meeting.checkin_code)
    row = Attendance.objects.get(meeting=meeting, member=roll.me)
    assert row.by_checkin
    assert row.status in ("present", "late")
