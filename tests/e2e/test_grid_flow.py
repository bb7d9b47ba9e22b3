"""A grid worker on a phone opens their grid, records an opinion (村情民意) and a mediation with a
乡贤 in the 乡贤评理室; the township's grid statistics count both."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dangjian.community.models import Mediation, OpinionRecord
from dangjian.community.tests.factories import make_worthy
from dangjian.grid.tests.factories import make_grid, make_household
from dangjian.members.tests.factories import make_member

PASSWORD = "pw-Test-2026"
# Browser tests truncate the database; serialized rollback restores the household tags and
# the grid rule set that migrations load.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _stat(page, tree, key: str) -> int:  # type: ignore[no-untyped-def]
    page.goto(f"/grid/?org={tree.township_a.pk}")
    return int(page.get_by_test_id(f"stat-{key}").inner_text().strip())


def _fits(page) -> None:  # type: ignore[no-untyped-def]
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


@pytest.fixture
def patient_expect():  # type: ignore[no-untyped-def]
    """Two cores shared by six engineers: allow slow pages before an assertion fails."""
    expect.set_options(timeout=20_000)
    yield
    expect.set_options(timeout=5_000)


def test_grid_worker_records_opinion_and_mediation_on_a_phone(
    page_for, people, tree, screenshot_dir, patient_expect
):
    grid = make_grid(tree.village_a1, "甲村第一网格", workers=[people.grid_worker],
                     area_description="甲村一组、二组")  # fmt: skip
    for i, tags in enumerate((["elderly_alone", "dibao"], ["disabled"], [], ["migrant_out"])):
        make_household(grid, address=f"甲村一组 {i + 1} 号", phone="13912345678", tags=tags)
    make_member(people.county_admin, tree.village_a1, name="孙立新")
    make_worthy(tree.village_a2, "周德明", phone="13600001234")

    town = page_for(width=1280)
    _login(town, "township_a")
    opinions_before = _stat(town, tree, "opinions")
    mediations_before = _stat(town, tree, "mediations")
    town.screenshot(path=screenshot_dir / "grid-list-desktop.png", full_page=True)

    phone = page_for(width=375, height=740)
    _login(phone, "grid_worker")
    phone.goto("/grid/")
    expect(phone.get_by_test_id("my-grids")).to_contain_text("甲村第一网格")
    phone.screenshot(path=screenshot_dir / "grid-list-phone.png", full_page=True)
    _fits(phone)
    phone.get_by_test_id("my-grids").get_by_role("link", name=re.compile("甲村第一网格")).click()
    expect(phone.get_by_test_id("households")).to_contain_text("甲村一组 1 号")
    expect(phone.get_by_test_id("households")).to_contain_text("139****5678")
    expect(phone.get_by_test_id("households")).not_to_contain_text("13912345678")
    phone.screenshot(path=screenshot_dir / "grid-detail-phone.png", full_page=True)
    _fits(phone)

    # 村情民意: a bad date first (tomorrow) changes nothing, then the real one.
    phone.get_by_test_id("opinion-new").click()
    phone.get_by_label("类别").select_option(label="基础设施")
    phone.get_by_label("民意内容").fill("一组路灯坏了三盏，晚上出行不便")
    phone.get_by_label("反映住户").select_option(label="甲村一组 2 号（王大伯）")
    phone.screenshot(path=screenshot_dir / "opinion-form-phone.png", full_page=True)
    _fits(phone)
    phone.get_by_test_id("save").click()
    expect(phone.locator(".alert-success")).to_contain_text("已登记民意")
    expect(phone.get_by_test_id("recent-opinions")).to_contain_text("路灯坏了三盏")

    # The same day the lights are fixed: the worker records the handling and the result.
    phone.get_by_test_id("recent-opinions").get_by_role("link", name=re.compile("路灯")).click()
    phone.get_by_label("办理状态").select_option(label="已办结")
    phone.get_by_label("办理情况").fill("已联系镇供电所更换灯泡")
    phone.get_by_label("办理结果").fill("三盏路灯已修复，已电话回访")
    phone.screenshot(path=screenshot_dir / "opinion-handle-phone.png", full_page=True)
    _fits(phone)
    phone.get_by_role("button", name="保存").click()
    expect(phone.get_by_test_id("opinion-info")).to_contain_text("三盏路灯已修复")
    expect(phone.get_by_role("heading", level=2)).to_contain_text("已办结")
    phone.goto(f"/grid/{grid.pk}/")

    # 矛盾调解 in the 乡贤评理室 with a 乡贤 of the township.
    phone.get_by_test_id("mediation-new").click()
    phone.get_by_label("纠纷类型").select_option(label="邻里纠纷")
    phone.get_by_label("当事人").fill("王大山\n赵小河")
    phone.get_by_label("纠纷概要").fill("两户因排水沟走向发生争执")
    expect(phone.get_by_label("调解地点")).to_have_value("worthy_room")
    phone.get_by_label(re.compile("周德明")).check()
    phone.get_by_label("调解成功").check()
    phone.get_by_label("调解协议").fill("排水沟沿原址修复，费用两家均摊")
    phone.screenshot(path=screenshot_dir / "mediation-form-phone.png", full_page=True)
    _fits(phone)
    phone.get_by_test_id("save").click()
    expect(phone.locator(".alert-success")).to_contain_text("调解成功")
    recent = phone.get_by_test_id("recent-mediations")
    expect(recent).to_contain_text("王**、赵**")
    expect(recent).not_to_contain_text("王大山")
    recent.get_by_role("link", name=re.compile("邻里纠纷")).click()
    expect(phone.get_by_test_id("mediation-worthies")).to_contain_text("周德明")
    phone.screenshot(path=screenshot_dir / "mediation-detail-phone.png", full_page=True)
    _fits(phone)

    assert (
        OpinionRecord.objects.filter(grid=grid, collected_by_user=people.grid_worker).count() == 1
    )
    mediation = Mediation.objects.get(grid=grid)
    assert [w.name for w in mediation.worthies.all()] == ["周德明"]

    # The township's statistics now count both.
    assert _stat(town, tree, "opinions") == opinions_before + 1
    assert _stat(town, tree, "mediations") == mediations_before + 1
    expect(town.get_by_test_id("stats-sentence")).to_contain_text("办结 1 条")
    expect(town.get_by_test_id("stats-sentence")).to_contain_text("乡贤参与 1 起")
    town.screenshot(path=screenshot_dir / "grid-stats-desktop.png", full_page=True)
