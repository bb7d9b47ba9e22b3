"""星级评定: bands and ratio caps as data, a 公示 of working days across National Day 2026."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.exceptions import PermissionDenied, ValidationError

from dangjian.members.services import member_set_lost_contact
from dangjian.points import services
from dangjian.points.models import StarRating, StarReview
from dangjian.points.rules import Band, assign_stars, score_from_balance, star_unrated_reason
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


# --- 失联党员 are not rated (LOST_CONTACT_RULE) ------------------------------------------------

D = dt.date
RATED_ON = D(2026, 1, 12)  # the 2025 review, rated in January


@pytest.mark.parametrize(
    ("spans", "unrated"),
    [
        ([(D(2025, 12, 31), None)], True),  # lost on the last day of the year
        ([(D(2026, 1, 11), None)], True),  # lost after the year, before the rating date
        ([(RATED_ON, None)], True),  # lost on the rating date itself
        ([(D(2026, 1, 13), None)], False),  # the day after the rating date
        ([(D(2022, 5, 1), None)], True),  # lost for years and still lost
        ([(None, None)], True),  # lost, first day unknown
        ([(D(2024, 5, 1), D(2024, 12, 31))], False),  # back the day before the year
        ([(D(2024, 5, 1), D(2025, 1, 1))], False),  # back on 1 January: never lost in the year
        ([(D(2024, 5, 1), D(2025, 1, 2))], True),  # back on 2 January: lost on 1 January
        ([(D(2025, 3, 1), D(2025, 4, 1))], True),  # a month lost inside the year, since restored
        ([], False),
    ],
)
def test_lost_contact_in_the_year_or_up_to_the_rating_date_means_not_rated(spans, unrated):
    reason = star_unrated_reason(spans, year=2025, on=RATED_ON)
    assert bool(reason) is unrated
    if unrated:
        assert "不参加2025年度星级评定" in reason


def test_the_reason_names_the_day_contact_was_lost():
    reason = star_unrated_reason([(D(2022, 8, 3), None)], year=2025, on=RATED_ON)
    assert reason == "2022年8月3日起失联，不参加2025年度星级评定"


@pytest.mark.django_db
def test_a_lost_member_gets_no_stars_and_takes_no_place_under_the_caps(login, people, tree, roll):
    lost = roll.others[0]
    member_set_lost_contact(actor=people.county_admin, member=lost, since=D(2026, 3, 1))
    review = services.star_review_start(
        actor=people.village_secretary, org=tree.village_a1, year=2026, today=D(2026, 11, 2)
    )
    rating = review.ratings.get(member=lost)
    assert rating.unrated_reason == "2026年3月1日起失联，不参加2026年度星级评定"
    with pytest.raises(ValidationError, match="不能调整评分"):
        services.star_rating_adjust(
            actor=people.village_secretary, rating=rating, score=Decimal(99), note="表现好"
        )
    services.star_review_publish(actor=people.township_a, review=review, today=D(2026, 11, 2))
    got = {r.member_id: r for r in review.ratings.all()}
    assert got[lost.pk].stars == 0
    # Five rated at 83.3: the 四星 band holds floor(5 × 40%) = 2 of them.
    assert sorted(r.stars for mid, r in got.items() if mid != lost.pk) == [3, 3, 3, 4, 4]
    html = login(people.village_secretary).get(f"/points/stars/{review.pk}/").content.decode()
    assert html.count('data-testid="rating-unrated"') == 1
    assert "2026年3月1日起失联，不参加2026年度星级评定" in html
    assert "本地规定" in html  # the rule's source under the table


@pytest.mark.django_db
def test_contact_lost_between_start_and_publish_is_caught_at_publish(people, tree, roll):
    review = services.star_review_start(
        actor=people.village_secretary, org=tree.village_a1, year=2026, today=D(2026, 11, 2)
    )
    assert not review.ratings.exclude(unrated_reason="").exists()
    member_set_lost_contact(actor=people.county_admin, member=roll.me, since=D(2026, 11, 4))
    services.star_review_publish(actor=people.township_a, review=review, today=D(2026, 11, 4))
    rating = review.ratings.get(member=roll.me)
    assert rating.stars == 0
    assert "2026年11月4日起失联" in rating.unrated_reason


@pytest.mark.django_db
def test_stars_of_an_earlier_year_are_not_shown_while_a_member_is_lost(login, people, tree, roll):
    review = services.star_review_start(
        actor=people.village_secretary, org=tree.village_a1, year=2025, today=D(2026, 1, 12)
    )
    services.star_review_publish(actor=people.township_a, review=review, today=D(2026, 1, 12))
    services.star_reviews_finalize_due(today=D(2026, 2, 1))
    assert current_stars([roll.me.pk])[roll.me.pk] > 0
    member_set_lost_contact(actor=people.county_admin, member=roll.me, since=D(2026, 6, 1))
    assert roll.me.pk not in current_stars([roll.me.pk])
    page = login(people.village_secretary).get(f"/points/board/?org={tree.village_a1.pk}")
    html = page.content.decode()
    assert html.count('data-testid="stars-lost"') == 1
    assert "失联·不参评" in html
    # The profile says why the stars are gone, not just that there are none.
    profile = login(people.village_secretary).get(f"/members/{roll.me.pk}/").content.decode()
    assert 'data-testid="member-stars"' not in profile
    assert 'data-testid="member-stars-lost"' in profile
    assert "2026年6月1日起失联：失联期间不显示星级" in profile
    member_set_lost_contact(actor=people.county_admin, member=roll.me, since=None)
    assert current_stars([roll.me.pk])[roll.me.pk] > 0
    profile = login(people.village_secretary).get(f"/members/{roll.me.pk}/").content.decode()
    assert 'data-testid="member-stars"' in profile
    assert "member-stars-lost" not in profile
