"""星级评定: bands and ratio caps as data, a 公示 of working days across National Day 2026."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.points import services
from dangjian.points.models import StarRating, StarReview
from dangjian.points.rules import Band, assign_stars, score_from_balance
from dangjian.points.selectors import current_stars
from dangjian.points.tests.factories import default_item, roll

__all__ = ["roll"]

BANDS = [
    Band(5, Decimal(90), 20),
    Band(4, Decimal(80), 40),
    Band(3, Decimal(70), None),
    Band(1, Decimal(0), None),
]


def test_bands_give_the_highest_star_the_score_reaches():
    got = assign_stars([(1, Decimal(90)), (2, Decimal("89.9")), (3, Decimal(70))], BANDS)
    # 3 members: 20% of 3 → 0 five-star places; 40% → 1 four-star place.
    assert [(r.key, r.stars, r.capped) for r in got] == [(1, 4, True), (2, 3, True), (3, 3, False)]


def test_ratio_cap_drops_the_lowest_scores_of_a_full_band():
    scores = [(i, Decimal(95 - i)) for i in range(10)]  # 95 … 86, all qualify for five stars
    got = {r.key: r for r in assign_stars(scores, BANDS)}
    assert [got[i].stars for i in range(10)] == [5, 5, 4, 4, 4, 4, 3, 3, 3, 3]
    assert not got[1].capped
    assert got[2].capped


def test_score_boundaries_the_day_before_of_and_after():
    for score, stars in ((Decimal("79.9"), 3), (Decimal(80), 4), (Decimal("80.1"), 4)):
        (r,) = assign_stars([(1, score)], [Band(4, Decimal(80), None), Band(3, Decimal(70), None)])
        assert r.stars == stars


def test_score_from_balance_is_scaled_and_clamped():
    assert score_from_balance(Decimal(120), Decimal(120)) == Decimal(100)
    assert score_from_balance(Decimal(150), Decimal(120)) == Decimal(100)
    assert score_from_balance(Decimal(96), Decimal(120)) == Decimal(80)
    assert score_from_balance(Decimal(-5), Decimal(120)) == Decimal(0)


@pytest.mark.django_db
def test_publicity_crosses_national_day_and_stars_become_current_after_it(people, tree, roll):
    # Publish Tue 2026-09-29: working days 9/30, 10/8, 10/9, Sat 10/10 (调休), Mon 10/12.
    review = services.star_review_start(
        actor=people.village_secretary, org=tree.village_a1, year=2026, today=dt.date(2026, 9, 28)
    )
    assert review.ratings.count() == 6
    review = services.star_review_publish(
        actor=people.township_a, review=review, today=dt.date(2026, 9, 29)
    )
    assert review.state == StarReview.State.PUBLICITY
    assert review.publicity_until == dt.date(2026, 10, 12)
    for day, final in ((dt.date(2026, 10, 12), False), (dt.date(2026, 10, 13), True)):
        services.star_reviews_finalize_due(today=day)
        review.refresh_from_db()
        assert (review.state == StarReview.State.FINAL) is final, day
    stars = current_stars([m.pk for m in roll.branch])
    # All 6 start at 100 points → score 83.3: 四星 band holds 40% of 6 = 2, the rest 三星.
    assert sorted(stars.values()) == [3, 3, 3, 3, 4, 4]


@pytest.mark.django_db
def test_stars_rise_and_fall_with_the_next_review(people, tree, roll):
    first = services.star_review_start(
        actor=people.village_secretary, org=tree.village_a1, year=2025, today=dt.date(2026, 3, 2)
    )
    services.star_review_publish(actor=people.township_a, review=first, today=dt.date(2026, 3, 2))
    services.star_reviews_finalize_due(today=dt.date(2026, 3, 20))
    before = current_stars([roll.me.pk])[roll.me.pk]
    second = services.star_review_start(
        actor=people.village_secretary, org=tree.village_a1, year=2026, today=dt.date(2026, 11, 2)
    )
    rating = second.ratings.get(member=roll.me)
    services.star_rating_adjust(
        actor=people.village_secretary, rating=rating, score=Decimal(50), note="受到批评教育"
    )
    services.star_review_publish(actor=people.township_a, review=second, today=dt.date(2026, 11, 2))
    services.star_reviews_finalize_due(today=dt.date(2026, 11, 20))
    assert current_stars([roll.me.pk])[roll.me.pk] == 1 < before
    assert StarRating.objects.filter(member=roll.me, is_current=True).count() == 1


@pytest.mark.django_db
def test_a_secretary_cannot_publish_and_scores_freeze_during_publicity(people, tree, roll):
    review = services.star_review_start(
        actor=people.village_secretary, org=tree.village_a1, year=2026, today=dt.date(2026, 11, 2)
    )
    with pytest.raises(PermissionDenied):
        services.star_review_publish(actor=people.village_secretary, review=review)
    services.star_review_publish(actor=people.township_a, review=review, today=dt.date(2026, 11, 2))
    rating = review.ratings.first()
    with pytest.raises(ValidationError, match="公示开始后不能修改评分"):
        services.star_rating_adjust(
            actor=people.village_secretary, rating=rating, score=Decimal(99), note="x"
        )
    services.star_review_withdraw(actor=people.township_a, review=review, reason="群众有异议")
    review.refresh_from_db()
    assert review.state == StarReview.State.DRAFT
    assert review.publicity_until is None


@pytest.mark.django_db
def test_star_review_needs_a_branch_and_happens_once_a_year(people, tree, roll):
    with pytest.raises(ValidationError, match="以党支部为单位"):
        services.star_review_start(actor=people.township_a, org=tree.township_a, year=2026)
    services.star_review_start(actor=people.village_secretary, org=tree.village_a1, year=2026)
    with pytest.raises(ValidationError, match="已发起"):
        services.star_review_start(actor=people.village_secretary, org=tree.village_a1, year=2026)


@pytest.mark.django_db
def test_prefilled_score_follows_the_points_balance(people, tree, roll):
    services.points_award_manual(
        actor=people.village_secretary, member=roll.me, item=default_item("role_model"),
        on=dt.date(2026, 6, 1), reason="抗洪抢险",
    )  # fmt: skip
    review = services.star_review_start(
        actor=people.village_secretary, org=tree.village_a1, year=2026, today=dt.date(2026, 11, 2)
    )
    assert review.ratings.get(member=roll.me).score == Decimal("87.5")  # 105 / 120
