"""Dropdowns name things (男, 汉族, 书记); codes stay in exports and the API."""

from __future__ import annotations

import re

from dangjian.members.forms import MemberForm, code_choices
from dangjian.members.rules import code_labels


def test_code_table_choices_show_labels_only(db) -> None:
    choices = dict(code_choices("ethnicity"))
    assert choices["01"] == "汉族"
    assert choices[""] == "请选择"
    for table in (
        "sex",
        "ethnicity",
        "education",
        "job",
        "marital",
        "health",
        "degree",
        "party_post",
    ):
        for code, label in code_choices(table, blank=False):
            assert label == code_labels(table)[code]
            assert not re.match(r"^[0-9]{1,4}[A-Z]?\s", label), label


def test_the_member_form_renders_no_code_before_a_label(db) -> None:
    html = str(MemberForm(creating=False)["party_post"]) + str(MemberForm(creating=False)["sex"])
    options = re.findall(r"<option[^>]*>([^<]*)</option>", html)
    assert "男" in options
    assert not [o for o in options if re.match(r"^[0-9]{1,4}[A-Z]?\s", o)]
