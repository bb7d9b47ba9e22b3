"""A township approves a transfer request and prints the letter; the receiving township accepts."""

from __future__ import annotations

from typing import Any

import pytest
from playwright.sync_api import expect

from dangjian.members.models import Member
from dangjian.transfers.models import Transfer
from dangjian.transfers.tests.factories import make_member, request

PASSWORD = "pw-Test-2026"
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _login(page: Any, username: str) -> None:
    page.context.clear_cookies()
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url(lambda url: "/accounts/login/" not in url)


@pytest.mark.parametrize(("width", "label"), [(1280, "desktop"), (375, "phone")])
def test_approve_print_and_accept_a_transfer(page_for, people, tree, screenshot_dir, width, label):
    member = make_member(people.county_admin, tree.village_a1, name="李明")
    t = request(people.village_secretary, member, tree.village_b1, reason="经常居住地变动")
    page = page_for(width=width)
    _login(page, "township_a")
    page.goto("/transfers/?box=approve")
    expect(page.get_by_test_id("transfer-table")).to_contain_text("李明")
    page.screenshot(path=screenshot_dir / f"transfer-list-{label}.png", full_page=True)

    page.get_by_test_id("transfer-table").get_by_role("link", name="李明").click()
    page.get_by_role("button", name="审批通过并开具介绍信").click()
    expect(page.get_by_text("已审批，介绍信已开具")).to_be_visible()
    t.refresh_from_db()
    assert t.state == Transfer.State.APPROVED
    page.screenshot(path=screenshot_dir / f"transfer-detail-{label}.png", full_page=True)

    page.goto(f"/transfers/{t.pk}/letter/")
    letter = page.get_by_test_id("letter")
    expect(letter).to_contain_text("中国共产党党员组织关系介绍信")
    expect(letter).to_contain_text(t.number or "")
    page.screenshot(path=screenshot_dir / f"transfer-letter-{label}.png", full_page=True)

    _login(page, "township_b")
    page.goto(f"/transfers/{t.pk}/")
    page.get_by_role("button", name="确认接收").click()
    expect(page.get_by_text("已接收，回执已登记")).to_be_visible()
    page.screenshot(path=screenshot_dir / f"transfer-accepted-{label}.png", full_page=True)
    assert Member.objects.get(pk=member.pk).branch_id == tree.village_b1.pk
