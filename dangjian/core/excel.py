"""Excel in one place: every .xlsx the system writes is built by ``Exporter``.

Why one: an export is a copy of people's records that leaves the system and is opened in Excel
or WPS. Text a user typed — a note, an address, a name — that starts with ``=`` (or ``+``,
``-``, ``@``, a tab or a carriage return, the OWASP "CSV injection" list) must arrive as that
text, never as a live formula such as ``=HYPERLINK("http://…","点此")``. Every value goes
through ``Sheet.append`` or ``Sheet.cell``, which

- write formula-like text as a text cell (``data_type`` ``s``) with Excel's quote-prefix style,
  so the cell stays text even when someone edits it; the string itself is unchanged;
- leave numbers, dates and money as numbers and dates (dates get ``yyyy-mm-dd``);
- drop the control characters XML cannot hold (openpyxl would raise on them).

The common look lives here too: a header row (bold, or the red band of the formal ledgers),
frozen below the header, fixed column widths. ``streaming=True`` is openpyxl's write-only mode
for large rosters (rows appended in order, constant memory).

``Sheet.ws`` is the openpyxl worksheet, for layout only (fills, fonts, merged cells, data
validations of an import template); values are written through the ``Sheet``. A test walks the
code and fails if any module but this one imports openpyxl's workbook or cell classes.

Every import reads here too: ``upload_bytes`` and ``read_sheet`` (python-calamine, about ten
times faster than openpyxl, with the size and row limits), ``find_header`` (the header row,
matched by name, tolerant of spaces, full-width spaces and a required-mark), ``cell_text`` (a
cell as the text a user meant) and ``annotate_workbook`` (the user's own workbook given back
with a 错误说明 column and the bad cells in red). A file that cannot be read as a whole raises
``ImportFileError`` with a Chinese message; nothing was imported.
"""

from __future__ import annotations

import copy
import datetime as dt
import io
import posixpath
import re
import zipfile
from collections.abc import Collection, Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol, TypeVar
from xml.sax.saxutils import escape as xml_escape

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from lxml import etree
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName
from python_calamine import CalamineWorkbook, PasswordError, SheetVisibleEnum

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
# OWASP CSV injection: a cell starting with one of these may be run as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")
DATE_FORMAT = "yyyy-mm-dd"
DATETIME_FORMAT = "yyyy-mm-dd hh:mm"
MONEY_FORMAT = "0.00"


@dataclass(frozen=True)
class HeaderStyle:
    font: Font
    fill: PatternFill | None = None
    alignment: Alignment | None = None


BOLD_HEADER = HeaderStyle(Font(bold=True))
# The formal ledgers and the import template's required columns: white on red.
RED_HEADER = HeaderStyle(
    Font(bold=True, color="FFFFFFFF"),
    PatternFill("solid", fgColor="FFC00000"),
    Alignment(horizontal="center", vertical="center", wrap_text=True),
)


@dataclass(frozen=True)
class Column:
    """One column of a sheet: its header text and width (in Excel's character units)."""

    header: str
    width: float = 12


@dataclass(frozen=True)
class Styled:
    """A value with its own look, for ``Sheet.append`` (a red error cell, a bold total)."""

    value: Any
    font: Font | None = None
    fill: PatternFill | None = None
    number_format: str | None = None


def is_formula_like(value: Any) -> bool:
    """True for text that Excel or WPS could read as a formula."""
    return isinstance(value, str) and value.startswith(FORMULA_PREFIXES)


def _clean(value: Any) -> Any:
    if isinstance(value, str):
        return ILLEGAL_CHARACTERS_RE.sub("", value)
    if isinstance(value, dt.datetime) and value.tzinfo is not None:
        return value.replace(tzinfo=None)  # Excel has no time zones; callers pass local time
    return value


def _guard(cell: Any, value: Any) -> None:
    """After ``value`` was bound to ``cell``: formula-like text becomes plain text."""
    if is_formula_like(value):
        cell.data_type = "s"
        cell.quotePrefix = True
    elif isinstance(value, dt.datetime):
        cell.number_format = DATETIME_FORMAT
    elif isinstance(value, dt.date):
        cell.number_format = DATE_FORMAT


class Sheet:
    """One worksheet of an ``Exporter``; every value is written through ``append``/``cell``."""

    def __init__(self, ws: Any, *, streaming: bool) -> None:
        self.ws = ws
        self._streaming = streaming
        self._next_row = 1

    def header(
        self, columns: Sequence[Column], *, row: int = 1, style: HeaderStyle = BOLD_HEADER
    ) -> None:
        """Write the header row with its style and set the column widths."""
        for n, col in enumerate(columns, start=1):
            self.ws.column_dimensions[get_column_letter(n)].width = col.width
        self.append([Styled(c.header) for c in columns], row=row, header_style=style)

    def append(
        self,
        values: Iterable[Any],
        *,
        row: int | None = None,
        header_style: HeaderStyle | None = None,
    ) -> None:
        """Write one row after the last (or at ``row`` when not streaming)."""
        if self._streaming:
            cells = [self._write_only_cell(v, header_style) for v in values]
            self.ws.append(cells)
            self._next_row += 1
            return
        r = row or self._next_row
        for c, v in enumerate(values, start=1):
            cell = self.cell(r, c, v.value if isinstance(v, Styled) else v)
            if isinstance(v, Styled):
                _style(cell, v)
            if header_style is not None:
                _header(cell, header_style)
        self._next_row = max(self._next_row, r + 1)

    def cell(self, row: int, column: int, value: Any = None) -> Any:
        """Write one value at (row, column) and return the cell for styling (not streaming)."""
        if self._streaming:
            raise TypeError("a streaming sheet is written row by row with append()")
        value = _clean(value)
        cell = self.ws.cell(row=row, column=column)
        cell.value = value
        _guard(cell, value)
        self._next_row = max(self._next_row, row + 1)
        return cell

    def _write_only_cell(self, value: Any, header_style: HeaderStyle | None) -> Any:
        styled = value if isinstance(value, Styled) else None
        raw = _clean(styled.value if styled else value)
        needs_cell = (
            styled is not None
            or header_style is not None
            or is_formula_like(raw)
            or isinstance(raw, dt.date)
        )
        if not needs_cell:
            return raw
        cell = WriteOnlyCell(self.ws, value=raw)
        _guard(cell, raw)
        if styled is not None:
            _style(cell, styled)
        if header_style is not None:
            _header(cell, header_style)
        return cell


def _style(cell: Any, styled: Styled) -> None:
    if styled.font is not None:
        cell.font = styled.font
    if styled.fill is not None:
        cell.fill = styled.fill
    if styled.number_format is not None:
        cell.number_format = styled.number_format


def _header(cell: Any, style: HeaderStyle) -> None:
    cell.font = style.font
    if style.fill is not None:
        cell.fill = style.fill
    if style.alignment is not None:
        cell.alignment = style.alignment


class Exporter:
    """An .xlsx being built: add sheets, write through them, ``to_bytes()`` at the end."""

    def __init__(self, *, streaming: bool = False) -> None:
        self.streaming = streaming
        self._wb = Workbook(write_only=streaming)
        self._fresh = not streaming  # a normal workbook starts with one empty sheet

    def sheet(
        self,
        title: str,
        *,
        columns: Sequence[Column] = (),
        header_row: int = 1,
        header_style: HeaderStyle = BOLD_HEADER,
        freeze: str | None = "",
        hidden: bool = False,
    ) -> Sheet:
        """A new sheet; with ``columns``, its header row is written and frozen (``freeze``
        names the first scrolling cell; the default is the row below the header)."""
        if self._fresh:
            ws = self._wb.active
            ws.title = title[:31]
            self._fresh = False
        else:
            ws = self._wb.create_sheet(title[:31])
        if hidden:
            ws.sheet_state = "hidden"
        sheet = Sheet(ws, streaming=self.streaming)
        if columns:
            if freeze == "":
                freeze = f"A{header_row + 1}"
            if freeze:
                ws.freeze_panes = freeze  # write-only sheets take this before the first row
            sheet.header(columns, row=header_row, style=header_style)
        elif freeze:
            ws.freeze_panes = freeze
        return sheet

    def define_name(self, name: str, reference: str) -> None:
        """A workbook-level name (a dropdown list's source range)."""
        self._wb.defined_names[name] = DefinedName(name, attr_text=reference)

    def to_bytes(self) -> bytes:
        out = io.BytesIO()
        self._wb.save(out)
        return out.getvalue()


def xlsx_response(data: bytes, filename: str) -> HttpResponse:
    """An .xlsx download: never cached (an export holds personal data)."""
    response = HttpResponse(data, content_type=XLSX_CONTENT_TYPE)
    response["Content-Disposition"] = content_disposition_header(True, filename)
    response["Cache-Control"] = "no-store"
    return response


# --- reading an import ------------------------------------------------------------------------

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
HEADER_SCAN_ROWS = 10  # the header may sit under a title row or two
TEMPLATE_HINT = "请使用系统提供的导入模板"


class ImportFileError(Exception):
    """The upload as a whole cannot be read (not a workbook, no header, no rows)."""


def too_large_message(max_bytes: int = MAX_UPLOAD_BYTES) -> str:
    mb = max_bytes // (1024 * 1024)
    return f"文件超过 {mb} MB，请拆分后分批导入（每个文件不超过 {mb} MB）"


def upload_bytes(file: Any, *, max_bytes: int = MAX_UPLOAD_BYTES) -> tuple[bytes, str]:
    """The upload's bytes and a name for the audit trail (UploadedFile, path, bytes, file).

    An upload larger than ``max_bytes`` is refused before it is read; bytes and paths handed
    in by code (the benchmark) are not limited.
    """
    if isinstance(file, bytes | bytearray):
        return bytes(file), "上传文件"
    if isinstance(file, str | Path):
        path = Path(file)
        return path.read_bytes(), path.name
    if (getattr(file, "size", None) or 0) > max_bytes:
        raise ImportFileError(too_large_message(max_bytes))
    data = b"".join(file.chunks()) if hasattr(file, "chunks") else file.read()
    return data, getattr(file, "name", "") or "上传文件"


def read_sheet(
    raw: bytes, *, sheet: str, nrows: int, what: str, skip: Collection[str] = ()
) -> tuple[str, list[list[Any]]]:
    """The cells of sheet ``sheet`` (Excel row n is index n-1, at most ``nrows`` rows), or the
    first visible sheet not in ``skip`` when the file has no sheet of that name.

    ``what`` names the file in the messages ("党员信息表"). Any failure is an
    ``ImportFileError`` in Chinese.
    """
    if not raw:
        raise ImportFileError(f"文件是空的，请选择填好的{what}")
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
            if m.name not in skip and m.visible == SheetVisibleEnum.Visible
        ]
        name = sheet if sheet in wb.sheet_names else (names or wb.sheet_names)[0]
        try:
            rows = wb.get_sheet_by_name(name).to_python(skip_empty_area=False, nrows=nrows)
        except Exception as exc:
            raise ImportFileError(f"无法读取工作表“{name}”，文件可能已损坏") from exc
    return name, rows


def cell_text(value: Any) -> str:
    """A cell as text: 13800000000.0 → "13800000000", a date → 2024-07-01, spaces trimmed."""
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


def normalize_header(value: Any) -> str:
    """A header cell as its bare name: no spaces (full-width too), no * or （必填） mark."""
    text = re.sub(r"[\s\u3000]+", "", str(value or ""))
    return text.strip("*＊").removesuffix("（必填）").removesuffix("(必填)")


class ImportColumn(Protocol):
    """What ``find_header`` needs of a template column."""

    @property
    def header(self) -> str: ...
    @property
    def field(self) -> str: ...
    @property
    def required(self) -> bool: ...
    @property
    def aliases(self) -> tuple[str, ...]: ...


C = TypeVar("C", bound=ImportColumn)


def find_header(
    rows: Sequence[Sequence[Any]],
    columns: Sequence[C],
    *,
    anchors: Collection[str],
    expect: Sequence[str],
    scan_rows: int = HEADER_SCAN_ROWS,
) -> tuple[int, dict[int, C]]:
    """The header row's index and {sheet column: template column}, matched by name.

    The header is the first of the top ``scan_rows`` rows that names every ``anchors`` field;
    a column named twice counts once (the first). ``expect`` lists the headers a user is
    told to look for when there is none.
    """
    lookup: dict[str, C] = {}
    for col in columns:
        for name in (col.header, *col.aliases):
            lookup[normalize_header(name)] = col
    for r, values in enumerate(rows[:scan_rows]):
        mapping: dict[int, C] = {}
        for c, value in enumerate(values):
            found = lookup.get(normalize_header(value))
            if found is not None and found not in mapping.values():
                mapping[c] = found
        if set(anchors) <= {col.field for col in mapping.values()}:
            missing = [c.header for c in columns if c.required and c not in mapping.values()]
            if missing:
                raise ImportFileError(f"表头缺少必填列：{'、'.join(missing)}。{TEMPLATE_HINT}")
            return r, mapping
    named = "".join(f"“{h}”" for h in expect)
    raise ImportFileError(f"没有找到表头（应包含{named}等列）。{TEMPLATE_HINT}")


# --- the error workbook -----------------------------------------------------------------------

ERROR_HEADER = "错误说明"
ERROR_FILL = PatternFill("solid", fgColor="FFFFC7CE")  # Excel's own "light red fill"
ERROR_FONT = Font(color="FF9C0006")
_NOTE_HEADER_FILL = "FFC00000"  # the red of RED_HEADER


class MarkedRow(Protocol):
    """One bad row of an import: its Excel row number, the cells to paint, the note."""

    @property
    def row(self) -> int: ...
    @property
    def columns(self) -> Sequence[int]: ...  # 0-based sheet columns
    @property
    def text(self) -> str: ...


def annotate_workbook(
    raw: bytes,
    sheet_name: str,
    header_index: int,
    errors: Sequence[MarkedRow],
    rows: list[list[Any]],
) -> bytes:
    """The user's own workbook with a 错误说明 column and the bad cells filled red.

    An .xlsx is patched at the XML level: only the header, the bad rows and the styles are
    rewritten, so dropdowns, formats and other sheets survive, and a 30,000-row file takes a
    second instead of the ~13 s and ~350 MB of an openpyxl load and save (openpyxl would also
    drop what it does not model). Anything else (.xls, .ods, unusual XML) is rebuilt from its
    values instead.
    """
    width = max((len(r) for r in rows), default=0)
    header = rows[header_index] if header_index < len(rows) else []
    existing = next((c for c, v in enumerate(header) if normalize_header(v) == ERROR_HEADER), None)
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
    errors: Sequence[MarkedRow],
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
            xf.set("fillId", str(self._fill(_NOTE_HEADER_FILL)) if header else "0")
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
    data: bytes, header_row: int, errors: Sequence[MarkedRow], styles: _Styles, error_col: int
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
    errors: Sequence[MarkedRow],
    existing: int | None,
) -> bytes:
    """A new workbook with the same values (for .xls/.ods uploads), notes and red cells."""
    by_row = {e.row: e for e in errors}
    width = max((len(r) for r in rows), default=0)
    error_col = existing if existing is not None else width
    exporter = Exporter(streaming=True)
    ws = exporter.sheet(sheet_name[:31] or "Sheet1", freeze=None)
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
