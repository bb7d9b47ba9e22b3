"""Households in Excel: the import template, an all-or-nothing import into one grid, and a
masked export (phone and ID numbers stay masked: a roster is not a reveal)."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from openpyxl.styles import PatternFill

from dangjian.core.excel import Column as SheetColumn
from dangjian.core.excel import (
    Exporter,
    ImportFileError,
    cell_text,
    find_header,
    read_sheet,
    upload_bytes,
)
from dangjian.grid import services
from dangjian.grid.models import Grid, Household, HouseholdLink, HouseholdTag

SHEET = "住户信息"
HELP_SHEET = "填写说明"
MAX_ROWS = 2000  # one grid holds tens of households; a bigger file is a mistake
HEADER_SCAN_ROWS = 5
TAG_SEPARATORS = ("、", ",", "，", ";", "；", " ")


@dataclass(frozen=True)
class Column:
    header: str
    field: str
    required: bool
    width: int
    hint: str = ""
    aliases: tuple[str, ...] = ()


COLUMNS = (
    Column("住址", "address", True, 28, "如：张家湾村三组 12 号"),
    Column("户主姓名", "head_name", True, 12),
    Column("家庭人口", "size", True, 10, "1–30 的整数"),
    Column("联系电话", "phone", False, 16, "11 位手机号或带区号的固定电话"),
    Column("户主身份证号", "head_id", False, 22, "18 位公民身份号码，可不填"),
    Column("标签", "tags", False, 24, "多个标签用顿号分隔，如：独居老人、低保"),
    Column("备注", "note", False, 24),
)
EXAMPLE = ("张家湾村三组 12 号", "张德明", 2, "13800001234", "", "独居老人、低保", "")


def household_template() -> bytes:
    """The import template: headers with hints, one example row, the tag list."""
    exporter = Exporter()
    ws = exporter.sheet(SHEET, columns=[SheetColumn(c.header, c.width) for c in COLUMNS])
    required = PatternFill("solid", fgColor="FDE2E1")
    for i, col in enumerate(COLUMNS, start=1):
        if col.required:
            ws.ws.cell(row=1, column=i).fill = required
    ws.append(EXAMPLE)
    help_ws = exporter.sheet(HELP_SHEET, columns=[SheetColumn("列", 16), SheetColumn("说明", 80)])
    for col in COLUMNS:
        help_ws.append([col.header + ("（必填）" if col.required else ""), col.hint])
    help_ws.append([])
    help_ws.append(
        ["可用标签", "、".join(t.label for t in HouseholdTag.objects.filter(is_active=True))]
    )
    help_ws.append(
        [
            "说明",
            "第 2 行为示例，导入前请删除。任一行有错误时整份文件不导入，请按提示改正后重新上传。",
        ]
    )
    return exporter.to_bytes()


def _rows(raw: bytes) -> list[list[Any]]:
    return read_sheet(
        raw,
        sheet=SHEET,
        skip=(HELP_SHEET,),
        nrows=MAX_ROWS + HEADER_SCAN_ROWS + 1,
        what="住户信息表",
    )[1]


def _header(rows: list[list[Any]]) -> tuple[int, dict[int, Column]]:
    return find_header(
        rows,
        COLUMNS,
        anchors=("address",),
        expect=("住址", "户主姓名", "家庭人口"),
        scan_rows=HEADER_SCAN_ROWS,
    )


def _split_tags(text: str, by_label: dict[str, str]) -> list[str]:
    for sep in TAG_SEPARATORS[1:]:
        text = text.replace(sep, TAG_SEPARATORS[0])
    labels = [t.strip() for t in text.split(TAG_SEPARATORS[0]) if t.strip()]
    unknown = [t for t in labels if t not in by_label]
    if unknown:
        raise ValidationError(f"标签“{'、'.join(unknown)}”不在标签表中", code="tag_unknown")
    return [by_label[t] for t in labels]


@dataclass
class ImportResult:
    created: int
    errors: list[str]


def household_import(*, actor: Any, grid: Grid, file: Any) -> ImportResult:
    """Import households into ``grid`` from a workbook, all or nothing (any bad row: nothing
    saved, every error listed by Excel row number).

    Every row is checked by ``household_prepare`` (the same rules as the form) before anything
    is written and outside any transaction; only then are all rows written in one short
    transaction, so the import never holds the write lock while it reads and checks.
    """
    raw, _ = upload_bytes(file)
    rows = _rows(raw)
    start, mapping = _header(rows)
    body = [
        (start + 2 + i, row) for i, row in enumerate(rows[start + 1 :])
        if any(cell_text(v) for v in row)
    ]  # fmt: skip
    if not body:
        raise ImportFileError("表中没有住户数据")
    if len(body) > MAX_ROWS:
        raise ImportFileError(f"一次最多导入 {MAX_ROWS} 户，请分批导入")
    by_label = {t.label: t.code for t in HouseholdTag.objects.filter(is_active=True)}
    errors: list[str] = []
    prepared: list[services.PreparedHousehold] = []
    for excel_row, row in body:
        values = {
            col.field: cell_text(row[c]) if c < len(row) else "" for c, col in mapping.items()
        }
        try:
            size_text = values.get("size", "")
            if not size_text.isdigit():
                raise ValidationError("家庭人口应为 1–30 的整数", code="size_invalid")
            prepared.append(
                services.household_prepare(
                    actor=actor,
                    grid=grid,
                    data={
                        "address": values.get("address", ""),
                        "head_name": values.get("head_name", ""),
                        "size": int(size_text),
                        "note": values.get("note", ""),
                    },
                    phone=values.get("phone", ""),
                    head_id=values.get("head_id", ""),
                    tags=_split_tags(values.get("tags", ""), by_label),
                )
            )
        except ValidationError as exc:
            errors.append(f"第 {excel_row} 行：{'；'.join(exc.messages)}")
    if errors:
        return ImportResult(created=0, errors=errors)
    try:
        created = services.households_import_write(actor=actor, grid=grid, prepared=prepared)
    except ValidationError as exc:  # the grid was closed in the meantime
        return ImportResult(created=0, errors=list(exc.messages))
    return ImportResult(created=len(created), errors=[])


EXPORT_COLUMNS = (
    SheetColumn("所属组织", 24),
    SheetColumn("网格", 14),
    *[SheetColumn(c.header, c.width) for c in COLUMNS],
    SheetColumn("联户党员", 16),
    SheetColumn("状态", 8),
)
EXPORT_CAP = 100_000


def household_export(*, actor: Any, households: QuerySet[Household], scope_label: str) -> bytes:
    """A masked roster of the given (already scoped) households; the export is audited."""
    exporter = Exporter(streaming=True)
    ws = exporter.sheet(SHEET, columns=EXPORT_COLUMNS)
    qs = (
        households.select_related("grid", "org")
        .prefetch_related("tags")
        .order_by("org_path", "grid_id", "id")
    )
    linked: dict[int, list[str]] = {}
    links = HouseholdLink.objects.filter(household__in=qs.values("pk"), ended_on__isnull=True)
    for hid, name in links.values_list("household_id", "member__name"):
        linked.setdefault(hid, []).append(name)
    n = 0
    for h in qs[:EXPORT_CAP].iterator(chunk_size=2000):
        ws.append([
            h.org.display_name, h.grid.name, h.address, h.head_name, h.size, h.phone_masked,
            h.head_id_masked, "、".join(t.label for t in h.tags.all()), h.note,
            "、".join(linked.get(h.pk, [])), "在册" if h.is_active else "已迁出",
        ])  # fmt: skip
        n += 1
    services.household_export_record(actor=actor, scope_label=scope_label, rows=n)
    return exporter.to_bytes()


def export_filename(label: str, *, today: dt.date) -> str:
    return f"住户名册_{label}_{today:%Y%m%d}.xlsx"
