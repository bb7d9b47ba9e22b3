from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import ValidationError

from dangjian.dues.models import DuesBand, DuesRuleSet
from dangjian.dues.rules import quote

pytestmark = pytest.mark.django_db
ON = dt.date(2026, 3, 1)


@pytest.mark.parametrize(
    ("category", "base", "amount", "rate"),
    [
        ("salaried", "0.00", "0.00", "0.005"),
        ("salaried", "3000.00", "15.00", "0.005"),
        ("salaried", "3000.01", "30.00", "0.01"),
        ("salaried", "5000.00", "50.00", "0.01"),
        ("salaried", "5000.01", "75.00", "0.015"),
        ("salaried", "10000.00", "150.00", "0.015"),
        ("salaried", "10000.01", "200.00", "0.02"),
        ("annual_salary", "5000.01", "75.00", "0.015"),
        ("self_employed", "3000.00", "15.00", "0.005"),
        ("other", "10000.01", "200.00", "0.02"),
        ("retired", "5000.00", "25.00", "0.005"),
        ("retired", "5000.01", "50.00", "0.01"),
        ("retired", "20000.00", "200.00", "0.01"),
        # ROUND_HALF_UP to the 分
        ("salaried", "3333.33", "33.33", "0.01"),
        ("salaried", "1234.57", "6.17", "0.005"),
        ("salaried", "1001.00", "5.01", "0.005"),  # 5.005 rounds up
        ("salaried", "1000000.00", "20000.00", "0.02"),
    ],
)
def test_band_edges_and_rounding(category: str, base: str, amount: str, rate: str) -> None:
    q = quote(category, Decimal(base), on=ON)
    assert q.monthly_amount == Decimal(amount)
    assert str(q.monthly_amount) == amount
    assert q.rate == Decimal(rate)


@pytest.mark.parametrize(
    ("category", "amount"),
    [("student", "0.20"), ("unemployed", "0.20"), ("relief", "0.20"), ("farmer", "0.50")],
)
def test_fixed_categories_ignore_the_base(category: str, amount: str) -> None:
    for base in (None, Decimal("99999.00")):
        q = quote(category, base, on=ON)
        assert str(q.monthly_amount) == amount
        assert q.rate is None
        assert f"每月交纳党费 {amount} 元" in q.explanation


def test_farmer_explanation_states_the_province_range_without_the_tag() -> None:
    q = quote("farmer", None, on=ON)
    assert "0.2–1 元" in q.explanation
    assert "[local]" not in q.explanation


def test_explanation_names_base_band_rate_and_amount() -> None:
    q = quote("salaried", Decimal("4500.00"), on=ON)
    assert q.explanation == (
        "月工资收入（税后）4500.00 元，在 3000 元以上至 5000 元（含）档，按 1% 交纳：45.00 元"
    )
    assert q.rule_set_label == "党费收缴标准（全国）（2008）"
    assert "3000 元（含）以下档" in quote("salaried", Decimal("10"), on=ON).explanation
    assert "10000 元以上档" in quote("salaried", Decimal("10000.01"), on=ON).explanation
    assert "月离退休费" in quote("retired", Decimal("10"), on=ON).explanation


@pytest.mark.parametrize(
    ("category", "base", "message"),
    [
        ("salaried", "-0.01", "不能为负数"),
        ("salaried", "1000000.01", "超过每月 100 万元"),
        ("salaried", None, "须填写计算基数"),
        ("retired", None, "须填写计算基数"),
        ("salaried", "100.001", "精确到分"),
        ("salaried", "NaN", "有效金额"),
        ("teacher", "100.00", "未知的党员类别"),
    ],
)
def test_bad_input_is_refused_in_chinese(category: str, base: str | None, message: str) -> None:
    with pytest.raises(ValidationError) as exc:
        quote(category, Decimal(base) if base else None, on=ON)
    assert message in exc.value.messages[0]


def test_no_rule_before_2008() -> None:
    with pytest.raises(ValidationError, match="没有适用的党费规则"):
        quote("salaried", Decimal("100"), on=dt.date(2007, 12, 31))


def test_province_override_applies_below_its_scope_only(tree) -> None:  # type: ignore[no-untyped-def]
    override = DuesRuleSet.objects.create(
        name="党费收缴标准（甲镇试点）",
        version="2020",
        source="test",
        effective_from=dt.date(2020, 1, 1),
        scope=tree.township_a,
    )
    DuesBand.objects.create(rule_set=override, category="farmer", fixed_amount=Decimal("1.00"))
    inside = quote("farmer", None, on=ON, org_path=tree.village_a1.path)
    outside = quote("farmer", None, on=ON, org_path=tree.village_b1.path)
    assert inside.monthly_amount == Decimal("1.00")
    assert outside.monthly_amount == Decimal("0.50")
    # Categories the override is silent on fall back to the national set.
    salaried = quote("salaried", Decimal("4500"), on=ON, org_path=tree.village_a1.path)
    assert salaried.rule_set_label == "党费收缴标准（全国）（2008）"


@pytest.mark.parametrize("category", ["salaried", "annual_salary", "self_employed", "other"])
@pytest.mark.parametrize(
    ("base", "amount"),
    [
        ("0.01", "0.00"),
        ("3000.00", "15.00"),
        ("3000.01", "30.00"),
        ("5000.00", "50.00"),
        ("5000.01", "75.00"),
        ("10000.00", "150.00"),
        ("10000.01", "200.00"),
    ],
)
def test_every_edge_of_every_pay_category(category: str, base: str, amount: str) -> None:
    assert str(quote(category, Decimal(base), on=ON).monthly_amount) == amount


@pytest.mark.parametrize(
    ("base", "amount", "rate"),
    [("0.00", "0.00", "0.005"), ("4999.99", "25.00", "0.005"), ("5000.00", "25.00", "0.005"),
     ("5000.01", "50.00", "0.01")],
)  # fmt: skip
def test_retired_edges(base: str, amount: str, rate: str) -> None:
    q = quote("retired", Decimal(base), on=ON)
    assert (str(q.monthly_amount), q.rate) == (amount, Decimal(rate))
