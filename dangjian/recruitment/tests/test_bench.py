"""The benchmark command runs on the test personas and prints app ÷ floor (no timing asserted)."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from dangjian.recruitment.tests.factories import make_applicant

pytestmark = pytest.mark.django_db


def test_bench_recruitment_prints_ratios_without_writing(tree, people) -> None:
    make_applicant(people.village_secretary, tree.village_a1)
    out = StringIO()
    call_command("bench_recruitment", "--no-write", "--runs", "1", stdout=out)
    text = out.getvalue()
    assert "(d) 全县概况页" in text
    assert "(f) 党支部看板页" in text
    assert "×" in text
    assert "已追加到" not in text
