"""Rules of the member record: 公民身份号码 (GB 11643), mobile numbers, code tables, bands.

Pure functions where possible; the numbers (age bands, thresholds) are data with a source.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from functools import lru_cache

# GB 11643-1999: 17 digits + an ISO 7064 MOD 11-2 check character.
ID_WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
ID_CHECK = "10X98765432"
ID_RE = re.compile(r"^\d{17}[\dX]$")
MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


@dataclass(frozen=True)
class IdCheck:
    valid: bool
    birth_date: dt.date | None
    sex: str | None  # "male" / "female"
    message: str

    @property
    def sex_code(self) -> str | None:
        """GB/T 2261.1 code: 1 男, 2 女."""
        return {"male": "1", "female": "2"}.get(self.sex or "")


def normalize_id(value: str) -> str:
    return (value or "").strip().upper().replace(" ", "")


def id_check_digit(first17: str) -> str:
    return ID_CHECK[sum(int(c) * w for c, w in zip(first17, ID_WEIGHTS, strict=True)) % 11]


def check_id_number(value: str, *, today: dt.date | None = None) -> IdCheck:
    """Validate a 18-character 公民身份号码: format, birth date, check digit (incl. X)."""
    number = normalize_id(value)
    if not number:
        return IdCheck(False, None, None, "请填写公民身份号码")
    if len(number) != 18:
        return IdCheck(False, None, None, f"公民身份号码应为 18 位，当前为 {len(number)} 位")
    if not ID_RE.fullmatch(number):
        return IdCheck(False, None, None, "公民身份号码前 17 位应为数字，最后一位为数字或 X")
    try:
        birth = dt.date(int(number[6:10]), int(number[10:12]), int(number[12:14]))
    except ValueError:
        return IdCheck(False, None, None, f"公民身份号码中的出生日期 {number[6:14]} 不存在")
    today = today or dt.date.today()  # noqa: DTZ011 — a calendar date, no time zone involved
    if birth > today or birth.year < 1900:
        return IdCheck(False, None, None, f"公民身份号码中的出生日期 {birth:%Y年%m月%d日} 不合理")
    expected = id_check_digit(number[:17])
    if number[17] != expected:
        return IdCheck(False, None, None, "公民身份号码校验位不正确，请核对是否输错")
    sex = "male" if int(number[16]) % 2 == 1 else "female"
    return IdCheck(True, birth, sex, "公民身份号码有效")


def check_mobile(value: str) -> str | None:
    """None when valid, else a Chinese message."""
    v = (value or "").strip()
    if v and not MOBILE_RE.fullmatch(v):
        return "手机号码应为 11 位、以 1 开头的中国大陆号码"
    return None


# The mask keeps the 6 region digits only. The other 12 are the birth date (8, shown in full
# beside the mask on every screen and export), the sequence (3; the last one's parity is the
# sex, also shown) and a check digit computed from the first 17. Showing any of the last four
# would leave at most a handful of candidates, and with all four shown the number is rebuilt
# exactly (docs/members.md, 隐私保护). The region alone leaves ~500 valid numbers per person.
MASK_KEEP = 6


def mask_id(number: str) -> str:
    """The 公民身份号码 as shown without the reveal right: region kept, the rest starred."""
    if len(number) != 18:
        return "*" * len(number)
    return number[:MASK_KEEP] + "*" * (18 - MASK_KEEP)


def remask_id(masked: str) -> str:
    """Today's mask from an older stored mask (which kept the region too): no decryption."""
    return mask_id(masked) if len(masked) == 18 else masked


def age_on(birth: dt.date, day: dt.date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


# 党内统计 table 2 age bands (RULES.md §7): ≤30, 31–35, 36–40 … 66–70, ≥71.
AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("30岁及以下", 0, 30),
    ("31-35岁", 31, 35),
    ("36-40岁", 36, 40),
    ("41-45岁", 41, 45),
    ("46-50岁", 46, 50),
    ("51-55岁", 51, 55),
    ("56-60岁", 56, 60),
    ("61-65岁", 61, 65),
    ("66-70岁", 66, 70),
    ("71岁及以上", 71, 200),
)
AGE_BANDS_SOURCE = "党内统计年报表 2（党员基本情况）年龄分组"

# Party-age bands (党龄) as commonly reported.
PARTY_AGE_BANDS: tuple[tuple[str, int, int], ...] = (
    ("5年及以下", 0, 5),
    ("6-10年", 6, 10),
    ("11-20年", 11, 20),
    ("21-30年", 21, 30),
    ("31-40年", 31, 40),
    ("41-50年", 41, 50),
    ("51年及以上", 51, 200),
)

EDUCATION_GROUPS: tuple[tuple[str, str], ...] = (
    ("postgraduate", "研究生"),
    ("bachelor", "大学本科"),
    ("college", "大学专科"),
    ("secondary", "中专"),
    ("high_school", "高中、中技"),
    ("junior", "初中及以下"),
)
EDUCATION_GROUPS_SOURCE = "党内统计年报表 4（党员学历）分组"

HAN = "01"


def band_of(value: int, bands: tuple[tuple[str, int, int], ...]) -> str:
    for label, low, high in bands:
        if low <= value <= high:
            return label
    return bands[-1][0]


@dataclass(frozen=True)
class StatusRules:
    """Numbers from RULES.md §4, as data with their source."""

    lost_contact_review_months: int = 6
    probation_months: int = 12
    # 《中国共产党发展党员工作细则》第五条: 年满十八岁 on applying, so at least 18 on joining.
    admission_min_age: int = 18
    source: str = (
        "《中国共产党党员教育管理工作条例》（2019）：失联满 6 个月应按规定停止党籍；"
        "党章第七条：预备期为一年"
    )


STATUS_RULES = StatusRules()


@lru_cache(maxsize=32)
def code_labels(table: str) -> dict[str, str]:
    """``{code: label}`` for one code table (loaded once per process; tables change by migration)."""
    from dangjian.members.models import CodeItem

    return dict(CodeItem.objects.filter(table=table).values_list("code", "label"))


@lru_cache(maxsize=1)
def education_groups() -> dict[str, str]:
    from dangjian.members.models import CodeItem

    return dict(CodeItem.objects.filter(table="education").values_list("code", "group"))
