"""The secretary records a meeting, a member checks in on a phone with the code, the secretary
submits, 甲镇党委 returns it with a comment, the secretary fixes it and resubmits."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from dangjian.meetings.models import Meeting
from dangjian.meetings.tests import factories

PASSWORD = "pw-Test-2026"
# Browser tests truncate the database; serialized rollback restores the code tables and rule
# sets that migrations load.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
roll = factories.roll


def _login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _branch_row(page, tree) -> str:  # type: ignore[no-untyped-def]
    page.goto(f"/meetings/compliance/?org={tree.township_a.pk}")
    row = page.get_by_test_id(f"branch-{tree.village_a1.pk}")
    expect(row).to_be_visible()
    return row.inner_text()


def test_record_checkin_submit_return_resubmit(page_for, people, tree, roll, screenshot_dir):
    town = page_for(width=1280)
    _login(town, "township_a")
    compliance_before = _branch_row(town, tree)

    # The secretary records a meeting (held now: the default time on the form).
    sec = page_for(width=1280)
    _login(sec, "village_secretary")
    sec.goto("/meetings/")
    sec.get_by_test_id("meeting-new").click()
    sec.get_by_label("党组织").select_option(str(tree.village_a1.pk))
    sec.get_by_label("主题党日").check()
    sec.get_by_label("党课").check()
    sec.get_by_label("会议主题").fill("学习新修订的《中国共产党纪律处分条例》")
    sec.get_by_label("地点").fill("村党群服务中心")
    sec.get_by_label("会议记录").fill("一、书记领学条例\n二、党员交流发言")
    sec.screenshot(path=screenshot_dir / "meeting-form-desktop.png", full_page=True)
    sec.get_by_role("button", name="保存").click()
    expect(sec.get_by_test_id("checkin-card")).to_be_visible()
    code = sec.get_by_test_id("checkin-code").inner_text().strip()
    assert len(code) == 6
    expect(sec.get_by_test_id("meeting-minutes")).to_contain_text("党员交流发言")
    sec.screenshot(path=screenshot_dir / "meeting-detail-desktop.png", full_page=True)

    # A member checks in on a phone with the code (a wrong code first: nothing changes).
    phone = page_for(width=375, height=740)
    _login(phone, "member")
    phone.goto("/meetings/checkin/")
    phone.get_by_label("签到码").fill("ZZZZZZ")
    phone.get_by_role("button", name="签到").click()
    expect(phone.get_by_test_id("checkin-error")).to_have_text("签到码不存在")
    phone.get_by_label("签到码").fill(code.lower())
    phone.screenshot(path=screenshot_dir / "checkin-phone.png", full_page=True)
    phone.get_by_role("button", name="签到").click()
    expect(phone.get_by_test_id("checkin-message")).to_have_text(re.compile(r"^签到成功"))
    phone.screenshot(path=screenshot_dir / "checkin-done-phone.png", full_page=True)
    # The check-in page fits a 375 px screen without sideways scrolling.
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    # The secretary sees the check-in and marks one absentee as excused inline (HTMX).
    sec.reload()
    expect(sec.get_by_test_id(f"att-{roll.me.pk}").get_by_test_id("att-status")).to_contain_text(
        re.compile("出席|迟到")
    )
    other = sec.get_by_test_id(f"att-{roll.others[0].pk}")
    other.get_by_label(f"{roll.others[0].name}的出席情况").select_option("excused")
    other.get_by_label(f"{roll.others[0].name}的请假事由").fill("外出务工")
    other.get_by_role("button", name="保存").click()
    expect(sec.get_by_test_id(f"att-{roll.others[0].pk}")).to_contain_text("已保存")
    expect(sec.get_by_test_id(f"att-{roll.others[0].pk}")).to_contain_text("外出务工")
    sec.get_by_test_id("meeting-submit").click()
    expect(sec.get_by_test_id("meeting-state").first).to_have_text("已提交待审核")

    # 甲镇党委 returns it with a comment (an empty comment is refused first).
    town.goto("/meetings/to-review/")
    town.get_by_role("link", name="学习新修订的《中国共产党纪律处分条例》").click()
    town.get_by_role("button", name="退回修改").click()
    expect(town.get_by_text("退回时请填写审核意见")).to_be_visible()
    town.get_by_label("审核意见").fill("请补充会议照片和发言要点")
    town.screenshot(path=screenshot_dir / "meeting-review-desktop.png", full_page=True)
    town.get_by_role("button", name="退回修改").click()
    expect(town.get_by_test_id("meeting-state").first).to_have_text("已退回")

    # The secretary fixes the record and resubmits.
    meeting = Meeting.objects.get()
    sec.goto(f"/meetings/{meeting.pk}/")
    expect(sec.get_by_test_id("review-comment")).to_contain_text("请补充会议照片和发言要点")
    sec.get_by_role("link", name="修改").click()
    sec.get_by_label("会议记录").fill("一、书记领学条例\n二、党员交流发言：张三谈学习体会")
    sec.get_by_role("button", name="保存").click()
    sec.get_by_test_id("meeting-submit").click()
    expect(sec.get_by_test_id("meeting-state").first).to_have_text("已提交待审核")
    meeting.refresh_from_db()
    assert meeting.state == "submitted"
    assert meeting.type_tags.filter(counts=True).count() == 2

    # The same page on a phone.
    sec_phone = page_for(width=375, height=740)
    _login(sec_phone, "village_secretary")
    sec_phone.goto(f"/meetings/{meeting.pk}/")
    sec_phone.screenshot(path=screenshot_dir / "meeting-detail-phone.png", full_page=True)
    sec_phone.goto("/meetings/")
    sec_phone.screenshot(path=screenshot_dir / "meeting-list-phone.png", full_page=True)

    # The branch's cell on the compliance page reflects the submitted record.
    assert _branch_row(town, tree) != compliance_before
    town.screenshot(path=screenshot_dir / "meeting-compliance-desktop.png", full_page=True)
