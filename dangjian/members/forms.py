"""Input parsing for member pages: choices come from the code tables; rules live in services."""

from __future__ import annotations

from typing import Any

from django import forms

from dangjian.core.forms import (
    DateInput,
    EditFormMixin,
    ScopeChoiceField,
    StyledFormMixin,
    Textarea,
)
from dangjian.members.models import Member
from dangjian.members.rules import code_labels


def code_choices(table: str, *, blank: bool = True) -> list[tuple[str, str]]:
    # Labels only: the codes are for exports and the API, not for the people choosing.
    items = list(code_labels(table).items())
    return ([("", "请选择")] if blank else []) + items


class MemberForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="公民身份号码",
        max_length=18,
        required=False,
        widget=forms.TextInput(
            attrs={"autocomplete": "off", "inputmode": "text", "data-id-check": "1"}
        ),
        help_text="修改时留空表示不变",
    )
    sex = forms.ChoiceField(label="性别")
    ethnicity = forms.ChoiceField(label="民族")
    birth_date = forms.DateField(label="出生日期", widget=DateInput())
    education = forms.ChoiceField(label="学历")
    category = forms.ChoiceField(label="人员类别", choices=Member.Category.choices)
    joined_on = forms.DateField(label="加入党组织日期", widget=DateInput())
    full_member_on = forms.DateField(label="转为正式党员日期", required=False, widget=DateInput())
    job = forms.ChoiceField(label="工作岗位")
    mobile = forms.CharField(
        label="联系电话", max_length=11, required=False, help_text="修改时留空表示不变"
    )
    address = forms.CharField(label="家庭住址", max_length=200, required=False)
    native_place = forms.CharField(label="籍贯", max_length=50, required=False)
    work_started_on = forms.DateField(label="参加工作日期", required=False, widget=DateInput())
    marital = forms.ChoiceField(label="婚姻状况", required=False)
    health = forms.ChoiceField(label="健康状况", required=False)
    degree = forms.ChoiceField(label="学位", required=False)
    major = forms.CharField(label="专业", max_length=50, required=False)
    school = forms.CharField(label="毕业院校", max_length=100, required=False)
    party_post = forms.ChoiceField(label="党内职务", required=False)
    admin_post = forms.CharField(label="行政职务", max_length=50, required=False)
    is_hardship = forms.BooleanField(label="困难党员", required=False)
    is_migrant_worker = forms.BooleanField(label="农民工党员", required=False)
    is_new_social_class = forms.BooleanField(label="新社会阶层", required=False)
    is_taiwan = forms.BooleanField(label="台湾省籍", required=False)
    note = forms.CharField(label="备注", required=False, widget=Textarea(attrs={"rows": 2}))

    def __init__(
        self,
        *args: Any,
        creating: bool,
        branches: list[tuple[int, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        for name, table in (
            ("sex", "sex"), ("ethnicity", "ethnicity"), ("education", "education"), ("job", "job"),
            ("marital", "marital"), ("health", "health"), ("degree", "degree"), ("party_post", "party_post"),
        ):  # fmt: skip
            self.fields[name].choices = code_choices(table)  # type: ignore[attr-defined]
        if creating:
            self.fields["id_number"].required = True
            self.fields["id_number"].help_text = "18 位，输入后自动校验并带出出生日期和性别"
            self.fields["mobile"].help_text = ""
            self.fields["branch"] = ScopeChoiceField(
                label="所在党支部", choices=[("", "请选择")] + list(branches or [])
            )
            self.fields["branch"].widget.attrs["class"] = "form-select"
            self.order_fields(["branch", "name", "id_number"])

    def record_data(self, *, creating: bool) -> dict[str, Any]:
        """The cleaned values for ``member_clean``; blank secrets mean "unchanged" on edit."""
        data = {k: v for k, v in self.cleaned_data.items() if k != "branch"}
        if not creating:
            for secret in ("id_number", "mobile"):
                if not data.get(secret):
                    data.pop(secret, None)
            data = {
                k: v
                for k, v in data.items()
                if k in self.changed_data or k in ("id_number", "mobile")
            }
        return data


class MemberEditForm(EditFormMixin, MemberForm):
    """An existing member's record; refused when someone saved it meanwhile."""


class LostContactForm(StyledFormMixin, forms.Form):
    since = forms.DateField(label="失联日期", widget=DateInput())


class MobileForm(StyledFormMixin, forms.Form):
    destination = forms.CharField(label="外出流向", max_length=100)
    reason = forms.CharField(label="外出原因", max_length=100, required=False)
    since = forms.DateField(label="外出日期", widget=DateInput())
    mobile_branch = forms.TypedChoiceField(
        label="管理的流动党支部", coerce=int, required=False, empty_value=None
    )


class DateForm(StyledFormMixin, forms.Form):
    on = forms.DateField(label="日期", widget=DateInput())
    note = forms.CharField(label="说明", max_length=200, required=False)


class LeaveForm(StyledFormMixin, forms.Form):
    on = forms.DateField(label="减少日期", widget=DateInput())
    decrease_reason = forms.ChoiceField(label="减少原因")
    note = forms.CharField(label="说明", max_length=200, required=False)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["decrease_reason"].choices = [  # type: ignore[attr-defined]
            (c, label) for c, label in code_choices("decrease") if c not in ("21", "31", "42")
        ]


class CheckinForm(StyledFormMixin, forms.Form):
    community = forms.TypedChoiceField(
        label="报到社区", coerce=int, required=False, empty_value=None
    )
    since = forms.DateField(label="报到日期", required=False, widget=DateInput())


class PlaceForm(StyledFormMixin, forms.Form):
    branch = ScopeChoiceField(label="党支部")
    group = forms.TypedChoiceField(label="党小组", coerce=int, required=False, empty_value=None)


class DossierRequirementForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label="材料名称", max_length=50)
    source = forms.CharField(label="依据", max_length=200, required=False)
    sort = forms.IntegerField(label="排序", min_value=0, max_value=999, initial=0)
    applies_to_probationary = forms.BooleanField(
        label="预备党员也需要", required=False, initial=True
    )
    is_active = forms.BooleanField(label="启用", required=False, initial=True)


class DossierRequirementEditForm(EditFormMixin, DossierRequirementForm):
    """Changes a stored requirement: a stale form is refused."""
