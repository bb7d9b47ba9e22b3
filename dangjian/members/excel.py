"""Member rolls in Excel: the import template, the import itself, and roster exports.

The import reads with python-calamine (about ten times faster than openpyxl), validates every
row with ``member_clean`` — the same rules as the form and the API — outside any transaction,
and writes all or nothing in one short transaction (``members_bulk_prepare`` builds and
encrypts first, ``members_bulk_write`` only inserts), so a large import does not hold the
database's write lock while it reads and checks. A file with any bad row changes nothing; the
user gets their own workbook back with a 错误说明 column and the bad cells in red, fixes it and
uploads again.
"""

from __future__ import annotations

import copy
import datetime as dt
import gc
import io
import posixpath
import re
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from xml.sax.saxutils import escape as xml_escape

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from lxml import etree
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation
from python_calamine import CalamineWorkbook, PasswordError, SheetVisibleEnum

from dangjian.core import crypto
from dangjian.core.audit import audit_record
from dangjian.core.excel import Column as SheetColumn
from dangjian.core.excel import Exporter, Sheet, Styled
from dangjian.core.paths import SEGMENT_WIDTH, is_within
from dangjian.members.access import may_reveal, members_visible_to
from dangjian.members.id_clash import Clash, id_clash_guard, id_clash_record, refuse_bulk_probe
from dangjian.members.id_lookup import id_lookup_guard
from dangjian.members.models import Member
from dangjian.members.rules import code_labels, id_check_digit, normalize_id
from dangjian.members.services import member_clean, members_bulk_prepare, members_bulk_write
from dangjian.orgs.access import may, orgs_visible_to, scope_q
from dangjian.orgs.models import BRANCH_TYPES, Organization

DATA_SHEET = "党员信息"
HELP_SHEET = "填写说明"
CODE_SHEET = "代码表"
ERROR_HEADER = "错误说明"
MAX_ROWS = 300_000  # PERF.md T7's largest case; a bigger file is a mistake, not a roll
HEADER_SCAN_ROWS = 10  # the header may sit under a title row or two
DATE_FORMAT = "yyyy-mm-dd"


@dataclass(frozen=True)
class Column:
    """One column of the import template: its header and how a cell becomes a field."""

    header: str
    field: str  # a ``member_clean`` field, or "branch" / "group"
    required: bool = False
    table: str = ""  # CodeItem table whose "code label" values fill the dropdown
    kind: str = "text"  # text | code | date | category | branch | group | id | mobile
    width: int = 14
    hint: str = ""
    aliases: tuple[str, ...] = ()


COLUMNS: tuple[Column, ...] = (
    Column("姓名", "name", True, width=10, hint="与户籍一致，不超过 50 个字"),
    Column("性别", "sex", True, "sex", "code", 8, "须与公民身份号码一致"),
    Column("民族", "ethnicity", True, "ethnicity", "code", 10, "GB/T 3304，从下拉列表选择"),
    Column(
        "公民身份号码", "id_number", True, kind="id", width=22,
        hint="18 位，末位可为 X；本列已设为文本格式，请勿改成数字",
        aliases=("身份证号", "身份证号码", "公民身份证号码", "身份证"),
    ),
    Column("出生日期", "birth_date", True, kind="date", width=12, hint="须与公民身份号码一致",
           aliases=("出生年月日",)),
    Column("学历", "education", True, "education", "code", 18, "GB/T 4658 及党校学历"),
    Column("人员类别", "category", True, kind="category", width=10, hint="正式党员或预备党员",
           aliases=("党员类别", "类别")),
    Column(
        "所在党支部", "branch", True, kind="branch", width=30,
        hint="填组织代码，或党支部全称（也可用简称），须在您的管理范围内",
        aliases=("所在党组织", "党支部", "所在支部"),
    ),
    Column("党小组", "group", kind="group", width=14, hint="可不填；填写时须属于所在党支部"),
    Column("加入党组织日期", "joined_on", True, kind="date", width=14,
           hint="入党时应年满 18 周岁", aliases=("入党日期", "入党时间")),
    Column("转为正式党员日期", "full_member_on", kind="date", width=16,
           hint="正式党员必填，预备党员不填；不得早于入党日期", aliases=("转正日期", "转正时间")),
    Column("工作岗位", "job", True, "job", "code", 18, "党统工作岗位代码"),
    Column("联系电话", "mobile", kind="mobile", width=14, hint="11 位手机号码，可不填",
           aliases=("手机号", "手机号码", "电话")),
    Column("家庭住址", "address", width=30, hint="不超过 200 个字", aliases=("住址",)),
    Column("籍贯", "native_place", width=12),
    Column("参加工作日期", "work_started_on", kind="date", width=14,
           aliases=("参加工作时间",)),
    Column("婚姻状况", "marital", False, "marital", "code", 12, "GB/T 2261.2"),
    Column("学位", "degree", False, "degree", "code", 8),
    Column("党内职务", "party_post", False, "party_post", "code", 14),
    Column("备注", "note", width=30, hint="不超过 2000 个字"),
)  # fmt: skip
COLUMN_BY_FIELD = {c.field: c for c in COLUMNS}
CATEGORY_VALUES = tuple(label for _, label in Member.Category.choices)

# The template's example row is skipped on import, so leaving it in does no harm.
EXAMPLE_FIRST17 = "11010519900307001"
EXAMPLE_ID = EXAMPLE_FIRST17 + id_check_digit(EXAMPLE_FIRST17)
EXAMPLE_NAME = "张示例"

ERROR_FILL = PatternFill("solid", fgColor="FFFFC7CE")  # Excel's own "light red fill"
ERROR_FONT = Font(color="FF9C0006")
HEADER_FILL = PatternFill("solid", fgColor="FFC00000")
HEADER_FONT = Font(bold=True, color="FFFFFFFF")
OPTIONAL_HEADER_FILL = PatternFill("solid", fgColor="FFF2F2F2")


class ImportFileError(Exception):
    """The upload as a whole cannot be read (not a workbook, no header, no rows)."""


# --- template ---------------------------------------------------------------------------------


def _code_values(table: str) -> list[str]:
    return [f"{code} {label}" for code, label in code_labels(table).items()]


def _branches_for_import(viewer: Any) -> list[Organization]:
    if viewer is None:
        return []
    return list(
        Organization.objects.filter(
            scope_q(viewer, "path", action="member.import"),
            org_type__in=BRANCH_TYPES,
            dissolved_on__isnull=True,
        ).order_by("path")
    )


def member_template_workbook(*, viewer: Any) -> bytes:
    """The import template: headers, dropdowns from the code tables, instructions, one example.

    Dropdown lists live on a hidden 代码表 sheet behind named ranges, because an inline list is
    limited to 255 characters (民族 alone is longer). ``viewer`` may be None (no branch list).
    """
    exporter = Exporter()
    sheet = exporter.sheet(DATA_SHEET, freeze="B2")
    codes = exporter.sheet(CODE_SHEET, hidden=True)
    help_ws = exporter.sheet(HELP_SHEET)
    ws = sheet.ws  # layout only; every value goes through ``sheet``/``codes``

    branches = _branches_for_import(viewer)
    groups = (
        sorted(
            set(
                Organization.objects.filter(
                    parent_id__in=[b.pk for b in branches],
                    org_type=Organization.Type.GROUP,
                    dissolved_on__isnull=True,
                ).values_list("name", flat=True)
            )
        )
        if branches
        else []
    )
    lists: dict[str, list[str]] = {c.field: _code_values(c.table) for c in COLUMNS if c.table}
    lists["category"] = list(CATEGORY_VALUES)
    lists["branch"] = [f"{b.code} {b.name}" for b in branches]
    lists["group"] = groups

    # One column per list on the hidden sheet, each behind a workbook-level name.
    for n, (name, values) in enumerate(lists.items(), start=1):
        letter = get_column_letter(n)
        codes.cell(1, n, COLUMN_BY_FIELD[name].header)
        for r, v in enumerate(values, start=2):
            codes.cell(r, n, v)
        if values:
            ref = f"{quote_sheetname(CODE_SHEET)}!${letter}$2:${letter}${len(values) + 1}"
            exporter.define_name(f"list_{name}", ref)

    for n, col in enumerate(COLUMNS, start=1):
        letter = get_column_letter(n)
        cell = sheet.cell(1, n, col.header)
        cell.font = HEADER_FONT if col.required else Font(bold=True)
        cell.fill = HEADER_FILL if col.required else OPTIONAL_HEADER_FILL
        cell.alignment = Alignment(horizontal="center", vertical="center")
        if col.hint:
            cell.comment = Comment(col.hint, "智慧党建")
        dim = ws.column_dimensions[letter]
        dim.width = col.width
        if col.kind in ("id", "mobile"):
            # Text, or Excel turns an 18-digit number into 1.10101E+17 and loses the tail.
            dim.number_format = "@"
        elif col.kind == "date":
            dim.number_format = DATE_FORMAT
        if lists.get(col.field):
            dv = DataValidation(
                type="list",
                formula1=f"list_{col.field}",
                allow_blank=True,
                showErrorMessage=True,
                errorStyle="warning",
                errorTitle="不在下拉列表中",
                error=f"{col.header}建议从下拉列表中选择；也可填代码或名称。",
            )
            dv.add(f"{letter}2:{letter}1048576")
            ws.add_data_validation(dv)
    ws.row_dimensions[1].height = 24

    example = _example_row(branches[0] if branches else None)
    for n, col in enumerate(COLUMNS, start=1):
        cell = sheet.cell(2, n, example.get(col.field, ""))
        cell.font = Font(italic=True, color="FF808080")
        if col.kind == "date" and cell.value:
            cell.number_format = DATE_FORMAT
        elif col.kind in ("id", "mobile"):
            cell.number_format = "@"

    _write_help(help_ws)
    return exporter.to_bytes()


def _example_row(branch: Organization | None) -> dict[str, Any]:
    labels = {t: code_labels(t) for t in ("sex", "ethnicity", "education", "job", "marital")}

    def coded(table: str, code: str) -> str:
        return f"{code} {labels[table].get(code, '')}".strip()

    return {
        "name": EXAMPLE_NAME,
        "sex": coded("sex", "1"),
        "ethnicity": coded("ethnicity", "01"),
        "id_number": EXAMPLE_ID,
        "birth_date": dt.date(1990, 3, 7),
        "education": coded("education", "21"),
        "category": "正式党员",
        "branch": f"{branch.code} {branch.name}" if branch else "填组织代码或党支部全称",
        "group": "",
        "joined_on": dt.date(2015, 7, 1),
        "full_member_on": dt.date(2016, 7, 1),
        "job": coded("job", "04"),
        "mobile": "13800000000",
        "address": "某某县某某镇某某村 1 号",
        "native_place": "某某省某某县",
        "work_started_on": dt.date(2012, 7, 1),
        "marital": coded("marital", "20"),
        "degree": "",
        "party_post": "",
        "note": "示例行：导入时自动跳过，可直接删除",
    }


def _write_help(ws: Sheet) -> None:
    lines: list[tuple[str, str, str]] = [
        ("党员信息导入说明", "", ""),
        ("1. 在“党员信息”表中每行填写一名党员，第一行为表头，请勿修改表头文字。", "", ""),
        ("2. 红色表头为必填项；带下拉箭头的列请从下拉列表选择（也可填代码或名称）。", "", ""),
        ("3. 日期可写成 2024-07-01、20240701 或 2024年7月1日。", "", ""),
        ("4. 灰色斜体的第 2 行是示例，导入时会自动跳过，可以删除。", "", ""),
        ("5. 只要有一行有误，整份文件都不会导入；系统会返回标注了“错误说明”的文件，", "", ""),
        ("   改正标红的单元格后重新上传即可。可先勾选“仅校验”检查文件。", "", ""),
        ("", "", ""),
        ("列名", "是否必填", "填写要求"),
    ]
    lines += [(c.header, "必填" if c.required else "选填", c.hint) for c in COLUMNS]
    for r, (a, b, c) in enumerate(lines, start=1):
        ws.append([a, b, c], row=r)
    ws.ws["A1"].font = Font(bold=True, size=14)
    for cell in ws.ws[9]:
        cell.font = Font(bold=True)
    ws.ws.column_dimensions["A"].width = 18
    ws.ws.column_dimensions["B"].width = 10
    ws.ws.column_dimensions["C"].width = 70


# --- import -----------------------------------------------------------------------------------


@dataclass
class RowError:
    """Everything wrong with one spreadsheet row (``row`` is the Excel row number)."""

    row: int
    name: str
    messages: list[str]
    columns: list[int] = field(default_factory=list)  # 0-based sheet columns to paint red

    @property
    def text(self) -> str:
        return "；".join(self.messages)


@dataclass
class ImportResult:
    """What an import found or did. ``annotated`` is the workbook to give back on failure."""

    dry_run: bool
    rows: int = 0  # data rows read (example and blank rows excluded)
    created: int = 0
    errors: list[RowError] = field(default_factory=list)
    file_error: str = ""
    annotated: bytes | None = None
    branch_ids: list[int] = field(default_factory=list)
    timings: dict[str, float] = field(default_factory=dict)

    @property
    def ok(self) -> bool:
        return not self.file_error and not self.errors

    @property
    def bad_rows(self) -> int:
        return len(self.errors)


def _normalize_header(value: Any) -> str:
    text = re.sub(r"[\s\u3000]+", "", str(value or ""))
    return text.strip("*＊").removesuffix("（必填）").removesuffix("(必填)")


HEADER_LOOKUP: dict[str, Column] = {}
for _col in COLUMNS:
    for _name in (_col.header, *_col.aliases):
        HEADER_LOOKUP[_normalize_header(_name)] = _col


def _read_bytes(file: Any) -> tuple[bytes, str]:
    """The upload's bytes and a name for the audit trail (UploadedFile, path, bytes, file)."""
    if isinstance(file, bytes | bytearray):
        return bytes(file), "上传文件"
    if isinstance(file, str | Path):
        path = Path(file)
        return path.read_bytes(), path.name
    if hasattr(file, "chunks"):
        return b"".join(file.chunks()), getattr(file, "name", "") or "上传文件"
    data = file.read()
    return data, getattr(file, "name", "") or "上传文件"


def _read_sheet(raw: bytes) -> tuple[str, list[list[Any]]]:
    """The member sheet's cells (Excel row n is index n-1), or ImportFileError in Chinese."""
    if not raw:
        raise ImportFileError("文件是空的，请选择填好的党员信息表")
    try:
        wb = CalamineWorkbook.from_filelike(io.BytesIO(raw))
    except PasswordError as exc:
        raise ImportFileError("文件设置了打开密码，请取消密码后再上传") from exc
    except Exception as exc:  # calamine raises several types for "not a spreadsheet"
        raise ImportFileError(
            "无法读取该文件：请上传 Excel 工作簿（.xlsx），建议使用系统提供的导入模板"
        ) from exc
    with wb:
        names = [
            m.name
            for m in wb.sheets_metadata
            if m.name not in (CODE_SHEET, HELP_SHEET) and m.visible == SheetVisibleEnum.Visible
        ]
        name = DATA_SHEET if DATA_SHEET in wb.sheet_names else (names or wb.sheet_names)[0]
        try:
            rows = wb.get_sheet_by_name(name).to_python(
                skip_empty_area=False, nrows=MAX_ROWS + HEADER_SCAN_ROWS + 1
            )
        except Exception as exc:
            raise ImportFileError(f"无法读取工作表“{name}”，文件可能已损坏") from exc
    return name, rows


def _find_header(rows: list[list[Any]]) -> tuple[int, dict[int, Column]]:
    """The header row's index and {sheet column: template column}, matched by name."""
    for r, values in enumerate(rows[:HEADER_SCAN_ROWS]):
        mapping: dict[int, Column] = {}
        for c, value in enumerate(values):
            col = HEADER_LOOKUP.get(_normalize_header(value))
            if col is not None and col not in mapping.values():
                mapping[c] = col
        if {"name", "id_number"} <= {col.field for col in mapping.values()}:
            missing = [c.header for c in COLUMNS if c.required and c not in mapping.values()]
            if missing:
                raise ImportFileError(
                    f"表头缺少必填列：{'、'.join(missing)}。请使用系统提供的导入模板"
                )
            return r, mapping
    raise ImportFileError(
        "没有找到表头（应包含“姓名”“公民身份号码”等列）。请使用系统提供的导入模板"
    )


def _text(value: Any) -> str:
    """A cell as text: 13800000000.0 → "13800000000", a date → 2024-07-01."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    if isinstance(value, dt.datetime):
        return value.date().isoformat()
    if isinstance(value, dt.date):
        return value.isoformat()
    if isinstance(value, bool):
        return "是" if value else "否"
    return str(value).replace("\u3000", " ").replace("\xa0", " ").strip()


def _code_text(value: Any, table: str) -> str:
    text = _text(value)
    codes = code_labels(table)
    # A code typed into a number cell loses its leading zero: 1 → "01".
    if text.isdigit() and text not in codes and text.zfill(2) in codes:
        return text.zfill(2)
    return text


def _id_text(value: Any) -> tuple[str, str]:
    """(ID number text, error): an ID stored as a number has already lost its last digits."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        if abs(value) >= 1e15:
            return "", (
                "公民身份号码被 Excel 存成了数字，末几位已丢失：请把该列设为“文本”后重新填写"
            )
        return _text(value), ""
    return normalize_id(_text(value)), ""


@dataclass
class _Orgs:
    """The actor's branches and 党小组, loaded once, looked up by code or name."""

    by_code: dict[str, Organization]
    by_name: dict[str, list[Organization]]
    groups: dict[tuple[int, str], Organization]

    @classmethod
    def load(cls, actor: Any) -> _Orgs:
        by_code: dict[str, Organization] = {}
        by_name: dict[str, list[Organization]] = {}
        groups: dict[tuple[int, str], Organization] = {}
        rows = orgs_visible_to(actor).filter(
            org_type__in=[*BRANCH_TYPES, Organization.Type.GROUP], dissolved_on__isnull=True
        )
        for org in rows:
            if org.org_type == Organization.Type.GROUP:
                for key in {org.name, org.short_name, org.code} - {""}:
                    groups[(org.parent_id or 0, key)] = org
                continue
            by_code[org.code] = org
            for key in {org.name, org.short_name} - {""}:
                by_name.setdefault(key, []).append(org)
        return cls(by_code, by_name, groups)

    def branch(self, text: str) -> tuple[Organization | None, str]:
        if not text:
            return None, "请填写所在党支部"
        candidates = [text]
        head, _, tail = text.partition(" ")
        if tail:  # "code name" from the template's dropdown
            candidates += [head, tail.strip()]
        for key in candidates:
            if key in self.by_code:
                return self.by_code[key], ""
        for key in candidates:
            found = self.by_name.get(key, [])
            if len(found) == 1:
                return found[0], ""
            if len(found) > 1:
                return None, f"有 {len(found)} 个党支部名为“{key}”，请改填组织代码"
        return None, f"党支部“{text}”不存在或不在您的管理范围内"

    def group(self, branch: Organization, text: str) -> tuple[Organization | None, str]:
        if not text:
            return None, ""
        found = self.groups.get((branch.pk, text))
        if found is None:
            return None, f"“{text}”不是“{branch.display_name}”的党小组"
        return found, ""


@dataclass
class _Row:
    excel_row: int
    branch: Organization
    group: Organization | None
    cleaned: dict[str, Any]
    id_hash: str


def member_import(
    *, actor: Any, file: Any, dry_run: bool = False, today: dt.date | None = None
) -> ImportResult:
    """Validate a filled template and, when every row is right, admit all members at once.

    Nothing is written if any row is wrong; the result then carries the annotated workbook.
    """
    # Hundreds of thousands of long-lived cells and rows, no reference cycles worth chasing:
    # the cyclic collector would rescan the growing heap again and again (a third of the
    # build time in profiles), so it pauses for the import and catches up afterwards.
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        return _member_import(actor=actor, file=file, dry_run=dry_run, today=today)
    finally:
        if was_enabled:
            gc.enable()


def _member_import(*, actor: Any, file: Any, dry_run: bool, today: dt.date | None) -> ImportResult:
    clock = _Clock()
    result = ImportResult(dry_run=dry_run, timings=clock.laps)
    raw, source = _read_bytes(file)
    try:
        sheet_name, rows = _read_sheet(raw)
        clock.lap("read")
        header_index, mapping = _find_header(rows)
    except ImportFileError as exc:
        result.file_error = str(exc)
        return result
    if len(rows) - header_index - 1 > MAX_ROWS:
        result.file_error = f"一次最多导入 {MAX_ROWS} 行，请把文件拆分后分批导入"
        return result

    today = today or timezone.localdate()
    orgs = _Orgs.load(actor)
    may_import: dict[int, bool] = {}
    column_of = {col.field: c for c, col in mapping.items()}
    good: list[_Row] = []
    seen_ids: dict[str, int] = {}
    errors: list[RowError] = []

    for index in range(header_index + 1, len(rows)):
        values = rows[index]
        cells = {col.field: (values[c] if c < len(values) else None) for c, col in mapping.items()}
        if all(v is None or v == "" for v in cells.values()):
            continue
        excel_row = index + 1
        problems: dict[str, str] = {}  # field → message
        data: dict[str, Any] = {}
        for name, value in cells.items():
            col = COLUMN_BY_FIELD[name]
            if col.kind == "id":
                data[name], problem = _id_text(value)
                if problem:
                    problems[name] = problem
            elif col.kind == "code":
                data[name] = _code_text(value, col.table)
            elif col.kind == "date":
                data[name] = value if isinstance(value, dt.date) else _text(value)
            elif col.kind not in ("branch", "group"):
                data[name] = _text(value)
        if data.get("id_number") == EXAMPLE_ID and _text(cells.get("name")) == EXAMPLE_NAME:
            continue
        result.rows += 1

        branch, problem = orgs.branch(_text(cells.get("branch")))
        group = None
        if problem:
            problems["branch"] = problem
        elif branch is not None:
            if branch.pk not in may_import:
                may_import[branch.pk] = may(actor, "member.import", branch)
            if not may_import[branch.pk]:
                problems["branch"] = f"您没有向“{branch.display_name}”导入党员的权限"
            group, problem = orgs.group(branch, _text(cells.get("group")))
            if problem:
                problems["group"] = problem

        try:
            cleaned = member_clean(data, today=today)
        except ValidationError as exc:
            cleaned = {}
            for name, messages in exc.message_dict.items():
                problems.setdefault(name, "；".join(messages))

        id_hash = ""
        # A valid ID counts for the duplicate check even when another cell of its row is wrong.
        number = cleaned.get("id_number") or (
            "" if "id_number" in problems else normalize_id(data.get("id_number", ""))
        )
        if number:
            if number in seen_ids:
                problems.setdefault("id_number", f"与第 {seen_ids[number]} 行的公民身份号码重复")
            else:
                seen_ids[number] = excel_row
            id_hash = crypto.lookup_hash(number)

        if problems:
            errors.append(_row_error(excel_row, cells, problems, column_of))
        elif branch is not None:
            good.append(_Row(excel_row, branch, group, cleaned, id_hash))
    clock.lap("validate")

    if not result.rows and not errors:
        result.file_error = "文件中没有党员数据：请从表头下一行开始，每行填写一名党员"
        return result

    try:
        errors += _registered_elsewhere(good, actor, column_of)
    except ValidationError as exc:  # a bulk probe: refused as a whole, no per-row answers
        result.errors = []
        result.file_error = "；".join(exc.messages)
        return result
    clock.lap("duplicates")
    if errors:
        errors.sort(key=lambda e: e.row)
        result.errors = errors
        result.annotated = annotate_workbook(raw, sheet_name, header_index, errors, rows)
        clock.lap("annotate")
        return result

    result.branch_ids = sorted({r.branch.pk for r in good})
    if dry_run:
        return result
    rows.clear()  # the cells are not needed any more; the members to build are
    try:
        # Everything slow (encryption, hashing) happens before the write lock is taken; the
        # write itself is one short all-or-nothing transaction, so other users' saves during
        # a large import wait a moment instead of timing out.
        prepared = members_bulk_prepare(
            actor=actor,
            rows=[(r.branch, r.group, r.cleaned) for r in good],
            source=source[:100],
        )
        clock.lap("prepare")
        created = members_bulk_write(actor=actor, prepared=prepared)
    except (ValidationError, PermissionDenied) as exc:
        # Someone registered one of these people in the seconds since validation.
        result.file_error = "导入未完成，未作任何更改：" + "；".join(
            getattr(exc, "messages", None) or [str(exc)]
        )
        return result
    result.created = len(created)
    clock.lap("write")
    return result


def _row_error(
    excel_row: int, cells: dict[str, Any], problems: dict[str, str], column_of: dict[str, int]
) -> RowError:
    messages, columns = [], []
    for name, message in problems.items():
        col = COLUMN_BY_FIELD.get(name)
        label = col.header if col else name
        messages.append(f"{label}：{message}")
        if name in column_of:
            columns.append(column_of[name])
    return RowError(excel_row, _text(cells.get("name")), messages, sorted(columns))


def _registered_elsewhere(
    good: list[_Row], actor: Any, column_of: dict[str, int]
) -> list[RowError]:
    """Rows whose person is already on a current roll (a few queries per 5,000 IDs).

    A clash inside the actor's scope names the branch; one outside names nothing. Each hit is
    audited, and a file with as many out-of-scope hits as the probe limit is refused as a
    whole (``ValidationError``), so an upload cannot answer yes/no for thousands of numbers.
    """
    id_clash_guard(actor=actor, surface="member.import")
    # Rows whose number fits a member the actor sees but may not reveal count as guesses.
    id_lookup_guard(
        actor=actor, surface="member.import", numbers=[r.cleaned["id_number"] for r in good]
    )
    by_hash = {r.id_hash: r for r in good}
    hashes = list(by_hash)
    visible = members_visible_to(actor)
    clashes: list[tuple[_Row, Clash]] = []
    for start in range(0, len(hashes), 5000):
        chunk = hashes[start : start + 5000]
        names = {
            h: (short or name)
            for h, short, name in visible.filter(id_number_hash__in=chunk).values_list(
                "id_number_hash", "branch__short_name", "branch__name"
            )
        }
        found = (
            Member.objects.filter(id_number_hash__in=chunk)
            .exclude(status=Member.Status.FORMER)
            .values_list("id_number_hash", "pk", "org_path")
        )
        for number_hash, pk, org_path in found:
            in_scope = number_hash in names
            clash = Clash(pk, names.get(number_hash, ""), in_scope, org_path)
            clashes.append((by_hash.pop(number_hash), clash))
    if not clashes:
        return []
    refuse_bulk_probe(actor=actor, surface="member.import", clashes=[c for _, c in clashes])
    id_clash_record(actor=actor, surface="member.import", clashes=[c for _, c in clashes])
    remaining = set(by_hash)
    good[:] = [r for r in good if r.id_hash in remaining]
    return [
        RowError(
            row.excel_row,
            row.cleaned.get("name", ""),
            ["公民身份号码：" + clash.message()],
            [column_of["id_number"]],
        )
        for row, clash in clashes
    ]


def annotate_workbook(
    raw: bytes, sheet_name: str, header_index: int, errors: list[RowError], rows: list[list[Any]]
) -> bytes:
    """The user's own workbook with a 错误说明 column and the bad cells filled red.

    An .xlsx is patched at the XML level: only the header, the bad rows and the styles are
    rewritten, so dropdowns, formats and other sheets survive, and a 30,000-row file takes a
    second instead of the ~13 s and ~350 MB of an openpyxl load and save. Anything else (.xls,
    .ods, unusual XML) is rebuilt from its values instead.
    """
    width = max((len(r) for r in rows), default=0)
    header = rows[header_index] if header_index < len(rows) else []
    existing = next((c for c, v in enumerate(header) if _normalize_header(v) == ERROR_HEADER), None)
    try:
        return _patch_xlsx(raw, sheet_name, header_index + 1, errors, existing, width)
    except (
        _PatchError,
        KeyError,
        IndexError,
        ValueError,
        zipfile.BadZipFile,
        etree.XMLSyntaxError,
    ):
        return _annotated_copy(rows, sheet_name, header_index, errors, existing)


class _PatchError(Exception):
    """The workbook's XML is not laid out the way the fast annotator expects."""


NS_MAIN = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"
NS_REL = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_SAFE_XML = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False)
_XML_ILLEGAL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _q(tag: str) -> str:
    return f"{{{NS_MAIN}}}{tag}"


def _part(base: str, target: str) -> str:
    if target.startswith("/"):
        return target.lstrip("/")
    return posixpath.normpath(posixpath.join(posixpath.dirname(base), target))


def _patch_xlsx(
    raw: bytes,
    sheet_name: str,
    header_row: int,
    errors: list[RowError],
    existing: int | None,
    width: int,
) -> bytes:
    with zipfile.ZipFile(io.BytesIO(raw)) as z:
        book_part = "xl/workbook.xml"
        rels_part = "xl/_rels/workbook.xml.rels"
        book = etree.fromstring(z.read(book_part), _SAFE_XML)
        rels = {
            r.get("Id"): (r.get("Type", ""), r.get("Target", ""))
            for r in etree.fromstring(z.read(rels_part), _SAFE_XML)
        }
        rid = next(
            s.get(f"{{{NS_REL}}}id") for s in book.iter(_q("sheet")) if s.get("name") == sheet_name
        )
        sheet_part = _part(book_part, rels[rid][1])
        styles_part = next(
            _part(book_part, target) for kind, target in rels.values() if kind.endswith("/styles")
        )
        styles = _Styles(etree.fromstring(z.read(styles_part), _SAFE_XML))
        error_col = existing if existing is not None else width
        sheet = _patch_sheet(z.read(sheet_part), header_row, errors, styles, error_col)
        patched = {
            sheet_part: sheet,
            styles_part: etree.tostring(
                styles.root, xml_declaration=True, encoding="UTF-8", standalone=True
            ),
        }
        out = io.BytesIO()
        with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as zo:
            for info in z.infolist():
                zo.writestr(info, patched.get(info.filename) or z.read(info.filename))
    return out.getvalue()


class _Styles:
    """cellXfs of styles.xml, with red, header and note variants added on demand."""

    def __init__(self, root: Any) -> None:
        self.root = root
        self.fills, self.fonts, self.xfs = (
            root.find(_q("fills")),
            root.find(_q("fonts")),
            root.find(_q("cellXfs")),
        )
        if self.fills is None or self.fonts is None or self.xfs is None or not len(self.xfs):
            raise _PatchError("styles")
        red_fills = {
            i
            for i, fill in enumerate(self.fills)
            if any(c.get("rgb") == ERROR_FILL.fgColor.rgb for c in fill.iter(_q("fgColor")))
        }
        # Red cells of an earlier annotation: turned back to plain before marking anew.
        self.red_xfs = {i for i, xf in enumerate(self.xfs) if int(xf.get("fillId", 0)) in red_fills}
        self._cache: dict[tuple[str, int], int] = {}
        self._ids: dict[str, int] = {}

    def _append(self, parent: Any, element: Any) -> int:
        parent.append(element)
        parent.set("count", str(len(parent)))
        return len(parent) - 1

    def _fill(self, rgb: str) -> int:
        if rgb not in self._ids:
            fill = etree.Element(_q("fill"))
            pattern = etree.SubElement(fill, _q("patternFill"), patternType="solid")
            etree.SubElement(pattern, _q("fgColor"), rgb=rgb)
            etree.SubElement(pattern, _q("bgColor"), indexed="64")
            self._ids[rgb] = self._append(self.fills, fill)
        return self._ids[rgb]

    def _font(self, rgb: str, *, bold: bool = False) -> int:
        key = f"font-{rgb}-{bold}"
        if key not in self._ids:
            font = copy.deepcopy(self.fonts[0])
            for child in list(font):
                if child.tag in (_q("color"), _q("b")):
                    font.remove(child)
            if bold:
                font.insert(0, etree.Element(_q("b")))
            etree.SubElement(font, _q("color"), rgb=rgb)
            self._ids[key] = self._append(self.fonts, font)
        return self._ids[key]

    def _variant(self, kind: str, s: int) -> int:
        if (kind, s) in self._cache:
            return self._cache[(kind, s)]
        xf = copy.deepcopy(self.xfs[s])
        if kind == "plain":
            xf.set("fillId", "0")
            xf.set("fontId", "0")
        elif kind == "red":
            xf.set("fillId", str(self._fill(ERROR_FILL.fgColor.rgb)))
            xf.set("fontId", str(self._font(ERROR_FONT.color.rgb)))
        else:  # "note" or "header": a cell of the 错误说明 column
            header = kind == "header"
            xf.set("numFmtId", "0")
            xf.set("fillId", str(self._fill(HEADER_FILL.fgColor.rgb)) if header else "0")
            xf.set(
                "fontId",
                str(self._font("FFFFFFFF" if header else ERROR_FONT.color.rgb, bold=header)),
            )
            for child in xf.findall(_q("alignment")):
                xf.remove(child)
            xf.insert(
                0,
                etree.Element(
                    _q("alignment"),
                    horizontal="center" if header else "general",
                    vertical="center" if header else "top",
                    wrapText="1",
                ),
            )
            xf.set("applyAlignment", "1")
        for attr in ("applyFill", "applyFont"):
            xf.set(attr, "1")
        self._cache[(kind, s)] = self._append(self.xfs, xf)
        return self._cache[(kind, s)]

    def red(self, s: int) -> int:
        return s if s in self.red_xfs else self._variant("red", s)

    def plain(self, s: int) -> int:
        return self._variant("plain", s) if s in self.red_xfs else s

    def header(self) -> int:
        return self._variant("header", 0)

    def note(self) -> int:
        return self._variant("note", 0)


_COLUMN_RE = re.compile(rb'\sr="([A-Z]{1,3})(\d+)"')
_STYLE_RE = re.compile(rb'\ss="(\d+)"')


def _column_number(letters: bytes) -> int:
    n = 0
    for ch in letters:
        n = n * 26 + ch - 64
    return n - 1


def _patch_sheet(
    data: bytes, header_row: int, errors: list[RowError], styles: _Styles, error_col: int
) -> bytes:
    """Rewrite the header row and the bad rows of a worksheet part; copy the rest verbatim."""
    if re.match(rb"\s*<\?xml[^>]*encoding=.(?![Uu][Tt][Ff]-?8)", data) or data[:2] in (
        b"\xff\xfe",
        b"\xfe\xff",
    ):
        raise _PatchError("encoding")  # the inserted text is UTF-8
    root = re.search(rb"<(?:(\w+):)?worksheet\b[^>]*>", data)
    if root is None:
        raise _PatchError("worksheet")
    p = root.group(1) + b":" if root.group(1) else b""
    declared = re.search(
        rb"xmlns" + (b":" + root.group(1) if p else b"") + rb'="([^"]+)"', root.group(0)
    )
    if declared is None or declared.group(1).decode() != NS_MAIN:
        raise _PatchError("namespace")
    start = data.find(b"<" + p + b"sheetData")
    end = data.rfind(b"</" + p + b"sheetData>")
    if start < 0 or end < 0:
        raise _PatchError("sheetData")
    row_re = re.compile(rb"<" + p + rb"row\b([^>]*?)(?:/>|>(.*?)</" + p + rb"row>)", re.S)
    cell_re = re.compile(rb"<" + p + rb"c\b([^>]*?)(?:/>|>(.*?)</" + p + rb"c>)", re.S)
    by_row = {e.row: e for e in errors}
    # After an earlier annotation every row may carry old notes or red cells: visit them all.
    visit_all = bool(styles.red_xfs) or error_col < _header_width(data, header_row, row_re)
    letter = get_column_letter(error_col + 1).encode()

    def rewrite(match: re.Match[bytes]) -> bytes:
        attrs, body = match.group(1), match.group(2) or b""
        number = re.search(rb'\sr="(\d+)"', attrs)
        if number is None:
            raise _PatchError("row without r")
        r = int(number.group(1))
        error = by_row.get(r)
        if not visit_all and error is None and r != header_row:
            return match.group(0)
        cells: dict[int, bytes] = {}
        for cell in cell_re.finditer(body):
            ref = _COLUMN_RE.search(cell.group(1))
            if ref is None:
                raise _PatchError("cell without r")
            col = _column_number(ref.group(1))
            if col == error_col:
                continue  # an old note: replaced below, or dropped when the row is good now
            style = _STYLE_RE.search(cell.group(1))
            s = int(style.group(1)) if style else 0
            new_s = styles.plain(s)
            if error is not None and col in error.columns:
                new_s = styles.red(s)
            cells[col] = cell.group(0) if new_s == s else _with_style(cell.group(0), p, new_s)
        if error is not None:
            for col in error.columns:
                if col not in cells:
                    ref = get_column_letter(col + 1).encode() + str(r).encode()
                    cells[col] = b"<" + p + b'c r="' + ref + b'" s="%d"/>' % styles.red(0)
        if r == header_row:
            cells[error_col] = _inline_cell(p, letter, r, ERROR_HEADER, styles.header())
        elif error is not None:
            cells[error_col] = _inline_cell(p, letter, r, error.text, styles.note())
        attrs = re.sub(rb'\sspans="[^"]*"', b"", attrs)
        inner = b"".join(cells[c] for c in sorted(cells))
        return b"<" + p + b"row" + attrs + b">" + inner + b"</" + p + b"row>"

    body = row_re.sub(rewrite, data[start:end])
    head = _widen_dimension(data[:start], p, error_col)
    if b"<" + p + b"cols" not in head:
        width_xml = b'<%scols><%scol min="%d" max="%d" width="60" customWidth="1"/></%scols>' % (
            p, p, error_col + 1, error_col + 1, p,
        )  # fmt: skip
        head = head + width_xml
    return head + body + data[end:]


def _header_width(data: bytes, header_row: int, row_re: re.Pattern[bytes]) -> int:
    """Columns used by the header row (an 错误说明 column inside it means a re-annotation)."""
    for match in row_re.finditer(data):
        if re.search(rb'\sr="%d"' % header_row, match.group(1)):
            refs = _COLUMN_RE.findall(match.group(2) or b"")
            return max((_column_number(c) for c, _ in refs), default=-1) + 1
    return 0


def _with_style(cell: bytes, p: bytes, s: int) -> bytes:
    if _STYLE_RE.search(cell):
        return _STYLE_RE.sub(b' s="%d"' % s, cell, count=1)
    return cell.replace(b"<" + p + b"c", b"<" + p + b'c s="%d"' % s, 1)


def _inline_cell(p: bytes, letter: bytes, r: int, text: str, s: int) -> bytes:
    safe = xml_escape(_XML_ILLEGAL.sub("", text)).encode()
    return (
        b"<" + p + b'c r="' + letter + str(r).encode() + b'" s="%d" t="inlineStr">' % s
        + b"<" + p + b"is><" + p + b't xml:space="preserve">' + safe
        + b"</" + p + b"t></" + p + b"is></" + p + b"c>"
    )  # fmt: skip


def _widen_dimension(head: bytes, p: bytes, error_col: int) -> bytes:
    def widen(m: re.Match[bytes]) -> bytes:
        first, _, last = m.group(1).partition(b":")
        cols = re.match(rb"([A-Z]+)(\d+)", last or first)
        if cols is None or _column_number(cols.group(1)) >= error_col:
            return m.group(0)
        end = get_column_letter(error_col + 1).encode() + cols.group(2)
        return m.group(0).replace(m.group(1), first + b":" + end)

    return re.sub(rb"<" + p + rb'dimension\s+ref="([^"]+)"', widen, head, count=1)


def _annotated_copy(
    rows: list[list[Any]],
    sheet_name: str,
    header_index: int,
    errors: list[RowError],
    existing: int | None,
) -> bytes:
    """A new workbook with the same values (for .xls/.ods uploads), notes and red cells."""
    by_row = {e.row: e for e in errors}
    width = max((len(r) for r in rows), default=0)
    error_col = existing if existing is not None else width
    exporter = Exporter(streaming=True)
    ws = exporter.sheet(sheet_name[:31] or DATA_SHEET, freeze=None)
    ws.ws.column_dimensions[get_column_letter(error_col + 1)].width = 60
    for index, values in enumerate(rows):
        out: list[Any] = list(values) + [None] * (max(width, error_col + 1) - len(values))
        error = by_row.get(index + 1)
        out[error_col] = ERROR_HEADER if index == header_index else (error.text if error else None)
        if error is not None:
            for c in error.columns:
                out[c] = Styled(out[c], font=ERROR_FONT, fill=ERROR_FILL)
        ws.append(out)
    return exporter.to_bytes()


class _Clock:
    """Lap times of an import's phases (for the benchmark and the logs)."""

    def __init__(self) -> None:
        import time

        self._now = time.perf_counter
        self._last = self._now()
        self.laps: dict[str, float] = {}

    def lap(self, name: str) -> None:
        now = self._now()
        self.laps[name] = now - self._last
        self._last = now


# --- export -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class ExportColumn:
    header: str
    value: Callable[[Member, _ExportContext], Any]
    width: int = 12


@dataclass
class _ExportContext:
    reveal: bool
    labels: dict[str, dict[str, str]]
    viewer: Any
    revealed: int = 0
    revealed_paths: set[str] = field(default_factory=set)
    _may: dict[int, bool] = field(default_factory=dict)

    def reveals(self, m: Member) -> bool:
        if not self.reveal:
            return False
        if m.branch_id not in self._may:
            self._may[m.branch_id] = may_reveal(self.viewer, m)
        return self._may[m.branch_id]

    def label(self, table: str, code: str) -> str:
        return self.labels[table].get(code, code) if code else ""

    def id_number(self, m: Member) -> str:
        if self.reveals(m):
            self.revealed += 1
            self.revealed_paths.add(m.org_path)
            return crypto.decrypt(m.id_number_enc)
        return m.id_number_masked

    def mobile(self, m: Member) -> str:
        # Counted once per member, with the ID number (both columns are always exported).
        if self.reveals(m):
            return crypto.decrypt(m.mobile_enc)
        return m.mobile_masked


CATEGORY_LABELS = dict(Member.Category.choices)
STANDING_LABELS = dict(Member.Standing.choices)


def _yes_no(flag: bool) -> str:
    return "是" if flag else "否"


_NAME = ExportColumn("姓名", lambda m, x: m.name, 10)
_SEX = ExportColumn("性别", lambda m, x: x.label("sex", m.sex), 6)
_ETHNICITY = ExportColumn("民族", lambda m, x: x.label("ethnicity", m.ethnicity), 8)
_ID = ExportColumn("公民身份号码", lambda m, x: x.id_number(m), 21)
_BIRTH = ExportColumn("出生日期", lambda m, x: m.birth_date, 12)
_EDUCATION = ExportColumn("学历", lambda m, x: x.label("education", m.education), 14)
_CATEGORY = ExportColumn("人员类别", lambda m, x: CATEGORY_LABELS.get(m.category, ""), 10)
_BRANCH = ExportColumn("所在党支部", lambda m, x: m.branch.name, 28)
_JOINED = ExportColumn("加入党组织日期", lambda m, x: m.joined_on, 14)
_FULL = ExportColumn("转为正式党员日期", lambda m, x: m.full_member_on, 16)
_JOB = ExportColumn("工作岗位", lambda m, x: x.label("job", m.job), 14)
_MOBILE = ExportColumn("联系电话", lambda m, x: x.mobile(m), 14)
_ADDRESS = ExportColumn("家庭住址", lambda m, x: m.address, 28)

EXPORT_LAYOUTS: dict[str, tuple[str, tuple[ExportColumn, ...]]] = {
    "roster": (
        "党员名册",
        (
            _NAME, _SEX, _ETHNICITY, _ID, _BIRTH, _EDUCATION, _CATEGORY, _BRANCH,
            ExportColumn("党小组", lambda m, x: m.group.name if m.group else "", 14),
            _JOINED, _FULL, _JOB, _MOBILE,
            ExportColumn("党内职务", lambda m, x: x.label("party_post", m.party_post), 10),
            ExportColumn("籍贯", lambda m, x: m.native_place, 12),
            _ADDRESS,
        ),
    ),
    # RULES.md §7: the national 16-item member record, in its order.
    "national16": (
        "党员基本信息采集表",
        (
            _NAME, _SEX, _ETHNICITY, _ID, _BIRTH, _EDUCATION, _CATEGORY, _BRANCH, _JOINED,
            _FULL, _JOB, _MOBILE, _ADDRESS,
            ExportColumn("党籍状态", lambda m, x: STANDING_LABELS.get(m.standing, ""), 10),
            ExportColumn("是否失联", lambda m, x: _yes_no(m.lost_contact), 8),
            ExportColumn("失联日期", lambda m, x: m.lost_contact_since, 12),
            ExportColumn("是否流动党员", lambda m, x: _yes_no(m.is_mobile), 12),
            ExportColumn("外出流向", lambda m, x: m.mobile_destination, 20),
        ),
    ),
}  # fmt: skip


def export_filename(layout: str, *, today: dt.date | None = None) -> str:
    title = EXPORT_LAYOUTS[layout][0]
    return f"{title}-{(today or timezone.localdate()):%Y%m%d}.xlsx"


def member_export(
    *, viewer: Any, queryset: QuerySet[Member], layout: str, reveal: bool = False
) -> bytes:
    """An .xlsx of the given (already scoped) members; ID and phone masked unless revealed.

    Full numbers appear only when the caller asked (``reveal``) and ``may_reveal`` allows it
    for that member's branch; such an export is one audit row.
    """
    title, columns = EXPORT_LAYOUTS[layout]
    context = _ExportContext(
        reveal=reveal,
        labels={t: code_labels(t) for t in ("sex", "ethnicity", "education", "job", "party_post")},
        viewer=viewer,
    )
    exporter = Exporter(streaming=True)
    ws = exporter.sheet(
        title, columns=[SheetColumn(c.header, c.width) for c in columns], freeze="B2"
    )
    members = queryset.select_related("branch", "group").order_by("org_path", "id")
    for m in members.iterator(chunk_size=2000):
        ws.append([col.value(m, context) for col in columns])
    data = exporter.to_bytes()
    if context.revealed:
        audit_record(
            actor=viewer,
            action="member.export_reveal",
            object_type="members.member",
            object_repr=f"导出{title}（含完整身份证号和电话 {context.revealed} 人）",
            changes={"layout": layout, "revealed": context.revealed},
            # Filed under the organizations whose people were revealed, so their auditors see it.
            org_path=common_root(context.revealed_paths),
        )
    return data


def common_root(paths: set[str]) -> str:
    """The deepest organization path above every path given (segment-aligned)."""
    common = min(paths, default="")
    for p in paths:
        while common and not is_within(p, common):
            common = common[:-SEGMENT_WIDTH]
    return common
