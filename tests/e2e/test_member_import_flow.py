"""A branch secretary imports members from Excel: a bad row is explained, fixed, re-imported;
the new member is then found by pinyin initials and opened."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from openpyxl import load_workbook
from playwright.sync_api import expect

from dangjian.members import excel
from dangjian.members.models import Member
from dangjian.members.rules import id_check_digit

PASSWORD = "pw-Test-2026"
# serialized_rollback: the code tables come from a data migration and must survive the flush.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _login(page, username: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/accounts/login/")
    page.get_by_label("用户名或手机号").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.get_by_test_id("home-notifications")).to_be_visible()  # on every role's home


def _id(n: int) -> str:
    first17 = "110101" + "19800101" + f"{n:03d}"
    return first17 + id_check_digit(first17)


def _file(tree, *, ethnicity: str) -> bytes:  # type: ignore[no-untyped-def]
    """The template as downloaded, filled with two members; the second one's 民族 varies."""
    wb = load_workbook(io.BytesIO(excel.member_template_workbook(viewer=None)))
    ws = wb[excel.DATA_SHEET]
    branch = f"{tree.village_a1.code} {tree.village_a1.name}"
    common = {
        "民族": "01 汉族", "出生日期": dt.date(1980, 1, 1), "学历": "21 大学本科毕业",
        "人员类别": "正式党员", "所在党支部": branch, "加入党组织日期": dt.date(2005, 7, 1),
        "转为正式党员日期": dt.date(2006, 7, 1), "工作岗位": "1 农牧渔民",
    }  # fmt: skip
    people = [
        {**common, "姓名": "欧阳建华", "性别": "1 男", "公民身份号码": _id(1)},
        {**common, "姓名": "司马秀英", "性别": "2 女", "公民身份号码": _id(2), "民族": ethnicity},
    ]
    headers = [c.value for c in ws[1]]
    for person in people:
        ws.append([person.get(h, "") for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _upload(page, data: bytes, name: str) -> None:  # type: ignore[no-untyped-def]
    page.goto("/members/import/")
    page.get_by_label("Excel 文件").set_input_files(
        {"name": name, "mimeType": XLSX, "buffer": data}
    )
    page.get_by_role("button", name="上传并导入").click()


@pytest.mark.parametrize(("width", "label"), [(1280, "desktop"), (375, "phone")])
def test_secretary_fixes_a_bad_row_and_imports(
    page_for, people, tree, screenshot_dir, width, label
):
    page = page_for(width=width)
    _login(page, "village_secretary")

    # First try: the second person's 民族 is not in the code table; nothing is imported.
    _upload(page, _file(tree, ethnicity="火星族"), "党员信息.xlsx")
    expect(page.get_by_test_id("import-error-count")).to_have_text(
        "有 1 行需要改正，整份文件未导入"
    )
    errors = page.get_by_test_id("import-errors")
    expect(errors).to_contain_text("第 4 行")  # row 2 is the template's example, skipped
    expect(errors).to_contain_text("司马秀英")
    expect(errors).to_contain_text("民族：“火星族”不在民族代码表中")
    with page.expect_download() as download:
        page.get_by_test_id("download-errors").click()
    assert download.value.suggested_filename == "党员信息-错误说明.xlsx"
    annotated = load_workbook(io.BytesIO(download.value.path().read_bytes()))[excel.DATA_SHEET]
    assert annotated["U4"].value == "民族：“火星族”不在民族代码表中"
    page.screenshot(path=screenshot_dir / f"member-import-errors-{label}.png", full_page=True)
    assert not Member.objects.exists()

    # Fixed file: both members are admitted and the list opens at the branch.
    _upload(page, _file(tree, ethnicity="01 汉族"), "党员信息-已改正.xlsx")
    expect(page.get_by_text("已导入 2 名党员")).to_be_visible()
    assert page.url.endswith(f"/members/?org={tree.village_a1.pk}")
    assert Member.objects.filter(branch=tree.village_a1).count() == 2

    # Find 欧阳建华 by pinyin initials and open the profile.
    page.goto("/members/?q=oyjh")
    table = page.get_by_test_id("member-table")
    expect(table).to_contain_text("欧阳建华")
    expect(table).not_to_contain_text("司马秀英")
    page.screenshot(path=screenshot_dir / f"member-import-list-{label}.png", full_page=True)
    table.get_by_role("link", name="欧阳建华").click()
    member = Member.objects.get(name="欧阳建华")
    expect(page).to_have_url(f"{page.url.split('/members/')[0]}/members/{member.pk}/")
    expect(page.locator(".page-title")).to_contain_text("欧阳建华")
    page.screenshot(path=screenshot_dir / f"member-import-profile-{label}.png", full_page=True)

    # Export the branch's roster: a secretary may not reveal, so numbers stay masked.
    page.goto(f"/members/export/?org={tree.village_a1.pk}")
    expect(page.get_by_text("包含完整的公民身份号码")).to_have_count(0)
    page.screenshot(path=screenshot_dir / f"member-export-{label}.png", full_page=True)
    with page.expect_download() as download:
        page.get_by_role("button", name="导出 Excel").click()
    roster = load_workbook(io.BytesIO(download.value.path().read_bytes())).active
    names = {row[0].value: row[3].value for row in roster.iter_rows(min_row=2)}
    assert names == {
        "欧阳建华": member.id_number_masked,
        "司马秀英": Member.objects.get(name="司马秀英").id_number_masked,
    }
