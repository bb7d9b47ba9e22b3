"""points_award_auto: the contract other capabilities call (idempotent, capped, closed periods)."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest

from dangjian.points.models import PointsEntry, PointsItem, PointsPeriod
from dangjian.points.services import points_award_auto
from dangjian.points.tests.factories import default_item, default_scheme, make_attendance, roll

__all__ = ["roll"]

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 11, 10)


def test_award_books_the_item_points_once_per_source(people, tree, roll):
    src = make_attendance(people.village_secretary, tree.village_a1, roll.me)
    first = points_award_auto(member=roll.me, rule_code="meeting_present", source=src, on=ON)
    again = points_award_auto(member=roll.me, rule_code="meeting_present", source=src, on=ON)
    assert first is not None
    assert first.points == Decimal("2")
    assert first.origin == PointsEntry.Origin.AUTO
    assert first.item == default_item("meeting_present")
    assert again is not None
    assert again.pk == first.pk
    assert PointsEntry.objects.count() == 1


def test_missing_or_inactive_rule_awards_nothing(people, tree, roll):
    src = make_attendance(people.village_secretary, tree.village_a1, roll.me)
    assert points_award_auto(member=roll.me, rule_code="no_such_rule", source=src, on=ON) is None
    PointsItem.objects.filter(code="meeting_present").update(is_active=False)
    assert points_award_auto(member=roll.me, rule_code="meeting_present", source=src, on=ON) is None
    assert PointsEntry.objects.count() == 0


def test_year_without_a_catalogue_awards_nothing(people, tree, roll):
    src = make_attendance(people.village_secretary, tree.village_a1, roll.me)
    on = dt.date(2030, 1, 5)
    assert points_award_auto(member=roll.me, rule_code="meeting_present", source=src, on=on) is None


def test_monthly_cap_limits_the_award_and_resets_next_month(people, tree, roll):
    # meeting_present: +2 each, at most 6 a month.
    got = []
    for _ in range(4):
        src = make_attendance(people.village_secretary, tree.village_a1, roll.me)
        e = points_award_auto(member=roll.me, rule_code="meeting_present", source=src, on=ON)
        got.append(e.points if e else None)
    assert got == [Decimal(2), Decimal(2), Decimal(2), None]
    src = make_attendance(people.village_secretary, tree.village_a1, roll.me)
    nxt = points_award_auto(
        member=roll.me, rule_code="meeting_present", source=src, on=dt.date(2026, 12, 1)
    )
    assert nxt is not None
    assert nxt.points == Decimal(2)


def test_closed_period_awards_nothing(people, tree, roll):
    PointsPeriod.objects.create(
        scheme=default_scheme(),
        kind="month",
        start=dt.date(2026, 10, 1),
        end=dt.date(2026, 10, 31),
        state="closed",
    )
    src = make_attendance(people.village_secretary, tree.village_a1, roll.me)
    for day, expect in ((dt.date(2026, 10, 31), None), (dt.date(2026, 11, 1), Decimal(2))):
        e = points_award_auto(member=roll.me, rule_code="meeting_present", source=src, on=day)
        assert (e.points if e else None) == expect


def test_service_order_item_is_in_the_default_catalogue():
    item = default_item("service_order_done")
    assert item.points > 0
    assert item.cap_period == "month"
    assert item.mode == "auto"
    assert default_item("meeting_absent_unexcused").points < 0
