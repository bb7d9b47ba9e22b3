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
from dangjian.meetings.services import AttendanceMark


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


class MeetingPlanForm(MeetingForm):
    """A meeting announced ahead: no minutes yet (they are recorded once it is held)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        del self.fields["minutes"]
        self.fields["held_at"].help_text = "须晚于当前时间；保存后立即通知应到党员"


class MeetingPlanEditForm(EditFormMixin, MeetingPlanForm):
    """A planned meeting's details other than its time (改期 changes the time and re-notifies)."""

    def __init__(self, *args: Any, **kwargs: Any):
        super().__init__(*args, **kwargs)
        self.fields["held_at"].disabled = True
        self.fields["held_at"].help_text = "修改时间请用“改期”，改期后会重新通知党员"

    def record_data(self) -> dict[str, Any]:
        return {k: v for k, v in super().record_data().items() if k != "held_at"}


class RescheduleForm(StyledFormMixin, forms.Form):
    held_at = forms.DateTimeField(
        label="新的召开时间",
        widget=DateTimeInput(),
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M", "%Y-%m-%dT%H:%M:%S"],
        error_messages={"required": "请填写新的召开时间", "invalid": "召开时间格式不正确"},
    )
    place = forms.CharField(label="地点", max_length=200, required=False)
    reason = forms.CharField(label="改期原因", max_length=200, required=False)


class CancelForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label="取消原因", max_length=200, error_messages={"required": "取消会议请填写原因"}
    )


def status_field(member_id: int) -> str:
    return f"status-{member_id}"


def reason_field(member_id: int) -> str:
    return f"reason-{member_id}"


class AttendanceSheetForm(EditFormMixin, forms.Form):
    """The whole attendance sheet (one status and reason per invited member), saved at once.

    One stale-form token covers every line: a check-in or another recorder's save in between
    refuses the save instead of overwriting it."""

    def __init__(self, *args: Any, rows: list[Attendance], **kwargs: Any):
        initial: dict[str, Any] = {}
        for r in rows:
            initial[status_field(r.member_id)] = r.status
            initial[reason_field(r.member_id)] = r.reason
        super().__init__(*args, initial=initial, **kwargs)
        self.rows = rows
        for r in rows:
            name = r.member.name
            self.fields[status_field(r.member_id)] = forms.ChoiceField(
                label=f"{name}的出席情况",
                choices=Attendance.Status.choices,
                error_messages={"invalid_choice": f"{name}：出席情况不正确"},
                widget=forms.Select(attrs={"class": "form-select form-select-sm w-auto"}),
            )
            self.fields[reason_field(r.member_id)] = forms.CharField(
                label=f"{name}的请假事由",
                max_length=200,
                required=False,
                widget=forms.TextInput(
                    attrs={"class": "form-control form-control-sm", "placeholder": "请假事由"}
                ),
            )

    def lines(self) -> list[tuple[Attendance, Any, Any]]:
        """(row, status field, reason field) per invited member, for the template."""
        return [
            (r, self[status_field(r.member_id)], self[reason_field(r.member_id)]) for r in self.rows
        ]

    def marks(self) -> list[AttendanceMark]:
        data = self.cleaned_data
        return [
            AttendanceMark(
                member_id=r.member_id,
                status=data[status_field(r.member_id)],
                reason=data.get(reason_field(r.member_id), ""),
            )
            for r in self.rows
        ]


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
