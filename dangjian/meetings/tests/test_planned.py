"""Meetings announced ahead: notice, check-in at the time, record once held, reschedule, cancel."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.core.models import AuditLog, Notification
from dangjian.meetings import services
from dangjian.meetings.compliance import selectors as compliance
from dangjian.meetings.models import Attendance, Meeting, MeetingType, MeetingTypeTag
from dangjian.meetings.services import RECORD_RULES
from dangjian.meetings.tests import factories

T = MeetingType
pytestmark = pytest.mark.django_db
roll = factories.roll
sent: list[tuple[int, str]] = []


def record_channel(note: Notification) -> None:
    """A stand-in for the SMS / WeCom channel (NOTIFICATION_CHANNELS)."""
    sent.append((note.recipient_id, note.title))


@pytest.fixture(autouse=True)
def _channel(settings):
    sent.clear()
    settings.NOTIFICATION_CHANNELS = ["dangjian.meetings.tests.test_planned.record_channel"]


def _plan(people, tree, *, hours: float = 26, **kwargs) -> Meeting:
    kwargs.setdefault("types", [T.GENERAL_MEETING, T.THEME_DAY])
    return services.meeting_plan(
        actor=people.village_secretary,
        org=tree.village_a1,
        held_at=timezone.now() + dt.timedelta(hours=hours),
        topic="学习党章",
        place="村党群服务中心",
        **kwargs,
    )


@pytest.fixture
def planned(tree, people, roll, django_capture_on_commit_callbacks) -> Meeting:
    with django_capture_on_commit_callbacks(execute=True):
        return _plan(people, tree)


def test_a_meeting_planned_ahead_notifies_the_invited_members_once(people, planned, roll):
    assert planned.state == Meeting.State.PLANNED
    assert planned.notified_at is not None
    assert len(planned.checkin_code) == 6
    assert planned.attendance.count() == 5  # the roll: 4 full + 1 probationary
    # Only the member persona has an account: in-app and through the channel, once each.
    notes = Notification.objects.filter(recipient=people.member)
    assert notes.count() == 1
    note = notes.get()
    assert note.title.startswith("会议通知：")
    assert "学习党章" in note.body
    assert "村党群服务中心" in note.body
    assert note.url == "/meetings/checkin/"
    assert sent == [(people.member.pk, note.title)]
    assert Notification.objects.count() == 1
    assert AuditLog.objects.filter(action="meeting.plan", object_id=str(planned.pk)).exists()


def test_notices_are_sent_once_per_round_even_when_retried(people, planned):
    from dangjian.meetings.services import _notify_invited

    for _ in range(2):  # a retried delivery of the same round
        _notify_invited(planned, title="会议通知", body="x", key=f"meeting-notice:{planned.pk}:1")
    assert Notification.objects.filter(recipient=people.member).count() == 1
    assert len(sent) == 1


def test_a_plan_rolled_back_sends_nothing(people, tree, roll, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        _plan(people, tree)
    assert len(callbacks) == 1  # the notice waits for the commit
    assert not Notification.objects.exists()
    assert sent == []


@pytest.mark.parametrize("delta", [dt.timedelta(0), dt.timedelta(minutes=-1)])
def test_a_plan_at_or_before_now_is_refused(people, tree, roll, delta):
    now = timezone.now()
    with pytest.raises(ValidationError, match="须晚于当前时间"):
        services.meeting_plan(
            actor=people.village_secretary, org=tree.village_a1, types=[T.THEME_DAY],
            held_at=now + delta, topic="x", now=now,
        )  # fmt: skip
    assert not Meeting.objects.exists()
    assert not Notification.objects.exists()


@pytest.mark.parametrize(
    ("ahead", "ok"),
    [
        (services.PLAN_HORIZON - dt.timedelta(minutes=1), True),
        (services.PLAN_HORIZON, True),
        (services.PLAN_HORIZON + dt.timedelta(minutes=1), False),
    ],
)
def test_a_plan_is_at_most_a_year_ahead(people, tree, roll, ahead, ok):
    now = timezone.now()

    def plan() -> Meeting:
        return services.meeting_plan(
            actor=people.village_secretary, org=tree.village_a1, types=[T.THEME_DAY],
            held_at=now + ahead, topic="x", now=now,
        )  # fmt: skip

    if ok:
        assert plan().state == Meeting.State.PLANNED
    else:
        with pytest.raises(ValidationError, match="最多提前一年"):
            plan()
        assert not Meeting.objects.exists()


@pytest.mark.parametrize(("hours", "ok"), [(14, True), (-14, True), (15, False), (-17.5, False)])
def test_a_time_zone_no_place_has_is_refused(people, planned, hours, ok):
    zone = dt.timezone(dt.timedelta(hours=hours))
    held_at = (timezone.now() + dt.timedelta(days=3)).astimezone(zone)
    if ok:
        moved = services.meeting_reschedule(
            actor=people.village_secretary, meeting=planned, held_at=held_at
        )
        assert moved.held_at == held_at
    else:
        with pytest.raises(ValidationError, match="时区不正确"):
            services.meeting_reschedule(
                actor=people.village_secretary, meeting=planned, held_at=held_at
            )
        assert Meeting.objects.get(pk=planned.pk).held_at == planned.held_at


@pytest.mark.parametrize("who", ["member", "township_b", "inspector"])
def test_only_recorders_may_plan(people, tree, roll, who):
    with pytest.raises(PermissionDenied):
        services.meeting_plan(
            actor=getattr(people, who), org=tree.village_a1, types=[T.THEME_DAY],
            held_at=timezone.now() + dt.timedelta(days=1), topic="x",
        )  # fmt: skip
    assert not Meeting.objects.exists()


def test_a_planned_meeting_does_not_count_for_compliance(people, tree, planned):
    tags = MeetingTypeTag.objects.filter(meeting=planned)
    assert tags.count() == 2
    assert not tags.filter(counts=True).exists()
    assert compliance.COUNTED_STATES == (Meeting.State.SUBMITTED, Meeting.State.APPROVED)


# --- check-in at the time ---------------------------------------------------------------------


def test_checkin_opens_by_the_rule_window_before_a_planned_meeting(people, planned, roll):
    opens = planned.held_at - RECORD_RULES.checkin_opens_before
    assert planned.checkin_opens_at == opens
    with pytest.raises(ValidationError, match="签到尚未开始"):
        services.meeting_checkin(
            user=people.member, code_or_token=planned.checkin_code,
            now=opens - dt.timedelta(seconds=1),
        )  # fmt: skip
    result = services.meeting_checkin(
        user=people.member, code_or_token=planned.checkin_code, now=opens
    )
    assert result.status == Attendance.Status.PRESENT
    assert Meeting.objects.get(pk=planned.pk).state == Meeting.State.PLANNED


# --- recording once held ----------------------------------------------------------------------


def _held(meeting: Meeting, ago: dt.timedelta = dt.timedelta(hours=1)) -> Meeting:
    """Time passes: the meeting was held ``ago``."""
    held = timezone.now() - ago
    Meeting.objects.filter(pk=meeting.pk).update(held_at=held)
    MeetingTypeTag.objects.filter(meeting=meeting).update(held_on=timezone.localdate(held))
    meeting.refresh_from_db()
    return meeting


def test_a_planned_meeting_cannot_be_recorded_before_it_is_held(people, planned):
    with pytest.raises(ValidationError, match="会议尚未召开"):
        services.meeting_start_record(actor=people.village_secretary, meeting=planned)
    with pytest.raises(ValidationError, match="登记会议记录"):
        services.meeting_submit(actor=people.village_secretary, meeting=planned)
    assert Meeting.objects.get(pk=planned.pk).state == Meeting.State.PLANNED


def test_planned_then_recorded_then_submitted_counts(people, tree, planned, roll):
    sec = people.village_secretary
    services.meeting_checkin(
        user=people.member, code_or_token=planned.checkin_code,
        now=planned.held_at - dt.timedelta(minutes=5),
    )  # fmt: skip
    meeting = _held(planned)
    meeting = services.meeting_start_record(actor=sec, meeting=meeting)
    assert meeting.state == Meeting.State.DRAFT
    assert not meeting.is_late_entry
    # The check-in survived the recording; the sheet fills in the rest in one save.
    assert Attendance.objects.get(meeting=meeting, member=roll.me).by_checkin
    services.attendance_bulk_set(
        actor=sec,
        meeting=meeting,
        marks=[services.AttendanceMark(m.pk, "present") for m in roll.others],
    )
    services.meeting_submit(actor=sec, meeting=meeting)
    assert MeetingTypeTag.objects.filter(meeting=meeting, counts=True).count() == 2
    assert AuditLog.objects.filter(action="meeting.record", object_id=str(meeting.pk)).exists()


def test_a_planned_meeting_recorded_long_after_is_late_entry(people, planned):
    days = RECORD_RULES.late_entry_days + 1
    meeting = _held(planned, dt.timedelta(days=days))
    meeting = services.meeting_start_record(actor=people.village_secretary, meeting=meeting)
    assert meeting.is_late_entry


def test_leave_can_be_marked_before_the_meeting(people, planned, roll):
    services.attendance_bulk_set(
        actor=people.village_secretary,
        meeting=planned,
        marks=[services.AttendanceMark(roll.others[0].pk, "excused", "出差")],
    )
    row = Attendance.objects.get(meeting=planned, member=roll.others[0])
    assert (row.status, row.reason) == ("excused", "出差")


def test_editing_a_planned_meeting_cannot_move_its_time(people, planned):
    with pytest.raises(ValidationError, match="改期"):
        services.meeting_update(
            actor=people.village_secretary,
            meeting=planned,
            data={"held_at": planned.held_at + dt.timedelta(hours=1)},
        )
    services.meeting_update(actor=people.village_secretary, meeting=planned, data={"place": "礼堂"})
    assert Meeting.objects.get(pk=planned.pk).place == "礼堂"


# --- reschedule and cancel ----------------------------------------------------------------------


def test_reschedule_moves_the_window_and_notifies_again(
    people, planned, django_capture_on_commit_callbacks
):
    new_time = planned.held_at + dt.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        m = services.meeting_reschedule(
            actor=people.village_secretary, meeting=planned, held_at=new_time, reason="与农忙冲突"
        )
    assert m.held_at == new_time
    assert m.checkin_opens_at == new_time - RECORD_RULES.checkin_opens_before
    assert m.checkin_closes_at == new_time + RECORD_RULES.checkin_closes_after
    assert m.notice_round == 2
    titles = list(
        Notification.objects.filter(recipient=people.member)
        .order_by("id")
        .values_list("title", flat=True)
    )
    assert len(titles) == 2
    assert titles[1].startswith("会议改期：")
    assert "与农忙冲突" in Notification.objects.latest("id").body
    assert len(sent) == 2
    assert set(MeetingTypeTag.objects.filter(meeting=m).values_list("held_on", flat=True)) == {
        timezone.localdate(new_time)
    }
    log = AuditLog.objects.get(action="meeting.reschedule")
    assert set(log.changes) == {"held_at", "reason"}


def test_reschedule_to_the_same_time_notifies_no_one(
    people, planned, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        services.meeting_reschedule(
            actor=people.village_secretary, meeting=planned, held_at=planned.held_at
        )
    assert Notification.objects.count() == 1
    assert not AuditLog.objects.filter(action="meeting.reschedule").exists()


def test_reschedule_into_the_past_is_refused(people, planned):
    with pytest.raises(ValidationError, match="须晚于当前时间"):
        services.meeting_reschedule(
            actor=people.village_secretary,
            meeting=planned,
            held_at=timezone.now() - dt.timedelta(minutes=1),
        )
    assert Meeting.objects.get(pk=planned.pk).held_at == planned.held_at


def test_cancel_needs_a_reason_notifies_and_never_counts(
    people, planned, django_capture_on_commit_callbacks
):
    sec = people.village_secretary
    with pytest.raises(ValidationError, match="取消会议请填写原因"):
        services.meeting_cancel(actor=sec, meeting=planned, reason=" ")
    assert Meeting.objects.get(pk=planned.pk).state == Meeting.State.PLANNED
    with django_capture_on_commit_callbacks(execute=True):
        m = services.meeting_cancel(actor=sec, meeting=planned, reason="上级临时通知开会")
    assert (m.state, m.cancel_reason) == (Meeting.State.CANCELLED, "上级临时通知开会")
    assert not MeetingTypeTag.objects.filter(meeting=m).exists()
    note = Notification.objects.latest("id")
    assert note.title.startswith("会议取消：")
    assert "上级临时通知开会" in note.body
    assert len(sent) == 2
    with pytest.raises(ValidationError, match="会议已取消"):
        services.meeting_checkin(
            user=people.member, code_or_token=m.checkin_code,
            now=m.held_at - dt.timedelta(minutes=5),
        )  # fmt: skip
    with pytest.raises(ValidationError, match="只有已通知"):
        services.meeting_reschedule(actor=sec, meeting=m, held_at=m.held_at + dt.timedelta(days=1))
    with pytest.raises(ValidationError):
        services.meeting_start_record(actor=sec, meeting=m)


def test_a_recorded_meeting_cannot_be_cancelled(people, tree, roll):
    m = factories.make_meeting(people.village_secretary, tree.village_a1)
    with pytest.raises(ValidationError, match="只有已通知"):
        services.meeting_cancel(actor=people.village_secretary, meeting=m, reason="x")
    assert Meeting.objects.get(pk=m.pk).state == Meeting.State.DRAFT


def test_planned_and_cancelled_meetings_do_not_count_in_a_members_rate(people, tree, planned, roll):
    from dangjian.meetings.selectors import member_meetings

    data = member_meetings(member=roll.me, today=timezone.localdate() + dt.timedelta(days=3))
    assert data.invited == 0


def test_a_meeting_still_being_recorded_shows_not_checked_in_and_is_not_counted(
    people, planned, roll
):
    from dangjian.meetings.selectors import member_meetings

    sec = people.village_secretary
    meeting = services.meeting_start_record(actor=sec, meeting=_held(planned))
    data = member_meetings(member=roll.me)
    assert [(r.meeting_id, r.shown_label) for r in data.rows] == [(meeting.pk, "未签到")]
    assert (data.invited, data.attended) == (0, 0)
    services.attendance_bulk_set(
        actor=sec, meeting=meeting,
        marks=[services.AttendanceMark(m.pk, "present") for m in roll.others],
    )  # fmt: skip
    services.meeting_submit(actor=sec, meeting=meeting)
    data = member_meetings(member=roll.me)
    assert [(r.shown_label, r.shown_tone) for r in data.rows] == [("缺席", "red")]
    assert (data.invited, data.attended) == (1, 0)
