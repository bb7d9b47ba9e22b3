from __future__ import annotations

from typing import Any

from django import forms

from dangjian.core.forms import DateInput, EditFormMixin, StyledFormMixin
from dangjian.orgs.models import Organization, OrgLink
from dangjian.orgs.rules import child_types_allowed


class OrgFieldsForm(StyledFormMixin, forms.Form):
    name = forms.CharField(label="组织全称", max_length=100)
    short_name = forms.CharField(label="简称", max_length=50, required=False)
    code = forms.CharField(
        label="组织代码", max_length=32, required=False, help_text="留空则由系统自动编号"
    )
    sector = forms.ChoiceField(label="所在领域", choices=Organization.Sector.choices)
    is_retiree = forms.BooleanField(label="离退休党组织", required=False)
    is_mobile = forms.BooleanField(label="流动党员党组织", required=False)
    established_on = forms.DateField(label="成立日期", required=False, widget=DateInput())
    unit_name = forms.CharField(label="所在单位", max_length=100, required=False)
    unit_credit_code = forms.CharField(label="统一社会信用代码", max_length=18, required=False)
    address = forms.CharField(label="地址", max_length=200, required=False)
    phone = forms.CharField(label="联系电话", max_length=30, required=False)
    term_start = forms.DateField(label="本届任期开始", required=False, widget=DateInput())
    term_end = forms.DateField(label="本届任期届满", required=False, widget=DateInput())


class OrgEditForm(EditFormMixin, OrgFieldsForm):
    """An existing organization's fields; refused when someone saved them meanwhile."""


class OrgCreateForm(OrgFieldsForm):
    org_type = forms.ChoiceField(label="组织类别")
    field_order = ["org_type", "name", "short_name", "code", "sector"]

    def __init__(self, *args: Any, parent: Organization, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        labels = dict(Organization.Type.choices)
        choices = [(t, labels[t]) for t in child_types_allowed(parent.org_type)]
        self.fields["org_type"].choices = choices  # type: ignore[attr-defined]
        self.initial.setdefault("sector", parent.sector)


class OrgMoveForm(StyledFormMixin, forms.Form):
    new_parent = forms.IntegerField(label="新的上级组织", widget=forms.HiddenInput)


class OrgLinkForm(StyledFormMixin, forms.Form):
    kind = forms.ChoiceField(label="联建类型", choices=OrgLink.Kind.choices)
    partner = forms.IntegerField(label="参与组织", widget=forms.HiddenInput)
    started_on = forms.DateField(label="开始日期", widget=DateInput())
    note = forms.CharField(label="说明", max_length=200, required=False)
