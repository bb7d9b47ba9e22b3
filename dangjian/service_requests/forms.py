"""Input parsing for the staff pages of the five-order loop (the services validate the rules)."""

from __future__ import annotations

from typing import Any

from django import forms

from dangjian.core.forms import StyledFormMixin, Textarea
from dangjian.service_requests.models import Channel, CloseReason, HandlingLevel, Priority


class NoteForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label="说明", max_length=500, required=False, widget=Textarea(attrs={"rows": 2})
    )


class ReportForm(StyledFormMixin, forms.Form):
    note = forms.CharField(
        label="办理情况", max_length=500, required=False, widget=Textarea(attrs={"rows": 3})
    )


class DispatchForm(StyledFormMixin, forms.Form):
    members = forms.TypedMultipleChoiceField(label="承办党员", coerce=int, required=False)
    note = forms.CharField(label="派单说明", max_length=500, required=False)
    note_public = forms.BooleanField(label="说明对群众公开", required=False)

    def __init__(self, *args: Any, member_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].choices = member_choices  # type: ignore[attr-defined]


class CloseUnresolvedForm(StyledFormMixin, forms.Form):
    reason = forms.ChoiceField(
        label="关闭原因", choices=[c for c in CloseReason.choices if c[0]], required=False
    )
    note = forms.CharField(label="理由（群众可见）", max_length=500, required=False)
    duplicate_of = forms.CharField(label="重复于（受理编号）", max_length=16, required=False)


class EscalateForm(StyledFormMixin, forms.Form):
    to_level = forms.ChoiceField(
        label="升级到", choices=[("", "上一级")] + HandlingLevel.choices[1:], required=False
    )
    note = forms.CharField(label="督办理由", max_length=500, required=False)


class TransferForm(StyledFormMixin, forms.Form):
    grid = forms.TypedChoiceField(label="转至网格", coerce=int, required=False)
    note = forms.CharField(label="转办理由", max_length=500, required=False)

    def __init__(self, *args: Any, grid_choices: list[tuple[int, str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = [("", "请选择")] + grid_choices  # type: ignore[attr-defined]


class StaffEntryForm(StyledFormMixin, forms.Form):
    """电话、走访代录与红色代办: staff enter a request for a resident, with consent."""

    grid = forms.TypedChoiceField(label="网格", coerce=int)
    category = forms.ChoiceField(label="诉求类别")
    priority = forms.ChoiceField(label="优先级", choices=Priority.choices, required=False)
    channel = forms.ChoiceField(
        label="来源", choices=[c for c in Channel.choices if c[0] != Channel.ONLINE]
    )
    description = forms.CharField(label="诉求内容", widget=Textarea(attrs={"rows": 3}))
    address = forms.CharField(label="地点", max_length=200, required=False)
    resident_name = forms.CharField(label="群众姓名", max_length=30, required=False)
    resident_phone = forms.CharField(label="联系电话", max_length=20)
    consent_note = forms.CharField(
        label="群众同意情况",
        max_length=200,
        help_text="如：老人当面同意由网格员代为登记",
        required=False,
    )

    def __init__(
        self,
        *args: Any,
        grid_choices: list[tuple[int, str]],
        category_choices: list[tuple[str, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = grid_choices  # type: ignore[attr-defined]
        self.fields["category"].choices = category_choices  # type: ignore[attr-defined]
