"""Editing an existing organization and an existing member in a real browser keeps their dates.

The zh-hans locale used to render ``value="2010/03/23"`` into ``<input type="date">``: the
browser showed it empty and sent it empty, so changing a phone number wiped 成立日期 and 本届任期.
"""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.orgs.models import Organization

PASSWORD = "pw-Test-2026"
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("home-notifications")).to_be_visible()  # on every role's home


def test_editing_an_organizations_phone_keeps_its_dates(page_for, people, tree, screenshot_dir):
    org = tree.village_a1
    Organization.objects.filter(pk=org.pk).update(
        established_on=dt.date(2010, 3, 23),
        term_start=dt.date(2024, 1, 5),
        term_end=dt.date(2029, 1, 4),
        phone="0571-88880000",
    )
    page = page_for()
    _login(page, "county_admin")
    page.goto(f"/orgs/{org.pk}/edit/")
    expect(page.get_by_label("成立日期")).to_have_value("2010-03-23")
    expect(page.get_by_label("本届任期届满")).to_have_value("2029-01-04")
    page.get_by_label("联系电话").fill("0571-88886666")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存")).to_be_visible()

    page.reload()
    info = page.get_by_test_id("org-info")
    expect(info).to_contain_text("2010年3月23日")
    expect(info).to_contain_text("2024年1月5日")
    expect(info).to_contain_text("2029年1月4日")
    expect(info).to_contain_text("0571-88886666")
    page.screenshot(path=screenshot_dir / "edit-org-keeps-dates.png", full_page=True)
    org.refresh_from_db()
    assert (org.established_on, org.term_start, org.term_end) == (
        dt.date(2010, 3, 23),
        dt.date(2024, 1, 5),
        dt.date(2029, 1, 4),
    )


def test_editing_a_members_address_keeps_their_dates(page_for, people, tree, screenshot_dir):
    member = make_member(
        people.county_admin,
        tree.village_a1,
        name="王立新",
        birth_date=dt.date(1975, 6, 8),
        joined_on=dt.date(2001, 7, 1),
        full_member_on=dt.date(2002, 7, 1),
        work_started_on=dt.date(1995, 9, 1),
        address="甲村三组 8 号",
    )
    page = page_for()
    _login(page, "village_secretary")
    page.goto(f"/members/{member.pk}/edit/")
    expect(page.get_by_label("出生日期")).to_have_value("1975-06-08")
    expect(page.get_by_label("参加工作日期")).to_have_value("1995-09-01")
    page.get_by_label("家庭住址").fill("甲村四组 2 号")
    page.get_by_role("button", name="保存").click()
    expect(page.get_by_text("已保存")).to_be_visible()

    page.reload()
    body = page.locator("body")
    expect(body).to_contain_text("甲村四组 2 号")
    expect(body).to_contain_text("1995年9月1日")
    expect(body).to_contain_text("2001年7月1日")
    expect(body).to_contain_text("2002年7月1日")
    page.screenshot(path=screenshot_dir / "edit-member-keeps-dates.png", full_page=True)
    member = Member.objects.get(pk=member.pk)
    assert member.address == "甲村四组 2 号"
    assert (member.birth_date, member.joined_on, member.full_member_on, member.work_started_on) == (
        dt.date(1975, 6, 8),
        dt.date(2001, 7, 1),
        dt.date(2002, 7, 1),
        dt.date(1995, 9, 1),
    )
