"""A member opens the passbook on a phone and reports volunteer service with a photo; the
secretary approves it; the balance and the branch board change; the wall board prints."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.apps import apps as django_apps
from playwright.sync_api import expect

from dangjian.points.models import PointsClaim, PointsEntry, PointsScheme
from dangjian.points.tests import factories

PASSWORD = "pw-Test-2026"
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
roll = factories.roll


def _ensure_default_catalogue() -> None:
    """The data-migration catalogue (a transactional test before this one may have flushed it)."""
    if not PointsScheme.objects.filter(scope__isnull=True).exists():
        import importlib

        mod = importlib.import_module("dangjian.points.migrations.0002_default_catalogue")
        mod.load(django_apps, None)


def _login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def test_passbook_self_report_approve_board_print(
    page_for, people, tree, roll, screenshot_dir, tmp_path
):
    _ensure_default_catalogue()
    photo = tmp_path / "volunteer.png"
    photo.write_bytes(factories.png_bytes((480, 320)))

    # The member opens the passbook on a 375 px phone.
    phone = page_for(width=375, height=812)
    _login(phone, "member")
    phone.goto("/points/mine/")
    expect(phone.get_by_test_id("passbook-balance")).to_have_text("100")
    phone.screenshot(path=screenshot_dir / "points-passbook-375.png", full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # A report without the photo the item requires is refused, nothing saved.
    phone.get_by_test_id("claim-new").click()
    phone.get_by_label("申报项目").select_option(label="+3 参加志愿服务活动（须附佐证）")
    phone.get_by_label("情况说明").fill("参加村敬老院志愿服务，打扫卫生、陪老人聊天")
    phone.get_by_role("button", name="提交申报").click()
    expect(phone.get_by_text("须上传佐证照片")).to_be_visible()
    assert PointsClaim.objects.count() == 0

    phone.get_by_label("佐证照片").set_input_files(str(photo))
    phone.screenshot(path=screenshot_dir / "points-claim-375.png", full_page=True)
    phone.get_by_role("button", name="提交申报").click()
    expect(phone.get_by_text("申报已提交，等待支部审核")).to_be_visible()
    expect(phone.get_by_test_id("my-claims")).to_contain_text("待审核")
    claim = PointsClaim.objects.get()

    # The secretary sees it on the points home and approves it.
    desk = page_for(width=1280)
    _login(desk, "village_secretary")
    desk.goto(f"/points/?org={tree.village_a1.pk}")
    card = desk.get_by_test_id(f"claim-{claim.pk}")
    expect(card).to_contain_text("陈秀英")
    evidence = card.get_by_role("img", name="佐证照片")
    expect(evidence).to_be_visible()
    # The photo really arrives, through the claim's gate (no public /media/ mount).
    assert evidence.get_attribute("src") == f"/points/claims/{claim.pk}/evidence/"
    desk.wait_for_function(
        "img => img.complete && img.naturalWidth > 0", arg=evidence.element_handle()
    )
    desk.screenshot(path=screenshot_dir / "points-home-desktop.png", full_page=True)
    card.get_by_test_id("approve").click()
    expect(desk.get_by_text("陈秀英申报的“参加志愿服务活动”已通过")).to_be_visible()
    assert PointsEntry.objects.get().points == Decimal(3)

    # The branch board changes: 陈秀英 leads with 103.
    desk.get_by_test_id("board-link").click()
    first = desk.get_by_test_id("board-table").locator("tbody tr").first
    expect(first).to_contain_text("陈秀英")
    expect(first).to_contain_text("103")
    desk.screenshot(path=screenshot_dir / "points-board-desktop.png", full_page=True)

    # The passbook shows the new balance, the entry with its reason and source.
    phone.goto("/points/mine/")
    expect(phone.get_by_test_id("passbook-balance")).to_have_text("103")
    expect(phone.get_by_test_id("passbook-rank")).to_contain_text("1")
    expect(phone.get_by_test_id("entry").first).to_contain_text("参加村敬老院志愿服务")
    phone.screenshot(path=screenshot_dir / "points-passbook-after-375.png", full_page=True)
    phone.get_by_test_id("branch-board").click()
    expect(phone.get_by_test_id("board-table").locator("tbody tr").first).to_contain_text("103")
    phone.screenshot(path=screenshot_dir / "points-branch-board-375.png", full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # The printable A4 wall board.
    printed = page_for(width=900, height=1270)
    _login(printed, "village_secretary")
    printed.goto(f"/points/board/print/?org={tree.village_a1.pk}")
    expect(printed.get_by_test_id("print-board")).to_contain_text("党员积分榜")
    expect(printed.locator("tbody tr").first).to_contain_text("103")
    printed.screenshot(path=screenshot_dir / "points-board-print.png", full_page=True)
    printed.pdf(path=str(screenshot_dir / "points-board-print.pdf"), format="A4")


def test_star_review_and_catalogue_pages(page_for, people, tree, roll, screenshot_dir):
    _ensure_default_catalogue()
    sec = page_for(width=1280)
    _login(sec, "village_secretary")
    sec.goto("/points/stars/")
    sec.get_by_test_id("star-start").get_by_role("button", name="发起").click()
    expect(sec.get_by_test_id("ratings-table")).to_contain_text("陈秀英")
    expect(sec.get_by_test_id("review-state")).to_have_text("评定中")
    review_url = sec.url

    town = page_for(width=1280)
    _login(town, "township_a")
    town.goto(review_url)
    town.get_by_test_id("publish").click()
    expect(town.get_by_test_id("review-state")).to_have_text("公示中")
    expect(town.get_by_text("按工作日计算，节假日顺延")).to_be_visible()
    town.screenshot(path=screenshot_dir / "points-stars-review-desktop.png", full_page=True)

    admin = page_for(width=1280)
    _login(admin, "county_admin")
    admin.goto(f"/points/catalogue/?org={tree.county.pk}")
    expect(admin.get_by_test_id("items-table")).to_contain_text("办结群众诉求服务工单")
    admin.screenshot(path=screenshot_dir / "points-catalogue-desktop.png", full_page=True)
