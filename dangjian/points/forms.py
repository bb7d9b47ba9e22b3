"""Page input for 积分: parse, then hand to a service (which has the last word)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django import forms
from django.utils import timezone

from dangjian.core.forms import (
    DateInput,
    EditFormMixin,
    Select,
    StyledFormMixin,
    Textarea,
)
from dangjian.points.models import Category, PeriodKind, PointsItem

DATE_ERRORS = {"required": "请填写日期", "invalid": "日期格式不正确"}


def points_text(value: Decimal) -> str:
    """+3, -10, +0.5: a signed amount without trailing zeros."""
    text = f"{value.normalize():f}"
    return text if value < 0 else f"+{text}"


def _date_field(label: str) -> forms.DateField:
    return forms.DateField(
        label=label,
        widget=DateInput(),
        error_messages=DATE_ERRORS,
    )


class AwardForm(StyledFormMixin, forms.Form):
    member = forms.TypedChoiceField(label="党员", coerce=int, choices=(), widget=Select)
    item = forms.TypedChoiceField(label="积分项目", coerce=int, choices=())
    on = _date_field("发生日期")
    reason = forms.CharField(
        label="事由", max_length=300, error_messages={"required": "请填写事由"}
    )

    def __init__(
        self,
        *args: Any,
        members: list[tuple[int, str]],
        items: list[PointsItem],
        **kwargs: Any,
    ) -> None:
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["member"].choices = members  # type: ignore[attr-defined]
        self.fields["item"].choices = [  # type: ignore[attr-defined]
            (i.pk, f"{points_text(i.points)} {i.name}") for i in items
        ]


class ClaimForm(StyledFormMixin, forms.Form):
    item = forms.TypedChoiceField(label="申报项目", coerce=int, choices=())
    on = _date_field("发生日期")
    description = forms.CharField(
        label="情况说明",
        max_length=500,
        widget=Textarea(attrs={"rows": 3}),
        error_messages={"required": "请填写情况说明"},
    )
    evidence = forms.FileField(
        label="佐证照片",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": "image/*"}),
        help_text="活动照片或截图；标注“须附佐证”的项目必须上传",
    )

    def __init__(self, *args: Any, items: list[PointsItem], **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"on": timezone.localdate()})
        super().__init__(*args, **kwargs)
        self.fields["item"].choices = [  # type: ignore[attr-defined]
            (
                i.pk,
                f"{points_text(i.points)} {i.name}{'（须附佐证）' if i.evidence_required else ''}",
            )
            for i in items
        ]


class DecideForm(StyledFormMixin, forms.Form):
    approve = forms.TypedChoiceField(
        label="审核结果", coerce=lambda v: v == "1", choices=(("1", "通过"), ("0", "不通过"))
    )
    reason = forms.CharField(label="审核意见", max_length=300, required=False)


class ReasonForm(StyledFormMixin, forms.Form):
    reason = forms.CharField(
        label="原因", max_length=300, error_messages={"required": "请填写原因"}
    )


class CloseForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="周期", choices=PeriodKind.choices)
    start = _date_field("周期内任一天")


class CommitmentForm(EditFormMixin, StyledFormMixin, forms.Form):
    """This year's 承诺 of the member: an edit of the stored one (or of none yet)."""

    text = forms.CharField(
        label="我的承诺",
        max_length=300,
        widget=Textarea(attrs={"rows": 2}),
        error_messages={"required": "请填写承诺内容"},
    )


class SchemeForm(EditFormMixin, StyledFormMixin, forms.Form):
    """A base scheme's parameters (only ever edits a stored scheme: stale forms are refused)."""

    base_points = forms.DecimalField(label="基础分", max_digits=6, decimal_places=1)
    low_threshold = forms.DecimalField(label="预警分数线", max_digits=6, decimal_places=1)
    board_min_members = forms.IntegerField(label="张榜最少人数", min_value=1, max_value=1000)
    township_item_max_points = forms.DecimalField(
        label="乡镇补充项目单项分值上限", max_digits=6, decimal_places=1, min_value=0
    )
    township_items_max = forms.IntegerField(label="乡镇补充项目数上限", min_value=0, max_value=100)
    star_full_marks = forms.DecimalField(
        label="评分满分对应积分", max_digits=6, decimal_places=1, min_value=1
    )
    star_publicity_days = forms.IntegerField(label="星级公示工作日", min_value=1, max_value=30)


class ItemForm(StyledFormMixin, forms.Form):
    code = forms.SlugField(label="代码", max_length=50, help_text="英文字母、数字、下划线")
    name = forms.CharField(label="项目", max_length=100)
    category = forms.ChoiceField(label="类别", choices=Category.choices)
    points = forms.DecimalField(
        label="分值", max_digits=6, decimal_places=1, help_text="加分填正数，扣分填负数"
    )
    cap_period = forms.ChoiceField(
        label="封顶周期", choices=PointsItem.CapPeriod.choices, required=False
    )
    cap_points = forms.DecimalField(
        label="每期封顶分值", max_digits=6, decimal_places=1, required=False, min_value=0
    )
    mode = forms.ChoiceField(label="登记方式", choices=PointsItem.Mode.choices)
    self_report = forms.BooleanField(label="党员可申报", required=False)
    evidence_required = forms.BooleanField(label="须附佐证", required=False)
    source = forms.CharField(label="依据", max_length=200, required=False)


class StarStartForm(StyledFormMixin, forms.Form):
    year = forms.IntegerField(label="评定年度", min_value=2000, max_value=2100)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("initial", {"year": timezone.localdate().year})
        super().__init__(*args, **kwargs)


class AdjustForm(StyledFormMixin, forms.Form):
    score = forms.DecimalField(
        label="评分", max_digits=5, decimal_places=1, min_value=0, max_value=100
    )
    note = forms.CharField(
        label="调整说明", max_length=200, error_messages={"required": "请填写调整说明"}
    )
