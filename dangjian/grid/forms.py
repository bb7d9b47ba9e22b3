"""Page input for grids, households and 联户: parse, then a service."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django import forms

from dangjian.core.forms import (
    CheckboxClassMixin,
    EditFormMixin,
    ScopeChoiceField,
    StyledFormMixin,
    Textarea,
    checkboxes,
    date_field,
)


class GridForm(CheckboxClassMixin, StyledFormMixin, forms.Form):
    org = ScopeChoiceField(label="所属村（社区）")
    name = forms.CharField(label="网格名称", max_length=60)
    area_description = forms.CharField(
        label="网格范围",
        required=False,
        max_length=2000,
        widget=Textarea(attrs={"rows": 3}),
        help_text="如：村东 1—5 组，东至河堤、西至村道",
    )
    workers = checkboxes("网格员")
    is_active = forms.BooleanField(
        label="启用", required=False, help_text="停用的网格不再登记住户和记录，历史记录保留"
    )

    def __init__(
        self,
        *args: Any,
        orgs: list[tuple[int, str]] | None = None,
        workers: Sequence[tuple[int, str]] = (),
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        if orgs is None:
            del self.fields["org"]
        else:
            self.fields["org"].choices = orgs  # type: ignore[attr-defined]
            del self.fields["is_active"]
        self.fields["workers"].choices = list(workers)  # type: ignore[attr-defined]
        self._fix_checkboxes()


class GridEditForm(EditFormMixin, GridForm):
    """An existing grid; refused when someone saved it meanwhile."""


class HouseholdForm(CheckboxClassMixin, StyledFormMixin, forms.Form):
    address = forms.CharField(label="住址", max_length=200)
    head_name = forms.CharField(label="户主姓名", max_length=50)
    size = forms.IntegerField(
        label="家庭人口",
        min_value=1,
        max_value=30,
        error_messages={"min_value": "家庭人口应为 1–30 人", "max_value": "家庭人口应为 1–30 人"},
    )
    phone = forms.CharField(label="联系电话", max_length=20, required=False)
    head_id = forms.CharField(label="户主身份证号", max_length=18, required=False)
    tags = forms.MultipleChoiceField(
        label="标签", required=False, choices=(), widget=forms.CheckboxSelectMultiple
    )
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(
        self, *args: Any, tags: Sequence[tuple[str, str]] = (), editing: bool = False, **kwargs: Any
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["tags"].choices = list(tags)  # type: ignore[attr-defined]
        if editing:
            self.fields["phone"].help_text = "留空表示不修改；已登记的号码不在此显示"
            self.fields["head_id"].help_text = "留空表示不修改"
        self._fix_checkboxes()


class HouseholdEditForm(EditFormMixin, HouseholdForm):
    """An existing household; refused when someone saved it meanwhile."""


class LinkForm(CheckboxClassMixin, StyledFormMixin, forms.Form):
    member = forms.TypedChoiceField(label="联户党员", coerce=int, choices=())
    anchor = forms.TypedChoiceField(
        label="所属党员中心户", coerce=int, required=False, empty_value=None, choices=()
    )
    households = checkboxes("联系住户")
    started_on = date_field("联系开始日期")

    def __init__(
        self,
        *args: Any,
        members: list[tuple[int, str]],
        anchors: list[tuple[int, str]],
        households: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "请选择党员")] + members  # type: ignore[attr-defined]
        self.fields["anchor"].choices = [("", "不通过中心户（直接联户）")] + anchors  # type: ignore[attr-defined]
        self.fields["households"].choices = households  # type: ignore[attr-defined]
        self._fix_checkboxes()


class AnchorForm(StyledFormMixin, forms.Form):
    member = forms.TypedChoiceField(label="中心户党员", coerce=int, choices=())
    household = forms.TypedChoiceField(
        label="中心户住户（党员本户）", coerce=int, required=False, empty_value=None, choices=()
    )
    started_on = date_field("设立日期")
    note = forms.CharField(label="备注", max_length=200, required=False)

    def __init__(
        self,
        *args: Any,
        members: list[tuple[int, str]],
        households: list[tuple[int, str]],
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = [("", "请选择党员")] + members  # type: ignore[attr-defined]
        self.fields["household"].choices = [("", "暂不指定")] + households  # type: ignore[attr-defined]
