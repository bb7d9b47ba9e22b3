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


def rule_sets_on(on: dt.date, *, category: str | None = None) -> list[DuesRuleSet]:
    """The rule sets in force on ``on`` (with a category's bands, when given), scopes loaded."""
    qs = DuesRuleSet.objects.filter(effective_from__lte=on).filter(
        Q(effective_to__isnull=True) | Q(effective_to__gte=on)
    )
    if category is not None:
        qs = qs.filter(bands__category=category).distinct()
    return list(qs.select_related("scope"))


def choose_rule_set(
    candidates: Sequence[DuesRuleSet], category: str, *, on: dt.date, org_path: str = ""
) -> DuesRuleSet:
    """Among rule sets in force, the one for ``category``: the nearest province override above
    the organization that has bands for the category, else the national set. ``candidates``
    must hold only sets with bands for the category (or have ``bands`` prefetched)."""
    best: DuesRuleSet | None = None
    best_depth = -1
    for rule_set in candidates:
        cache = getattr(rule_set, "_prefetched_objects_cache", {})
        if "bands" in cache and not any(b.category == category for b in cache["bands"]):
            continue
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


def rule_set_in_force(category: str, *, on: dt.date, org_path: str = "") -> DuesRuleSet:
    """The rule set for ``category`` on ``on``: the nearest province override above the
    organization that has bands for the category, else the national set."""
    return choose_rule_set(rule_sets_on(on, category=category), category, on=on, org_path=org_path)


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


# --- collection: months, due months, the policy numbers ---------------------------------------


def policy_in_force(on: dt.date) -> DuesRuleSet:
    """The national rule set in force on ``on``: its collection numbers (补交 limit, 自行脱党
    review after N months, the one-off amount that goes to 中央) apply everywhere."""
    rule_set = (
        DuesRuleSet.objects.filter(scope__isnull=True, effective_from__lte=on)
        .filter(Q(effective_to__isnull=True) | Q(effective_to__gte=on))
        .order_by("-effective_from", "-id")
        .first()
    )
    if rule_set is None:
        raise ValidationError(f"{on:%Y-%m-%d} 没有适用的党费规则", code="no_rule")
    return rule_set


def add_months(month: dt.date, n: int) -> dt.date:
    """The first of the month ``n`` months after (or before, if negative) ``month``."""
    index = month.year * 12 + month.month - 1 + n
    return dt.date(index // 12, index % 12 + 1, 1)


def months_between(first: dt.date, last: dt.date) -> int:
    """How many months ``last`` is after ``first`` (0 for the same month)."""
    return (last.year - first.year) * 12 + last.month - first.month


def month_span(first: dt.date, last: dt.date) -> list[dt.date]:
    """Every month from ``first`` to ``last`` inclusive (firsts of months)."""
    return [add_months(first.replace(day=1), i) for i in range(months_between(first, last) + 1)]


def quarter_start(month: dt.date) -> dt.date:
    return dt.date(month.year, (month.month - 1) // 3 * 3 + 1, 1)


def quarter_end(month: dt.date) -> dt.date:
    """The last month of ``month``'s quarter (its first day)."""
    return add_months(quarter_start(month), 2)


def due_month_for(month: dt.date, *, quarterly: bool) -> dt.date:
    """The month by which ``month``'s dues are due: itself, or its quarter's last month."""
    return quarter_end(month) if quarterly else month.replace(day=1)


def last_closed_month(this_month: dt.date, *, quarterly: bool) -> dt.date:
    """The latest month whose dues are already overdue if unpaid, seen from ``this_month``."""
    if quarterly:
        return add_months(quarter_start(this_month), -1)
    return add_months(this_month.replace(day=1), -1)


def reduced_amount(standard: Decimal, reduction_amount: Decimal | None) -> Decimal:
    """What is owed in a month under an approved reduction (never more than the standard)."""
    if reduction_amount is None:
        return standard
    return min(standard, reduction_amount)


def check_money(amount: Decimal, *, label: str, allow_zero: bool = False) -> None:
    """A payment or reduction amount: finite, positive (or zero), to the 分, not absurd."""
    try:
        finite = amount.is_finite()
    except (AttributeError, InvalidOperation):
        finite = False
    if not finite:
        raise ValidationError(f"{label}必须是有效金额", code="invalid")
    if amount < 0 or (amount == 0 and not allow_zero):
        raise ValidationError(f"{label}必须大于 0", code="invalid")
    if amount > MAX_BASE:
        raise ValidationError(f"{label}超过 100 万元，请核对（单位为元）", code="invalid")
    if amount != amount.quantize(CENT, rounding=ROUND_HALF_UP):
        raise ValidationError(f"{label}最多精确到分（两位小数）", code="invalid")
