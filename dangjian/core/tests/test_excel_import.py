"""The one reader: upload bytes, the sheet, the header row, cell text, and the error workbook
given back to the user."""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass, field

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook
from openpyxl.worksheet.datavalidation import DataValidation

from dangjian.core import excel
from dangjian.core.excel import (
    ERROR_FILL,
    ERROR_HEADER,
    ImportFileError,
    annotate_workbook,
    cell_text,
    find_header,
    normalize_header,
    read_sheet,
    upload_bytes,
)


@dataclass(frozen=True)
class Col:
    header: str
    field: str
    required: bool = False
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Col("姓名", "name", True),
    Col("公民身份号码", "id_number", True, ("身份证号",)),
    Col("备注", "note"),
)


@dataclass
class Bad:
    row: int
    columns: list[int] = field(default_factory=list)
    text: str = "有误"


def _xlsx(*sheets: tuple[str, list[list[object]]], hidden: tuple[str, ...] = ()) -> bytes:
    wb = Workbook()
    wb.remove(wb.active)
    for title, rows in sheets:
        ws = wb.create_sheet(title)
        for row in rows:
            ws.append(row)
        if title in hidden:
            ws.sheet_state = "hidden"
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def _read(raw: bytes, **kwargs: object) -> tuple[str, list[list[object]]]:
    options: dict = {"sheet": "党员信息", "nrows": 100, "what": "党员信息表"} | kwargs
    return read_sheet(raw, **options)


# --- read_sheet -------------------------------------------------------------------------------


def test_an_empty_file_names_what_was_expected() -> None:
    with pytest.raises(ImportFileError, match="文件是空的，请选择填好的党员信息表"):
        _read(b"")


@pytest.mark.parametrize(
    "raw", [b"name,id\nzhang,1\n", b"PK\x03\x04 not really a zip", "党员.docx".encode()]
)
def test_a_file_that_is_not_a_workbook_is_a_chinese_error(raw: bytes) -> None:
    with pytest.raises(ImportFileError, match="无法读取该文件：请上传 Excel 工作簿"):
        _read(raw)


def test_the_named_sheet_is_read_wherever_it_stands() -> None:
    raw = _xlsx(("说明", [["x"]]), ("党员信息", [["姓名"], ["张三"]]))
    assert _read(raw) == ("党员信息", [["姓名"], ["张三"]])


def test_without_the_named_sheet_the_first_visible_unskipped_sheet_is_read() -> None:
    raw = _xlsx(("代码表", [["c"]]), ("填写说明", [["h"]]), ("Sheet1", [["d"]]), hidden=("代码表",))
    assert _read(raw, skip=("填写说明",))[0] == "Sheet1"


def test_the_reader_stops_at_nrows_so_the_caller_can_see_too_many_rows() -> None:
    raw = _xlsx(("党员信息", [[n] for n in range(1, 12)]))
    _, rows = _read(raw, nrows=10)
    assert len(rows) == 10
    assert rows[-1] == [10.0]  # calamine reads every number as a float


def test_an_upload_over_the_limit_is_refused_before_it_is_read() -> None:
    upload = SimpleUploadedFile("大.xlsx", b"x" * 101)
    with pytest.raises(ImportFileError, match="文件超过 .* MB，请拆分后分批导入"):
        upload_bytes(upload, max_bytes=100)
    assert upload_bytes(SimpleUploadedFile("小.xlsx", b"x" * 100), max_bytes=100) == (
        b"x" * 100,
        "小.xlsx",
    )
    assert upload_bytes(b"raw") == (b"raw", "上传文件")


# --- cell_text and headers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, ""),
        (13800000000.0, "13800000000"),
        (1.5, "1.5"),
        (dt.datetime(2024, 7, 1, 0, 0), "2024-07-01"),
        (dt.date(2024, 7, 1), "2024-07-01"),
        (True, "是"),
        ("\u3000张 三\xa0", "张 三"),
    ],
)
def test_a_cell_is_the_text_the_user_meant(value: object, text: str) -> None:
    assert cell_text(value) == text


@pytest.mark.parametrize(
    "typed", ["姓名", " 姓 名 ", "姓\u3000名", "*姓名", "姓名＊", "姓名（必填）"]
)
def test_a_header_is_matched_despite_spaces_and_required_marks(typed: str) -> None:
    assert normalize_header(typed) == "姓名"


def test_the_header_may_sit_under_a_title_row() -> None:
    rows = [["党员名册"], ["身份证号", "姓 名", "备注"], ["x", "y", "z"]]
    index, mapping = find_header(rows, COLUMNS, anchors=("name", "id_number"), expect=("姓名",))
    assert index == 1
    assert {c: col.field for c, col in mapping.items()} == {0: "id_number", 1: "name", 2: "note"}


def test_a_full_width_spaced_header_is_found() -> None:
    rows = [["\u3000姓\u3000名\u3000", "公民身份号码＊"]]
    index, mapping = find_header(rows, COLUMNS, anchors=("name",), expect=("姓名",))
    assert (index, [col.field for col in mapping.values()]) == (0, ["name", "id_number"])


def test_a_column_named_twice_counts_once() -> None:
    rows = [["姓名", "公民身份号码", "姓名"]]
    _, mapping = find_header(rows, COLUMNS, anchors=("name",), expect=("姓名",))
    assert list(mapping) == [0, 1]


def test_a_header_below_the_scanned_rows_is_not_found() -> None:
    rows = [[], [], ["姓名", "公民身份号码"]]
    with pytest.raises(ImportFileError, match="没有找到表头（应包含“姓名”“公民身份号码”等列）"):
        find_header(rows, COLUMNS, anchors=("name",), expect=("姓名", "公民身份号码"), scan_rows=2)
    assert find_header(rows, COLUMNS, anchors=("name",), expect=("姓名",), scan_rows=3)[0] == 2


def test_a_header_without_a_required_column_names_it() -> None:
    with pytest.raises(ImportFileError, match="表头缺少必填列：公民身份号码。"):
        find_header([["姓名", "备注"]], COLUMNS, anchors=("name",), expect=("姓名",))


# --- annotate_workbook ------------------------------------------------------------------------


def _template() -> bytes:
    wb = Workbook()
    ws = wb.active
    ws.title = "党员信息"
    ws.append(["姓名", "公民身份号码", "入党日期"])
    ws.append(["张三", "1101", dt.date(2020, 1, 1)])
    ws.append(["李四", "1102", dt.date(2021, 1, 1)])
    dv = DataValidation(type="list", formula1='"a,b"')
    dv.add("A2:A100")
    ws.add_data_validation(dv)
    ws["C2"].number_format = "yyyy-mm-dd"
    wb.create_sheet("代码表")
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def test_the_error_workbook_is_the_users_own_with_notes_and_red_cells() -> None:
    raw = _template()
    name, rows = _read(raw)
    data = annotate_workbook(raw, name, 0, [Bad(3, [1], "公民身份号码：校验位不正确")], rows)
    wb = load_workbook(io.BytesIO(data))
    assert wb.sheetnames == ["党员信息", "代码表"]
    ws = wb["党员信息"]
    assert [ws["D1"].value, ws["D2"].value, ws["D3"].value] == [
        ERROR_HEADER,
        None,
        "公民身份号码：校验位不正确",
    ]
    assert ws["B3"].fill.fgColor.rgb == ERROR_FILL.fgColor.rgb
    assert ws["B2"].fill.fgColor.rgb != ERROR_FILL.fgColor.rgb
    assert ws["C2"].number_format == "yyyy-mm-dd"
    assert len(ws.data_validations.dataValidation) == 1


def test_annotating_an_annotated_file_replaces_the_old_notes() -> None:
    raw = _template()
    name, rows = _read(raw)
    first = annotate_workbook(raw, name, 0, [Bad(2, [0], "旧")], rows)
    name, rows = _read(first)
    second = annotate_workbook(first, name, 0, [Bad(3, [1], "新")], rows)
    ws = load_workbook(io.BytesIO(second)).active
    assert [c.value for c in ws[1]].count(ERROR_HEADER) == 1
    assert (ws["D2"].value, ws["D3"].value) == (None, "新")
    assert ws["A2"].fill.fgColor.rgb != ERROR_FILL.fgColor.rgb


def test_a_workbook_the_patcher_cannot_read_comes_back_as_a_copy(monkeypatch) -> None:
    def refuse(*args: object, **kwargs: object) -> bytes:
        raise excel._PatchError("test")

    monkeypatch.setattr(excel, "_patch_xlsx", refuse)
    raw = _template()
    name, rows = _read(raw)
    ws = load_workbook(io.BytesIO(annotate_workbook(raw, name, 0, [Bad(2, [0])], rows))).active
    assert (ws["D1"].value, ws["D2"].value) == (ERROR_HEADER, "有误")
    assert ws["A2"].fill.fgColor.rgb == ERROR_FILL.fgColor.rgb
    assert ws["C3"].value == dt.datetime(2021, 1, 1)
