"""Rules of 组织关系转接 as data with a source: the letter's validity, the dues month, numbering.

Pure functions; the numbers come from ``transfer_rules()`` so a deployment can change the
customary validity period (setting ``TRANSFER_VALID_MONTHS``) without touching code.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError

from dangjian.core.workdays import add_months

MONTH_RE = re.compile(
    r"^\s*(\d{4})\s*(?:-|/|\.|年)\s*(\d{1,2})\s*(?:月)?(?:\s*(?:-|/|\.)\s*\d{1,2}\s*日?)?\s*$"
)


@dataclass(frozen=True)
class TransferRules:
    """The numbers of a transfer, each with where it comes from."""

    # A letter is valid for this many months from its issue date, the last day included.
    valid_months: int = 3
    # An approver may shorten or lengthen one letter's validity, but not beyond this.
    max_valid_months: int = 6
    # 党费交至年月 may lie ahead (dues paid in advance), but not further than this.
    dues_ahead_max_months: int = 12
    number_prefix: str = "QC"
    source: str = (
        "《中国共产党党员教育管理工作条例》（2019）第二十四、二十五条：党员工作单位或经常居住地"
        "发生变动，或外出半年以上且地点相对固定的，应当转接组织关系；介绍信载明党费交至年月、"
        "有效期，并附回执。有效期各地习惯为 3 个月（本地规定，可通过设置 TRANSFER_VALID_MONTHS 调整）。"
    )


def transfer_rules() -> TransferRules:
    """The rules in force (read on every call, so settings overrides apply at once)."""
    months = int(getattr(settings, "TRANSFER_VALID_MONTHS", TransferRules.valid_months))
    return TransferRules(valid_months=months, max_valid_months=max(months, 6))


def valid_until_for(issued_on: dt.date, rules: TransferRules | None = None) -> dt.date:
    """The last day a letter issued on ``issued_on`` may be accepted (issue date + N months)."""
    rules = rules or transfer_rules()
    return add_months(issued_on, rules.valid_months)


def check_valid_until(
    issued_on: dt.date, valid_until: dt.date, rules: TransferRules | None = None
) -> None:
    """Raise a Chinese ValidationError unless ``valid_until`` is a sensible expiry date."""
    rules = rules or transfer_rules()
    if valid_until < issued_on:
        raise ValidationError({"valid_until": "有效期不能早于开具日期"})
    if valid_until > add_months(issued_on, rules.max_valid_months):
        raise ValidationError(
            {"valid_until": f"有效期最长为开具之日起 {rules.max_valid_months} 个月"}
        )


def is_letter_valid(valid_until: dt.date | None, on: dt.date) -> bool:
    """A letter can be accepted up to and including its ``valid_until`` day."""
    return valid_until is not None and on <= valid_until


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def parse_month(value: object) -> dt.date:
    """``2026-10``, ``2026年10月``, ``2026-10-15`` or a date → the 1st of that month."""
    if isinstance(value, dt.datetime):
        return first_of_month(value.date())
    if isinstance(value, dt.date):
        return first_of_month(value)
    text = str(value or "").strip()
    if not text:
        raise ValidationError({"dues_paid_through": "请填写党费交至年月"})
    match = MONTH_RE.match(text)
    if not match:
        raise ValidationError(
            {"dues_paid_through": f"“{text[:20]}”不是年月，请写成 2026-10 或 2026年10月"}
        )
    year, month = int(match.group(1)), int(match.group(2))
    if not 1 <= month <= 12 or not 1900 <= year <= 2999:
        raise ValidationError({"dues_paid_through": f"“{text[:20]}”不是有效的年月"})
    return dt.date(year, month, 1)


def check_dues_month(
    month: dt.date, *, today: dt.date, joined_on: dt.date | None, rules: TransferRules | None = None
) -> None:
    """党费交至年月: not before the member joined, not implausibly far ahead."""
    rules = rules or transfer_rules()
    if joined_on is not None and month < first_of_month(joined_on):
        raise ValidationError({"dues_paid_through": "党费交至年月不能早于入党年月"})
    if month > add_months(first_of_month(today), rules.dues_ahead_max_months):
        raise ValidationError(
            {
                "dues_paid_through": f"党费交至年月不能晚于本月之后 {rules.dues_ahead_max_months} 个月"
            }
        )


def letter_number(year: int, serial: int, rules: TransferRules | None = None) -> str:
    """The printed letter number: ``QC-2026-000123``."""
    rules = rules or transfer_rules()
    return f"{rules.number_prefix}-{year}-{serial:06d}"


def month_label(month: dt.date | None) -> str:
    """2026年10月."""
    return f"{month.year}年{month.month}月" if month else ""


def date_label(day: dt.date | None) -> str:
    """2026年10月1日."""
    return f"{day.year}年{day.month}月{day.day}日" if day else ""
