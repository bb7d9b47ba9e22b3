"""党费 exports: a branch's monthly 党费收缴台账 and a subtree summary, as .xlsx.

Same look as the member exports (``dangjian.members.excel``): a red header row with white
bold text, frozen panes, fixed widths. Money is written as numbers (Decimal) with two decimals,
so the sheet adds up.
"""

from __future__ import annotations

import io
from decimal import Decimal
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter

from dangjian.dues.selectors import BranchLedger, Summary

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
HEADER_FILL = PatternFill("solid", fgColor="FFC00000")
HEADER_FONT = Font(bold=True, color="FFFFFFFF")
FLAG_FILL = PatternFill("solid", fgColor="FFFFEB9C")  # Excel's "neutral" yellow
TITLE_FONT = Font(bold=True, size=14)
MONEY = "0.00"


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    response = HttpResponse(data, content_type=XLSX)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


def _sheet(wb: Workbook, title: str, headers: list[tuple[str, int]], heading: str, sub: str) -> Any:
    ws = wb.active
    ws.title = title
    ws["A1"] = heading
    ws["A1"].font = TITLE_FONT
    ws["A2"] = sub
    ws["A2"].font = Font(color="FF606060")
    for n, (label, width) in enumerate(headers, start=1):
        cell = ws.cell(row=3, column=n, value=label)
        cell.fill = HEADER_FILL
        cell.font = HEADER_FONT
        cell.alignment = Alignment(horizontal="center", vertical="center", wrap_text=True)
        ws.column_dimensions[get_column_letter(n)].width = width
    ws.freeze_panes = "C4"
    return ws


def _cell(ws: Any, row: int, column: int, value: Any) -> Any:
    """Write a value; text that looks like a formula (a reference typed as ``=HYPERLINK…``)
    stays text, so opening the export never runs it."""
    cell = ws.cell(row=row, column=column, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"
    return cell


def _money_cells(ws: Any, row: int, columns: list[int]) -> None:
    for c in columns:
        ws.cell(row=row, column=c).number_format = MONEY


def _save(wb: Workbook) -> bytes:
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


LEDGER_HEADERS = [
    ("序号", 6),
    ("姓名", 10),
    ("党员类别", 14),
    ("计算基数（元）", 13),
    ("按标准应交（元）", 13),
    ("减免", 8),
    ("应交（元）", 11),
    ("实交（元）", 11),
    ("状态", 10),
    ("交纳日期", 12),
    ("交纳方式", 10),
    ("流水号", 22),
    ("经手人", 10),
    ("交至年月", 11),
    ("累计欠交（元）", 13),
]


def branch_ledger_workbook(led: BranchLedger) -> bytes:
    """The branch's 党费收缴台账 for one month, with totals and one-off payments."""
    wb = Workbook()
    mode = "按季度交纳" if led.quarterly else "按月交纳"
    ws = _sheet(
        wb,
        f"{led.month:%Y年%m月}",
        LEDGER_HEADERS,
        f"{led.branch.name}党费收缴台账（{led.month:%Y年%-m月}）",
        f"{mode}；党员须本人交纳，党组织不得垫交、扣缴；一次性交纳 1000 元以上全额上缴中央",
    )
    r = 4
    for i, line in enumerate(led.rows, start=1):
        row = line.row
        last = line.payments[-1] if line.payments else None
        values = [
            i,
            line.member.name,
            row.get_category_display() if row else "未核定基数",
            row.monthly_base if row else None,
            row.standard if row else None,
            (row.reduction.get_kind_display() if row and row.reduction else ""),
            row.expected if row else None,
            row.paid if row else None,
            line.status + ("（测算，台账未生成）" if line.projected else ""),
            row.last_paid_on if row and row.last_paid_on else None,
            "、".join(sorted({p.get_method_display() for p in line.payments})),
            "、".join(p.reference for p in line.payments if p.reference),
            getattr(last.recorded_by, "display_name", "") if last and last.recorded_by else "",
            f"{line.paid_through:%Y-%m}" if line.paid_through else "",
            line.arrear.owed if line.arrear else Decimal("0.00"),
        ]
        for c, v in enumerate(values, start=1):
            cell = _cell(ws, r, c, v)
            if c == 10 and v is not None:
                cell.number_format = "yyyy-mm-dd"
        _money_cells(ws, r, [4, 5, 7, 8, 15])
        r += 1
    t = led.totals
    ws.cell(row=r, column=2, value="合计").font = Font(bold=True)
    ws.cell(row=r, column=3, value=f"{t.rows} 人应交")
    ws.cell(row=r, column=7, value=t.expected).font = Font(bold=True)
    ws.cell(row=r, column=8, value=t.paid).font = Font(bold=True)
    ws.cell(row=r, column=9, value=f"交清 {t.settled} 人")
    ws.cell(row=r, column=15, value=t.owed).font = Font(bold=True)
    _money_cells(ws, r, [7, 8, 15])
    r += 2
    ws.cell(row=r, column=1, value="一次性交纳党费").font = Font(bold=True)
    r += 1
    if not led.one_offs:
        ws.cell(row=r, column=2, value="本月无")
    for p in led.one_offs:
        _cell(ws, r, 2, p.member.name)
        ws.cell(row=r, column=3, value=p.paid_on).number_format = "yyyy-mm-dd"
        ws.cell(row=r, column=7, value=p.amount).number_format = MONEY
        ws.cell(row=r, column=11, value=p.get_method_display())
        _cell(ws, r, 12, p.reference)
        if p.to_central:
            flag = ws.cell(row=r, column=9, value="全额上缴中央")
            for c in range(1, len(LEDGER_HEADERS) + 1):
                ws.cell(row=r, column=c).fill = FLAG_FILL
            flag.font = Font(bold=True, color="FF9C5700")
        r += 1
    return _save(wb)


SUMMARY_HEADERS = [
    ("序号", 6),
    ("组织", 34),
    ("应交人数", 10),
    ("应交（元）", 13),
    ("实交（元）", 13),
    ("交清人数", 10),
    ("交清率", 9),
    ("未交人数", 10),
    ("累计欠交（元）", 14),
    ("一次性交纳（元）", 15),
    ("其中上缴中央（元）", 17),
    ("连续6个月未交（人）", 18),
]


def summary_workbook(summary: Summary) -> bytes:
    """The collection summary of a township / county for one month, by sub-organization."""
    wb = Workbook()
    ws = _sheet(
        wb,
        f"{summary.month:%Y年%m月}",
        SUMMARY_HEADERS,
        f"{summary.org.name}党费收缴汇总（{summary.month:%Y年%-m月}）",
        "一次性交纳 1000 元以上的党费全额上缴中央；连续 6 个月未交纳党费的党员须按党章第九条处理",
    )
    r = 4
    for i, line in enumerate(summary.rows, start=1):
        t = line.totals
        values = [
            i,
            line.org.name,
            t.rows,
            t.expected,
            t.paid,
            t.settled,
            f"{t.rate}%" if t.rate is not None else "—",
            t.unpaid,
            t.owed,
            t.one_off,
            t.to_central,
            t.lapse,
        ]
        for c, v in enumerate(values, start=1):
            _cell(ws, r, c, v)
        _money_cells(ws, r, [4, 5, 9, 10, 11])
        if t.to_central:
            ws.cell(row=r, column=11).fill = FLAG_FILL
        r += 1
    t = summary.totals
    values = [
        None,
        "合计",
        t.rows,
        t.expected,
        t.paid,
        t.settled,
        f"{t.rate}%" if t.rate is not None else "—",
        t.unpaid,
        t.owed,
        t.one_off,
        t.to_central,
        t.lapse,
    ]
    for c, v in enumerate(values, start=1):
        ws.cell(row=r, column=c, value=v).font = Font(bold=True)
    _money_cells(ws, r, [4, 5, 9, 10, 11])
    return _save(wb)
