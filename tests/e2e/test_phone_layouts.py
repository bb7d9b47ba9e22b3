"""At 375 px the boards and ledgers are card lists that never scroll sideways, each row's
controls on screen, pages bounded; the dispatch picker is touch-friendly (no "hold Ctrl"); each
role's home fits its work. Screenshots at 375 px and 1280 px of every page changed."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any

import pytest
from django.apps import apps as django_apps
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.dues.models import DuesRuleSet
from dangjian.dues.rules import add_months
from dangjian.dues.services import dues_profile_set
from dangjian.grid.tests.factories import make_grid
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member
from dangjian.points.models import PointsScheme
from dangjian.service_requests.tests.factories import drive, submit

PASSWORD = "pw-Test-2026"
PHONE = 375
DESK = 1280
# A page of 20 cards (and the home of an organizer) stays within a few phone screens.
MAX_PHONE_PAGE_HEIGHT = 3000
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹"
GIVEN = ["建国", "秀英", "立新", "桂兰", "振华", "玉梅", "国强", "海燕", "志刚", "丽娟"]


def _rule_data() -> None:
    """Data-migration rows a transactional test of another app may have flushed."""
    import importlib

    if not PointsScheme.objects.filter(scope__isnull=True).exists():
        mod = importlib.import_module("dangjian.points.migrations.0002_default_catalogue")
        mod.load(django_apps, None)
    if not DuesRuleSet.objects.exists():
        for name in ("0002_national_rules_2008", "0004_collection_rules_2008"):
            importlib.import_module(f"dangjian.dues.migrations.{name}").seed(django_apps, None)


@pytest.fixture
def branch(people: Any, tree: Any) -> list[Member]:
    """甲村 with 26 members (more than a page), each with a dues base; one claimed request."""
    _rule_data()
    since = add_months(timezone.localdate().replace(day=1), -1)
    members = []
    for i in range(26):
        name = SURNAMES[i] + GIVEN[i % len(GIVEN)]
        m = make_member(people.county_admin, tree.village_a1, name=name, male=i % 2 == 0)
        dues_profile_set(
            actor=people.county_admin,
            member=m,
            category="salaried",
            monthly_base=Decimal(3000 + 150 * i),
            effective_month=since,
        )
        members.append(m)
    Member.objects.filter(pk=members[1].pk).update(user=people.member)
    for name in ("孙丽", "钱进"):
        make_member(people.county_admin, tree.village_b1, name=name)
    grid = make_grid(tree.village_a1, "第一网格", workers=[people.grid_worker])
    req, _token = submit(grid, description="楼道灯坏了三天，老人夜里出门不便")
    drive(req, "claimed", people=people, member=members[1])
    submit(grid, description="村口路面塌陷，需要尽快修补")
    return members


def _login(page: Any, username: str) -> None:
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _width(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollWidth"))


def _height(page: Any) -> int:
    return int(page.evaluate("document.documentElement.scrollHeight"))


def _shoot(page: Any, directory: Any, name: str, width: int) -> None:
    page.wait_for_load_state("networkidle")
    page.screenshot(path=directory / f"phones-{name}-{width}.png", full_page=True)


def test_boards_and_ledgers_are_card_lists_on_a_phone(
    page_for: Any, people: Any, tree: Any, branch: Any, screenshot_dir: Any
) -> None:
    # 张榜晒分 of the county: 28 members, a page of 20 cards, no sideways scroll.
    phone = page_for(width=PHONE, height=812)
    _login(phone, "county_admin")
    phone.goto(f"/points/board/?org={tree.county.pk}")
    expect(phone.get_by_test_id("pager-extent")).to_contain_text("共 28 人")
    assert phone.locator('[data-testid="board-table"] tbody tr').count() == 20
    assert _width(phone) <= PHONE
    assert _height(phone) < MAX_PHONE_PAGE_HEIGHT
    # the star column is on every card, not cut off
    stars = phone.locator('[data-testid="board-table"] tbody tr td:last-child').first
    assert stars.bounding_box()["x"] + stars.bounding_box()["width"] <= PHONE
    _shoot(phone, screenshot_dir, "points-board", PHONE)
    phone.get_by_test_id("pager-next").click()
    expect(phone.get_by_test_id("pager-extent")).to_contain_text("第 2/2 页")
    assert phone.locator('[data-testid="board-table"] tbody tr').count() == 8

    # 党费收缴台账: the first card's 登记 is on screen without scrolling sideways.
    phone = page_for(width=PHONE, height=812)
    _login(phone, "village_secretary")
    phone.goto("/dues/")
    expect(phone.get_by_test_id("pager-extent")).to_contain_text("共 26 人")
    assert _width(phone) <= PHONE
    pay = phone.get_by_test_id("pay-form").first.get_by_role("button", name="登记")
    pay.scroll_into_view_if_needed()
    box = pay.bounding_box()
    assert box is not None
    assert box["x"] >= 0
    assert box["x"] + box["width"] <= PHONE
    assert box["y"] >= 0
    assert box["y"] + box["height"] <= 812
    _shoot(phone, screenshot_dir, "dues-ledger", PHONE)
    # 登记 on the card: the row comes back in place (htmx swaps the <tr>), still a card.
    first = phone.locator('[data-testid="ledger-table"] tbody tr').first
    pay.click()
    expect(first.get_by_test_id("row-saved")).to_be_visible()
    expect(first.get_by_test_id("status")).to_have_text("已交清")
    assert _width(phone) <= PHONE

    # 支部派单台: a picker with a search box and checkboxes, never "hold Ctrl".
    phone.goto("/requests/board/")
    assert _width(phone) <= PHONE
    assert "Ctrl" not in phone.locator("body").inner_text()
    card = phone.locator('[data-testid^="board-"]').first
    card.locator('[data-testid^="members-open-"]').click()
    search = card.get_by_label("查找承办党员")
    expect(search).to_be_visible()
    search.fill(branch[2].name)
    visible = card.locator("label.form-check:visible")
    expect(visible).to_have_count(1)
    visible.first.locator("input").check()
    # each checkbox posts the member's id (what the dispatch form reads)
    expect(card.locator(f'input[value="{branch[2].pk}"]')).to_be_checked()
    expect(card.locator('[data-testid^="members-open-"]')).to_contain_text(
        f"已选 1 人：{branch[2].name}"
    )
    assert _width(phone) <= PHONE
    assert "Ctrl" not in phone.locator("body").inner_text()
    _shoot(phone, screenshot_dir, "dispatch-board", PHONE)
    card.get_by_role("button", name="派单").click()
    expect(phone.get_by_text("没有待派单的诉求")).to_be_visible()

    # The same pages on a desktop keep their tables.
    desk = page_for(width=DESK)
    _login(desk, "county_admin")
    desk.goto(f"/points/board/?org={tree.county.pk}")
    expect(desk.locator('[data-testid="board-table"] thead')).to_be_visible()
    _shoot(desk, screenshot_dir, "points-board", DESK)
    desk = page_for(width=DESK)
    _login(desk, "village_secretary")
    desk.goto("/dues/")
    expect(desk.locator('[data-testid="ledger-table"] thead')).to_be_visible()
    _shoot(desk, screenshot_dir, "dues-ledger", DESK)
    desk.goto("/requests/board/")
    _shoot(desk, screenshot_dir, "dispatch-board", DESK)


@pytest.mark.parametrize(
    ("username", "shows", "omits"),
    [
        ("county_admin", ["home-counts", "home-expiring"], ["home-member"]),
        ("village_secretary", ["home-todo"], ["home-counts", "home-expiring"]),
        ("grid_worker", ["home-grid-pool"], ["home-counts", "home-expiring"]),
        ("member", ["home-my-points", "home-my-dues"], ["home-counts", "home-expiring"]),
    ],
)
def test_each_role_has_a_home_that_fits_a_phone(
    page_for: Any,
    people: Any,
    tree: Any,
    branch: Any,
    screenshot_dir: Any,
    username: str,
    shows: list[str],
    omits: list[str],
) -> None:
    phone = page_for(width=PHONE, height=812)
    _login(phone, username)
    phone.goto("/")
    for testid in shows:
        expect(phone.get_by_test_id(testid)).to_be_visible()
    phone.wait_for_load_state("networkidle")
    for testid in omits:
        expect(phone.get_by_test_id(testid)).to_have_count(0)
    assert _width(phone) <= PHONE
    assert _height(phone) < MAX_PHONE_PAGE_HEIGHT
    offered = username in ("county_admin", "village_secretary")
    expect(phone.locator('a[href="/accounts/tokens/"]')).to_have_count(2 if offered else 0)
    _shoot(phone, screenshot_dir, f"home-{username}", PHONE)
    if username == "county_admin":
        # The charts are folded on a phone and load when opened.
        expect(phone.get_by_test_id("home-member-stats")).to_be_hidden()
        phone.get_by_test_id("home-stats-fold").click()
        expect(phone.get_by_test_id("home-member-stats")).not_to_be_empty()
        expect(phone.get_by_test_id("home-member-stats")).to_be_visible()
        assert _width(phone) <= PHONE
    desk = page_for(width=DESK)
    _login(desk, username)
    desk.goto("/")
    for testid in shows:
        expect(desk.get_by_test_id(testid)).to_be_visible()
    _shoot(desk, screenshot_dir, f"home-{username}", DESK)
