"""Forms of 村情民意, 矛盾调解 and 乡贤 (the services check everything again)."""

from __future__ import annotations

import re
from collections.abc import Sequence
from typing import Any

from django import forms

from dangjian.community.models import LocalWorthy, Mediation, OpinionRecord
from dangjian.core.forms import (
    CheckboxClassMixin,
    EditFormMixin,
    ScopeChoiceField,
    StyledFormMixin,
    Textarea,
    checkboxes,
    date_field,
)


class OpinionForm(StyledFormMixin, forms.Form):
    grid = forms.TypedChoiceField(label="网格", coerce=int, choices=(), widget=forms.HiddenInput)
    collected_on = date_field("收集日期")
    category = forms.ChoiceField(label="类别", choices=OpinionRecord.Category.choices)
    content = forms.CharField(label="民意内容", max_length=2000, widget=Textarea(attrs={"rows": 4}))
    household = forms.TypedChoiceField(
        label="反映住户", coerce=int, required=False, empty_value=None, choices=()
    )

    def __init__(
        self,
        *args: Any,
        grids: list[tuple[int, str]],
        households: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = grids  # type: ignore[attr-defined]
        self.fields["household"].choices = [("", "不指定住户")] + list(households)  # type: ignore[attr-defined]


class OpinionHandleForm(StyledFormMixin, forms.Form):
    status = forms.ChoiceField(
        label="办理状态",
        choices=[c for c in OpinionRecord.Status.choices if c[0] != OpinionRecord.Status.RECEIVED],
    )
    handling = forms.CharField(
        label="办理情况", max_length=2000, widget=Textarea(attrs={"rows": 3})
    )
    result = forms.CharField(
        label="办理结果",
        max_length=2000,
        required=False,
        widget=Textarea(attrs={"rows": 2}),
        help_text="办结或答复时必填；未能解决的写明原因并选“已答复（未解决）”",
    )
    handled_on = date_field("办结日期", required=False)


PARTY_SPLIT = re.compile(r"[\n、,，;；]+")


class MediationForm(CheckboxClassMixin, StyledFormMixin, forms.Form):
    grid = forms.TypedChoiceField(label="网格", coerce=int, choices=(), widget=forms.HiddenInput)
    mediated_on = date_field("调解日期")
    dispute_type = forms.ChoiceField(label="纠纷类型", choices=Mediation.DisputeType.choices)
    parties = forms.CharField(
        label="当事人",
        max_length=1000,
        widget=Textarea(attrs={"rows": 2}),
        help_text="每行一人（或用顿号分隔）；保存后加密存储，列表中只显示姓氏",
    )
    summary = forms.CharField(label="纠纷概要", max_length=2000, widget=Textarea(attrs={"rows": 3}))
    place = forms.ChoiceField(label="调解地点", choices=Mediation.Place.choices)
    place_detail = forms.CharField(label="地点说明", max_length=100, required=False)
    mediator_users = checkboxes("调解人（网格员、村干部）")
    mediator_members = checkboxes("调解人（党员）")
    worthies = checkboxes("参与乡贤")
    outcome = forms.ChoiceField(
        label="调解结果", choices=Mediation.Outcome.choices, widget=forms.RadioSelect
    )
    referred_to = forms.CharField(label="转交单位", max_length=100, required=False)
    agreement = forms.CharField(
        label="调解协议",
        max_length=2000,
        required=False,
        widget=Textarea(attrs={"rows": 3}),
        help_text="调解成功时必填（口头协议请记录要点）",
    )

    def __init__(
        self,
        *args: Any,
        grids: list[tuple[int, str]],
        users: list[tuple[int, str]],
        members: list[tuple[int, str]],
        worthies: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["grid"].choices = grids  # type: ignore[attr-defined]
        self.fields["mediator_users"].choices = users  # type: ignore[attr-defined]
        self.fields["mediator_members"].choices = members  # type: ignore[attr-defined]
        self.fields["worthies"].choices = worthies  # type: ignore[attr-defined]
        self.fields["outcome"].widget.attrs["class"] = "form-check-input"
        self._fix_checkboxes()

    def clean_parties(self) -> list[str]:
        return [p.strip() for p in PARTY_SPLIT.split(self.cleaned_data["parties"]) if p.strip()]


class WorthyForm(StyledFormMixin, forms.Form):
    org = ScopeChoiceField(label="所在村（社区）")
    name = forms.CharField(label="姓名", max_length=50)
    background = forms.ChoiceField(label="身份背景", choices=LocalWorthy.Background.choices)
    specialty = forms.CharField(label="专长", max_length=100, required=False)
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    joined_on = date_field("聘请日期")
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        orgs: list[tuple[int, str]] | None = None,
        editing: bool = False,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if orgs is None:
            del self.fields["org"]
        else:
            self.fields["org"].choices = orgs  # type: ignore[attr-defined]
        if editing:
            self.fields["phone"].help_text = "留空表示不修改"


class WorthyEditForm(EditFormMixin, WorthyForm):
    """An existing 乡贤; refused when someone saved the record meanwhile."""
