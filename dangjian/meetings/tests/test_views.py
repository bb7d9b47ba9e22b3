"""Meeting pages across the personas: list, record, detail, attendance, review, member tab."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.core.forms import STALE_MESSAGE
from dangjian.core.models import Notification
from dangjian.meetings import selectors, services
from dangjian.meetings.forms import AttendanceSheetForm, MeetingPlanEditForm
from dangjian.meetings.models import Attendance, Meeting
from dangjian.meetings.tests import factories
from dangjian.meetings.tests.factories import make_meeting

pytestmark = pytest.mark.django_db
roll = factories.roll


@pytest.fixture
def meeting(tree, people, roll):
    return make_meeting(people.village_secretary, tree.village_a1, minutes="<p>第一项</p>")


LIST_STATUS = {
    "county_admin": 200, "township_a": 200, "township_b": 200, "village_secretary": 200,
    "inspector": 200, "member": 403, "grid_worker": 403, "nobody": 403,
}  # fmt: skip


@pytest.mark.parametrize(("who", "status"), LIST_STATUS.items())
def test_list_page_by_persona(people, login, meeting, who, status):
    r = login(getattr(people, who)).get("/meetings/")
    assert r.status_code == status
    if status == 200:
        shown = meeting.topic in r.content.decode()
        assert shown is (who != "township_b")


DETAIL_STATUS = {
    "county_admin": 200, "township_a": 200, "village_secretary": 200, "inspector": 200,
    "township_b": 404, "member": 404, "grid_worker": 404, "nobody": 404,
}  # fmt: skip


@pytest.mark.parametrize(("who", "status"), DETAIL_STATUS.items())
def test_detail_page_by_persona(people, login, meeting, who, status):
    r = login(getattr(people, who)).get(f"/meetings/{meeting.pk}/")
    assert r.status_code == status


def test_secretary_sees_code_qr_and_the_attendance_sheet(people, login, meeting):
    html = login(people.village_secretary).get(f"/meetings/{meeting.pk}/").content.decode()
    assert meeting.checkin_code in html
    assert "<svg" in html
    assert 'id="attendance-sheet"' in html
    assert 'x-data="attendanceSheet()"' in html
    assert "全部出席" in html
    # 提交审核 saves the sheet first: it belongs to the sheet's form.
    assert 'form="attendance-sheet" name="then_submit" value="1"' in html
    assert "<p>第一项</p>" in html


def test_inspector_sees_no_code_and_no_editing(people, login, meeting):
    html = login(people.inspector).get(f"/meetings/{meeting.pk}/").content.decode()
    assert meeting.checkin_code not in html
    assert "attendance-sheet" not in html
    assert "全部出席" not in html


def test_list_filters_and_query_count(people, login, tree, roll, django_assert_max_num_queries):
    sec = people.village_secretary
    for i in range(25):
        make_meeting(sec, tree.village_a1, topic=f"会议{i}", types=["theme_day"])
    make_meeting(sec, tree.village_a1, topic="党课专题", types=["party_lecture"])
    client = login(sec)
    with django_assert_max_num_queries(12):
        r = client.get("/meetings/")
    html = r.content.decode()
    assert "加载更多" in html
    r = client.get("/meetings/?type=party_lecture")
    assert "党课专题" in r.content.decode()
    assert "会议1<" not in r.content.decode()
    month = timezone.localdate().strftime("%Y-%m")
    assert "党课专题" in client.get(f"/meetings/?month={month}").content.decode()
    assert "党课专题" not in client.get("/meetings/?month=2001-01").content.decode()


def test_create_page_records_a_meeting(people, login, tree, roll):
    held = timezone.localtime() - dt.timedelta(hours=1)
    r = login(people.village_secretary).post(
        "/meetings/new/",
        {
            "org": tree.village_a1.pk,
            "types": ["theme_day", "general_meeting"],
            "held_at": held.strftime("%Y-%m-%dT%H:%M"),
            "topic": "主题党日",
            "minutes": "一、学习\n二、讨论 <b>",
        },
    )
    m = Meeting.objects.get()
    assert r.status_code == 302
    assert r["Location"] == f"/meetings/{m.pk}/"
    assert m.types == ["general_meeting", "theme_day"]
    assert m.attendance.count() == 5


def test_create_page_refuses_future_time_and_saves_nothing(people, login, tree, roll):
    held = timezone.localtime() + dt.timedelta(hours=2)
    r = login(people.village_secretary).post(
        "/meetings/new/",
        {"org": tree.village_a1.pk, "types": ["theme_day"], "topic": "x",
         "held_at": held.strftime("%Y-%m-%dT%H:%M")},
    )  # fmt: skip
    assert r.status_code == 200
    assert "会议时间不能晚于当前时间" in r.content.decode()
    assert not Meeting.objects.exists()


def test_create_in_another_township_is_404(people, login, tree, roll):
    r = login(people.village_secretary).post(
        "/meetings/new/",
        {"org": tree.village_b1.pk, "types": ["theme_day"], "topic": "x",
         "held_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M")},
    )  # fmt: skip
    assert r.status_code == 200  # not a choice in the form: the form refuses it
    assert not Meeting.objects.exists()


def _sheet_post(meeting, **changes: str) -> dict[str, str]:
    """The sheet as the page shows it (with its stale-form token), then the user's changes."""
    form = AttendanceSheetForm(rows=selectors.attendance_rows(meeting))
    data = {k: str(v) for k, v in form.initial.items()}
    data.update(changes)
    return data


def _statuses(meeting) -> dict[int, tuple[str, str]]:
    return {a.member_id: (a.status, a.reason) for a in meeting.attendance.all()}


def test_one_save_stores_the_whole_sheet(people, login, meeting, roll):
    client = login(people.village_secretary)
    marks = {f"status-{m.pk}": "present" for m in [*roll.full, roll.probationary]}
    marks |= {f"status-{roll.others[0].pk}": "excused", f"reason-{roll.others[0].pk}": "外出务工"}
    data = _sheet_post(meeting, **marks)
    r = client.post(f"/meetings/{meeting.pk}/attendance/", data)
    assert r.status_code == 302
    assert r["Location"] == f"/meetings/{meeting.pk}/#attendance"
    sheet = _statuses(meeting)
    assert sheet[roll.others[0].pk] == ("excused", "外出务工")
    assert [s for s, _ in sheet.values()].count("present") == 4
    html = client.get(f"/meetings/{meeting.pk}/").content.decode()
    assert "出席 <span" in html
    assert '<span x-text="counts.present" data-testid="total-present">4</span>' in html


def test_a_sheet_with_a_missing_reason_keeps_the_input_and_saves_nothing(
    people, login, meeting, roll
):
    before = _statuses(meeting)
    data = _sheet_post(
        meeting,
        **{f"status-{roll.me.pk}": "present", f"status-{roll.others[1].pk}": "excused"},
    )
    r = login(people.village_secretary).post(f"/meetings/{meeting.pk}/attendance/", data)
    html = r.content.decode()
    assert r.status_code == 200
    assert f"{roll.others[1].name}：请假需填写事由" in html
    assert _statuses(meeting) == before
    # What the user marked is still on the page, not thrown away.
    select = html[html.index(f'name="status-{roll.me.pk}"') :]
    assert select.index('value="present" selected') < select.index("</select>")


def test_a_stale_sheet_is_refused_and_shown_as_it_is_now(people, login, meeting, roll):
    data = _sheet_post(meeting, **{f"status-{roll.others[0].pk}": "present"})
    services.meeting_checkin(user=people.member, code_or_token=meeting.checkin_code)
    after_checkin = _statuses(meeting)
    r = login(people.village_secretary).post(f"/meetings/{meeting.pk}/attendance/", data)
    assert r.status_code == 200
    assert STALE_MESSAGE in r.content.decode()
    assert _statuses(meeting) == after_checkin


def test_submit_from_the_sheet_saves_then_submits(people, login, meeting, roll):
    data = _sheet_post(
        meeting,
        **{f"status-{m.pk}": "present" for m in roll.full[:3]},
        then_submit="1",
    )
    client = login(people.village_secretary)
    r = client.post(f"/meetings/{meeting.pk}/attendance/", data, follow=True)
    meeting.refresh_from_db()
    assert meeting.state == "submitted"
    assert [s for s, _ in _statuses(meeting).values()].count("present") == 3
    assert "已保存出席情况（3 人有变动）。已提交上级党组织审核" in r.content.decode()


def test_submit_without_quorum_keeps_the_saved_sheet_and_says_why(people, login, meeting, roll):
    data = _sheet_post(meeting, **{f"status-{roll.me.pk}": "present"}, then_submit="1")
    r = login(people.village_secretary).post(
        f"/meetings/{meeting.pk}/attendance/", data, follow=True
    )
    meeting.refresh_from_db()
    assert meeting.state == "draft"
    assert _statuses(meeting)[roll.me.pk] == ("present", "")
    assert "提交未成功：出席的正式党员未超过应到人数的一半" in r.content.decode()


def test_inspector_cannot_save_the_sheet(people, login, meeting, roll):
    before = _statuses(meeting)
    r = login(people.inspector).post(
        f"/meetings/{meeting.pk}/attendance/",
        _sheet_post(meeting, **{f"status-{roll.me.pk}": "present"}),
    )
    assert r.status_code == 403
    assert _statuses(meeting) == before


def test_other_township_gets_404_for_the_sheet(people, login, meeting, roll):
    r = login(people.township_b).post(f"/meetings/{meeting.pk}/attendance/", _sheet_post(meeting))
    assert r.status_code == 404


# --- planned meetings -------------------------------------------------------------------------


def _future(hours: int = 30) -> str:
    return (timezone.localtime() + dt.timedelta(hours=hours)).strftime("%Y-%m-%dT%H:%M")


def test_plan_page_announces_a_meeting_and_notifies(
    people, login, tree, roll, django_capture_on_commit_callbacks
):
    client = login(people.village_secretary)
    assert client.get("/meetings/new/planned/").status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/meetings/new/planned/",
            {"org": tree.village_a1.pk, "types": ["general_meeting"], "topic": "学习党章",
             "held_at": _future(), "place": "村部"},
        )  # fmt: skip
    m = Meeting.objects.get()
    assert r.status_code == 302
    assert m.state == "planned"
    assert Notification.objects.filter(recipient=people.member).count() == 1
    html = client.get(f"/meetings/{m.pk}/").content.decode()
    assert 'data-testid="planned-notice"' in html
    assert "应到党员 5 人（其中 1 人有登录账号" in html
    assert m.checkin_code in html  # the QR card is there ahead of time
    assert 'data-testid="plan-box"' in html
    assert "meeting-start-record" not in html  # not held yet


def test_plan_page_refuses_a_past_time_and_saves_nothing(people, login, tree, roll):
    r = login(people.village_secretary).post(
        "/meetings/new/planned/",
        {"org": tree.village_a1.pk, "types": ["theme_day"], "topic": "x", "held_at": _future(-2)},
    )
    assert r.status_code == 200
    assert "须晚于当前时间" in r.content.decode()
    assert not Meeting.objects.exists()
    assert not Notification.objects.exists()


@pytest.fixture
def planned(people, tree, roll):
    return services.meeting_plan(
        actor=people.village_secretary, org=tree.village_a1, types=["theme_day"],
        held_at=timezone.now() + dt.timedelta(days=1), topic="主题党日",
    )  # fmt: skip


def test_reschedule_and_cancel_pages(people, login, planned):
    client = login(people.village_secretary)
    new_time = timezone.localtime(planned.held_at) + dt.timedelta(days=1)
    r = client.post(
        f"/meetings/{planned.pk}/reschedule/",
        {"reschedule-held_at": new_time.strftime("%Y-%m-%dT%H:%M"), "reschedule-place": "礼堂"},
    )
    planned.refresh_from_db()
    assert r.status_code == 302
    assert (planned.place, planned.notice_round) == ("礼堂", 2)
    r = client.post(f"/meetings/{planned.pk}/cancel/", {"cancel-reason": ""}, follow=True)
    assert "取消会议请填写原因" in r.content.decode()
    assert Meeting.objects.get(pk=planned.pk).state == "planned"
    client.post(f"/meetings/{planned.pk}/cancel/", {"cancel-reason": "暴雨"})
    planned.refresh_from_db()
    assert (planned.state, planned.cancel_reason) == ("cancelled", "暴雨")
    html = client.get(f"/meetings/{planned.pk}/").content.decode()
    assert 'data-testid="cancelled-notice"' in html
    assert planned.checkin_code not in html


def test_start_record_once_held_leads_to_the_minutes(people, login, planned):
    client = login(people.village_secretary)
    r = client.post(f"/meetings/{planned.pk}/record/", follow=True)
    assert "会议尚未召开" in r.content.decode()
    Meeting.objects.filter(pk=planned.pk).update(held_at=timezone.now() - dt.timedelta(hours=1))
    assert "meeting-start-record" in client.get(f"/meetings/{planned.pk}/").content.decode()
    r = client.post(f"/meetings/{planned.pk}/record/")
    assert r["Location"] == f"/meetings/{planned.pk}/edit/"
    assert Meeting.objects.get(pk=planned.pk).state == "draft"


@pytest.mark.parametrize("who", ["inspector", "township_b"])
def test_others_cannot_reschedule_or_cancel(people, login, planned, who):
    client = login(getattr(people, who))
    expected = 403 if who == "inspector" else 404
    for action, data in (("cancel", {"cancel-reason": "x"}), ("record", {})):
        assert client.post(f"/meetings/{planned.pk}/{action}/", data).status_code == expected
    assert Meeting.objects.get(pk=planned.pk).state == "planned"


def test_submit_review_flow_through_pages(people, login, meeting, roll):
    Attendance.objects.filter(meeting=meeting, member__in=roll.full[:3]).update(status="present")
    login(people.village_secretary).post(f"/meetings/{meeting.pk}/submit/")
    meeting.refresh_from_db()
    assert meeting.state == "submitted"
    client = login(people.township_a)
    assert meeting.topic in client.get("/meetings/to-review/").content.decode()
    assert 'data-testid="review-box"' in client.get(f"/meetings/{meeting.pk}/").content.decode()
    r = client.post(f"/meetings/{meeting.pk}/review/", {"decision": "return", "comment": ""})
    meeting.refresh_from_db()
    assert meeting.state == "submitted"
    client.post(f"/meetings/{meeting.pk}/review/", {"decision": "return", "comment": "补照片"})
    meeting.refresh_from_db()
    assert (meeting.state, meeting.review_comment) == ("returned", "补照片")
    assert r.status_code == 302


def test_secretary_has_no_review_queue(people, login):
    assert login(people.village_secretary).get("/meetings/to-review/").status_code == 403


def test_member_tab_shows_rate(people, login, tree, roll):
    sec = people.village_secretary
    a = make_meeting(sec, tree.village_a1, topic="甲")
    make_meeting(sec, tree.village_a1, topic="乙")
    b = Meeting.objects.get(topic="乙")
    services.attendance_set(actor=sec, meeting=a, member=roll.me, status="late")
    # Still being recorded: listed as 未签到, not yet in the rate.
    html = login(sec).get(f"/meetings/member/{roll.me.pk}/").content.decode()
    assert "应参加 0 次，出席 0 次" in html
    assert f'data-testid="member-att-{b.pk}">未签到' in html
    for m in (a, b):
        services.attendance_bulk_set(
            actor=sec, meeting=m,
            marks=[services.AttendanceMark(x.pk, "present") for x in roll.others],
        )  # fmt: skip
        services.meeting_submit(actor=sec, meeting=m)
    r = login(people.village_secretary).get(f"/meetings/member/{roll.me.pk}/")
    html = r.content.decode()
    assert "应参加 2 次，出席 1 次" in html
    assert f'data-testid="member-att-{b.pk}">缺席' in html
    assert "50%" in html
    assert login(people.township_b).get(f"/meetings/member/{roll.me.pk}/").status_code == 404


def test_editing_a_planned_meeting_keeps_its_time_and_saves_the_rest(people, login, planned):
    client = login(people.village_secretary)
    html = client.get(f"/meetings/{planned.pk}/edit/").content.decode()
    assert "修改时间请用“改期”" in html
    assert 'name="minutes"' not in html
    form = MeetingPlanEditForm(
        initial={
            **{f: getattr(planned, f) for f in services.FIELDS if f != "minutes"},
            "held_at": timezone.localtime(planned.held_at),
        }
    )
    later = timezone.localtime(planned.held_at) + dt.timedelta(days=3)
    r = client.post(
        f"/meetings/{planned.pk}/edit/",
        {"types": planned.types, "topic": "新主题", "place": "礼堂",
         "held_at": later.strftime("%Y-%m-%dT%H:%M"), "row_version": form.initial["row_version"]},
    )  # fmt: skip
    assert r.status_code == 302
    after = Meeting.objects.get(pk=planned.pk)
    assert (after.topic, after.place, after.held_at) == ("新主题", "礼堂", planned.held_at)
