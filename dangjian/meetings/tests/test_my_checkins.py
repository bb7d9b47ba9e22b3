"""The member's home page offers the meetings open for check-in right now."""

from __future__ import annotations

import datetime as dt

import pytest
from django.utils import timezone

from dangjian.meetings.tests.factories import make_meeting, roll  # noqa: F401 — fixture

pytestmark = pytest.mark.django_db


def test_open_meeting_is_offered_until_checked_in(login, people, tree, roll):  # noqa: F811
    meeting = make_meeting(
        people.county_admin, tree.village_a1, held_at=timezone.now() - dt.timedelta(minutes=5)
    )
    client = login(people.member)
    html = client.get("/meetings/checkin/mine/").content.decode()
    assert meeting.topic in html
    assert 'hx-get="/meetings/checkin/mine/"' in client.get("/").content.decode()
    client.post("/meetings/checkin/", {"code": meeting.checkin_code})
    assert meeting.topic not in client.get("/meetings/checkin/mine/").content.decode()


def test_closed_window_is_not_offered(login, people, tree, roll):  # noqa: F811
    make_meeting(
        people.county_admin,
        tree.village_a1,
        held_at=timezone.now() - dt.timedelta(days=2),
        topic="早已结束",
    )
    assert "早已结束" not in login(people.member).get("/meetings/checkin/mine/").content.decode()


def test_other_users_see_nothing(login, people, tree, roll):  # noqa: F811
    make_meeting(
        people.county_admin,
        tree.village_a1,
        held_at=timezone.now() - dt.timedelta(minutes=5),
        topic="本支部会议",
    )
    assert (
        "本支部会议" not in login(people.township_b).get("/meetings/checkin/mine/").content.decode()
    )
