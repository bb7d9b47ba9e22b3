"""What a viewer without the reveal right can learn about a 公民身份号码 from one response.

Used by the per-surface masking tests (members, recruitment, transfers, grid). The checks look
at whole 18-character tokens (a masked number is ``[0-9X*]{18}`` between non-ID characters),
never at loose substrings: a timestamp containing "139" is not a leak.
"""

from __future__ import annotations

import datetime as dt
import io
import json
import re
from collections.abc import Iterable, Iterator
from typing import Any

from hypothesis import strategies as st
from openpyxl import load_workbook

from dangjian.members.rules import id_check_digit

ID_TOKEN = re.compile(r"(?<![0-9A-Za-z*])[0-9X*]{18}(?![0-9A-Za-z*])")
# Region codes of a few real counties; the region is the part a mask may keep.
REGIONS = ("110101", "330102", "440305", "510104", "130223")
# Fewer candidates than this and a viewer could try them all against another oracle.
MIN_CANDIDATES = 100


@st.composite
def id_numbers(
    draw: Any, *, born_before: dt.date = dt.date(2000, 12, 31)
) -> tuple[str, dt.date, bool]:
    """A valid 18-character number with its birth date and sex (male = odd 17th digit)."""
    region = draw(st.sampled_from(REGIONS))
    birth = draw(st.dates(min_value=dt.date(1935, 1, 1), max_value=born_before))
    male = draw(st.booleans())
    sequence = draw(st.integers(min_value=0, max_value=499)) * 2 + (1 if male else 0)
    first = f"{region}{birth:%Y%m%d}{sequence:03d}"
    return first + id_check_digit(first), birth, male


def id_tokens(text: str) -> list[str]:
    """Every whole 18-character token that looks like an ID number, masked or not."""
    return ID_TOKEN.findall(text)


def strings_in(value: Any) -> Iterator[str]:
    """Every string value in a decoded JSON document."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for v in value.values():
            yield from strings_in(v)
    elif isinstance(value, list):
        for v in value:
            yield from strings_in(v)


def json_strings(body: bytes) -> list[str]:
    return list(strings_in(json.loads(body)))


def workbook_strings(data: bytes) -> list[str]:
    """Every cell of every sheet, as text."""
    wb = load_workbook(io.BytesIO(data), read_only=True)
    out = []
    for ws in wb.worksheets:
        for row in ws.iter_rows(values_only=True):
            out += [str(v) for v in row if v is not None]
    return out


def docx_strings(data: bytes) -> list[str]:
    """Every paragraph, table cell, header and footer of a Word document, as text."""
    from docx import Document

    doc = Document(io.BytesIO(data))
    out = [p.text for p in doc.paragraphs]
    out += [c.text for t in doc.tables for row in t.rows for c in row.cells]
    for section in doc.sections:
        for part in (section.header, section.footer):
            out += [p.text for p in part.paragraphs]
    return out


def candidates(masked: str, birth: dt.date, male: bool) -> int:
    """How many valid numbers agree with a mask, the birth date and the sex shown beside it
    (the worst case: the viewer knows the birth date and sex, and the region if it is shown)."""
    if len(masked) != 18 or "*" in masked[:6]:
        return 10**6  # the region itself is hidden: thousands of regions to try
    born = f"{birth:%Y%m%d}"
    if any(m not in ("*", b) for m, b in zip(masked[6:14], born, strict=True)):
        return 0
    count = 0
    for seq in range(1 if male else 0, 1000, 2):
        tail = f"{seq:03d}"
        if any(m not in ("*", t) for m, t in zip(masked[14:17], tail, strict=True)):
            continue
        if masked[17] in ("*", id_check_digit(masked[:6] + born + tail)):
            count += 1
    return count


def assert_not_recoverable(
    texts: Iterable[str], *, number: str, birth: dt.date, male: bool, expect_mask: bool = True
) -> None:
    """The response shows no full number, no masked number with its last four characters, and
    every mask of this person leaves at least ``MIN_CANDIDATES`` numbers to guess from."""
    tokens = [t for text in texts for t in id_tokens(text)]
    assert number not in tokens, "the full number is shown"
    masks = [t for t in tokens if "*" in t]
    for t in masks:
        assert t[14:] == "****", f"a mask shows the sequence or check digit: {t}"
    mine = [t for t in masks if t[:6] == number[:6] or t[:6].count("*") == 6]
    if expect_mask:
        assert mine, "the surface should show this person's masked number"
    for t in mine:
        assert candidates(t, birth, male) >= MIN_CANDIDATES, t
