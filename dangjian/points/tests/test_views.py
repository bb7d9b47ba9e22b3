"""Pages: the working org's board and queue, the passbook, the wall board, catalogue, stars."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from dangjian.points import services
from dangjian.points.models import PointsClaim, PointsEntry, StarReview
from dangjian.points.tests.factories import TODAY, default_item, png_bytes, roll

__all__ = ["roll"]

pytestmark = pytest.mark.django_db

ON = dt.date(2026, 11, 10)


@pytest.fixture(autouse=True)
def _today(monkeypatch):
    monkeypatch.setattr("django.utils.timezone.localdate", lambda *a, **k: TODAY)


def _deduct(people, member, reason="无故不参加义务劳动"):
    return services.points_award_manual(
        actor=people.village_secretary, member=member,
        item=default_item("discipline_violation"), on=ON, reason=reason,
    )  # fmt: skip


def test_home_shows_the_board_the_queue_and_the_award_form(login, people, tree, roll):
    for m in roll.others[:4]:
        for _ in range(5):  # 100 - 50 = 50 < 60
            _deduct(people, m)
    r = login(people.village_secretary).get("/points/")
    body = r.content.decode()
    assert r.status_code == 200
    assert "积分榜" in body
    assert 'data-testid="award-form"' in body
    assert "低于60分的党员" in body
    assert body.count('class="list-group-item list-group-item-action d-flex"') == 4


def test_home_for_a_member_without_points_view_is_403(login, people, roll):
    assert login(people.member).get("/points/").status_code == 403


def test_home_of_another_township_is_404(login, people, tree):
    r = login(people.township_b).get(f"/points/?org={tree.township_a.pk}")
    assert r.status_code == 404


def test_award_form_books_a_deduction(login, people, tree, roll):
    c = login(people.village_secretary)
    item = default_item("discipline_violation")
    r = c.post(
        f"/points/award/?org={tree.village_a1.pk}",
        {"member": roll.me.pk, "item": item.pk, "on": "2026-11-10", "reason": "乱堆乱放"},
    )
    assert r.status_code == 302
    assert PointsEntry.objects.get().points == Decimal(-10)


def test_award_form_for_a_member_outside_scope_changes_nothing(login, people, tree, roll):
    c = login(people.village_secretary)
    item = default_item("discipline_violation")
    r = c.post(
        f"/points/award/?org={tree.village_a1.pk}",
        {"member": roll.outsider.pk, "item": item.pk, "on": "2026-11-10", "reason": "x"},
    )
    assert r.status_code == 400
    assert "选择一个有效的选项" in r.content.decode()
    assert PointsEntry.objects.count() == 0


def test_award_in_a_closed_period_shows_the_message(login, people, tree, roll):
    services.period_close(
        actor=people.county_admin, org=tree.county, kind="month", start=dt.date(2026, 10, 1)
    )
    c = login(people.village_secretary)
    r = c.post(
        f"/points/award/?org={tree.village_a1.pk}",
        {
            "member": roll.me.pk,
            "item": default_item("discipline_violation").pk,
            "on": "2026-10-20",
            "reason": "乱堆乱放",
        },
    )
    assert r.status_code == 400
    assert "所在的积分周期已结账，不能再登记积分" in r.content.decode()
    assert PointsEntry.objects.count() == 0


def test_member_passbook_and_self_report_with_photo(login, people, tree, roll):
    c = login(people.member)
    r = c.get("/points/mine/")
    assert r.status_code == 200
    assert "我的积分存折" in r.content.decode()
    photo = SimpleUploadedFile("p.png", png_bytes(), content_type="image/png")
    r = c.post(
        "/points/mine/claim/",
        {
            "item": default_item("volunteer_service").pk,
            "on": "2026-11-15",
            "description": "参加敬老院志愿服务",
            "evidence": photo,
        },
    )
    assert r.status_code == 302
    claim = PointsClaim.objects.get()
    r = login(people.village_secretary).post(
        f"/points/claims/{claim.pk}/decide/", {"approve": "1", "org": tree.village_a1.pk}
    )
    assert r.status_code == 302
    r = login(people.member).get("/points/mine/")
    assert "103" in r.content.decode()


def test_self_report_without_photo_shows_the_chinese_message(login, people, roll):
    r = login(people.member).post(
        "/points/mine/claim/",
        {"item": default_item("volunteer_service").pk, "on": "2026-11-15", "description": "服务"},
    )
    assert r.status_code == 400
    assert "须上传佐证照片" in r.content.decode()
    assert PointsClaim.objects.count() == 0


def test_a_login_without_member_record_sees_an_explanation(login, people):
    r = login(people.nobody).get("/points/mine/")
    assert "尚未关联党员信息" in r.content.decode()


def test_a_past_years_passbook_shows_its_commitment_but_offers_no_form_to_overwrite_this_year(
    login, people, roll
):
    this_year = dt.date.today().year
    services.commitment_set(
        actor=people.member, member=roll.me, year=this_year - 1, text="去年的承诺"
    )
    client = login(people.member)
    past = client.get(f"/points/mine/?year={this_year - 1}").content.decode()
    assert "去年的承诺" in past
    assert "/points/mine/commitment/" not in past
    assert "/points/mine/commitment/" in client.get("/points/mine/").content.decode()


def test_print_board_is_a_standalone_a4_page(login, people, tree, roll):
    services.commitment_set(actor=people.member, member=roll.me, year=2026, text="带头垃圾分类")
    r = login(people.village_secretary).get(f"/points/board/print/?org={tree.village_a1.pk}")
    body = r.content.decode()
    assert r.status_code == 200
    assert "points_print.css" in body
    assert "党员积分榜" in body
    assert "陈秀英" in body
    assert "带头垃圾分类" in body  # 亮承诺 on the wall


def test_board_needs_a_minimum_number_of_members_before_ranks_show(login, people, tree, roll):
    r = login(people.county_admin).get(f"/points/board/?org={tree.village_b1.pk}")
    assert "不足5人，不排名次" in r.content.decode()
    r = login(people.county_admin).get(f"/points/board/?org={tree.village_a1.pk}")
    assert "不排名次" not in r.content.decode()


def test_board_query_count_does_not_grow_with_members(
    login, people, tree, roll, django_assert_max_num_queries
):
    for m in roll.branch:
        _deduct(people, m)
    c = login(people.county_admin)
    c.get(f"/points/board/?org={tree.county.pk}")
    with django_assert_max_num_queries(16):
        r = c.get(f"/points/board/?org={tree.county.pk}")
    assert r.status_code == 200


def test_member_passbook_page_reverses_an_entry(login, people, tree, roll):
    entry = _deduct(people, roll.me)
    c = login(people.village_secretary)
    r = c.post(f"/points/entries/{entry.pk}/reverse/", {"reason": "核实有误"})
    assert r.status_code == 302
    assert PointsEntry.objects.filter(reverses=entry).count() == 1
    assert "已冲正" in c.get(f"/points/member/{roll.me.pk}/").content.decode()


def test_catalogue_and_stars_pages_render(login, people, tree, roll):
    c = login(people.county_admin)
    html = c.get("/points/catalogue/").content.decode()
    # Items by name; the code is for exports and the API, and the source has no research tags.
    assert default_item("service_order_done").name in html
    assert "service_order_done" not in html
    assert "[local]" not in html
    assert "本地规定" in html
    c = login(people.village_secretary)
    assert c.get("/points/stars/").status_code == 200
    r = c.post(f"/points/stars/new/?org={tree.village_a1.pk}", {"year": 2026})
    review = StarReview.objects.get()
    assert r.status_code == 302
    assert c.get(f"/points/stars/{review.pk}/").status_code == 200


def test_current_stars_show_on_member_profile_and_list(
    login, people, tree, roll, django_assert_max_num_queries
):
    review = services.star_review_start(
        actor=people.village_secretary, org=tree.village_a1, year=2026, today=dt.date(2026, 11, 2)
    )
    services.star_review_publish(actor=people.township_a, review=review, today=dt.date(2026, 11, 2))
    services.star_reviews_finalize_due(today=dt.date(2026, 11, 20))
    c = login(people.village_secretary)
    assert 'data-testid="member-stars"' in c.get(f"/members/{roll.me.pk}/").content.decode()
    c.get("/members/")
    with django_assert_max_num_queries(20):
        body = c.get("/members/").content.decode()
    assert body.count('data-testid="member-stars"') == 6


def test_passbook_and_home_query_counts_stay_constant(
    login, people, tree, roll, django_assert_max_num_queries
):
    for _ in range(8):
        _deduct(people, roll.me)
    c = login(people.member)
    c.get("/points/mine/")
    with django_assert_max_num_queries(18):
        assert c.get("/points/mine/").status_code == 200
    c = login(people.village_secretary)
    c.get("/points/")
    with django_assert_max_num_queries(24):
        assert c.get("/points/").status_code == 200
