"""Page input for 党费. The services check the rules; forms only parse (money as Decimal)."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from dangjian.core.forms import DateInput, EditFormMixin, MonthInput, StyledFormMixin
from dangjian.dues.models import DuesBranchSetting, DuesPayment, DuesReduction

MONTH_RE = re.compile(r"^\s*(\d{4})\s*(?:-|年|/|\.)\s*(\d{1,2})\s*月?\s*$")


def parse_month(text: str) -> dt.date:
    """``2026-10`` / ``2026年10月`` → date(2026, 10, 1), or a Chinese ValidationError."""
    m = MONTH_RE.match(text or "")
    if not m:
        raise ValidationError(f"“{(text or '')[:20]}”不是年月，请写成 2026-10")
    year, month = int(m.group(1)), int(m.group(2))
    if not (2008 <= year <= 2100 and 1 <= month <= 12):
        raise ValidationError(f"“{text[:20]}”不是有效的年月")
    return dt.date(year, month, 1)


class MonthField(forms.CharField):
    """``<input type="month">`` → the first of the month."""

    widget = MonthInput(attrs={"placeholder": "2026-10"})

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        text = super().to_python(value)
        return parse_month(text) if text else None


class MoneyField(forms.DecimalField):
    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_digits", 12)
        kwargs.setdefault("decimal_places", 2)
        kwargs.setdefault(
            "error_messages",
            {
                "invalid": "请输入金额（元，最多两位小数）",
                "max_decimal_places": "金额最多精确到分（两位小数）",
                "max_digits": "金额过大，请核对（单位为元）",
                "max_whole_digits": "金额过大，请核对（单位为元）",
            },
        )
        super().__init__(**kwargs)
        self.widget.attrs.update({"inputmode": "decimal", "step": "0.01"})


class PaymentForm(StyledFormMixin, forms.Form):
    amount = MoneyField(label="金额（元）")
    method = forms.ChoiceField(label="方式", choices=DuesPayment.Method.choices)
    reference = forms.CharField(label="流水号", max_length=64, required=False)
    paid_on = forms.DateField(label="交纳日期", widget=DateInput())
    first_month = MonthField(label="所属月份", required=False)
    last_month = MonthField(label="至", required=False)
    kind = forms.ChoiceField(
        label="类型", choices=DuesPayment.Kind.choices, initial="regular", required=False
    )
    note = forms.CharField(label="备注", max_length=200, required=False)


class OneOffForm(StyledFormMixin, forms.Form):
    member = forms.IntegerField(label="党员", widget=forms.Select)
    amount = MoneyField(label="金额（元）")
    method = forms.ChoiceField(label="方式", choices=DuesPayment.Method.choices)
    reference = forms.CharField(label="流水号", max_length=64, required=False)
    paid_on = forms.DateField(label="交纳日期", widget=DateInput())
    note = forms.CharField(label="备注", max_length=200, required=False)


class ReductionForm(StyledFormMixin, forms.Form):
    member = forms.IntegerField(label="党员", widget=forms.Select, required=False)
    kind = forms.ChoiceField(label="申请", choices=DuesReduction.Kind.choices)
    monthly_amount = MoneyField(label="减交后每月交纳（元）", required=False)
    first_month = MonthField(label="起始月份")
    last_month = MonthField(label="截止月份")
    reason = forms.CharField(label="申请理由", max_length=300)


class DiscussForm(StyledFormMixin, forms.Form):
    agreed = forms.ChoiceField(
        label="支部意见", choices=[("yes", "同意，报上级党委审批"), ("no", "不同意")]
    )
    discussed_on = forms.DateField(label="讨论日期", widget=DateInput())
    discussion = forms.CharField(label="讨论意见", max_length=300)


class DecideForm(StyledFormMixin, forms.Form):
    approve = forms.ChoiceField(label="审批", choices=[("yes", "批准"), ("no", "不予批准")])
    decision = forms.CharField(label="审批意见", max_length=300, required=False)


class BackPayForm(StyledFormMixin, forms.Form):
    first_month = MonthField(label="起始月份")
    last_month = MonthField(label="截止月份")
    reason = forms.CharField(label="理由", max_length=300)


class ModeForm(EditFormMixin, StyledFormMixin, forms.Form):
    """交纳方式 of one branch: an edit of its setting (a stale form is refused)."""

    mode = forms.ChoiceField(label="交纳方式", choices=DuesBranchSetting.Mode.choices)
    agreed_on = forms.DateField(label="支部同意日期", required=False, widget=DateInput())
    note = forms.CharField(label="说明", max_length=200, required=False)


def mode_initial(setting: DuesBranchSetting | None) -> dict[str, Any]:
    """The setting as its form shows it (and as the stale-form check compares it)."""
    if setting is None:
        return {"mode": DuesBranchSetting.Mode.MONTHLY.value, "agreed_on": None, "note": ""}
    return {"mode": setting.mode, "agreed_on": setting.agreed_on, "note": setting.note}
