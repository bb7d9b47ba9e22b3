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

This module is also where the one reader will live (imports read with python-calamine today).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.http import HttpResponse
from django.utils.http import content_disposition_header
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE
from openpyxl.styles import Alignment, Font, PatternFill
from openpyxl.utils import get_column_letter
from openpyxl.workbook.defined_name import DefinedName

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
