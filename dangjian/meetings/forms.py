"""Page input for meeting records: parse, then hand to a service."""

from __future__ import annotations

from typing import Any

from django import forms
from django.utils.html import escape

from dangjian.core.forms import (
    DateTimeInput,
    EditFormMixin,
    ScopeChoiceField,
    StyledFormMixin,
    Textarea,
)
from dangjian.meetings.models import Attendance, MeetingType


def plain_text_to_html(text: str) -> str:
    """Minutes typed as plain text become paragraphs; text with tags is left for nh3 to clean."""
    text = (text or "").strip()
    if not text or "<" in text:
        return text
    return "".join(f"<p>{escape(line)}</p>" for line in text.splitlines() if line.strip())


class MeetingForm(StyledFormMixin, forms.Form):
    org = ScopeChoiceField(label="党组织")
    types = forms.MultipleChoiceField(
        label="会议类型",
        choices=MeetingType.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="一次会议可同时计入多种类型（如主题党日 + 支部党员大会 + 党课）",
        error_messages={"required": "请至少选择一种会议类型"},
    )
    held_at = forms.DateTimeField(
        label="召开时间",
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        error_messages={"required": "请填写召开时间", "invalid": "召开时间格式不正确"},
    )
    topic = forms.CharField(label="会议主题", max_length=200)
    place = forms.CharField(label="地点", max_length=200, required=False)
    host_name = forms.CharField(label="主持人", max_length=50, required=False)
    recorder_name = forms.CharField(label="记录人", max_length=50, required=False)
    agenda = forms.CharField(label="议程", widget=Textarea(attrs={"rows": 3}), required=False)
    minutes = forms.CharField(
        label="会议记录",
        widget=Textarea(attrs={"rows": 8}),
        required=False,
        help_text="可直接输入文字（每行一段），也可粘贴带格式的内容；只保留段落、加粗、列表、表格等格式",
    )

    def __init__(self, *args: Any, orgs: list[tuple[int, str]] | None = None, **kwargs: Any):
        super().__init__(*args, **kwargs)
        if orgs is None:
            del self.fields["org"]
        else:
            self.fields["org"].choices = orgs  # type: ignore[attr-defined]
        self.fields["types"].widget.attrs["class"] = "form-check-input"

    def clean_minutes(self) -> str:
        return plain_text_to_html(self.cleaned_data.get("minutes", ""))

    def record_data(self) -> dict[str, Any]:
        return {k: v for k, v in self.cleaned_data.items() if k != "org"}


class MeetingEditForm(EditFormMixin, MeetingForm):
    """An existing meeting record; refused when someone saved it meanwhile."""


class AttendanceForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(label="出席情况", choices=Attendance.Status.choices)
    reason = forms.CharField(label="请假事由", max_length=200, required=False)


class AttendanceEditForm(EditFormMixin, AttendanceForm):
    """One attendance row; refused when it changed meanwhile (a check-in, another recorder)."""


class ReviewForm(StyledFormMixin, forms.Form):
    decision = forms.ChoiceField(choices=[("approve", "审核通过"), ("return", "退回")])
    comment = forms.CharField(
        label="审核意见", widget=Textarea(attrs={"rows": 2}), required=False, max_length=1000
    )


class CheckinForm(StyledFormMixin, forms.Form):
    code = forms.CharField(
        label="签到码",
        max_length=64,
        widget=forms.TextInput(
            attrs={
                "autocomplete": "off",
                "autocapitalize": "characters",
                "inputmode": "text",
                "placeholder": "6 位签到码",
            }
        ),
        error_messages={"required": "请输入签到码"},
    )


class FilesForm(forms.Form):
    caption = forms.CharField(label="说明", max_length=200, required=False)
