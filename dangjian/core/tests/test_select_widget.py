"""The site's ``Select`` writes exactly the HTML of Django's own select template."""

from __future__ import annotations

import pytest
from django import forms

from dangjian.core.forms import Select, StyledFormMixin


def _pair(choices, **field_kwargs):  # type: ignore[no-untyped-def]
    class Plain(StyledFormMixin, forms.Form):
        who = forms.TypedChoiceField(coerce=int, choices=choices, **field_kwargs)

    class Fast(StyledFormMixin, forms.Form):
        who = forms.TypedChoiceField(coerce=int, choices=choices, widget=Select, **field_kwargs)

    return Plain, Fast


CHOICES = [(1, "王立新（第一党支部）"), (2, '李"桂兰" <b>&</b>'), (30, "张振华")]


@pytest.mark.parametrize(
    ("data", "initial"),
    [(None, None), ({"who": "2"}, None), (None, {"who": 30}), ({"who": "999"}, None)],
)
def test_fast_select_renders_what_django_renders(data, initial) -> None:  # type: ignore[no-untyped-def]
    plain, fast = _pair(CHOICES)
    assert str(fast(data, initial=initial)["who"]) == str(plain(data, initial=initial)["who"])


def test_fast_select_keeps_groups_disabled_and_blank_choices() -> None:
    grouped = [("", "请选择"), ("甲镇", [(1, "王立新"), (2, "李桂兰")]), (3, "张振华")]
    plain, fast = _pair(grouped, disabled=True, required=False)
    html = str(fast(initial={"who": 2})["who"])
    assert html == str(plain(initial={"who": 2})["who"])
    assert '<optgroup label="甲镇">' in html
    assert " disabled" in html
    assert '<option value="2" selected>李桂兰</option>' in html


def test_fast_select_renders_hundreds_of_options_the_same() -> None:
    many = [(i, f"党员{i}（第{i % 7}党支部）") for i in range(500)]
    plain, fast = _pair(many)
    assert str(fast({"who": "250"})["who"]) == str(plain({"who": "250"})["who"])


def test_styled_forms_give_plain_selects_the_python_rendering() -> None:
    class Styled(StyledFormMixin, forms.Form):
        who = forms.ChoiceField(choices=CHOICES)
        many = forms.MultipleChoiceField(choices=CHOICES)

    form = Styled()
    assert type(form.fields["who"].widget) is Select
    assert form["who"].widget_type == "select"  # templates that test the kind still match
    assert type(form.fields["many"].widget) is forms.SelectMultiple
    assert type(Styled.base_fields["who"].widget) is forms.Select  # the class is untouched


def test_scope_pickers_added_after_styling_also_use_the_python_rendering() -> None:
    from dangjian.core.forms import ScopeChoiceField

    field = ScopeChoiceField(choices=[(1, "甲村党支部"), (2, "乙村党支部")])
    assert type(field.widget) is Select
