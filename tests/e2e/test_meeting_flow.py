"""The secretary records a meeting, a member checks in on a phone with the code, the secretary
submits, 甲镇党委 returns it with a comment, the secretary fixes it and resubmits.

And a meeting announced ahead: the secretary plans it, the member is notified and checks in at
the time, the secretary records it, marks the sheet (全部出席, one exception) with live totals,
saves it once and submits."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dangjian.core.models import Notification
from dangjian.meetings.models import Attendance, Meeting, MeetingTypeTag
from dangjian.meetings.tests import factories
from dangjian.meetings.tests import test_planned as channel

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

    # The secretary sees the check-in on the sheet and marks one absentee as excused (one save).
    sec.reload()
    me = sec.get_by_test_id(f"att-{roll.me.pk}")
    expect(me.get_by_test_id("att-checkin")).to_be_visible()
    expect(me.get_by_label(f"{roll.me.name}的出席情况")).to_have_value(re.compile("present|late"))
    other = sec.get_by_test_id(f"att-{roll.others[0].pk}")
    other.get_by_label(f"{roll.others[0].name}的出席情况").select_option("excused")
    other.get_by_label(f"{roll.others[0].name}的请假事由").fill("外出务工")
    sec.get_by_test_id("attendance-save").click()
    expect(sec.get_by_text("已保存出席情况（1 人有变动）")).to_be_visible()
    other = sec.get_by_test_id(f"att-{roll.others[0].pk}")
    expect(other.get_by_label(f"{roll.others[0].name}的请假事由")).to_have_value("外出务工")
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


def test_plan_notify_checkin_then_one_save_for_the_whole_sheet(
    page_for, people, tree, roll, screenshot_dir, settings
):
    settings.NOTIFICATION_CHANNELS = ["dangjian.meetings.tests.test_planned.record_channel"]
    channel.sent.clear()

    # The secretary announces a 支部党员大会 for in ten minutes (check-in opens 30 minutes ahead).
    sec = page_for(width=1280)
    _login(sec, "village_secretary")
    sec.goto("/meetings/")
    sec.get_by_test_id("meeting-plan").click()
    sec.get_by_label("党组织").select_option(str(tree.village_a1.pk))
    sec.get_by_label("支部党员大会").check()
    when = timezone.localtime() + dt.timedelta(minutes=10)
    sec.get_by_label("召开时间").fill(when.strftime("%Y-%m-%dT%H:%M"))
    sec.get_by_label("会议主题").fill("学习党章，讨论年度发展党员计划")
    sec.get_by_label("地点").fill("村党群服务中心")
    sec.screenshot(path=screenshot_dir / "meeting-plan-form-desktop.png", full_page=True)
    sec.get_by_role("button", name="保存").click()
    expect(sec.get_by_test_id("planned-notice")).to_contain_text("其中 1 人有登录账号")
    expect(sec.get_by_test_id("meeting-state").first).to_have_text("已通知待召开")
    expect(sec.get_by_test_id("checkin-card")).to_contain_text("签到进行中")
    code = sec.get_by_test_id("checkin-code").inner_text().strip()
    sec.screenshot(path=screenshot_dir / "meeting-planned-desktop.png", full_page=True)
    meeting = Meeting.objects.get()
    assert meeting.state == "planned"

    # The member was told (in-app, and once through the SMS/WeCom channel) and checks in.
    assert Notification.objects.filter(recipient=people.member).count() == 1
    assert channel.sent == [(people.member.pk, Notification.objects.get().title)]
    phone = page_for(width=375, height=740)
    _login(phone, "member")
    phone.goto("/system/notifications/")
    expect(phone.get_by_text(re.compile("^会议通知：")).first).to_be_visible()
    phone.screenshot(path=screenshot_dir / "meeting-notice-phone.png", full_page=True)
    phone.goto("/meetings/checkin/")
    phone.get_by_label("签到码").fill(code)
    phone.get_by_role("button", name="签到").click()
    expect(phone.get_by_test_id("checkin-message")).to_have_text(re.compile(r"^签到成功"))

    # The meeting is held (time passes), and the secretary records it.
    held = timezone.now() - dt.timedelta(minutes=50)
    Meeting.objects.filter(pk=meeting.pk).update(held_at=held)
    MeetingTypeTag.objects.filter(meeting=meeting).update(held_on=timezone.localdate(held))
    sec.reload()
    sec.get_by_test_id("meeting-start-record").click()
    sec.get_by_label("会议记录").fill("一、书记领学党章\n二、讨论年度发展党员计划")
    sec.get_by_role("button", name="保存").click()
    expect(sec.get_by_test_id("meeting-state").first).to_have_text("草稿")

    # The sheet: the check-in is already there; 全部出席, then one exception; live totals.
    others = [*roll.others, roll.probationary]
    me = sec.get_by_test_id(f"att-{roll.me.pk}")
    expect(me.get_by_test_id("att-checkin")).to_be_visible()
    live = sec.get_by_test_id("attendance-live")
    expect(live.get_by_test_id("total-present")).to_have_text(re.compile("^[01]$"))
    expect(sec.get_by_test_id("quorum-warning")).to_be_visible()
    sec.get_by_test_id("att-all-present").click()
    expect(sec.get_by_test_id("quorum-warning")).to_be_hidden()
    expect(live.get_by_test_id("total-absent")).to_have_text("0")
    away = others[0]
    row = sec.get_by_test_id(f"att-{away.pk}")
    row.get_by_label(f"{away.name}的出席情况").select_option("excused")
    row.get_by_label(f"{away.name}的请假事由").fill("外出务工")
    expect(live.get_by_test_id("total-excused")).to_have_text("1")
    summary = sec.get_by_test_id("attendance-summary")
    expect(summary.get_by_test_id("total-excused")).to_have_text("1")
    expect(sec.get_by_test_id("attendance-dirty")).to_be_visible()
    sec.screenshot(path=screenshot_dir / "meeting-attendance-sheet-desktop.png", full_page=True)

    # The same sheet on a phone (looked at, not saved).
    sec_phone = page_for(width=375, height=740)
    _login(sec_phone, "village_secretary")
    sec_phone.goto(f"/meetings/{meeting.pk}/")
    sec_phone.get_by_test_id("att-all-present").click()
    expect(sec_phone.get_by_test_id("attendance-live").get_by_test_id("total-absent")).to_have_text(
        "0"
    )
    sec_phone.get_by_test_id("attendance-sheet").scroll_into_view_if_needed()
    sec_phone.screenshot(path=screenshot_dir / "meeting-attendance-sheet-phone.png", full_page=True)
    assert sec_phone.evaluate("document.documentElement.scrollWidth") <= 375

    # One click: 提交审核 saves the unsaved sheet, then submits.
    sec.get_by_test_id("meeting-submit").click()
    expect(sec.get_by_test_id("meeting-state").first).to_have_text("已提交待审核")
    expect(
        sec.get_by_text(re.compile("已保存出席情况（\\d+ 人有变动）。已提交上级党组织审核"))
    ).to_be_visible()
    sec.screenshot(path=screenshot_dir / "meeting-submitted-desktop.png", full_page=True)
    rows = {a.member_id: a for a in Attendance.objects.filter(meeting=meeting)}
    assert (rows[away.pk].status, rows[away.pk].reason) == ("excused", "外出务工")
    assert rows[roll.me.pk].by_checkin
    assert all(rows[m.pk].status == "present" for m in others[1:])
    assert MeetingTypeTag.objects.filter(meeting=meeting, counts=True).count() == 1
