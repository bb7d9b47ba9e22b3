"""A secretary finds a member by ID number through the list's filter form: the number is
posted, never in the address; a name search still lands on a GET address that pages."""

from __future__ import annotations

import datetime as dt

import pytest
from playwright.sync_api import expect

from dangjian.members.tests.factories import make_id, make_member

PASSWORD = "pw-Test-2026"
# serialized_rollback: the code tables come from a data migration and must survive the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_a_search_by_id_number_keeps_the_number_out_of_the_address(
    page_for, people, tree, screenshot_dir
):
    number = make_id(dt.date(1979, 6, 2), n=41)
    make_member(people.county_admin, tree.village_a1, name="欧阳建华", id_number=number,
                birth_date=dt.date(1979, 6, 2))  # fmt: skip
    make_member(people.county_admin, tree.village_a1, name="司马秀英", male=False)
    page = page_for()
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号").fill("village_secretary")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("home-notifications")).to_be_visible()  # on every role's home

    page.goto("/members/")
    page.get_by_label("检索党员").fill(number)
    page.get_by_role("button", name="筛选").click()
    table = page.get_by_test_id("member-table")
    expect(table).to_contain_text("欧阳建华")
    expect(table).not_to_contain_text("司马秀英")
    assert number not in page.url
    assert page.url.rstrip("/").endswith("/members")
    page.screenshot(path=screenshot_dir / "member-id-search.png", full_page=True)

    page.get_by_label("检索党员").fill("司马")
    page.get_by_role("button", name="筛选").click()
    expect(page.get_by_test_id("member-table")).to_contain_text("司马秀英")
    assert "q=%E5%8F%B8%E9%A9%AC" in page.url
