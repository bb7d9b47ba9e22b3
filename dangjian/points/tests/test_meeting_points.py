"""Attendance becomes 积分 when the upper organization approves the meeting record."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.utils import timezone

from dangjian.meetings import services as meetings
from dangjian.meetings.models import Attendance
from dangjian.meetings.tests.factories import make_meeting
from dangjian.points.models import PointsEntry
from dangjian.points.tests.factories import roll

__all__ = ["roll"]

pytestmark = pytest.mark.django_db


def test_approval_awards_present_and_deducts_unexcused_absence_once(people, tree, roll):
    held = timezone.make_aware(dt.datetime(2026, 11, 5, 9, 0))
    m = make_meeting(people.village_secretary, tree.village_a1, held_at=held)
    rows = {a.member_id: a for a in Attendance.objects.filter(meeting=m)}
    present, late, excused, absent = roll.me, roll.others[0], roll.others[3], roll.others[4]
    for member, status, reason in (
        (present, "present", ""), (late, "late", ""), (excused, "excused", "外出务工"),
        (roll.others[1], "present", ""), (roll.others[2], "present", ""),
    ):  # fmt: skip
        meetings.attendance_set(
            actor=people.village_secretary, meeting=m, member=member, status=status, reason=reason
        )
    # 5 of 6 present, late or excused; the last stays absent without an excuse.
    m = meetings.meeting_submit(actor=people.village_secretary, meeting=m)
    assert PointsEntry.objects.count() == 0  # nothing before approval
    meetings.meeting_approve(actor=people.township_a, meeting=m)

    got = dict(PointsEntry.objects.values_list("member_id", "points"))
    assert got[present.pk] == Decimal(2)
    assert got[late.pk] == Decimal(2)
    assert excused.pk not in got
    assert got[absent.pk] == Decimal(-5)
    e = PointsEntry.objects.get(member=present)
    assert e.occurred_on == dt.date(2026, 11, 5)
    assert e.source_id == rows[present.pk].pk
    assert "学习贯彻" in e.source_label
    assert e.reason == "系统自动记分"
