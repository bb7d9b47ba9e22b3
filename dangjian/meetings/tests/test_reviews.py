"""民主评议党员: one result per member and year, 不合格 handling, pages and API."""

from __future__ import annotations

import datetime as dt
import json

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.core.models import AuditLog
from dangjian.meetings.models import MemberReview
from dangjian.meetings.reviews.services import (
    review_handle_unqualified,
    review_record,
    review_update,
    reviews_bulk_record,
)
from dangjian.members.models import Member, MemberEvent
from dangjian.members.tests.factories import make_member

pytestmark = pytest.mark.django_db

R = MemberReview.Result
H = MemberReview.Handling


@pytest.fixture
def this_year() -> int:
    return timezone.localdate().year


@pytest.fixture
def m(tree, people):  # type: ignore[no-untyped-def]
    return make_member(people.township_a, tree.village_a1, name="王小明")


def test_secretary_records_a_result_and_it_is_audited(people, m, this_year):  # type: ignore[no-untyped-def]
    review = review_record(
        actor=people.village_secretary, member=m, year=this_year, result=R.EXCELLENT
    )
    assert review.org_path == m.org_path
    assert AuditLog.objects.filter(action="review.record", object_id=str(review.pk)).exists()


def test_second_record_for_the_same_year_is_refused(people, m, this_year):  # type: ignore[no-untyped-def]
    review_record(actor=people.village_secretary, member=m, year=this_year, result=R.QUALIFIED)
    with pytest.raises(ValidationError, match="已有评议结果"):
        review_record(actor=people.village_secretary, member=m, year=this_year, result=R.EXCELLENT)
    assert MemberReview.objects.get(member=m).result == R.QUALIFIED


def test_update_changes_the_recorded_result(people, m, this_year):  # type: ignore[no-untyped-def]
    review = review_record(
        actor=people.village_secretary, member=m, year=this_year, result=R.QUALIFIED
    )
    review_update(actor=people.village_secretary, member_review=review, result=R.EXCELLENT)
    assert MemberReview.objects.get(pk=review.pk).result == R.EXCELLENT
    assert AuditLog.objects.filter(action="review.update").count() == 1


def test_year_boundaries(people, m, this_year):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="不能晚于今年"):
        review_record(
            actor=people.village_secretary, member=m, year=this_year + 1, result=R.QUALIFIED
        )
    review_record(actor=people.village_secretary, member=m, year=this_year, result=R.QUALIFIED)
    review_record(actor=people.village_secretary, member=m, year=this_year - 1, result=R.QUALIFIED)
    with pytest.raises(ValidationError, match="入党年份"):
        review_record(actor=people.village_secretary, member=m, year=2004, result=R.QUALIFIED)
    assert MemberReview.objects.filter(member=m).count() == 2


def test_bad_result_is_refused(people, m, this_year):  # type: ignore[no-untyped-def]
    with pytest.raises(ValidationError, match="请选择评议结果"):
        review_record(actor=people.village_secretary, member=m, year=this_year, result="great")


@pytest.mark.parametrize("who", ["township_b", "member", "inspector", "grid_worker", "nobody"])
def test_outsiders_cannot_record(people, m, this_year, who):  # type: ignore[no-untyped-def]
    with pytest.raises(PermissionDenied):
        review_record(actor=getattr(people, who), member=m, year=this_year, result=R.QUALIFIED)
    assert not MemberReview.objects.exists()
    assert not AuditLog.objects.filter(action__startswith="review.").exists()


def _unqualified(people, m, year):  # type: ignore[no-untyped-def]
    return review_record(actor=people.village_secretary, member=m, year=year, result=R.UNQUALIFIED)


def test_handling_only_for_unqualified(people, m, this_year):  # type: ignore[no-untyped-def]
    review = review_record(
        actor=people.village_secretary, member=m, year=this_year, result=R.BASICALLY_QUALIFIED
    )
    with pytest.raises(ValidationError, match="只有评议为“不合格”"):
        review_handle_unqualified(
            actor=people.village_secretary, member_review=review, handling=H.PERSUADE
        )
    assert MemberReview.objects.get(pk=review.pk).handling == ""


def test_correct_needs_a_deadline_after_today(people, m, this_year):  # type: ignore[no-untyped-def]
    review = _unqualified(people, m, this_year)
    today = timezone.localdate()
    s = people.village_secretary
    with pytest.raises(ValidationError, match="请填写改正期限"):
        review_handle_unqualified(actor=s, member_review=review, handling=H.CORRECT)
    for day in (today - dt.timedelta(days=1), today):
        with pytest.raises(ValidationError, match="必须晚于今天"):
            review_handle_unqualified(
                actor=s, member_review=review, handling=H.CORRECT, deadline=day
            )
    assert MemberReview.objects.get(pk=review.pk).handling == ""
    tomorrow = today + dt.timedelta(days=1)
    review_handle_unqualified(actor=s, member_review=review, handling=H.CORRECT, deadline=tomorrow)
    review.refresh_from_db()
    assert (review.handling, review.handling_deadline) == (H.CORRECT, tomorrow)
    event = MemberEvent.objects.get(member=m, kind=MemberEvent.Kind.REVIEW)
    assert "限期改正" in event.summary


def test_handled_result_cannot_be_changed_or_handled_again(people, m, this_year):  # type: ignore[no-untyped-def]
    review = _unqualified(people, m, this_year)
    s = people.village_secretary
    review_handle_unqualified(actor=s, member_review=review, handling=H.PERSUADE)
    with pytest.raises(ValidationError, match="只能升级处置"):
        review_handle_unqualified(
            actor=s,
            member_review=review,
            handling=H.CORRECT,
            deadline=timezone.localdate() + dt.timedelta(days=30),
        )
    with pytest.raises(ValidationError, match="不能再修改评议结果"):
        review_update(actor=s, member_review=review, result=R.QUALIFIED)
    review.refresh_from_db()
    assert (review.result, review.handling) == (R.UNQUALIFIED, H.PERSUADE)


def test_removal_needs_confirmation_then_moves_member_to_history(people, m, this_year):  # type: ignore[no-untyped-def]
    review = _unqualified(people, m, this_year)
    s = people.village_secretary
    with pytest.raises(ValidationError, match="请确认"):
        review_handle_unqualified(actor=s, member_review=review, handling=H.REMOVE)
    m.refresh_from_db()
    assert m.status != Member.Status.FORMER
    review_handle_unqualified(actor=s, member_review=review, handling=H.REMOVE, confirm=True)
    m.refresh_from_db()
    assert m.status == Member.Status.FORMER
    assert m.leave_reason == "212"
    kinds = set(MemberEvent.objects.filter(member=m).values_list("kind", flat=True))
    assert {MemberEvent.Kind.REVIEW, MemberEvent.Kind.LEFT} <= kinds


def test_outsider_cannot_handle(people, m, this_year):  # type: ignore[no-untyped-def]
    review = _unqualified(people, m, this_year)
    with pytest.raises(PermissionDenied):
        review_handle_unqualified(
            actor=people.township_b, member_review=review, handling=H.PERSUADE
        )
    assert MemberReview.objects.get(pk=review.pk).handling == ""
    assert not MemberEvent.objects.filter(kind=MemberEvent.Kind.REVIEW).exists()


def test_bulk_is_all_or_nothing(tree, people, m, this_year):  # type: ignore[no-untyped-def]
    other = make_member(people.township_a, tree.village_a1, name="李四")
    stranger = make_member(people.township_a, tree.village_a2, name="外支部")
    with pytest.raises(ValidationError):
        reviews_bulk_record(
            actor=people.village_secretary,
            branch=tree.village_a1,
            year=this_year,
            results={m.pk: R.EXCELLENT, stranger.pk: R.QUALIFIED},
        )
    assert not MemberReview.objects.exists()
    n = reviews_bulk_record(
        actor=people.village_secretary,
        branch=tree.village_a1,
        year=this_year,
        results={m.pk: R.EXCELLENT, other.pk: ""},
    )
    assert n == 1


# --- pages ------------------------------------------------------------------------------------


def test_page_shows_roster_summary_and_pending(tree, people, login, m, this_year):  # type: ignore[no-untyped-def]
    make_member(people.township_a, tree.village_a1, name="未评者")
    review_record(actor=people.village_secretary, member=m, year=this_year, result=R.UNQUALIFIED)
    client = login(people.village_secretary)
    r = client.get(f"/meetings/reviews/?org={tree.village_a1.pk}&year={this_year}")
    assert r.status_code == 200
    html = r.content.decode()
    assert "王小明" in html
    assert "未评者" in html
    assert 'data-testid="count-pending">1<' in html
    assert 'data-testid="count-unqualified">1<' in html
    assert "处置不合格党员" in html


def test_page_bulk_form_saves(tree, people, login, m, this_year):  # type: ignore[no-untyped-def]
    client = login(people.village_secretary)
    r = client.post(
        "/meetings/reviews/save/",
        {"org": tree.village_a1.pk, "year": this_year, f"result_{m.pk}": R.QUALIFIED},
    )
    assert r.status_code == 302
    assert MemberReview.objects.get(member=m, year=this_year).result == R.QUALIFIED


def test_township_page_lists_branch_summaries(tree, people, login, m, this_year):  # type: ignore[no-untyped-def]
    client = login(people.township_a)
    r = client.get(f"/meetings/reviews/?org={tree.township_a.pk}&year={this_year}")
    assert r.status_code == 200
    assert "甲村党支部" in r.content.decode()


def test_other_township_gets_404(tree, people, login, m, this_year):  # type: ignore[no-untyped-def]
    review = _unqualified(people, m, this_year)
    client = login(people.township_b)
    assert client.get(f"/meetings/reviews/?org={tree.village_a1.pk}").status_code == 404
    r = client.post(f"/meetings/reviews/{review.pk}/handle/", {"handling": H.PERSUADE})
    assert r.status_code == 404
    assert MemberReview.objects.get(pk=review.pk).handling == ""


def test_page_query_count_is_constant(
    tree, people, login, this_year, django_assert_max_num_queries
):  # type: ignore[no-untyped-def]
    for i in range(8):
        mem = make_member(people.township_a, tree.village_a1, name=f"党员{i}")
        review_record(
            actor=people.village_secretary, member=mem, year=this_year, result=R.QUALIFIED
        )
    client = login(people.village_secretary)
    with django_assert_max_num_queries(15):
        assert client.get(f"/meetings/reviews/?org={tree.village_a1.pk}").status_code == 200


# --- API --------------------------------------------------------------------------------------


def test_api_record_list_and_handle(tree, people, login, m, this_year):  # type: ignore[no-untyped-def]
    client = login(people.village_secretary)
    r = client.post(
        "/api/v1/reviews/",
        json.dumps({"member_id": m.pk, "year": this_year, "result": "unqualified"}),
        content_type="application/json",
    )
    assert r.status_code == 201, r.content
    review_id = r.json()["id"]
    r = client.post(
        "/api/v1/reviews/",
        json.dumps({"member_id": m.pk, "year": this_year, "result": "qualified"}),
        content_type="application/json",
    )
    assert r.status_code == 400
    assert "已有评议结果" in r.json()["message"]
    r = client.get(f"/api/v1/reviews/?org={tree.village_a1.pk}&year={this_year}")
    assert r.status_code == 200
    assert r.json()["counts"]["unqualified"] == 1
    r = client.post(
        f"/api/v1/reviews/{review_id}/handle",
        json.dumps({"handling": "persuade"}),
        content_type="application/json",
    )
    assert r.status_code == 200
    assert r.json()["handling_label"] == "劝退"


def test_api_hides_other_township(tree, people, login, m, this_year):  # type: ignore[no-untyped-def]
    review = _unqualified(people, m, this_year)
    client = login(people.township_b)
    assert (
        client.get(f"/api/v1/reviews/?org={tree.village_a1.pk}&year={this_year}").status_code == 404
    )
    r = client.post(
        "/api/v1/reviews/",
        json.dumps({"member_id": m.pk, "year": this_year - 1, "result": "qualified"}),
        content_type="application/json",
    )
    assert r.status_code == 404
    r = client.post(
        f"/api/v1/reviews/{review.pk}/handle",
        json.dumps({"handling": "persuade"}),
        content_type="application/json",
    )
    assert r.status_code == 404
    assert MemberReview.objects.count() == 1
