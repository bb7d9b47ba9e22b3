"""Forms of the residents' pages. Field names are stable: browser tests and docs/intake.md use
them (township, village, grid, category, description, address, photos, resident_name,
resident_phone, code, extra_<code>; rating, reasons)."""

from __future__ import annotations

from typing import Any, cast

from django import forms

from dangjian.core.forms import StyledFormMixin, Textarea
from dangjian.core.uploads import MAX_BYTES
from dangjian.service_requests import intake
from dangjian.service_requests.models import Rating, RequestCategory
from dangjian.service_requests.services import MAX_DESCRIPTION, MAX_PHOTOS

UNSURE = ""  # the grid choice "不确定": the village's first grid takes it


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Up to ``MAX_PHOTOS`` image files, each at most ``MAX_BYTES``; the bytes are checked
    (and re-encoded, EXIF dropped) by the request service."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data: Any, initial: Any = None) -> list[Any]:
        files = [f for f in (data if isinstance(data, (list, tuple)) else [data]) if f]
        if len(files) > MAX_PHOTOS:
            raise forms.ValidationError(f"最多上传 {MAX_PHOTOS} 张照片")
        for f in files:
            if f.size > MAX_BYTES:
                raise forms.ValidationError(
                    f"照片“{f.name}”超过 {MAX_BYTES // 1024 // 1024} MB，请压缩后再上传"
                )
        return files


class OrgChoiceField(forms.ModelChoiceField):
    def label_from_instance(self, obj: Any) -> str:
        return intake.place_name(obj)


class IntakeForm(StyledFormMixin, forms.Form):
    category = forms.ModelChoiceField(
        label="诉求类别",
        queryset=RequestCategory.objects.filter(is_active=True).order_by("sort_order", "id"),
        empty_label="请选择类别",
    )
    township = OrgChoiceField(
        label="乡镇（街道）", queryset=intake.townships(), empty_label="请选择乡镇（街道）"
    )
    village = OrgChoiceField(
        label="村（社区）", queryset=intake.villages_of(None), empty_label="请选择村（社区）"
    )
    grid = forms.ChoiceField(label="网格", required=False)
    address = forms.CharField(
        label="具体地点",
        max_length=200,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "如：村委会东侧路口、3 组 12 号附近"}),
    )
    description = forms.CharField(
        label="诉求内容",
        max_length=MAX_DESCRIPTION,
        widget=Textarea(attrs={"rows": 4, "placeholder": "请说明遇到的问题和您的诉求"}),
    )
    photos = PhotosField(
        label="现场照片", required=False, help_text=f"最多 {MAX_PHOTOS} 张，每张不超过 10 MB"
    )
    resident_name = forms.CharField(
        label="您的称呼",
        max_length=30,
        required=False,
        widget=forms.TextInput(attrs={"placeholder": "如：王阿姨（可不填）"}),
    )
    resident_phone = forms.CharField(
        label="手机号码",
        max_length=11,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "tel", "placeholder": "11 位手机号"}
        ),
    )
    code = forms.CharField(
        label="短信验证码",
        max_length=6,
        widget=forms.TextInput(
            attrs={"inputmode": "numeric", "autocomplete": "one-time-code", "placeholder": "6 位"}
        ),
    )

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        data = self.data if self.is_bound else self.initial
        township_id = _int(data.get("township"))
        village_id = _int(data.get("village"))
        village_field = cast(forms.ModelChoiceField, self.fields["village"])
        village_field.queryset = intake.villages_of(township_id)
        grid_field = cast(forms.ChoiceField, self.fields["grid"])
        grid_field.choices = grid_choices(village_id)
        self.category_obj = _category(data.get("category"))
        for spec in self.category_obj.extra_fields if self.category_obj else []:
            self.fields[f"extra_{spec['code']}"] = extra_field(spec)

    def place_options(self, name: str) -> list[tuple[str, str, bool]]:
        """(value, place name, selected) for the township or village select."""
        field = cast(forms.ModelChoiceField, self.fields[name])
        current = str(self[name].value() or "")
        rows = field.queryset if field.queryset is not None else []
        return [(str(o.pk), intake.place_name(o), str(o.pk) == current) for o in rows]

    def township_options(self) -> list[tuple[str, str, bool]]:
        return self.place_options("township")

    def village_options(self) -> list[tuple[str, str, bool]]:
        return self.place_options("village")

    def extra_fields(self) -> list[Any]:
        return [self[name] for name in self.fields if name.startswith("extra_")]

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        village = data.get("village")
        township = data.get("township")
        if village is not None and township is not None and village.parent_id != township.pk:
            self.add_error("village", "所选村（社区）不在该乡镇（街道）")
            return data
        if village is not None:
            grid_id = data.get("grid") or UNSURE
            grid = (
                intake.default_grid(village.pk)
                if grid_id == UNSURE
                else intake.grids_of(village.pk).filter(pk=_int(grid_id) or 0).first()
            )
            if grid is None:
                self.add_error("grid", "请选择网格")
            data["grid_obj"] = grid
        data["extra"] = {
            name.removeprefix("extra_"): value
            for name, value in data.items()
            if name.startswith("extra_")
        }
        return data


def grid_choices(village_id: int | None) -> list[tuple[str, str]]:
    """The grid select's options: "不确定" first, then the village's grids."""
    choices = [(UNSURE, "不确定，由村（社区）分派")]
    # The grid's area (e.g. "1–3 组") helps a resident pick the right one.
    choices += [
        (str(g.pk), f"{g.name}（{g.area_description[:24]}）" if g.area_description else g.name)
        for g in intake.grids_of(village_id).only("id", "name", "area_description")
    ]
    return choices


def extra_field(spec: dict[str, Any]) -> forms.Field:
    """A form field for one Open311-style attribute of a category."""
    label, required = spec.get("label", spec["code"]), bool(spec.get("required"))
    field: forms.Field
    if spec.get("datatype") == "singlevaluelist":
        field = forms.ChoiceField(
            label=label,
            required=required,
            choices=[("", "请选择")] + [(v, v) for v in spec.get("values", [])],
        )
        field.widget.attrs["class"] = "form-select"
    elif spec.get("datatype") == "number":
        field = forms.CharField(label=label, required=required, max_length=9)
        field.widget.attrs.update({"class": "form-control", "inputmode": "numeric"})
    else:
        field = forms.CharField(label=label, required=required, max_length=200)
        field.widget.attrs["class"] = "form-control"
    return field


# Quick reasons a resident can tick (free text may follow); they are joined into the rating's
# reasons text, so staff read them like any written reason.
GOOD_REASONS = ("办理及时", "态度热情", "问题彻底解决")
BAD_REASONS = ("问题没有解决", "办理拖延", "态度不好", "没有联系我")


class RatingForm(StyledFormMixin, forms.Form):
    rating = forms.ChoiceField(
        label="您对办理结果是否满意",
        choices=[
            (Rating.SATISFIED, "满意"),
            (Rating.BASIC, "基本满意"),
            (Rating.UNSATISFIED, "不满意"),
        ],
        widget=forms.RadioSelect,
    )
    tags = forms.MultipleChoiceField(
        label="常见理由",
        required=False,
        choices=[(r, r) for r in GOOD_REASONS + BAD_REASONS],
        widget=forms.CheckboxSelectMultiple,
    )
    reasons = forms.CharField(
        label="评价理由",
        max_length=250,
        required=False,
        widget=Textarea(attrs={"rows": 3, "placeholder": "不满意时请说明原因"}),
    )

    def clean(self) -> dict[str, Any]:
        data = super().clean() or {}
        parts = [*data.get("tags", []), (data.get("reasons") or "").strip()]
        data["reasons"] = "；".join(p for p in parts if p)
        return data


class TrackForm(StyledFormMixin, forms.Form):
    code = forms.CharField(
        label="受理编号",
        max_length=16,
        widget=forms.TextInput(attrs={"placeholder": "如 261121ABC234", "autocomplete": "off"}),
    )


def _int(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _category(value: Any) -> RequestCategory | None:
    pk = _int(value)
    if pk is None:
        return None
    return RequestCategory.objects.filter(pk=pk, is_active=True).first()
