"""Notifications and the holiday calendar pages."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.core.models import CalendarDay, Notification
from dangjian.core.services import notify

pytestmark = pytest.mark.django_db


def test_bell_shows_unread_count(login, people):
    notify(recipients=[people.member], title="换届提醒", body="甲村党支部任期将满")
    client = login(people.member)
    html = client.get("/system/notifications/bell/").content.decode()
    assert "1 条未读" in html
    client.post("/system/notifications/read-all/")
    assert Notification.objects.get(recipient=people.member).read_at is not None


def test_notifications_are_private(login, people):
    notify(recipients=[people.county_admin], title="只给管理员")
    html = login(people.member).get("/system/notifications/").content.decode()
    assert "只给管理员" not in html


def test_calendar_page_for_org_admin(login, people):
    html = login(people.county_admin).get("/system/calendar/?year=2026").content.decode()
    assert "春节" in html
    assert "调休上班" in html


def test_calendar_page_forbidden_for_others(login, people):
    assert login(people.township_a).get("/system/calendar/").status_code == 403


def test_calendar_add_future_holiday(login, people):
    client = login(people.county_admin)
    response = client.post(
        "/system/calendar/", {"date": "2027-10-04", "kind": "holiday", "name": "国庆节"}
    )
    assert response.status_code == 302
    assert CalendarDay.objects.get(date=dt.date(2027, 10, 4)).kind == "holiday"


def test_calendar_refuses_weekday_workday_and_changes_nothing(login, people):
    client = login(people.county_admin)
    before = CalendarDay.objects.count()
    response = client.post("/system/calendar/", {"date": "2027-10-05", "kind": "workday"})
    assert response.status_code == 200
    assert "调休上班日必须是周六或周日" in response.content.decode()
    assert CalendarDay.objects.count() == before


def test_calendar_delete(login, people):
    client = login(people.county_admin)
    client.post("/system/calendar/", {"date": "2027-10-04", "kind": "holiday", "name": "国庆节"})
    client.post("/system/calendar/2027-10-04/delete/")
    assert not CalendarDay.objects.filter(date=dt.date(2027, 10, 4)).exists()
