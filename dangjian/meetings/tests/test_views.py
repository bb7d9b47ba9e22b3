"""Meeting pages across the personas: list, record, detail, attendance, review, member tab."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.core.forms import row_version
from dangjian.meetings import services
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


def test_secretary_sees_code_qr_and_inline_attendance(people, login, meeting):
    html = login(people.village_secretary).get(f"/meetings/{meeting.pk}/").content.decode()
    assert meeting.checkin_code in html
    assert "<svg" in html
    assert 'hx-post="/meetings/' in html
    assert "<p>第一项</p>" in html


def test_inspector_sees_no_code_and_no_editing(people, login, meeting):
    html = login(people.inspector).get(f"/meetings/{meeting.pk}/").content.decode()
    assert meeting.checkin_code not in html
    assert "hx-post" not in html


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


def test_htmx_attendance_edit_returns_the_row(people, login, meeting, roll):
    client = login(people.village_secretary)
    url = f"/meetings/{meeting.pk}/attendance/{roll.me.pk}/"
    version = row_version({"status": "absent", "reason": ""})
    data = {"status": "excused", "reason": "", "row_version": version}
    r = client.post(url, data, HTTP_HX_REQUEST="true")
    assert "请假需填写事由" in r.content.decode()
    assert Attendance.objects.get(meeting=meeting, member=roll.me).status == "absent"
    data = {"status": "excused", "reason": "生病", "row_version": version}
    r = client.post(url, data, HTTP_HX_REQUEST="true")
    html = r.content.decode()
    assert html.strip().startswith("<tr")
    assert "已保存" in html
    assert Attendance.objects.get(meeting=meeting, member=roll.me).reason == "生病"


def test_inspector_cannot_edit_attendance(people, login, meeting, roll):
    r = login(people.inspector).post(
        f"/meetings/{meeting.pk}/attendance/{roll.me.pk}/", {"status": "present"}
    )
    assert r.status_code == 403
    assert Attendance.objects.get(meeting=meeting, member=roll.me).status == "absent"


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
    services.attendance_set(actor=sec, meeting=a, member=roll.me, status="late")
    r = login(people.village_secretary).get(f"/meetings/member/{roll.me.pk}/")
    html = r.content.decode()
    assert "应参加 2 次，出席 1 次" in html
    assert "50%" in html
    assert login(people.township_b).get(f"/meetings/member/{roll.me.pk}/").status_code == 404
