"""The village secretary and 甲镇党委 take one applicant from the application (2022) to full
member through all 25 steps in the browser, each on the earliest date the page offers; a step
dated too early is refused with the rule; a first 支部大会 vote fails (recorded, voted again);
the conversion notice downloads as Word."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from docx import Document
from playwright.sync_api import expect

from dangjian.members.models import Member
from dangjian.members.tests.factories import make_id, make_member
from dangjian.recruitment.models import Applicant

PASSWORD = "pw-Test-2026"
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
UPPER = {13, 16, 17, 18, 24}


def _login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


def _fill_step(page, number: int, on: str, ayes: str = "4") -> None:  # type: ignore[no-untyped-def]
    form = page.get_by_test_id("step-form")
    form.locator("input[name=done_on]").fill(on)
    if number in (2, 16):
        form.get_by_label("谈话人").fill("赵志刚")
    elif number == 3:
        form.get_by_label("推荐方式").select_option(label="党员推荐")
    elif number == 5:
        form.locator("select[name=people]").select_option(label="老党员1")
    elif number == 9:
        form.locator("select[name=people]").select_option(label=["老党员1", "老党员2"])
    elif number == 10:
        form.get_by_label("政治审查结论").select_option(label="合格")
    elif number == 11:
        form.get_by_label("培训天数").fill("3")
        form.get_by_label("培训学时").fill("24")
    elif number == 12:
        form.get_by_label("公示开始日期").fill(on)
    elif number == 14:
        form.get_by_label("入党志愿书编号").fill("2023000158")
    elif number == 25:
        for label in ("申请书", "志愿书", "政审材料", "转正申请", "考察材料"):
            form.get_by_label(label).check()
    if number in (15, 23):
        if number == 23:
            form.get_by_label("讨论结果").select_option(label="按期转正")
        form.get_by_label("实到有表决权的正式党员").fill("4")
        form.get_by_label("赞成").fill(ayes)
    form.get_by_test_id("step-submit").click()


def test_one_applicant_from_application_to_full_member(page_for, people, tree, screenshot_dir):
    admin = people.county_admin
    for i in range(4):
        make_member(admin, tree.village_a1, name=f"老党员{i + 1}")

    sec = page_for(width=1280)
    _login(sec, "village_secretary")
    sec.goto("/recruitment/")
    sec.get_by_test_id("applicant-new").click()
    form = sec.get_by_test_id("applicant-form")
    form.get_by_label("姓名").fill("周小燕")
    form.get_by_label("公民身份号码").fill(make_id(dt.date(1999, 4, 12), male=False))
    form.get_by_label("学历").select_option(label="大学本科毕业")
    form.get_by_label("工作岗位").select_option(label="农牧渔民")
    form.get_by_label("农民（发展计划单列）").check()
    form.get_by_label("递交入党申请书日期").fill("2022-03-01")
    form.get_by_role("button", name="保存").click()
    expect(sec.get_by_test_id("next-step")).to_contain_text("第2步 党组织派人谈话")
    applicant = Applicant.objects.get(name="周小燕")
    url = f"/recruitment/{applicant.pk}/"

    town = page_for(width=1280)
    _login(town, "township_a")

    last = "2022-03-01"
    number = 2
    while number <= 25:
        page = town if number in UPPER else sec
        page.goto(url)
        expect(page.get_by_test_id("next-step")).to_contain_text(f"第{number}步")
        picker = page.get_by_test_id("step-form").locator("input[name=done_on]")
        earliest = picker.get_attribute("min") or last
        on = max(earliest, last)
        if number == 7:
            # Bad input first: the day before the earliest date is refused with the rule.
            before = (dt.date.fromisoformat(on) - dt.timedelta(days=1)).isoformat()
            expect(page.get_by_test_id("earliest")).to_contain_text("最早可于")
            _fill_step(page, number, before)
            expect(
                page.get_by_text(
                    re.compile("确定为发展对象须在确定为入党积极分子满一年后（第十三条），最早可于")
                )
            ).to_be_visible()
            page.screenshot(
                path=screenshot_dir / "recruitment-too-early-desktop.png", full_page=True
            )
            page.goto(url)
        if number == 15:
            sec.goto("/recruitment/")
            sec.screenshot(path=screenshot_dir / "recruitment-board-desktop.png", full_page=True)
            page.goto(url)
            # The vote form on a phone: fits 375 px.
            phone = page_for(width=375, height=740)
            _login(phone, "village_secretary")
            phone.goto(url)
            expect(phone.get_by_test_id("step-form")).to_contain_text("表决情况")
            phone.screenshot(path=screenshot_dir / "recruitment-vote-phone.png", full_page=True)
            assert phone.evaluate("document.documentElement.scrollWidth") <= 375
            # A quorate meeting where half the entitled vote for: recorded as not passed, the
            # 发展对象 stays and the branch votes again.
            _fill_step(page, number, on, ayes="2")
            expect(page.get_by_test_id("vote-failed")).to_contain_text("仍为发展对象")
            expect(page.get_by_test_id("record-failed")).to_be_visible()
            expect(page.get_by_test_id("step-15")).to_have_attribute("data-state", "next")
            page.screenshot(
                path=screenshot_dir / "recruitment-vote-failed-desktop.png", full_page=True
            )
        _fill_step(page, number, on)
        expect(page.get_by_text("已登记")).to_be_visible()
        last = on
        number += 1
        if number == 18:
            applicant.refresh_from_db()
            assert applicant.member is not None
            assert applicant.member.category == Member.Category.PROBATIONARY
            assert applicant.member.joined_on == applicant.admitted_on

    sec.goto(url)
    expect(sec.get_by_test_id("finished")).to_contain_text("已转正")
    applicant.refresh_from_db()
    member = Member.objects.get(pk=applicant.member_id)
    assert member.category == Member.Category.FULL
    assert member.full_member_on == applicant.probation_ends_on
    sec.screenshot(path=screenshot_dir / "recruitment-applicant-desktop.png", full_page=True)

    with sec.expect_download() as info:
        sec.get_by_test_id("doc-conversion").click()
    path = info.value.path()
    text = "\n".join(p.text for p in Document(io.BytesIO(path.read_bytes())).paragraphs)
    assert "关于周小燕同志转为正式党员的通知" in text
    assert "{{" not in text

    phone.goto(url)
    expect(phone.get_by_test_id("timeline")).to_be_visible()
    phone.screenshot(path=screenshot_dir / "recruitment-applicant-phone.png", full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375
    phone.goto("/recruitment/")
    phone.screenshot(path=screenshot_dir / "recruitment-board-phone.png", full_page=True)
    assert phone.evaluate("document.documentElement.scrollWidth") <= 375

    town.goto(f"/recruitment/?org={tree.township_a.pk}")
    expect(town.get_by_test_id("overview-table")).to_contain_text("甲村党支部")
    town.screenshot(path=screenshot_dir / "recruitment-overview-desktop.png", full_page=True)
    town.goto(f"/recruitment/plans/{tree.township_a.pk}/2026/")
    town.get_by_label("计划发展人数").fill("6")
    town.get_by_label("其中农民党员（单列）").fill("4")
    town.get_by_role("button", name="保存计划").click()
    expect(town.get_by_text("已保存2026年发展党员计划")).to_be_visible()
    town.screenshot(path=screenshot_dir / "recruitment-plan-desktop.png", full_page=True)
    town.goto("/recruitment/templates/")
    town.screenshot(path=screenshot_dir / "recruitment-templates-desktop.png", full_page=True)
