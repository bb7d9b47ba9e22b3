from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.core.models import AuditLog
from dangjian.dues.models import DuesProfile
from dangjian.dues.selectors import dues_profile_on, expected_amount
from dangjian.dues.services import dues_profile_set
from dangjian.members.tests.factories import make_member

D = dt.date


@pytest.fixture
def member(people: Any, tree: Any) -> Any:
    return make_member(people.township_a, tree.village_a1, name="陈秀英")


def set_profile(actor: Any, member: Any, month: dt.date, today: dt.date, **kw: Any) -> Any:
    kw.setdefault("category", "salaried")
    kw.setdefault("monthly_base", Decimal("4500.00"))
    return dues_profile_set(actor=actor, member=member, effective_month=month, today=today, **kw)


def test_pay_change_mid_year_counts_from_its_month_only(people: Any, member: Any) -> None:
    set_profile(people.village_secretary, member, D(2026, 1, 1), D(2026, 1, 10))
    set_profile(
        people.village_secretary,
        member,
        D(2026, 6, 1),
        D(2026, 6, 5),
        monthly_base=Decimal("8000.00"),
    )
    assert expected_amount(member, D(2025, 12, 1)) is None
    amounts = {m: expected_amount(member, D(2026, m, 1)) for m in range(1, 13)}
    assert amounts == {m: Decimal("45.00") if m < 6 else Decimal("120.00") for m in range(1, 13)}
    # Any day of a month answers for that month.
    assert expected_amount(member, D(2026, 5, 31)) == Decimal("45.00")


def test_retirement_switches_category_and_base(people: Any, member: Any) -> None:
    set_profile(people.township_a, member, D(2026, 1, 1), D(2026, 1, 1))
    set_profile(
        people.township_a,
        member,
        D(2026, 3, 1),
        D(2026, 3, 1),
        category="retired",
        monthly_base=Decimal("5000.01"),
    )
    profile = dues_profile_on(member, D(2026, 4, 1))
    assert profile is not None
    assert profile.base_kind == "养老金"
    assert expected_amount(member, D(2026, 4, 1)) == Decimal("50.00")


def test_correction_in_the_same_month_wins(people: Any, member: Any) -> None:
    set_profile(people.township_a, member, D(2026, 2, 1), D(2026, 2, 1))
    set_profile(
        people.township_a, member, D(2026, 2, 1), D(2026, 2, 2), monthly_base=Decimal("3000")
    )
    assert expected_amount(member, D(2026, 2, 1)) == Decimal("15.00")
    assert DuesProfile.objects.filter(member=member).count() == 2


def test_fixed_category_stores_no_base(people: Any, member: Any) -> None:
    p = set_profile(people.township_a, member, D(2026, 2, 1), D(2026, 2, 1), category="student")
    assert p.monthly_base is None
    assert p.base_kind == ""
    assert expected_amount(member, D(2026, 2, 1)) == Decimal("0.20")


# Seen from July 2026, the earliest month is January 2026 (补交 at most 6 months back).
@pytest.mark.parametrize(
    ("month", "today", "ok"),
    [
        (D(2025, 12, 1), D(2026, 7, 15), False),  # the month before the limit
        (D(2026, 1, 1), D(2026, 7, 15), True),  # the month of the limit
        (D(2026, 2, 1), D(2026, 7, 15), True),  # the month after
        (D(2026, 1, 1), D(2026, 7, 31), True),  # the day before the limit moves on
        (D(2026, 1, 1), D(2026, 8, 1), False),  # the day it moves on
        (D(2026, 1, 1), D(2026, 8, 2), False),  # the day after
        (D(2026, 8, 1), D(2026, 7, 31), True),  # next month may be set in advance
        (D(2026, 9, 1), D(2026, 7, 31), False),  # but no further
    ],
)
def test_back_dating_limit(
    people: Any, member: Any, month: dt.date, today: dt.date, ok: bool
) -> None:
    if ok:
        set_profile(people.township_a, member, month, today)
        assert DuesProfile.objects.filter(member=member).count() == 1
    else:
        with pytest.raises(ValidationError) as exc:
            set_profile(people.township_a, member, month, today)
        assert "起始月份最" in exc.value.messages[0]
        assert not DuesProfile.objects.filter(member=member).exists()


def test_effective_month_must_be_the_first(people: Any, member: Any) -> None:
    with pytest.raises(ValidationError, match="1 日"):
        set_profile(people.township_a, member, D(2026, 2, 2), D(2026, 2, 2))


def test_bad_base_writes_nothing(people: Any, member: Any) -> None:
    with pytest.raises(ValidationError, match="不能为负数"):
        set_profile(
            people.township_a, member, D(2026, 2, 1), D(2026, 2, 1), monthly_base=Decimal("-1")
        )
    assert not DuesProfile.objects.exists()
    assert not AuditLog.objects.filter(action="dues.profile_set").exists()


@pytest.mark.parametrize("who", ["inspector", "township_b", "member", "nobody"])
def test_only_member_editors_may_set(people: Any, member: Any, who: str) -> None:
    with pytest.raises(PermissionDenied):
        set_profile(getattr(people, who), member, D(2026, 2, 1), D(2026, 2, 1))
    assert not DuesProfile.objects.exists()


def test_setting_is_audited(people: Any, member: Any) -> None:
    p = set_profile(people.village_secretary, member, D(2026, 2, 1), D(2026, 2, 1))
    log = AuditLog.objects.get(action="dues.profile_set")
    assert log.actor == people.village_secretary
    assert log.object_id == str(p.pk)
    assert log.org_path == member.org_path
    assert log.changes["monthly_amount"] == "45.00"
    assert log.changes["monthly_base"] == "4500.00"
