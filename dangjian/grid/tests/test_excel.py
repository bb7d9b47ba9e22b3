"""Households in Excel: template, all-or-nothing import, masked export, permissions."""

from __future__ import annotations

import io

import pytest
from django.core.exceptions import PermissionDenied
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from dangjian.core import crypto
from dangjian.core.models import AuditLog
from dangjian.grid import services
from dangjian.grid.models import Household
from dangjian.grid.tests.factories import make_grid, make_household

pytestmark = pytest.mark.django_db
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@pytest.fixture
def grid(tree, people):
    return make_grid(tree.village_a1, "甲村第一网格", workers=[people.grid_worker])


def _upload(rows: list[list[object]], header: list[str] | None = None) -> SimpleUploadedFile:
    wb = Workbook()
    ws = wb.active
    ws.title = "住户信息"
    ws.append(
        header or ["住址", "户主姓名", "家庭人口", "联系电话", "户主身份证号", "标签", "备注"]
    )
    for row in rows:
        ws.append(row)
    out = io.BytesIO()
    wb.save(out)
    return SimpleUploadedFile("住户.xlsx", out.getvalue(), content_type=XLSX)


def test_template_downloads_for_managers_only(people, login):
    r = login(people.village_secretary).get("/grid/households/template.xlsx")
    assert r.status_code == 200
    wb = load_workbook(io.BytesIO(r.content))
    assert [c.value for c in wb["住户信息"][1]][:3] == ["住址", "户主姓名", "家庭人口"]
    assert login(people.grid_worker).get("/grid/households/template.xlsx").status_code == 403


def test_import_creates_households_with_encrypted_phones(people, login, grid):
    f = _upload([
        ["一组 1 号", "钱桂兰", 1, 13912345678, None, "独居老人、低保", "腿脚不便"],
        ["一组 2 号", "孙大海", 4.0, "", "", "", ""],
        [None, None, None, None, None, None, None],
    ])  # fmt: skip
    r = login(people.village_secretary).post(f"/grid/{grid.pk}/import/", {"file": f})
    assert r.status_code == 302
    h = Household.objects.get(address="一组 1 号")
    assert h.phone_masked == "139****5678"
    assert crypto.decrypt(h.phone_enc) == "13912345678"
    assert {t.label for t in h.tags.all()} == {"独居老人", "低保"}
    assert Household.objects.get(address="一组 2 号").size == 4
    assert AuditLog.objects.get(action="household.import").changes == {"rows": 2}


def test_import_with_a_bad_row_saves_nothing_and_lists_every_error(people, login, grid):
    f = _upload([
        ["一组 1 号", "钱桂兰", 1, "", "", "", ""],
        ["一组 2 号", "", 3, "", "", "", ""],
        ["一组 3 号", "赵六", "三", "", "", "", ""],
        ["一组 4 号", "李四", 2, "123", "", "火星人", ""],
    ])  # fmt: skip
    r = login(people.village_secretary).post(f"/grid/{grid.pk}/import/", {"file": f})
    assert r.status_code == 200
    html = r.content.decode()
    assert "第 3 行：请填写户主姓名" in html
    assert "第 4 行：家庭人口应为 1–30 的整数" in html
    assert "第 5 行" in html
    assert not Household.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="household.").exists()


def test_import_refuses_a_file_that_is_not_a_workbook(people, login, grid):
    f = SimpleUploadedFile("x.xlsx", b"not a workbook", content_type=XLSX)
    r = login(people.village_secretary).post(f"/grid/{grid.pk}/import/", {"file": f})
    assert "无法读取该文件" in r.content.decode()
    f = _upload([["x"]], header=["姓名"])
    r = login(people.village_secretary).post(f"/grid/{grid.pk}/import/", {"file": f})
    assert "没有找到表头" in r.content.decode()


@pytest.mark.parametrize(("who", "status"), [("grid_worker", 403), ("township_b", 404)])
def test_import_denied(people, login, grid, who, status):
    f = _upload([["一组 1 号", "钱桂兰", 1, "", "", "", ""]])
    assert (
        login(getattr(people, who)).post(f"/grid/{grid.pk}/import/", {"file": f}).status_code
        == status
    )
    assert not Household.objects.exists()


def test_export_is_masked_scoped_and_audited(people, login, grid, tree):
    make_household(grid, address="一组 8 号", phone="13912345678", tags=["dibao"])
    other = make_grid(tree.village_b1, "丙村网格")
    make_household(other, address="丙村 1 号")
    r = login(people.township_a).get(f"/grid/households/export.xlsx?org={tree.county.pk}")
    assert r.status_code == 404  # the county is outside township A's scope
    r = login(people.county_admin).get("/grid/households/export.xlsx?tag=dibao")
    rows = list(load_workbook(io.BytesIO(r.content))["住户信息"].values)
    assert len(rows) == 2
    assert "139****5678" in rows[1]
    assert "13912345678" not in str(rows)
    assert AuditLog.objects.filter(action="household.export").exists()
    assert (
        login(people.grid_worker).get(f"/grid/households/export.xlsx?grid={grid.pk}").status_code
        == 403
    )


def test_export_keeps_formula_like_addresses_and_notes_as_text(people, login, grid):
    from dangjian.core.tests.excel_checks import FORMULA_PAYLOADS, assert_payloads_are_text

    for text in FORMULA_PAYLOADS:
        h = make_household(grid, address=text, head_name=text)
        Household.objects.filter(pk=h.pk).update(note=text)
    r = login(people.village_secretary).get(f"/grid/households/export.xlsx?grid={grid.pk}")
    assert r.status_code == 200
    assert_payloads_are_text(r.content)


def test_only_those_who_maintain_households_get_an_export_recorded(people):
    with pytest.raises(PermissionDenied):
        services.household_export_record(actor=people.member, scope_label="甲村", rows=1)
    assert not AuditLog.objects.filter(action="household.export").exists()
    services.household_export_record(actor=people.village_secretary, scope_label="甲村", rows=2)
    assert AuditLog.objects.get(action="household.export").changes == {"rows": 2}
