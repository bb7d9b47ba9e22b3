"""党费 exports: a branch's monthly 党费收缴台账 and a subtree summary, as .xlsx.

Built with the one exporter (``dangjian.core.excel``): a red header row with white bold text,
frozen panes, fixed widths, and user-typed text (a payment reference typed as ``=HYPERLINK…``)
kept as text. Money is written as numbers (Decimal) with two decimals, so the sheet adds up.
"""

from __future__ import annotations

from decimal import Decimal

from openpyxl.styles import Font, PatternFill

from dangjian.core.excel import MONEY_FORMAT as MONEY
from dangjian.core.excel import RED_HEADER, Column, Exporter, Sheet
from dangjian.dues.selectors import BranchLedger, Summary

FLAG_FILL = PatternFill("solid", fgColor="FFFFEB9C")  # Excel's "neutral" yellow
TITLE_FONT = Font(bold=True, size=14)


def _sheet(
    exporter: Exporter, title: str, headers: list[tuple[str, int]], heading: str, sub: str
) -> Sheet:
    ws = exporter.sheet(
        title,
        columns=[Column(label, width) for label, width in headers],
        header_row=3,
        header_style=RED_HEADER,
        freeze="C4",
    )
    ws.cell(1, 1, heading).font = TITLE_FONT
    ws.cell(2, 1, sub).font = Font(color="FF606060")
    return ws


def _money_cells(ws: Sheet, row: int, columns: list[int]) -> None:
    for c in columns:
        ws.ws.cell(row=row, column=c).number_format = MONEY


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
    wb = Exporter()
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
            cell = ws.cell(r, c, v)
            if c == 10 and v is not None:
                cell.number_format = "yyyy-mm-dd"
        _money_cells(ws, r, [4, 5, 7, 8, 15])
        r += 1
    t = led.totals
    ws.cell(r, 2, "合计").font = Font(bold=True)
    ws.cell(r, 3, f"{t.rows} 人应交")
    ws.cell(r, 7, t.expected).font = Font(bold=True)
    ws.cell(r, 8, t.paid).font = Font(bold=True)
    ws.cell(r, 9, f"交清 {t.settled} 人")
    ws.cell(r, 15, t.owed).font = Font(bold=True)
    _money_cells(ws, r, [7, 8, 15])
    r += 2
    ws.cell(r, 1, "一次性交纳党费").font = Font(bold=True)
    r += 1
    if not led.one_offs:
        ws.cell(r, 2, "本月无")
    for p in led.one_offs:
        ws.cell(r, 2, p.member.name)
        ws.cell(r, 3, p.paid_on).number_format = "yyyy-mm-dd"
        ws.cell(r, 7, p.amount).number_format = MONEY
        ws.cell(r, 11, p.get_method_display())
        ws.cell(r, 12, p.reference)
        if p.to_central:
            flag = ws.cell(r, 9, "全额上缴中央")
            for c in range(1, len(LEDGER_HEADERS) + 1):
                ws.ws.cell(row=r, column=c).fill = FLAG_FILL
            flag.font = Font(bold=True, color="FF9C5700")
        r += 1
    return wb.to_bytes()


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
    wb = Exporter()
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
            ws.cell(r, c, v)
        _money_cells(ws, r, [4, 5, 9, 10, 11])
        if t.to_central:
            ws.ws.cell(row=r, column=11).fill = FLAG_FILL
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
        ws.cell(r, c, v).font = Font(bold=True)
    _money_cells(ws, r, [4, 5, 9, 10, 11])
    return wb.to_bytes()
