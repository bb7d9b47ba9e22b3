"""Page input for transfers. The services validate the rules; forms only parse."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django import forms
from django.core.exceptions import ValidationError

from dangjian.core.forms import DateInput, MonthInput, StyledFormMixin, Textarea
from dangjian.members.models import Member
from dangjian.members.rules import code_labels
from dangjian.transfers import rules

REASONS = (
    "工作单位变动",
    "经常居住地变动",
    "外出务工经商（半年以上，地点相对固定）",
    "升学、毕业",
    "退休后回原籍居住",
    "参军、退役",
)


class MonthField(forms.CharField):
    """``<input type="month">``: 2026-10 → date(2026, 10, 1), with a Chinese error."""

    widget = MonthInput(attrs={"placeholder": "2026-10"})

    def to_python(self, value: Any) -> dt.date | None:  # type: ignore[override]
        text = super().to_python(value)
        if not text:
            return None
        try:
            return rules.parse_month(text)
        except ValidationError as exc:
            raise ValidationError(exc.message_dict["dues_paid_through"]) from exc


class TransferFields(StyledFormMixin, forms.Form):
    dues_paid_through = MonthField(label="党费交至年月")
    reason = forms.CharField(
        label="转接原因",
        max_length=200,
        widget=forms.TextInput(attrs={"list": "transfer-reasons", "autocomplete": "off"}),
    )
    note = forms.CharField(
        label="备注", max_length=1000, required=False, widget=Textarea(attrs={"rows": 2})
    )


class TransferRequestForm(TransferFields):
    # The radio inputs come from the branch picker (HTMX), named like this field.
    to_branch = forms.IntegerField(label="转入党支部", widget=forms.HiddenInput)
    field_order = ["to_branch", "dues_paid_through", "reason", "note"]


class TransferOutForm(TransferFields):
    external_unit = forms.CharField(
        label="接收的党组织（系统外）",
        max_length=100,
        help_text="写全称，如“中共某某省某某市某某区委组织部”",
    )
    field_order = ["external_unit", "dues_paid_through", "reason", "note"]


class ApproveForm(StyledFormMixin, forms.Form):
    valid_until = forms.DateField(label="有效期至", required=False, widget=DateInput())


class AcceptForm(StyledFormMixin, forms.Form):
    received_on = forms.DateField(label="回执日期", required=False, widget=DateInput())
    receiver_name = forms.CharField(label="经办人", max_length=50, required=False)


def _code_choices(table: str, *, blank: bool = True) -> list[tuple[str, str]]:
    items = [(code, f"{label}") for code, label in code_labels(table).items()]
    return ([("", "请选择")] if blank else []) + items


class TransferInForm(StyledFormMixin, forms.Form):
    """An inbound letter from outside the system and the arriving member's record."""

    to_branch = forms.IntegerField(label="接收党支部", widget=forms.HiddenInput)
    external_unit = forms.CharField(label="转出的党组织（系统外）", max_length=100)
    external_number = forms.CharField(label="介绍信编号", max_length=40, required=False)
    dues_paid_through = MonthField(label="党费交至年月")
    received_on = forms.DateField(label="接收日期", required=False, widget=DateInput())
    reason = forms.CharField(
        label="转接原因",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"list": "transfer-reasons", "autocomplete": "off"}),
    )
    # The member's record (the national items the letter carries).
    name = forms.CharField(label="姓名", max_length=50)
    sex = forms.ChoiceField(label="性别")
    ethnicity = forms.ChoiceField(label="民族")
    id_number = forms.CharField(label="公民身份号码", max_length=18)
    birth_date = forms.DateField(label="出生日期", widget=DateInput())
    education = forms.ChoiceField(label="学历")
    category = forms.ChoiceField(label="人员类别", choices=Member.Category.choices)
    joined_on = forms.DateField(label="入党日期", widget=DateInput())
    full_member_on = forms.DateField(label="转正日期", required=False, widget=DateInput())
    job = forms.ChoiceField(label="工作岗位")
    mobile = forms.CharField(label="联系电话", max_length=20, required=False)
    note = forms.CharField(
        label="备注", max_length=1000, required=False, widget=Textarea(attrs={"rows": 2})
    )

    MEMBER_FIELDS = (
        "name", "sex", "ethnicity", "id_number", "birth_date", "education", "category",
        "joined_on", "full_member_on", "job", "mobile",
    )  # fmt: skip

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["sex"].choices = [  # type: ignore[attr-defined]
            c for c in _code_choices("sex") if c[0] in ("", "1", "2")
        ]
        self.fields["ethnicity"].choices = _code_choices("ethnicity")  # type: ignore[attr-defined]
        self.fields["education"].choices = _code_choices("education")  # type: ignore[attr-defined]
        self.fields["job"].choices = _code_choices("job")  # type: ignore[attr-defined]
        self.initial.setdefault("ethnicity", "01")

    def member_data(self) -> dict[str, Any]:
        data = {k: self.cleaned_data.get(k) for k in self.MEMBER_FIELDS}
        return {k: v for k, v in data.items() if v not in (None, "")}
