"""Check-in pages: the 6-character code and the QR link, on a phone, with Chinese errors."""

from __future__ import annotations

import pytest

from dangjian.meetings.models import Attendance
from dangjian.meetings.tests import factories
from dangjian.meetings.tests.factories import make_meeting

pytestmark = pytest.mark.django_db
roll = factories.roll


@pytest.fixture
def meeting(tree, people, roll):
    return make_meeting(people.village_secretary, tree.village_a1)


def _status(meeting, member):
    return Attendance.objects.get(meeting=meeting, member=member).status


def test_checkin_page_needs_login(client):
    r = client.get("/meetings/checkin/")
    assert r.status_code == 302
    assert "/accounts/login/" in r["Location"]


def test_member_checks_in_with_code(people, login, meeting, roll):
    client = login(people.member)
    assert client.get("/meetings/checkin/").status_code == 200
    r = client.post("/meetings/checkin/", {"code": meeting.checkin_code.lower()})
    assert "签到成功" in r.content.decode()
    assert _status(meeting, roll.me) in ("present", "late")


def test_unknown_code_shows_error_and_changes_nothing(people, login, meeting, roll):
    r = login(people.member).post("/meetings/checkin/", {"code": "ABCDEF"})
    assert "签到码不存在" in r.content.decode()
    assert _status(meeting, roll.me) == "absent"


def test_qr_link_shows_the_meeting_then_checks_in(people, login, meeting, roll):
    client = login(people.member)
    url = f"/meetings/checkin/{meeting.checkin_token}/"
    r = client.get(url)
    assert meeting.topic in r.content.decode()
    assert _status(meeting, roll.me) == "absent"  # a GET never checks in
    r = client.post(url, {"code": meeting.checkin_token})
    assert "签到成功" in r.content.decode()
    assert _status(meeting, roll.me) in ("present", "late")


def test_bad_qr_link_is_a_chinese_error(people, login, meeting):
    r = login(people.member).get("/meetings/checkin/nonsense-token/")
    assert "签到码不存在" in r.content.decode()


def test_someone_not_invited_is_refused(people, login, tree, meeting):
    factories.make_member(people.county_admin, tree.village_a2, name="外支部")
    r = login(people.grid_worker).post("/meetings/checkin/", {"code": meeting.checkin_code})
    assert "未关联党员信息" in r.content.decode()


def test_checkin_via_api(people, login, meeting, roll):
    client = login(people.member)
    r = client.post(
        "/api/v1/meetings/checkin", {"code": meeting.checkin_code}, content_type="application/json"
    )
    assert r.status_code == 200
    assert r.json()["meeting_id"] == meeting.pk
    r = client.post("/api/v1/meetings/checkin", {"code": "ZZZZZZ"}, content_type="application/json")
    assert r.status_code == 400
    assert r.json() == {"code": "code_unknown", "message": "签到码不存在"}
