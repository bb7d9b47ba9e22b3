"""Excel import and export of the member roll: template, all-or-nothing import, masked export."""

from __future__ import annotations

import datetime as dt
import io
from pathlib import Path
from typing import Any

import pytest
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from openpyxl import Workbook, load_workbook

from dangjian.core import crypto
from dangjian.core import excel as core_excel
from dangjian.core.models import AuditLog
from dangjian.members import excel
from dangjian.members.access import members_visible_to
from dangjian.members.models import Member, MemberEvent
from dangjian.members.rollups import reconcile
from dangjian.members.rules import id_check_digit
from dangjian.members.services import member_create

pytestmark = pytest.mark.django_db

HEADERS = [c.header for c in excel.COLUMNS]


@pytest.fixture(autouse=True)
def _private_media(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.PRIVATE_FILES_DIR = tmp_path / "private"


def _held(settings: Any, token: str) -> list[Path]:
    return list((Path(settings.PRIVATE_FILES_DIR) / "imports").glob(f"*{token}*"))


def _id(n: int, birth: str = "19800101") -> str:
    """A valid ID number; an odd ``n`` (the 17th digit) is a man."""
    first17 = "110101" + birth + f"{n:03d}"
    return first17 + id_check_digit(first17)


def _row(n: int, branch: Any, **over: Any) -> dict[str, Any]:
    male = n % 2 == 1
    row = {
        "姓名": f"测试{n}",
        "性别": "1 男" if male else "2 女",
        "民族": "01 汉族",
        "公民身份号码": _id(n),
        "出生日期": dt.date(1980, 1, 1),
        "学历": "21 大学本科毕业",
        "人员类别": "正式党员",
        "所在党支部": f"{branch.code} {branch.name}",
        "党小组": "",
        "加入党组织日期": dt.date(2005, 7, 1),
        "转为正式党员日期": dt.date(2006, 7, 1),
        "工作岗位": "1 农牧渔民",
        "联系电话": f"139{n:08d}",
        "家庭住址": "甲村 1 组",
        "籍贯": "测试县",
        "参加工作日期": "",
        "婚姻状况": "20 已婚",
        "学位": "",
        "党内职务": "",
        "备注": "",
    }
    row.update(over)
    return row


def _workbook(rows: list[dict[str, Any]], *, template: bytes | None = None) -> bytes:
    """A filled template (the example row kept in row 2), or a bare sheet of ``HEADERS``."""
    if template is not None:
        wb = load_workbook(io.BytesIO(template))
        ws = wb[excel.DATA_SHEET]
    else:
        wb = Workbook()
        ws = wb.active
        ws.append(HEADERS)
    headers = [c.value for c in ws[1]]
    for row in rows:
        ws.append([row.get(h, "") for h in headers])
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _existing(actor: Any, branch: Any, n: int) -> Member:
    return member_create(
        actor=actor,
        branch=branch,
        data={
            "name": f"已登记{n}",
            "sex": "1" if n % 2 else "2",
            "ethnicity": "01",
            "id_number": _id(n),
            "birth_date": dt.date(1980, 1, 1),
            "education": "21",
            "category": "full",
            "joined_on": dt.date(2005, 7, 1),
            "full_member_on": dt.date(2006, 7, 1),
            "job": "1",
            "mobile": f"137{n:08d}",
        },
    )


def _error_column(data: bytes) -> dict[int, str]:
    """{Excel row: 错误说明 text} of an annotated workbook."""
    ws = load_workbook(io.BytesIO(data)).active
    headers = [c.value for c in ws[1]]
    col = headers.index(core_excel.ERROR_HEADER) + 1
    return {
        r: ws.cell(row=r, column=col).value
        for r in range(2, ws.max_row + 1)
        if ws.cell(row=r, column=col).value
    }


# --- template ---------------------------------------------------------------------------------


def test_template_has_headers_dropdowns_and_instructions(people, tree):
    data = excel.member_template_workbook(viewer=people.village_secretary)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == [excel.DATA_SHEET, excel.CODE_SHEET, excel.HELP_SHEET]
    assert wb[excel.CODE_SHEET].sheet_state == "hidden"
    ws = wb[excel.DATA_SHEET]
    assert [c.value for c in ws[1]] == HEADERS
    assert len(HEADERS) == 20

    # Dropdowns point at named ranges on the hidden sheet (民族 alone exceeds 255 characters).
    by_formula = {dv.formula1: str(dv.sqref) for dv in ws.data_validations.dataValidation}
    assert by_formula["list_ethnicity"].startswith("C2:")
    assert by_formula["list_category"].startswith("G2:")
    assert by_formula["list_branch"].startswith("H2:")
    for name in ("list_sex", "list_education", "list_job", "list_marital", "list_party_post"):
        assert name in by_formula
    assert wb.defined_names["list_ethnicity"].attr_text == "'代码表'!$B$2:$B$59"
    codes = {
        col[0].value: [c.value for c in col[1:] if c.value] for col in wb[excel.CODE_SHEET].columns
    }
    ethnicities = codes["民族"]
    assert ethnicities[0] == "01 汉族"
    assert len(ethnicities) == 58
    assert len(",".join(ethnicities)) > 255

    # The secretary's dropdown offers their own branch only.
    assert codes["所在党支部"] == [f"{tree.village_a1.code} {tree.village_a1.name}"]
    assert codes["党小组"] == ["甲村第一党小组"]

    # ID and phone columns are text; an example row; instructions on the second sheet.
    assert ws.column_dimensions["D"].number_format == "@"
    assert ws["D2"].value == excel.EXAMPLE_ID
    assert ws["D2"].number_format == "@"
    assert "导入时自动跳过" in ws["T2"].value
    help_text = " ".join(str(c.value) for row in wb[excel.HELP_SHEET].iter_rows() for c in row)
    assert "公民身份号码" in help_text
    assert "必填" in help_text


def test_member_template_command_writes_the_file(tmp_path, people, tree):
    out = tmp_path / "模板.xlsx"
    call_command("member_template", str(out), "--user", "village_secretary")
    wb = load_workbook(out)
    assert [c.value for c in wb[excel.DATA_SHEET][1]] == HEADERS


# --- import -----------------------------------------------------------------------------------


def test_round_trip_admits_members_with_timeline_and_rollup(people, tree):
    actor = people.township_a
    template = excel.member_template_workbook(viewer=actor)
    rows = [
        _row(1, tree.village_a1, 党小组="甲村第一党小组"),
        # A full name, labels instead of codes, a Chinese date and an 8-digit date as text.
        _row(
            2,
            tree.village_a2,
            所在党支部=tree.village_a2.name,
            民族="汉族",
            加入党组织日期="2005年7月1日",
            转为正式党员日期="20060701",
            人员类别="预备党员",
        ),
        _row(3, tree.village_a2, 所在党支部=tree.village_a2.code),
    ]
    rows[1]["转为正式党员日期"] = ""
    rows[1]["加入党组织日期"] = "2025年7月1日"

    result = excel.member_import(actor=actor, file=_workbook(rows, template=template))

    assert result.ok, (result.file_error, [e.text for e in result.errors])
    assert result.rows == 3  # the template's example row is skipped
    assert result.created == 3
    assert result.branch_ids == sorted([tree.village_a1.pk, tree.village_a2.pk])
    m1 = Member.objects.get(name="测试1")
    assert m1.branch == tree.village_a1
    assert m1.group == tree.group_a1
    assert crypto.decrypt(m1.id_number_enc) == _id(1)
    assert m1.mobile_masked == "139****0001"
    assert m1.marital == "20"
    m2 = Member.objects.get(name="测试2")
    assert (m2.branch, m2.category, m2.ethnicity) == (tree.village_a2, "probationary", "01")
    assert m2.joined_on == dt.date(2025, 7, 1)
    assert MemberEvent.objects.filter(kind=MemberEvent.Kind.ADMITTED).count() == 3
    assert AuditLog.objects.filter(action="member.import").count() == 1
    assert reconcile().is_clean


def test_dry_run_checks_everything_and_writes_nothing(people, tree):
    data = _workbook([_row(1, tree.village_a1), _row(3, tree.village_a1)])
    result = excel.member_import(actor=people.village_secretary, file=data, dry_run=True)
    assert result.ok
    assert (result.rows, result.created) == (2, 0)
    assert not Member.objects.exists()
    assert not AuditLog.objects.filter(action="member.import").exists()


def test_bad_rows_write_nothing_and_come_back_annotated(people, tree):
    actor = people.township_a
    _existing(actor, tree.village_a2, 9)
    before = (Member.objects.count(), MemberEvent.objects.count(), AuditLog.objects.count())
    bad_checksum = _id(5)[:-1] + ("0" if _id(5)[-1] != "0" else "1")
    rows = [
        _row(1, tree.village_a1),  # row 2: good
        _row(3, tree.village_a1, 公民身份号码=bad_checksum),  # row 3
        _row(5, tree.village_a1, 所在党支部="不存在的党支部"),  # row 4
        _row(7, tree.village_a1),  # row 5: good
        _row(11, tree.village_a1, 公民身份号码=_id(7)),  # row 6: repeats row 5
        _row(9, tree.village_a1),  # row 7: already registered in 乙村
        _row(13, tree.village_a1, 转为正式党员日期=dt.date(2004, 7, 1)),  # row 8
        _row(15, tree.village_a1),  # row 9: good
    ]
    rows[4]["性别"] = "1 男"

    result = excel.member_import(actor=actor, file=_workbook(rows))

    assert not result.ok
    assert result.created == 0
    writes = AuditLog.objects.exclude(action="member.id_clash")
    assert (Member.objects.count(), MemberEvent.objects.count(), writes.count()) == before
    # The clash in row 7 is audited (in scope: township A sees 乙村), never the number itself.
    clash = AuditLog.objects.get(action="member.id_clash")
    assert clash.changes == {"surface": "member.import", "in_scope": True}
    assert reconcile().is_clean
    assert [e.row for e in result.errors] == [3, 4, 6, 7, 8]
    notes = _error_column(result.annotated)
    assert set(notes) == {3, 4, 6, 7, 8}
    assert "校验位不正确" in notes[3]
    assert "不存在的党支部" in notes[4]
    assert "不在您的管理范围内" in notes[4]
    assert "与第 5 行的公民身份号码重复" in notes[6]
    assert "已登记在“乙村党支部”" in notes[7]
    assert "转正日期不能早于入党日期" in notes[8]

    # The bad cells are red; the good ones are not.
    ws = load_workbook(io.BytesIO(result.annotated)).active
    assert ws["D3"].fill.fgColor.rgb == core_excel.ERROR_FILL.fgColor.rgb
    assert ws["H4"].fill.fgColor.rgb == core_excel.ERROR_FILL.fgColor.rgb
    assert ws["K8"].fill.fgColor.rgb == core_excel.ERROR_FILL.fgColor.rgb
    assert ws["D2"].fill.fgColor.rgb != core_excel.ERROR_FILL.fgColor.rgb


def test_an_annotated_file_can_be_fixed_and_imported(people, tree):
    actor = people.village_secretary
    rows = [_row(1, tree.village_a1), _row(3, tree.village_a1, 民族="火星族")]
    first = excel.member_import(actor=actor, file=_workbook(rows))
    assert _error_column(first.annotated) == {3: "民族：“火星族”不在民族代码表中"}

    # Fix the red cell in the returned file itself; the old 错误说明 column is ignored.
    wb = load_workbook(io.BytesIO(first.annotated))
    wb.active["C3"] = "01 汉族"
    fixed = io.BytesIO()
    wb.save(fixed)
    second = excel.member_import(actor=actor, file=fixed.getvalue())
    assert second.ok
    assert second.created == 2


def test_reannotating_clears_the_previous_marks(people, tree):
    actor = people.village_secretary
    rows = [_row(1, tree.village_a1, 民族="火星族"), _row(3, tree.village_a1)]
    first = excel.member_import(actor=actor, file=_workbook(rows))
    wb = load_workbook(io.BytesIO(first.annotated))
    ws = wb.active
    ws["C2"] = "01 汉族"
    ws["C3"] = "火星族"
    again = io.BytesIO()
    wb.save(again)
    second = excel.member_import(actor=actor, file=again.getvalue())
    assert set(_error_column(second.annotated)) == {3}
    ws = load_workbook(io.BytesIO(second.annotated)).active
    assert ws["C2"].fill.fgColor.rgb != core_excel.ERROR_FILL.fgColor.rgb
    assert [c.value for c in ws[1]].count(core_excel.ERROR_HEADER) == 1


def test_annotating_keeps_the_template_dropdowns_and_sheets(people, tree):
    actor = people.village_secretary
    template = excel.member_template_workbook(viewer=actor)
    rows = [_row(1, tree.village_a1), _row(3, tree.village_a1, 学历="博士后")]
    result = excel.member_import(actor=actor, file=_workbook(rows, template=template))
    wb = load_workbook(io.BytesIO(result.annotated))
    assert wb.sheetnames == [excel.DATA_SHEET, excel.CODE_SHEET, excel.HELP_SHEET]
    ws = wb[excel.DATA_SHEET]
    assert "list_ethnicity" in {dv.formula1 for dv in ws.data_validations.dataValidation}
    assert "list_ethnicity" in wb.defined_names
    assert ws["E3"].number_format == excel.DATE_FORMAT  # dates stay dates
    assert ws["U1"].value == core_excel.ERROR_HEADER
    assert ws["U4"].value == "学历：“博士后”不在学历代码表中"
    assert ws["F4"].fill.fgColor.rgb == core_excel.ERROR_FILL.fgColor.rgb
    assert ws["U3"].value is None


def test_an_unusual_workbook_comes_back_as_a_copy_of_its_values(people, tree, monkeypatch):
    def refuse(*args, **kwargs):
        raise core_excel._PatchError("test")

    monkeypatch.setattr(core_excel, "_patch_xlsx", refuse)
    rows = [_row(1, tree.village_a1), _row(3, tree.village_a1, 民族="火星族")]
    result = excel.member_import(actor=people.village_secretary, file=_workbook(rows))
    assert _error_column(result.annotated) == {3: "民族：“火星族”不在民族代码表中"}
    ws = load_workbook(io.BytesIO(result.annotated)).active
    assert ws["C3"].fill.fgColor.rgb == core_excel.ERROR_FILL.fgColor.rgb
    assert ws["E2"].value == dt.datetime(1980, 1, 1)
    assert ws["E2"].number_format == excel.DATE_FORMAT


@pytest.mark.parametrize(
    "payload",
    [b"", b"name,id\nzhang,1\n", b"PK\x03\x04 not really a zip", "党员名单.docx".encode()],
)
def test_not_a_workbook_is_a_chinese_error(people, tree, payload):
    result = excel.member_import(actor=people.village_secretary, file=payload)
    assert not result.ok
    assert result.file_error
    assert any("\u4e00" <= ch <= "\u9fff" for ch in result.file_error)
    assert result.annotated is None
    assert not Member.objects.exists()


def test_missing_required_columns_are_named(people, tree):
    wb = Workbook()
    wb.active.append(["姓名", "公民身份号码", "备注"])
    wb.active.append(["张三", _id(1), ""])
    out = io.BytesIO()
    wb.save(out)
    result = excel.member_import(actor=people.village_secretary, file=out.getvalue())
    assert result.file_error.startswith("表头缺少必填列：性别、民族")


def test_headers_match_by_name_in_any_order_with_spaces_and_aliases(people, tree):
    headers = list(reversed(HEADERS))
    headers[headers.index("公民身份号码")] = " 身份证号 "
    headers[headers.index("姓名")] = "姓  名"
    wb = Workbook()
    ws = wb.active
    ws.append(["2025 年党员信息"])  # a title row above the header
    ws.append([*headers, "内部编号"])
    row = _row(1, tree.village_a1)
    ws.append(
        [row[h.strip().replace(" ", "").replace("身份证号", "公民身份号码")] for h in headers]
    )
    out = io.BytesIO()
    wb.save(out)
    result = excel.member_import(actor=people.village_secretary, file=out.getvalue())
    assert result.ok, [e.text for e in result.errors]
    assert Member.objects.get().name == "测试1"


def test_an_id_stored_as_a_number_is_explained(people, tree):
    row = _row(1, tree.village_a1, 公民身份号码=float(_id(1)[:15] + "123"))
    result = excel.member_import(actor=people.village_secretary, file=_workbook([row]))
    assert "被 Excel 存成了数字" in result.errors[0].text


def test_a_repeated_id_is_reported_even_when_its_first_row_is_wrong(people, tree):
    rows = [_row(1, tree.village_a1, 民族="火星族"), _row(3, tree.village_a1, 公民身份号码=_id(1))]
    result = excel.member_import(actor=people.village_secretary, file=_workbook(rows))
    assert [e.row for e in result.errors] == [2, 3]
    assert "与第 2 行的公民身份号码重复" in result.errors[1].text


def test_township_worker_cannot_import_into_another_township(people, tree):
    rows = [_row(1, tree.village_a1), _row(3, tree.village_b1)]
    result = excel.member_import(actor=people.township_a, file=_workbook(rows))
    assert [e.row for e in result.errors] == [3]
    assert f"党支部“{tree.village_b1.code} {tree.village_b1.name}”不存在或不在您的管理范围内" in (
        result.errors[0].text
    )
    assert not Member.objects.exists()


def test_a_visible_branch_without_import_permission_is_a_row_error(people, tree):
    result = excel.member_import(actor=people.inspector, file=_workbook([_row(1, tree.village_a1)]))
    assert "没有向“甲村党支部”导入党员的权限" in result.errors[0].text
    assert not Member.objects.exists()


def test_group_must_belong_to_the_branch(people, tree):
    row = _row(1, tree.village_a2, 党小组="甲村第一党小组")
    result = excel.member_import(actor=people.township_a, file=_workbook([row]))
    assert "不是“乙村党支部”的党小组" in result.errors[0].text


def test_import_queries_do_not_grow_with_rows(people, tree, django_assert_max_num_queries):
    def dry_run(count: int) -> Any:
        data = _workbook([_row(n, tree.village_a1) for n in range(1, 2 * count, 2)])
        return excel.member_import(actor=people.village_secretary, file=data, dry_run=True)

    dry_run(2)  # the code tables are read once per process
    with CaptureQueriesContext(connection) as small:
        assert dry_run(5).ok
    with django_assert_max_num_queries(len(small.captured_queries)):
        result = dry_run(60)
    assert len(small.captured_queries) <= 8
    assert result.ok
    assert result.rows == 60


# --- export -----------------------------------------------------------------------------------


def _sheet(data: bytes) -> list[list[Any]]:
    wb = load_workbook(io.BytesIO(data), read_only=True)
    return [list(r) for r in wb.worksheets[0].iter_rows(values_only=True)]


def test_export_is_masked_by_default(people, tree):
    m = _existing(people.township_a, tree.village_a1, 1)
    viewer = people.village_secretary
    rows = _sheet(
        excel.member_export(viewer=viewer, queryset=members_visible_to(viewer), layout="roster")
    )
    header, first = rows[0], dict(zip(rows[0], rows[1], strict=True))
    assert header[:4] == ["姓名", "性别", "民族", "公民身份号码"]
    assert first["公民身份号码"] == m.id_number_masked
    assert first["联系电话"] == m.mobile_masked
    assert (first["性别"], first["民族"], first["学历"]) == ("男", "汉族", "大学本科毕业")
    assert first["所在党支部"] == tree.village_a1.name
    assert first["加入党组织日期"] == dt.datetime(2005, 7, 1)
    assert not AuditLog.objects.filter(action="member.export_reveal").exists()


def test_unmasked_export_for_township_worker_is_audited(people, tree):
    _existing(people.township_a, tree.village_a1, 1)
    _existing(people.township_a, tree.village_a2, 3)
    viewer = people.township_a
    data = excel.member_export(
        viewer=viewer, queryset=members_visible_to(viewer), layout="roster", reveal=True
    )
    rows = _sheet(data)
    ids = sorted(r[3] for r in rows[1:])
    assert ids == sorted([_id(1), _id(3)])
    assert {r[12] for r in rows[1:]} == {"13700000001", "13700000003"}
    log = AuditLog.objects.get(action="member.export_reveal")
    assert log.actor == viewer
    assert log.changes == {"layout": "roster", "revealed": 2}
    assert log.org_path == tree.township_a.path


def test_secretary_asking_for_unmasked_still_gets_masked(people, tree):
    m = _existing(people.township_a, tree.village_a1, 1)
    viewer = people.village_secretary
    rows = _sheet(
        excel.member_export(
            viewer=viewer, queryset=members_visible_to(viewer), layout="roster", reveal=True
        )
    )
    assert rows[1][3] == m.id_number_masked
    assert not AuditLog.objects.filter(action="member.export_reveal").exists()


def test_national16_layout_follows_the_national_order(people, tree):
    _existing(people.township_a, tree.village_a1, 1)
    viewer = people.township_a
    rows = _sheet(
        excel.member_export(viewer=viewer, queryset=members_visible_to(viewer), layout="national16")
    )
    assert rows[0] == [
        "姓名", "性别", "民族", "公民身份号码", "出生日期", "学历", "人员类别", "所在党支部",
        "加入党组织日期", "转为正式党员日期", "工作岗位", "联系电话", "家庭住址", "党籍状态",
        "是否失联", "失联日期", "是否流动党员", "外出流向",
    ]  # fmt: skip
    assert rows[1][13:15] == ["正常", "否"]


# --- pages ------------------------------------------------------------------------------------


def test_import_page_needs_import_permission(login, people, tree):
    assert login(people.village_secretary).get("/members/import/").status_code == 200
    for persona in (people.member, people.inspector, people.grid_worker, people.nobody):
        assert login(persona).get("/members/import/").status_code == 403
        assert login(persona).get("/members/import/template/").status_code == 403


def test_import_page_shows_the_form(login, people, tree):
    html = login(people.village_secretary).get("/members/import/").content.decode()
    assert 'enctype="multipart/form-data"' in html
    assert "csrfmiddlewaretoken" in html
    assert 'name="dry_run"' in html
    assert "/members/import/template/" in html


def test_template_download(login, people, tree):
    response = login(people.village_secretary).get("/members/import/template/")
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert "attachment" in response["Content-Disposition"]
    wb = load_workbook(io.BytesIO(response.content))
    assert [c.value for c in wb[excel.DATA_SHEET][1]] == HEADERS


def _upload(client: Any, data: bytes, *, dry_run: bool = False, name: str = "党员.xlsx") -> Any:
    from django.core.files.uploadedfile import SimpleUploadedFile

    post = {"file": SimpleUploadedFile(name, data)}
    if dry_run:
        post["dry_run"] = "1"
    return client.post("/members/import/", post)


def test_successful_upload_redirects_to_the_branch_list(login, people, tree):
    client = login(people.village_secretary)
    response = _upload(client, _workbook([_row(1, tree.village_a1), _row(3, tree.village_a1)]))
    assert response.status_code == 302
    assert response["Location"] == f"/members/?org={tree.village_a1.pk}"
    assert Member.objects.count() == 2
    page = client.get(response["Location"])
    assert "已导入 2 名党员" in page.content.decode()


def test_upload_into_two_branches_redirects_to_their_township(login, people, tree):
    client = login(people.township_a)
    response = _upload(client, _workbook([_row(1, tree.village_a1), _row(3, tree.village_a2)]))
    assert response["Location"] == f"/members/?org={tree.township_a.pk}"


def test_dry_run_upload_reports_and_writes_nothing(login, people, tree):
    client = login(people.village_secretary)
    response = _upload(client, _workbook([_row(1, tree.village_a1)]), dry_run=True)
    assert response.status_code == 200
    assert "校验通过" in response.content.decode()
    assert not Member.objects.exists()


def test_failed_upload_lists_errors_and_offers_the_annotated_file_once(
    login, people, tree, settings
):
    client = login(people.village_secretary)
    rows = [_row(n, tree.village_a1, 民族="火星族") for n in range(1, 50, 2)]
    response = _upload(client, _workbook(rows))
    html = response.content.decode()
    assert response.status_code == 200
    assert "有 25 行需要改正" in html
    assert html.count("“火星族”不在民族代码表中") == 20
    assert "仅显示前 20 行" in html
    token = response.context["token"]
    url = f"/members/import/errors/{token}/"
    assert url in html

    # Another user cannot fetch it, even with the token.
    other = Client()
    other.force_login(
        people.township_a, backend="dangjian.accounts.backends.UsernameOrMobileBackend"
    )
    assert other.get(url).status_code == 404
    # Held privately: outside MEDIA_ROOT, readable by the service account only.
    [held] = _held(settings, token)
    assert held.stat().st_mode & 0o777 == 0o600
    assert held.parent.stat().st_mode & 0o777 == 0o700
    assert not list(Path(settings.MEDIA_ROOT).rglob("*.xlsx"))
    download = client.get(url)
    assert download.status_code == 200
    assert download["Cache-Control"] == "private, no-store"
    assert download["Content-Disposition"].startswith("attachment;")
    assert len(_error_column(b"".join(download.streaming_content))) == 25
    assert client.get(url).status_code == 404  # deleted after one download
    assert not _held(settings, token)


def test_annotated_file_expires_after_its_ttl(login, people, tree, settings):
    settings.IMPORT_ERROR_FILE_TTL_HOURS = 72
    client = login(people.village_secretary)
    response = _upload(client, _workbook([_row(1, tree.village_a1, 民族="火星族")]))
    token = response.context["token"]
    session = client.session
    session["member_import_errors"]["at"] -= 72 * 3600 + 1
    session.save()
    response = client.get(f"/members/import/errors/{token}/")
    assert response.status_code == 404
    assert not _held(settings, token)


def test_an_admin_cannot_fetch_another_users_error_workbook(login, people, tree, settings):
    client = login(people.village_secretary)
    token = _upload(client, _workbook([_row(1, tree.village_a1, 民族="火星族")])).context["token"]
    url = f"/members/import/errors/{token}/"
    admin = Client()
    admin.force_login(
        people.county_admin, backend="dangjian.accounts.backends.UsernameOrMobileBackend"
    )
    assert admin.get(url).status_code == 404
    anonymous = Client().get(url)
    assert anonymous.status_code == 302
    assert "/accounts/login/" in anonymous["Location"]
    assert _held(settings, token)  # untouched by the refused requests


def test_not_a_workbook_upload_says_so(login, people, tree):
    response = _upload(login(people.village_secretary), b"hello", name="名单.txt")
    assert "无法读取该文件" in response.content.decode()


def test_oversized_upload_is_refused(login, people, tree, monkeypatch):
    from dangjian.members import excel_views

    monkeypatch.setattr(excel_views, "MAX_UPLOAD_BYTES", 100)
    response = _upload(login(people.village_secretary), _workbook([_row(1, tree.village_a1)]))
    assert "文件超过" in response.content.decode()
    assert not Member.objects.exists()


def test_export_view_masks_and_scopes(login, people, tree):
    _existing(people.county_admin, tree.village_a1, 1)
    _existing(people.county_admin, tree.village_b1, 3)
    response = login(people.village_secretary).get(
        "/members/export/", {"layout": "roster", "reveal": "1"}
    )
    assert response.status_code == 200
    rows = _sheet(response.content)
    assert [r[0] for r in rows[1:]] == ["已登记1"]
    assert "********" in rows[1][3]


def test_export_view_reveals_for_township_worker(login, people, tree):
    _existing(people.county_admin, tree.village_a1, 1)
    client = login(people.township_a)
    rows = _sheet(client.get("/members/export/", {"layout": "national16", "reveal": "1"}).content)
    assert rows[1][3] == _id(1)
    assert (
        AuditLog.objects.filter(action="member.export_reveal", actor=people.township_a).count() == 1
    )


def test_export_view_follows_the_list_filters(login, people, tree):
    _existing(people.county_admin, tree.village_a1, 1)
    _existing(people.county_admin, tree.village_a2, 3)
    client = login(people.township_a)
    response = client.get("/members/export/", {"layout": "roster", "org": tree.village_a2.pk})
    assert [r[0] for r in _sheet(response.content)[1:]] == ["已登记3"]


def test_export_needs_export_permission(login, people, tree):
    for persona in (people.inspector, people.member, people.nobody):
        assert login(persona).get("/members/export/", {"layout": "roster"}).status_code == 403


def test_export_page_offers_layouts_and_reveal_only_when_allowed(login, people, tree):
    html = login(people.township_a).get("/members/export/", {"org": tree.village_a1.pk})
    html = html.content.decode()
    assert 'value="national16"' in html
    assert 'name="reveal"' in html
    assert f'name="org" value="{tree.village_a1.pk}"' in html
    html = login(people.village_secretary).get("/members/export/").content.decode()
    assert 'name="reveal"' not in html


@pytest.mark.parametrize("layout", sorted(excel.EXPORT_LAYOUTS))
def test_export_keeps_formula_like_addresses_as_text(people, tree, layout):
    from dangjian.core.tests.excel_checks import FORMULA_PAYLOADS, assert_payloads_are_text

    for n, text in enumerate(FORMULA_PAYLOADS, start=1):
        m = _existing(people.township_a, tree.village_a1, n)
        Member.objects.filter(pk=m.pk).update(name=text, address=text, mobile_destination=text)
    viewer = people.village_secretary
    data = excel.member_export(viewer=viewer, queryset=members_visible_to(viewer), layout=layout)
    assert_payloads_are_text(data)
