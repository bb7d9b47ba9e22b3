"""The dues calculation over versioned rule data (《关于中国共产党党费收缴、使用和管理的规定》).

Amounts are Decimal to the 分: base × rate, rounded ROUND_HALF_UP to 0.01 元. A band includes
its upper bound (3000.00 元 pays 0.5%, 3000.01 元 pays 1%).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.core.exceptions import ValidationError
from django.db.models import Q

from dangjian.core.paths import is_within
from dangjian.dues.models import DuesBand, DuesRuleSet, PayerCategory

CENT = Decimal("0.01")
# Nobody earns this much a month on a branch roll; a larger number is a typing error (分 as 元).
MAX_BASE = Decimal("1000000")

# How the base of each rate category is described to the member (RULES §3).
BASE_LABELS: dict[str, str] = {
    PayerCategory.SALARIED: "月工资收入（税后）",
    PayerCategory.ANNUAL_SALARY: "当月实得年薪收入",
    PayerCategory.SELF_EMPLOYED: "上季度月平均纯收入",
    PayerCategory.RETIRED: "月离退休费",
    PayerCategory.OTHER: "月收入",
}

# What a profile records as the base when the secretary leaves it blank.
DEFAULT_BASE_KINDS: dict[str, str] = {
    PayerCategory.SALARIED: "税后固定工资",
    PayerCategory.ANNUAL_SALARY: "当月年薪",
    PayerCategory.SELF_EMPLOYED: "上季度月均纯收入",
    PayerCategory.RETIRED: "养老金",
    PayerCategory.OTHER: "月收入",
}


@dataclass(frozen=True)
class Quote:
    monthly_amount: Decimal
    rate: Decimal | None
    rule_set_label: str
    explanation: str


def round_cents(amount: Decimal) -> Decimal:
    """Round to the 分, half up (0.005 元 → 0.01 元)."""
    return amount.quantize(CENT, rounding=ROUND_HALF_UP)


def _yuan(amount: Decimal) -> str:
    """A bound as people write it: 3000, not 3000.00."""
    return f"{amount.normalize():f}" if amount == amount.to_integral_value() else f"{amount:.2f}"


def _percent(rate: Decimal) -> str:
    return f"{(rate * 100).normalize():f}%"


def rule_set_in_force(category: str, *, on: dt.date, org_path: str = "") -> DuesRuleSet:
    """The rule set for ``category`` on ``on``: the nearest province override above the
    organization that has bands for the category, else the national set."""
    candidates = (
        DuesRuleSet.objects.filter(effective_from__lte=on, bands__category=category)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .select_related("scope")
        .distinct()
    )
    best: DuesRuleSet | None = None
    best_depth = -1
    for rule_set in candidates:
        if rule_set.scope is None:
            depth = 0
        elif org_path and is_within(org_path, rule_set.scope.path):
            depth = len(rule_set.scope.path)
        else:
            continue
        # Among equals, the most recent version wins.
        if depth > best_depth or (
            depth == best_depth and best and rule_set.effective_from > best.effective_from
        ):
            best, best_depth = rule_set, depth
    if best is None:
        raise ValidationError(f"{on:%Y-%m-%d} 没有适用的党费规则", code="no_rule")
    return best


def _check_category(category: str) -> None:
    if category not in PayerCategory.values:
        raise ValidationError(f"未知的党员类别：{category}", code="invalid")


def _check_base(monthly_base: Decimal) -> None:
    try:
        finite = monthly_base.is_finite()
    except (AttributeError, InvalidOperation):
        finite = False
    if not finite:
        raise ValidationError("计算基数必须是有效金额", code="invalid")
    if monthly_base < 0:
        raise ValidationError("计算基数不能为负数", code="invalid")
    if monthly_base > MAX_BASE:
        raise ValidationError("计算基数超过每月 100 万元，请核对（单位为元）", code="invalid")
    if monthly_base != monthly_base.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValidationError("计算基数最多精确到分（两位小数）", code="invalid")


def choose_band(bands: Sequence[DuesBand], base: Decimal) -> tuple[int, DuesBand]:
    """The first band (in order) whose inclusive upper bound covers ``base``, with its index."""
    for i, band in enumerate(bands):
        if band.upper_bound is None or base <= band.upper_bound:
            return i, band
    raise ValidationError("党费规则档次不完整：没有覆盖该基数的档次", code="no_rule")


def _band_text(bands: Sequence[DuesBand], i: int) -> str:
    lower = bands[i - 1].upper_bound if i > 0 else None
    upper = bands[i].upper_bound
    if lower is None and upper is not None:
        return f"在 {_yuan(upper)} 元（含）以下档"
    if lower is not None and upper is None:
        return f"在 {_yuan(lower)} 元以上档"
    if lower is not None and upper is not None:
        return f"在 {_yuan(lower)} 元以上至 {_yuan(upper)} 元（含）档"
    return "按统一比例"


def quote(
    category: str,
    monthly_base: Decimal | None,
    *,
    on: dt.date,
    rule_set: DuesRuleSet | None = None,
    org_path: str = "",
) -> Quote:
    """The monthly dues for a category and base on a date, with a Chinese explanation."""
    _check_category(category)
    if rule_set is None:
        rule_set = rule_set_in_force(category, on=on, org_path=org_path)
    bands = [b for b in rule_set.bands.all() if b.category == category]
    bands.sort(key=lambda b: b.sort)
    if not bands:
        raise ValidationError(f"{rule_set} 未规定该类别的党费", code="no_rule")
    label = str(rule_set)
    category_label = PayerCategory(category).label

    if bands[0].fixed_amount is not None:
        amount = round_cents(bands[0].fixed_amount)
        text = f"{category_label}党员每月交纳党费 {amount:.2f} 元"
        # "[local]" tags data for maintainers; the member sees only the explanation.
        note = bands[0].note.removeprefix("[local]").strip()
        if note:
            text += f"（{note}）"
        return Quote(amount, None, label, text)

    if monthly_base is None:
        raise ValidationError(f"{category_label}党员须填写计算基数", code="invalid")
    _check_base(monthly_base)
    i, band = choose_band(bands, monthly_base)
    if band.rate is None:  # a fixed band after a rate band: malformed rule data
        raise ValidationError("党费规则档次有误：比例档次中混有固定金额", code="no_rule")
    rate = band.rate.normalize()
    amount = round_cents(monthly_base * band.rate)
    text = (
        f"{BASE_LABELS.get(category, '月收入')}{monthly_base:.2f} 元，"
        f"{_band_text(bands, i)}，按 {_percent(band.rate)} 交纳：{amount:.2f} 元"
    )
    return Quote(amount, rate, label, text)
