"""The demo 积分 on the persona tree: attendance booked once, closes that reconcile, stars."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db.models import Count

from dangjian.demo.points import seed_points
from dangjian.meetings import services as meetings
from dangjian.meetings.tests.factories import make_meeting
from dangjian.points.models import (
    Commitment,
    PointsClaim,
    PointsEntry,
    PointsPeriod,
    StarRating,
    StarReview,
)
from dangjian.points.selectors import period_reconcile
from dangjian.points.tests.factories import TODAY, roll

__all__ = ["roll"]

pytestmark = pytest.mark.django_db


@pytest.fixture
def seeded(people, tree, roll, settings, tmp_path):
    settings.MEDIA_ROOT = str(tmp_path)
    from django.utils import timezone

    held = timezone.make_aware(dt.datetime(2026, 6, 5, 9, 0))
    m = make_meeting(people.village_secretary, tree.village_a1, held_at=held)
    for member in roll.branch[:5]:
        meetings.attendance_set(
            actor=people.village_secretary, meeting=m, member=member, status="present"
        )
    meetings.meeting_submit(actor=people.village_secretary, meeting=m)
    # Approved through the service: the approval books the attendance points already.
    meetings.meeting_approve(actor=people.township_a, meeting=m)
    booked = PointsEntry.objects.count()
    PointsEntry.objects.all().delete()  # the demo books them itself on an empty ledger
    n = seed_points(rng_seed=3, today=TODAY, scale="county")
    return n, booked


def test_demo_books_attendance_like_the_approval(seeded, roll):
    n, booked = seeded
    auto = PointsEntry.objects.filter(origin="auto")
    assert auto.count() == booked == 6
    assert n == PointsEntry.objects.count()
    dupes = (
        PointsEntry.objects.filter(source_id__isnull=False, reverses__isnull=True)
        .values("member", "item", "source_type", "source_id")
        .annotate(n=Count("id"))
        .filter(n__gt=1)
    )
    assert not dupes.exists()


def test_demo_closes_past_quarters_and_they_reconcile(seeded):
    closed = PointsPeriod.objects.filter(state="closed")
    assert {(p.kind, p.start) for p in closed} == {
        ("year", dt.date(2025, 1, 1)),
        ("quarter", dt.date(2026, 1, 1)),
        ("quarter", dt.date(2026, 4, 1)),
        ("quarter", dt.date(2026, 7, 1)),
    }
    for period in closed:
        assert period.balances.count() == 7
        assert period_reconcile(period) == []


def test_demo_materialises_open_balances_with_drift_zero(seeded):
    from dangjian.points.models import PointsBalance, PointsScheme
    from dangjian.points.selectors import open_balance_drift

    for scheme in PointsScheme.objects.filter(scope__isnull=True, year__in=(2025, 2026)):
        drift = open_balance_drift(scheme)[0]
        assert drift.total == 0
    assert PointsBalance.objects.filter(period__state="open").count() > 0


def test_demo_stars_commitments_and_pending_reports(seeded, tree, roll):
    assert StarRating.objects.filter(is_current=True).count() == 7
    review = StarReview.objects.get(org=tree.village_a1, year=2026)
    assert review.state == "publicity"
    assert review.publicity_from < TODAY <= review.publicity_until
    assert PointsClaim.objects.filter(state="pending", org_path=tree.village_a1.path).count() == 3
    photo = PointsClaim.objects.get(member=roll.me)
    assert photo.evidence.name.endswith(".jpg")
    assert Commitment.objects.filter(member=roll.me, year=2026).exists()


def test_a_second_run_adds_nothing_and_province_is_skipped(seeded):
    assert seed_points(rng_seed=3, today=TODAY, scale="county") == 0
    assert seed_points(rng_seed=3, today=TODAY, scale="province") == 0
