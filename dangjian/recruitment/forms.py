"""Page input for 发展党员: parse, then hand to a service (which holds every rule)."""

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
from dangjian.members.rules import code_labels
from dangjian.recruitment.models import DocumentKind
from dangjian.recruitment.services import ACTIVIST_METHODS, ARCHIVE_MATERIALS, OUTCOMES


def _codes(table: str) -> list[tuple[str, str]]:
    return [("", "请选择")] + list(code_labels(table).items())


class ApplicantForm(StyledFormMixin, forms.Form):
    org = ScopeChoiceField(label="党支部")
    name = forms.CharField(label="姓名", max_length=50)
    id_number = forms.CharField(
        label="公民身份号码", max_length=18, help_text="出生日期和性别由身份证号码读出"
    )
    ethnicity = forms.ChoiceField(label="民族", choices=())
    education = forms.ChoiceField(label="学历", choices=())
    job = forms.ChoiceField(label="工作岗位", choices=())
    mobile = forms.CharField(label="联系电话", max_length=11, required=False)
    unit = forms.CharField(label="工作单位及职务", max_length=100, required=False)
    address = forms.CharField(label="家庭住址", max_length=200, required=False)
    is_farmer = forms.BooleanField(
        label="农民（发展计划单列）", required=False, help_text="发展农民党员计划单列（地方要求）"
    )
    applied_on = forms.DateField(
        label="递交入党申请书日期",
        widget=DateInput(),
        error_messages={"required": "请填写递交入党申请书日期", "invalid": "日期格式不正确"},
    )
    note = forms.CharField(
        label="情况记录", widget=Textarea(attrs={"rows": 2}), required=False, max_length=2000
    )

    def __init__(self, *args: Any, orgs: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["org"].choices = orgs  # type: ignore[attr-defined]
        self.fields["ethnicity"].choices = _codes("ethnicity")  # type: ignore[attr-defined]
        self.fields["education"].choices = _codes("education")  # type: ignore[attr-defined]
        self.fields["job"].choices = _codes("job")  # type: ignore[attr-defined]
        self.fields["ethnicity"].initial = "01"

    def applicant_data(self) -> dict[str, Any]:
        data = dict(self.cleaned_data)
        data.pop("org")
        data.pop("note")
        return data


class StepForm(StyledFormMixin, forms.Form):
    """Every figure a step may carry; the template shows the ones of the step being recorded."""

    number = forms.IntegerField(widget=forms.HiddenInput, min_value=1, max_value=99)
    done_on = forms.DateField(
        label="日期",
        widget=DateInput(),
        error_messages={"required": "请填写日期", "invalid": "日期格式不正确"},
    )
    people = forms.TypedMultipleChoiceField(
        label="党员", coerce=int, choices=(), required=False, widget=forms.SelectMultiple
    )
    people_names = forms.CharField(label="参与人员", max_length=200, required=False)
    note = forms.CharField(
        label="情况记录", widget=Textarea(attrs={"rows": 3}), required=False, max_length=2000
    )
    method = forms.ChoiceField(
        label="推荐方式", choices=[("", "请选择"), *ACTIVIST_METHODS.items()], required=False
    )
    result = forms.ChoiceField(
        label="政治审查结论",
        choices=[("", "请选择"), ("pass", "合格"), ("fail", "不合格")],
        required=False,
    )
    days = forms.IntegerField(label="培训天数", min_value=0, max_value=365, required=False)
    hours = forms.IntegerField(label="培训学时", min_value=0, max_value=2000, required=False)
    notice_start = forms.DateField(label="公示开始日期", widget=DateInput(), required=False)
    # The label carries the rule's number of months; the view sets it from the rule set.
    leaving_soon = forms.BooleanField(label="将离开工作、学习单位", required=False)
    form_number = forms.CharField(label="入党志愿书编号", max_length=30, required=False)
    entitled = forms.IntegerField(
        label="应到会有表决权的正式党员", min_value=0, max_value=10000, required=False
    )
    present = forms.IntegerField(
        label="实到有表决权的正式党员", min_value=0, max_value=10000, required=False
    )
    votes_for = forms.IntegerField(label="赞成", min_value=0, max_value=10000, required=False)
    votes_against = forms.IntegerField(label="反对", min_value=0, max_value=10000, required=False)
    votes_abstain = forms.IntegerField(label="弃权", min_value=0, max_value=10000, required=False)
    outcome = forms.ChoiceField(label="结果", choices=(), required=False)
    extend_months = forms.IntegerField(
        label="延长预备期（月）", min_value=0, max_value=120, required=False
    )
    delay_reason = forms.CharField(label="延长审批的原因", max_length=200, required=False)
    group = forms.TypedChoiceField(label="编入党小组", coerce=int, choices=(), required=False)
    materials = forms.MultipleChoiceField(
        label="已归档材料",
        choices=[(m, m) for m in ARCHIVE_MATERIALS],
        required=False,
        widget=forms.CheckboxSelectMultiple,
    )

    DATA_FIELDS = (
        "method", "result", "days", "hours", "notice_start", "leaving_soon", "form_number",
        "entitled", "present", "votes_for", "votes_against", "votes_abstain", "outcome",
        "extend_months", "delay_reason", "group", "materials",
    )  # fmt: skip

    def __init__(
        self,
        *args: Any,
        people: list[tuple[int, str]] | None = None,
        groups: list[tuple[int, str]] | None = None,
        outcomes: list[tuple[str, str]] | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["people"].choices = people or []  # type: ignore[attr-defined]
        self.fields["group"].choices = [("", "不编入党小组")] + (groups or [])  # type: ignore[attr-defined]
        self.fields["outcome"].choices = [("", "请选择"), *(outcomes or [])]  # type: ignore[attr-defined]
        self.fields["materials"].widget.attrs["class"] = "form-check-input"
        self.fields["leaving_soon"].widget.attrs["class"] = "form-check-input"

    def step_data(self) -> dict[str, Any]:
        data = {}
        for name in self.DATA_FIELDS:
            value = self.cleaned_data.get(name)
            if value in (None, "", []):
                continue
            data[name] = value.isoformat() if hasattr(value, "isoformat") else value
        return data


APPROVAL_OUTCOMES = [("approved", "批准接收为预备党员"), ("rejected", "不予批准")]
CONVERSION_OUTCOMES = list(OUTCOMES.items())


class StopForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(label="终止原因", max_length=200)


class PlanForm(EditFormMixin, StyledFormMixin, forms.Form):
    """A year's plan of one organization: an edit of the stored plan (or of the empty one), so
    a plan someone saved meanwhile is not overwritten."""

    quota = forms.IntegerField(label="计划发展人数", min_value=0, max_value=100000)
    farmer_quota = forms.IntegerField(label="其中农民党员（单列）", min_value=0, max_value=100000)
    note = forms.CharField(label="说明", max_length=300, required=False)


class TemplateUploadForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="文书", choices=DocumentKind.choices)
    file = forms.FileField(label="Word 模板（.docx）")
    note = forms.CharField(label="说明", max_length=200, required=False)
