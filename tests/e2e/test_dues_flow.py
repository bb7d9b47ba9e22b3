"""The branch secretary records the month's dues for the branch (HTMX, row by row), a
duplicate transfer reference is refused, the ledger is exported and opened with openpyxl, and
the county summary shows the money; the member sees it on a phone."""

from __future__ import annotations

import re
from decimal import Decimal

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from playwright.sync_api import expect

from dangjian.dues.models import DuesMonth, DuesPayment, DuesRuleSet
from dangjian.dues.rules import add_months
from dangjian.dues.services import dues_profile_set
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member

PASSWORD = "pw-Test-2026"
# Browser tests truncate the database; serialized rollback restores the rule sets.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page).not_to_have_url(re.compile(r"/accounts/login/"))


@pytest.fixture
def dues_rules(db):  # type: ignore[no-untyped-def]
    """The 2008 rule set from the data migrations, even after a transactional test of another
    app has truncated the tables (serialized rollback does not always bring them back)."""
    from importlib import import_module

    from django.apps import apps

    if not DuesRuleSet.objects.exists():
        for name in ("0002_national_rules_2008", "0004_collection_rules_2008"):
            import_module(f"dangjian.dues.migrations.{name}").seed(apps, None)


@pytest.fixture
def roll(people, tree, dues_rules):  # type: ignore[no-untyped-def]
    this_month = timezone.localdate().replace(day=1)
    rows = [("陈秀英", "4500.00"), ("王磊", "3000.00"), ("李娜", "12000.00")]
    members = []
    for name, base in rows:
        m = make_member(people.county_admin, tree.village_a1, name=name)
        dues_profile_set(
            actor=people.county_admin,
            member=m,
            category="salaried",
            monthly_base=Decimal(base),
            effective_month=add_months(this_month, -1),
        )
        members.append(m)
    Member.objects.filter(pk=members[0].pk).update(user=people.member)
    # The daily job has not opened this month yet: the ledger shows what each member will owe.
    DuesMonth.objects.filter(month=this_month).delete()
    return members


def _township_paid(page, tree) -> str:  # type: ignore[no-untyped-def]
    page.goto(f"/dues/?org={tree.county.pk}")
    cell = page.get_by_test_id(f"sub-{tree.township_a.pk}").get_by_test_id("paid")
    expect(cell).to_be_visible()
    return cell.inner_text().strip()


def test_secretary_records_exports_and_the_county_summary_changes(
    page_for, people, tree, roll, screenshot_dir
):  # type: ignore[no-untyped-def]
    county = page_for(width=1280)
    _login(county, "county_admin")
    assert _township_paid(county, tree) == "0.00"  # nothing opened or paid yet

    sec = page_for(width=1400)
    _login(sec, "village_secretary")
    sec.goto("/dues/")
    expect(sec.get_by_test_id("ledger-table")).to_be_visible()
    chen, wang, li = roll

    # Opening the ledger wrote nothing: this month is projected from the dues profiles.
    expect(sec.get_by_test_id("projected-note")).to_contain_text("3 名党员的台账尚未生成")
    expect(sec.get_by_test_id(f"due-{li.pk}").get_by_test_id("projected")).to_be_visible()
    expect(sec.get_by_test_id("card-expected")).to_contain_text("300.00 元")
    assert not DuesMonth.objects.filter(month=timezone.localdate().replace(day=1)).exists()
    sec.screenshot(path=screenshot_dir / "dues-ledger-projected.png", full_page=True)
    sec.get_by_role("button", name="生成本月台账").click()
    expect(sec.get_by_text("已生成")).to_be_visible()
    expect(sec.get_by_test_id("projected-note")).to_have_count(0)
    expect(sec.get_by_test_id("card-expected")).to_contain_text("300.00 元")  # the same numbers
    assert DuesMonth.objects.filter(month=timezone.localdate().replace(day=1)).count() == 3

    this_month = timezone.localdate().replace(day=1)
    last_month = add_months(this_month, -1)
    # 陈秀英 pays in cash: last month is still owed, so the form proposes 补交 of both months.
    row = sec.get_by_test_id(f"due-{chen.pk}")
    expect(row.get_by_label("陈秀英起始月份")).to_have_value(f"{last_month:%Y-%m}")
    expect(row.get_by_label("陈秀英交纳金额")).to_have_value("90.00")
    row.get_by_role("button", name="登记").click()
    row = sec.get_by_test_id(f"due-{chen.pk}")
    expect(row.get_by_test_id("status")).to_have_text("已交清")
    expect(row.get_by_test_id("owed")).to_have_text("—")

    # 李娜 pays both months online with a reference.
    row = sec.get_by_test_id(f"due-{li.pk}")
    expect(row.get_by_label("李娜交纳金额")).to_have_value("480.00")
    row.get_by_label("李娜交纳方式").select_option("online")
    row.get_by_label("李娜流水号").fill("WX202611210001")
    row.get_by_role("button", name="登记").click()
    expect(sec.get_by_test_id(f"due-{li.pk}").get_by_test_id("status")).to_have_text("已交清")

    # 王磊 pays part of it, first with the same reference: refused, nothing changes.
    row = sec.get_by_test_id(f"due-{wang.pk}")
    row.get_by_label("王磊交纳金额").fill("10.00")
    row.get_by_label("王磊交纳方式").select_option("online")
    row.get_by_label("王磊流水号").fill("WX202611210001")
    row.get_by_role("button", name="登记").click()
    error = sec.get_by_test_id(f"due-{wang.pk}").get_by_test_id("row-error")
    expect(error).to_contain_text("流水号 WX202611210001 已登记过")
    assert DuesPayment.objects.count() == 2
    row = sec.get_by_test_id(f"due-{wang.pk}")
    row.get_by_label("王磊起始月份").fill(f"{this_month:%Y-%m}")
    row.get_by_label("王磊交纳金额").fill("10.00")
    row.get_by_label("王磊交纳方式").select_option("cash")
    row.get_by_role("button", name="登记").click()
    expect(sec.get_by_test_id(f"due-{wang.pk}").get_by_test_id("status")).to_have_text("部分交纳")
    sec.reload()
    expect(sec.get_by_test_id("card-paid")).to_contain_text("295.00 元")
    sec.screenshot(path=screenshot_dir / "dues-ledger-desktop.png", full_page=True)

    # The ledger as Excel, opened with openpyxl.
    with sec.expect_download() as info:
        sec.get_by_test_id("export-ledger").click()
    assert info.value.suggested_filename.endswith(".xlsx")
    path = screenshot_dir / "dues-ledger.xlsx"
    info.value.save_as(path)
    ws = load_workbook(path).active
    assert "党费收缴台账" in ws["A1"].value
    lines = {ws.cell(row=r, column=2).value: ws.cell(row=r, column=8).value for r in range(4, 7)}
    assert lines == {"陈秀英": 45, "王磊": 10, "李娜": 240}
    assert ws.cell(row=7, column=2).value == "合计"
    assert ws.cell(row=7, column=8).value == 295

    # The county summary now shows the money collected under 甲镇.
    assert _township_paid(county, tree) == "295.00"
    county.screenshot(path=screenshot_dir / "dues-summary-desktop.png", full_page=True)

    # On a phone: the secretary's ledger and the member's own page.
    phone = page_for(width=375, height=812)
    _login(phone, "village_secretary")
    phone.goto("/dues/")
    expect(phone.get_by_test_id("ledger-table")).to_be_visible()
    phone.screenshot(path=screenshot_dir / "dues-ledger-375.png", full_page=True)
    mine = page_for(width=375, height=812)
    _login(mine, "member")
    mine.goto("/dues/mine/")
    expect(mine.get_by_test_id("my-current")).to_contain_text("45.00 元")
    expect(mine.get_by_test_id("my-current")).to_contain_text("已交清")
    expect(mine.get_by_test_id("my-explanation")).to_contain_text("按 1% 交纳")
    mine.screenshot(path=screenshot_dir / "dues-mine-375.png", full_page=True)
