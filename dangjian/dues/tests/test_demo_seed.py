"""The demo dues on the persona tree: consistent rows, arrears, a raise, an exemption, a
one-off to 中央, the demo member paid through last month; deterministic."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from django.db.models import F, Sum

from dangjian.demo.dues import seed_dues, seed_dues_rows
from dangjian.dues.models import DuesMonth, DuesPayment, DuesProfile, DuesReduction
from dangjian.dues.rules import add_months
from dangjian.dues.selectors import lapse_alerts, paid_through
from dangjian.dues.tests.factories import TODAY
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member


@pytest.fixture
def county(people: Any, tree: Any) -> Any:
    for branch, n in (
        (tree.village_a1, 12),
        (tree.village_a2, 10),
        (tree.village_b1, 10),
        (tree.bureau, 12),
    ):
        for i in range(n):
            make_member(people.county_admin, branch, name=f"党员{branch.pk}-{i}")
    demo = make_member(people.county_admin, tree.village_a1, name="陈秀英")
    Member.objects.filter(pk=demo.pk).update(user=people.member)
    return tree


def test_demo_dues_are_consistent_and_varied(county: Any, people: Any) -> None:
    counts = seed_dues_rows(rng_seed=42, today=TODAY, scale="county")
    assert counts["payments"] == DuesPayment.objects.count() > 200
    assert DuesProfile.objects.values("member_id").distinct().count() == Member.objects.count()
    assert DuesMonth.objects.filter(month=add_months(TODAY.replace(day=1), -11)).exists()
    # Paid on the months equals the regular payments.
    regular = DuesPayment.objects.filter(kind="regular").aggregate(s=Sum("amount"))["s"]
    assert DuesMonth.objects.aggregate(s=Sum("paid"))["s"] == regular
    # Arrears, a lapse alert, partial months.
    assert DuesMonth.objects.filter(paid__lt=F("expected"), month__lt=TODAY.replace(day=1)).exists()
    alerts = lapse_alerts(org=county.county, today=TODAY)
    assert any(a.branch_id == county.village_a1.pk for a in alerts)
    # The demo member: paid through last month, owes this month.
    demo = Member.objects.get(name="陈秀英")
    assert paid_through(demo) == add_months(TODAY.replace(day=1), -1)
    # An exemption approved and an application open in the demo branch; a one-off to 中央.
    assert DuesReduction.objects.filter(branch=county.village_a1, state="applied").exists()
    approved = DuesReduction.objects.get(branch=county.village_a1, state="approved")
    assert DuesMonth.objects.filter(reduction=approved, expected=0).exists()
    assert DuesPayment.objects.filter(
        kind="one_off", to_central=True, amount__gte=Decimal("1000")
    ).exists()
    # Running again writes nothing (every branch has profiles now).
    assert seed_dues(rng_seed=42, today=TODAY, scale="county") == 0


def test_province_scale_writes_nothing(county: Any) -> None:
    assert seed_dues(rng_seed=1, today=TODAY, scale="province") == 0
    assert not DuesMonth.objects.exists()


def test_city_scale_is_bounded_to_three_months(county: Any) -> None:
    seed_dues(rng_seed=3, today=TODAY, scale="city")
    months = set(DuesMonth.objects.values_list("month", flat=True))
    assert months == {add_months(TODAY.replace(day=1), -i) for i in range(3)}
