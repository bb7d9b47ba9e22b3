"""The one exporter: formula-like text stays text, numbers stay numbers, and no other module
builds a workbook of its own."""

from __future__ import annotations

import ast
import datetime as dt
import io
from decimal import Decimal
from pathlib import Path

import pytest
from openpyxl import load_workbook

from dangjian.core.excel import RED_HEADER, Column, Exporter, Styled, is_formula_like
from dangjian.core.tests.excel_checks import FORMULA_PAYLOADS, assert_payloads_are_text

PACKAGE = Path(__file__).resolve().parents[2]  # dangjian/
THE_EXPORTER = PACKAGE / "core" / "excel.py"


@pytest.mark.parametrize("streaming", [True, False])
def test_formula_like_text_is_written_as_text(streaming: bool) -> None:
    exporter = Exporter(streaming=streaming)
    sheet = exporter.sheet("名册", columns=[Column("备注", 30)] * len(FORMULA_PAYLOADS))
    sheet.append(list(FORMULA_PAYLOADS))
    sheet.append([Styled(p) for p in FORMULA_PAYLOADS])
    assert_payloads_are_text(exporter.to_bytes())


@pytest.mark.parametrize("text", ["\tcmd", "\r=1", "=1+1", "+86", "-", "@"])
def test_every_owasp_starter_counts_as_formula_like(text: str) -> None:
    assert is_formula_like(text)


@pytest.mark.parametrize("value", ["张三", "1=1", " =1", "", None, 5, -2, Decimal("-3.50")])
def test_ordinary_values_are_not_formula_like(value: object) -> None:
    assert not is_formula_like(value)


@pytest.mark.parametrize("streaming", [True, False])
def test_numbers_and_dates_stay_numbers_and_dates(streaming: bool) -> None:
    exporter = Exporter(streaming=streaming)
    sheet = exporter.sheet("表", columns=[Column("a"), Column("b"), Column("c"), Column("d")])
    sheet.append([-2, Decimal("-45.50"), dt.date(2026, 5, 1), "-2"])
    ws = load_workbook(io.BytesIO(exporter.to_bytes())).active
    a, b, c, d = ws[2]
    assert (a.value, a.data_type) == (-2, "n")
    assert (b.value, b.data_type) == (-45.5, "n")
    assert c.value == dt.datetime(2026, 5, 1)
    assert c.number_format == "yyyy-mm-dd"
    assert (d.value, d.data_type) == ("-2", "s")  # typed text stays the text typed


def test_header_is_styled_frozen_and_sized() -> None:
    exporter = Exporter()
    sheet = exporter.sheet(
        "台账", columns=[Column("姓名", 10), Column("金额", 13)], header_row=3,
        header_style=RED_HEADER, freeze="C4",
    )  # fmt: skip
    sheet.cell(1, 1, "标题")
    ws = load_workbook(io.BytesIO(exporter.to_bytes())).active
    assert [c.value for c in ws[3]] == ["姓名", "金额"]
    assert ws["A3"].font.bold
    assert ws["A3"].fill.fgColor.rgb == "FFC00000"
    assert ws.freeze_panes == "C4"
    assert ws.column_dimensions["B"].width == 13


def test_characters_xml_cannot_hold_are_dropped_not_fatal() -> None:
    exporter = Exporter(streaming=True)
    exporter.sheet("表").append(["备\x0b注\x00", "=A1\x1f"])
    ws = load_workbook(io.BytesIO(exporter.to_bytes())).active
    assert [c.value for c in ws[1]] == ["备注", "=A1"]
    assert ws["B1"].data_type == "s"


def test_a_streaming_sheet_refuses_random_access() -> None:
    sheet = Exporter(streaming=True).sheet("表")
    with pytest.raises(TypeError):
        sheet.cell(1, 1, "x")


# --- no export can bypass the exporter -----------------------------------------------------

# What would let a module build or rewrite a workbook by itself: openpyxl's Workbook or
# load_workbook, its cell classes (a WriteOnlyCell holding "=…" is a formula), or another
# writer library.
FORBIDDEN = {
    "openpyxl": {"Workbook", "load_workbook", "open"},
    "openpyxl.workbook": None,  # None: the whole module
    "openpyxl.workbook.workbook": None,
    "openpyxl.cell": None,
    "openpyxl.cell.cell": None,
    "openpyxl.reader.excel": None,
    "xlsxwriter": None,
    "pyexcel": None,
    "xlwt": None,
}


def _violations(path: Path, *, root: Path = PACKAGE.parent) -> list[str]:
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name in FORBIDDEN or alias.name.startswith("openpyxl"):
                    found.append(f"import {alias.name}")
        elif isinstance(node, ast.ImportFrom) and node.module:
            names = FORBIDDEN.get(node.module, set())
            for alias in node.names:
                if names is None or alias.name in names:
                    found.append(f"from {node.module} import {alias.name}")
    return [f"{path.relative_to(root)}: {v}" for v in found]


def _app_modules() -> list[Path]:
    return [
        p for p in PACKAGE.rglob("*.py")
        if "tests" not in p.relative_to(PACKAGE).parts and p != THE_EXPORTER
    ]  # fmt: skip


def test_no_module_but_the_exporter_builds_a_workbook() -> None:
    """Every .xlsx the system writes goes through ``dangjian.core.excel``: exports, import
    templates, annotated error copies, benchmark inputs. (Tests may build their own files.)"""
    modules = _app_modules()
    assert len(modules) > 100
    violations = [v for p in modules for v in _violations(p)]
    assert violations == []


def test_the_walk_would_catch_a_new_export(tmp_path: Path) -> None:
    probe = tmp_path / "export.py"
    probe.write_text(
        "from openpyxl import Workbook\nimport openpyxl.cell\nfrom openpyxl.cell import "
        "WriteOnlyCell\nimport xlsxwriter\nfrom openpyxl.styles import Font\n",
        encoding="utf-8",
    )
    assert len(_violations(probe, root=tmp_path)) == 4  # styles are fine: layout only
