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

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import QuerySet
from django.utils import timezone
from openpyxl.comments import Comment
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter, quote_sheetname
from openpyxl.worksheet.datavalidation import DataValidation

from dangjian.core import crypto
from dangjian.core.audit import audit_record
from dangjian.core.collector import gc_paused
from dangjian.core.excel import (
    DATE_FORMAT,
    HEADER_SCAN_ROWS,
    Exporter,
    ImportFileError,
    Sheet,
    annotate_workbook,
    cell_text,
    find_header,
    read_sheet,
    upload_bytes,
)
from dangjian.core.excel import Column as SheetColumn
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
MAX_ROWS = 300_000  # PERF.md T7's largest case; a bigger file is a mistake, not a roll


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

HEADER_FILL = PatternFill("solid", fgColor="FFC00000")
HEADER_FONT = Font(bold=True, color="FFFFFFFF")
OPTIONAL_HEADER_FILL = PatternFill("solid", fgColor="FFF2F2F2")


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


def _read_sheet(raw: bytes) -> tuple[str, list[list[Any]]]:
    """The member sheet's cells (Excel row n is index n-1), or ImportFileError in Chinese."""
    return read_sheet(
        raw,
        sheet=DATA_SHEET,
        skip=(CODE_SHEET, HELP_SHEET),
        nrows=MAX_ROWS + HEADER_SCAN_ROWS + 1,
        what="党员信息表",
    )


def _find_header(rows: list[list[Any]]) -> tuple[int, dict[int, Column]]:
    """The header row's index and {sheet column: template column}, matched by name."""
    return find_header(
        rows, COLUMNS, anchors=("name", "id_number"), expect=("姓名", "公民身份号码")
    )


def _code_text(value: Any, table: str) -> str:
    text = cell_text(value)
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
        return cell_text(value), ""
    return normalize_id(cell_text(value)), ""


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
    with gc_paused():
        return _member_import(actor=actor, file=file, dry_run=dry_run, today=today)


def _member_import(*, actor: Any, file: Any, dry_run: bool, today: dt.date | None) -> ImportResult:
    clock = _Clock()
    result = ImportResult(dry_run=dry_run, timings=clock.laps)
    try:
        raw, source = upload_bytes(file)
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
                data[name] = value if isinstance(value, dt.date) else cell_text(value)
            elif col.kind not in ("branch", "group"):
                data[name] = cell_text(value)
        if data.get("id_number") == EXAMPLE_ID and cell_text(cells.get("name")) == EXAMPLE_NAME:
            continue
        result.rows += 1

        branch, problem = orgs.branch(cell_text(cells.get("branch")))
        group = None
        if problem:
            problems["branch"] = problem
        elif branch is not None:
            if branch.pk not in may_import:
                may_import[branch.pk] = may(actor, "member.import", branch)
            if not may_import[branch.pk]:
                problems["branch"] = f"您没有向“{branch.display_name}”导入党员的权限"
            group, problem = orgs.group(branch, cell_text(cells.get("group")))
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
    return RowError(excel_row, cell_text(cells.get("name")), messages, sorted(columns))


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
