"""A secretary of one branch never picks 所在党支部: every form that asks for an organization
from the viewer's scope uses ``core.forms.ScopeChoiceField``, which preselects a lone choice and
shows it read-only."""

from __future__ import annotations

from typing import Any

import lxml.html
import pytest
from django import forms

from dangjian.core.forms import ONLY_CHOICE_HINT, ScopeChoiceField
from dangjian.members.forms import MemberForm
from tests.test_edit_forms import _all_form_classes

# Fields that pick the organization a new row belongs to (or moves to).
ORG_FIELD_NAMES = {"org", "branch"}


class _Form(forms.Form):
    org = ScopeChoiceField(label="党组织")


def test_a_lone_choice_is_preselected_read_only_and_wins_over_what_is_posted() -> None:
    form = _Form({"org": "999"})
    form.fields["org"].choices = [(7, "甲村党支部")]  # type: ignore[attr-defined]
    assert form.fields["org"].disabled
    assert form.fields["org"].help_text == ONLY_CHOICE_HINT
    assert form.is_valid(), form.errors
    assert form.cleaned_data["org"] == 7
    html = str(form["org"])
    assert "disabled" in html
    assert "甲村党支部" in html


def test_a_lone_choice_is_used_when_nothing_is_posted() -> None:
    form = _Form({})
    form.fields["org"].choices = [("", "请选择"), (7, "甲村党支部")]  # type: ignore[attr-defined]
    assert form.is_valid(), form.errors
    assert form.cleaned_data["org"] == 7


def test_two_choices_are_a_real_pick() -> None:
    form = _Form({"org": "8"})
    form.fields["org"].choices = [(7, "甲村党支部"), (8, "第一党小组")]  # type: ignore[attr-defined]
    assert not form.fields["org"].disabled
    assert form.is_valid()
    assert form.cleaned_data["org"] == 8
    refused = _Form({"org": "9"})
    refused.fields["org"].choices = [(7, "甲"), (8, "乙")]  # type: ignore[attr-defined]
    assert not refused.is_valid()


def test_an_optional_field_is_never_forced() -> None:
    class Optional(forms.Form):
        org = ScopeChoiceField(label="党组织", required=False)

    form = Optional({})
    form.fields["org"].choices = [(7, "甲村党支部")]  # type: ignore[attr-defined]
    assert not form.fields["org"].disabled


def _org_fields(form_class: type[forms.BaseForm]) -> dict[str, Any]:
    fields = dict(form_class.base_fields)
    if form_class is MemberForm:  # its 所在党支部 is added when creating
        fields = dict(MemberForm(creating=True, branches=[]).fields)
    return {n: f for n, f in fields.items() if n in ORG_FIELD_NAMES}


@pytest.mark.django_db  # some forms read code tables for their choices
def test_every_form_that_picks_an_organization_uses_the_shared_field() -> None:
    wrong, found = [], 0
    for cls in _all_form_classes():
        for name, f in _org_fields(cls).items():
            if isinstance(f, forms.ChoiceField) and not isinstance(f, forms.ModelChoiceField):
                found += 1
                if not isinstance(f, ScopeChoiceField):
                    wrong.append(f"{cls.__module__}.{cls.__name__}.{name}")
    assert found >= 5
    assert wrong == []


@pytest.mark.django_db
def test_the_secretary_of_one_branch_sees_it_chosen_on_the_new_member_form(
    people: Any, login: Any, tree: Any
) -> None:
    html = login(people.village_secretary).get("/members/new/").content.decode()
    doc = lxml.html.fromstring(html)
    (select,) = doc.xpath("//select[@name='branch']")
    assert select.get("disabled") is not None
    assert [o.text_content() for o in select.xpath(".//option[@value!='']")] == [
        tree.village_a1.name
    ]
    assert ONLY_CHOICE_HINT in html
