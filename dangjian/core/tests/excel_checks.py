"""A check every export's tests share: user-typed text that looks like a formula comes back
from the workbook as that text, in a text cell."""

from __future__ import annotations

import io

from openpyxl import load_workbook

# OWASP's CSV-injection starters, as a user could type them into a note, an address, a name.
FORMULA_PAYLOADS = ('=HYPERLINK("http://x","y")', "+1", "-2+3", "@SUM(A1)")


def assert_payloads_are_text(data: bytes, payloads: tuple[str, ...] = FORMULA_PAYLOADS) -> None:
    """Every payload appears in the workbook verbatim, and every cell holding one is a text
    cell (``data_type`` ``s``, Excel's quote prefix set), never a formula."""
    wb = load_workbook(io.BytesIO(data))
    found: set[str] = set()
    for ws in wb.worksheets:
        for row in ws.iter_rows():
            for cell in row:
                if cell.data_type == "f":
                    raise AssertionError(f"{ws.title}!{cell.coordinate} is a formula: {cell.value}")
                if cell.value in payloads:
                    assert cell.data_type == "s", (ws.title, cell.coordinate, cell.data_type)
                    assert cell.quotePrefix, (ws.title, cell.coordinate)
                    found.add(cell.value)
    assert found == set(payloads), f"missing from the export: {set(payloads) - found}"
