"""Input parsing for the findings pages."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from dangjian.core.forms import DateInput, StyledFormMixin, Textarea
from dangjian.findings.models import Finding


class FindingForm(StyledFormMixin, forms.Form):
    title = forms.CharField(label="问题", max_length=200)
    description = forms.CharField(
        label="问题描述", required=False, widget=Textarea(attrs={"rows": 4})
    )
    category = forms.ChoiceField(label="问题类别", choices=Finding.Category.choices)
    severity = forms.ChoiceField(label="严重程度", choices=Finding.Severity.choices)
    found_on = forms.DateField(label="发现日期", widget=DateInput, initial=timezone.localdate)


class ResponsibilityForm(StyledFormMixin, forms.Form):
    owner_name = forms.CharField(label="责任人", max_length=50)
    role = forms.CharField(label="责任", max_length=100, required=False)


class RemedyForm(StyledFormMixin, forms.Form):
    measure = forms.CharField(label="整改措施", widget=Textarea(attrs={"rows": 2}))
    owner_name = forms.CharField(label="责任人", max_length=50)
    deadline = forms.DateField(label="整改时限", widget=DateInput)


class RemedyDoneForm(StyledFormMixin, forms.Form):
    done_on = forms.DateField(label="完成日期", widget=DateInput, initial=timezone.localdate)
    evidence = forms.CharField(label="整改成效", required=False, widget=Textarea(attrs={"rows": 2}))
    evidence_file = forms.FileField(label="佐证材料（图片或 PDF）", required=False)


class VerdictForm(StyledFormMixin, forms.Form):
    verdict = forms.CharField(label="验收意见", required=False, widget=Textarea(attrs={"rows": 2}))
