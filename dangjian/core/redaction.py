"""Personal numbers in free text: find and mask them before the text leaves the system.

Used wherever text written by people goes somewhere it was not written for: a note on the
public Open311 feed or the resident's tracking page, and every log line
(``dangjian.core.logfilter``). The patterns are deliberately broad — any run of 17 digits plus a
digit or X is treated as a 公民身份号码, any bounded 15-digit run as an old one — because a
masked order number costs nothing and an unmasked ID number cannot be taken back.

A digit right after a URL escape (``%20``, ``%2B``) still counts as a boundary, so
``?q=%20110101…`` is caught as well as ``?q=110101…``.
"""

from __future__ import annotations

import re

# A number starts where no digit precedes it, or right after a %XX escape in a URL.
_START = r"(?:(?<=%[0-9A-Fa-f]{2})|(?<![0-9]))"
_END = r"(?![0-9])"

# 18-character 公民身份号码 (17 digits + digit/X) and the 15-digit numbers issued before 1999.
ID_NUMBER_RE = re.compile(_START + r"(?:[0-9]{17}[0-9Xx]|[0-9]{15})" + _END)
# Mainland mobiles, with an optional +86 and the usual 3-4-4 separators.
MOBILE_RE = re.compile(_START + r"(?:\+?86[- ]?)?1[3-9][0-9](?:[- ]?[0-9]{4}){2}" + _END)
# Fixed lines with their area code: 0311-1234567, 010 12345678.
LANDLINE_RE = re.compile(_START + r"0[1-9][0-9]{1,2}[- ]?[1-9][0-9]{6,7}" + _END)

ID_MASK = "******************"


def _mask_phone(match: re.Match[str]) -> str:
    digits = re.sub(r"[^0-9]", "", match.group(0))[-11:]
    return digits[:3] + "****" + digits[-4:]


def _mask_landline(match: re.Match[str]) -> str:
    text = match.group(0)
    return text[:3] + "*" * (len(text) - 5) + text[-2:]


def redact_personal_numbers(text: str) -> str:
    """``text`` with every ID number starred out in full and every phone number masked
    (``138****5678``, ``031*******67``); text without any is returned unchanged."""
    if not text or not any(c.isdigit() for c in text):
        return text
    text = ID_NUMBER_RE.sub(ID_MASK, text)
    text = MOBILE_RE.sub(_mask_phone, text)
    return LANDLINE_RE.sub(_mask_landline, text)
