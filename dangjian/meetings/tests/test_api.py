"""The meeting API: the same gates and rules as the pages, with stable error codes."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.meetings.models import Attendance, Meeting
from dangjian.meetings.tests import factories
from dangjian.meetings.tests.factories import make_meeting

pytestmark = pytest.mark.django_db
roll = factories.roll
J = "application/json"


def _held(hours: float = 1) -> str:
    return (timezone.now() - dt.timedelta(hours=hours)).isoformat()


def test_create_list_detail_patch(people, login, tree, roll):
    client = login(people.village_secretary)
    r = client.post(
        "/api/v1/meetings/",
        {"org_id": tree.village_a1.pk, "types": ["theme_day", "party_lecture"],
         "held_at": _held(), "topic": "主题党日", "minutes": "<p>记录</p><script>x</script>"},
        content_type=J,
    )  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["minutes"] == "<p>记录</p>"
    assert len(body["checkin_code"]) == 6
    assert len(body["attendance"]) == 5
    mid = body["id"]
    items = client.get("/api/v1/meetings/").json()["items"]
    assert [m["id"] for m in items] == [mid]
    r = client.patch(f"/api/v1/meetings/{mid}", {"topic": "改名"}, content_type=J)
    assert r.json()["topic"] == "改名"
    # An inspector sees the meeting but not its check-in code.
    detail = login(people.inspector).get(f"/api/v1/meetings/{mid}").json()
    assert detail["checkin_code"] is None


def test_create_in_the_future_is_400_with_code(people, login, tree, roll):
    r = login(people.village_secretary).post(
        "/api/v1/meetings/",
        {"org_id": tree.village_a1.pk, "types": ["theme_day"], "topic": "x",
         "held_at": (timezone.now() + dt.timedelta(hours=1)).isoformat()},
        content_type=J,
    )  # fmt: skip
    assert r.status_code == 400
    assert r.json()["fields"]["held_at"] == ["会议时间不能晚于当前时间"]
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(
    ("who", "status"), [("township_b", 404), ("member", 403), ("inspector", 403)]
)
def test_create_denied(people, login, tree, roll, who, status):
    r = login(getattr(people, who)).post(
        "/api/v1/meetings/",
        {"org_id": tree.village_a1.pk, "types": ["theme_day"], "topic": "x", "held_at": _held()},
        content_type=J,
    )
    assert r.status_code == status
    assert not Meeting.objects.exists()


def test_attendance_submit_return_approve(people, login, tree, roll):
    sec = login(people.village_secretary)
    m = make_meeting(people.village_secretary, tree.village_a1)
    url = f"/api/v1/meetings/{m.pk}"
    r = sec.put(f"{url}/attendance/{roll.me.pk}", {"status": "excused"}, content_type=J)
    assert r.status_code == 400
    assert r.json()["fields"]["reason"] == ["请假需填写事由"]
    outsider = factories.make_member(people.county_admin, tree.village_a2, name="外人")
    r = sec.put(f"{url}/attendance/{outsider.pk}", {"status": "present"}, content_type=J)
    assert r.status_code == 404
    r = sec.post(f"{url}/submit")
    assert r.status_code == 400
    assert r.json()["code"] == "quorum_general"
    for member in roll.full[:3]:
        r = sec.put(f"{url}/attendance/{member.pk}", {"status": "present"}, content_type=J)
        assert r.json()["status"] == "present"
    assert sec.post(f"{url}/submit").json()["state"] == "submitted"
    assert sec.post(f"{url}/approve", {}, content_type=J).status_code == 403
    town = login(people.township_a)
    assert [x["id"] for x in town.get("/api/v1/meetings/to-review").json()] == [m.pk]
    r = town.post(f"{url}/return", {"comment": ""}, content_type=J)
    assert r.json()["fields"]["comment"] == ["退回时请填写审核意见"]
    assert town.post(f"{url}/return", {"comment": "补充"}, content_type=J).json()["state"] == (
        "returned"
    )
    assert sec.post(f"{url}/submit").json()["state"] == "submitted"
    assert town.post(f"{url}/approve", {}, content_type=J).json()["state"] == "approved"
    assert Attendance.objects.filter(meeting=m, status="present").count() == 3


# --- the whole sheet, planned meetings ----------------------------------------------------------


def _statuses(meeting) -> dict[int, tuple[str, str]]:
    return {a.member_id: (a.status, a.reason) for a in meeting.attendance.all()}


def test_attendance_sheet_in_one_put(people, login, tree, roll):
    m = make_meeting(people.village_secretary, tree.village_a1)
    rows = [{"member_id": x.pk, "status": "present"} for x in roll.full]
    rows.append({"member_id": roll.probationary.pk, "status": "excused", "reason": "出差"})
    r = login(people.village_secretary).put(
        f"/api/v1/meetings/{m.pk}/attendance", {"rows": rows}, content_type=J
    )
    assert r.status_code == 200, r.content
    body = {x["member_id"]: (x["status"], x["reason"]) for x in r.json()}
    assert body == _statuses(m)
    assert body[roll.probationary.pk] == ("excused", "出差")


def test_attendance_sheet_with_a_member_not_invited_is_400_and_changes_nothing(
    people, login, tree, roll
):
    m = make_meeting(people.village_secretary, tree.village_a1)
    outsider = factories.make_member(people.county_admin, tree.village_a2, name="外人")
    before = _statuses(m)
    rows = [{"member_id": roll.me.pk, "status": "present"}]
    rows.append({"member_id": outsider.pk, "status": "present"})
    r = login(people.village_secretary).put(
        f"/api/v1/meetings/{m.pk}/attendance", {"rows": rows}, content_type=J
    )
    assert r.status_code == 400
    assert r.json()["code"] == "not_invited"
    assert "外人" not in r.json()["message"]
    assert _statuses(m) == before


@pytest.mark.parametrize(("who", "status"), [("township_b", 404), ("inspector", 403)])
def test_attendance_sheet_denied(people, login, tree, roll, who, status):
    m = make_meeting(people.village_secretary, tree.village_a1)
    before = _statuses(m)
    r = login(getattr(people, who)).put(
        f"/api/v1/meetings/{m.pk}/attendance",
        {"rows": [{"member_id": roll.me.pk, "status": "present"}]},
        content_type=J,
    )
    assert r.status_code == status
    assert _statuses(m) == before


def test_plan_reschedule_cancel_through_the_api(
    people, login, tree, roll, django_capture_on_commit_callbacks
):
    from dangjian.core.models import Notification

    client = login(people.village_secretary)
    held = timezone.now() + dt.timedelta(days=2)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            "/api/v1/meetings/planned",
            {"org_id": tree.village_a1.pk, "types": ["theme_day"], "topic": "主题党日",
             "held_at": held.isoformat(), "place": "村部"},
            content_type=J,
        )  # fmt: skip
    assert r.status_code == 201, r.content
    body = r.json()
    assert body["state"] == "planned"
    assert body["notified_at"] is not None
    assert len(body["attendance"]) == 5
    mid = body["id"]
    assert Notification.objects.filter(recipient=people.member).count() == 1
    r = client.post(f"/api/v1/meetings/{mid}/record")
    assert r.status_code == 400
    assert r.json()["code"] == "not_held_yet"
    later = held + dt.timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        r = client.post(
            f"/api/v1/meetings/{mid}/reschedule", {"held_at": later.isoformat()}, content_type=J
        )
    assert r.status_code == 200
    assert r.json()["checkin_opens_at"] is not None
    assert Notification.objects.filter(recipient=people.member).count() == 2
    r = client.post(f"/api/v1/meetings/{mid}/cancel", {"reason": ""}, content_type=J)
    assert r.status_code == 400
    r = client.post(f"/api/v1/meetings/{mid}/cancel", {"reason": "改为线上"}, content_type=J)
    assert (r.json()["state"], r.json()["cancel_reason"]) == ("cancelled", "改为线上")


def test_plan_in_the_past_is_400_and_saves_nothing(people, login, tree, roll):
    r = login(people.village_secretary).post(
        "/api/v1/meetings/planned",
        {"org_id": tree.village_a1.pk, "types": ["theme_day"], "topic": "x", "held_at": _held()},
        content_type=J,
    )
    assert r.status_code == 400
    assert r.json()["fields"]["held_at"] == [
        "通知的会议时间须晚于当前时间；已召开的会议请用“登记会议”"
    ]
    assert not Meeting.objects.exists()


@pytest.mark.parametrize(("who", "status"), [("township_b", 404), ("member", 403)])
def test_plan_denied(people, login, tree, roll, who, status):
    r = login(getattr(people, who)).post(
        "/api/v1/meetings/planned",
        {"org_id": tree.village_a1.pk, "types": ["theme_day"], "topic": "x",
         "held_at": (timezone.now() + dt.timedelta(days=1)).isoformat()},
        content_type=J,
    )  # fmt: skip
    assert r.status_code == status
    assert not Meeting.objects.exists()
