"""The JSON API: the same gates and services as the pages."""

from __future__ import annotations

import datetime as dt

import pytest

from dangjian.members.tests.factories import make_id
from dangjian.recruitment.models import Applicant, StepRecord
from dangjian.recruitment.tests.factories import make_applicant, sponsors, walk

D = dt.date
pytestmark = pytest.mark.django_db


@pytest.fixture
def activist(tree, people) -> Applicant:
    elders = [m.pk for m in sponsors(people.county_admin, tree.village_a1)]
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2024, 1, 5))
    return walk(people.village_secretary, a, upto=6, people=elders)


def test_create_returns_the_next_step_and_its_deadline(login, people, tree) -> None:
    client = login(people.village_secretary)
    body = {"org_id": tree.village_a1.pk, "name": "李娜", "id_number": make_id(D(2001, 3, 3)),
            "applied_on": "2026-11-02", "education": "21", "job": "1", "is_farmer": True}  # fmt: skip
    response = client.post("/api/v1/recruitment/applicants", body, content_type="application/json")
    assert response.status_code == 201, response.content
    data = response.json()
    assert data["next"]["number"] == 2
    assert data["next"]["due_on"] == "2026-12-02"
    assert data["id_number_masked"].count("*") == 12
    assert "id_number" not in data


def test_a_too_early_step_is_a_400_with_the_rule(login, people, activist) -> None:
    client = login(people.village_secretary)
    day = activist.next_earliest_on - dt.timedelta(days=1)
    before = StepRecord.objects.count()
    response = client.post(
        f"/api/v1/recruitment/applicants/{activist.pk}/steps",
        {"number": 7, "done_on": day.isoformat()},
        content_type="application/json",
    )
    assert response.status_code == 400
    assert "最早可于" in response.json()["message"]
    assert StepRecord.objects.count() == before


def test_the_detail_lists_steps_and_documents(login, people, activist) -> None:
    data = (
        login(people.village_secretary).get(f"/api/v1/recruitment/applicants/{activist.pk}").json()
    )
    assert [s["number"] for s in data["steps"]][:3] == [1, 2, 3]
    assert data["next"]["number"] == 7
    assert data["next"]["earliest_rule"].startswith("确定为发展对象须在确定为入党积极分子满一年后")
    assert data["documents"] == ["talk"]


def test_document_download_is_word(login, people, activist) -> None:
    response = login(people.village_secretary).get(
        f"/api/v1/recruitment/applicants/{activist.pk}/documents/talk"
    )
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    assert response.content[:2] == b"PK"


def test_board_overview_alerts_and_plans(login, people, tree, activist) -> None:
    client = login(people.township_a)
    board = client.get(f"/api/v1/recruitment/board?org={tree.village_a1.pk}").json()
    assert [c["stage"] for c in board][:2] == ["applicant", "activist"]
    assert board[1]["cards"][0]["id"] == activist.pk
    overview = client.get(f"/api/v1/recruitment/overview?org={tree.township_a.pk}").json()
    assert overview["total"]["stages"] == {"activist": 1}
    assert {v["name"] for v in overview["villages"]} >= {"中共乙村支部委员会"}
    put = client.put(
        f"/api/v1/recruitment/plans/{tree.township_a.pk}/2026",
        {"quota": 8, "farmer_quota": 3},
        content_type="application/json",
    )
    assert put.json()["quota"] == 8
    assert client.get(f"/api/v1/recruitment/alerts?org={tree.township_a.pk}").status_code == 200


def test_hidden_applicants_are_404_and_denied_writes_change_nothing(
    login, people, activist
) -> None:
    client = login(people.township_b)
    assert client.get(f"/api/v1/recruitment/applicants/{activist.pk}").status_code == 404
    response = client.post(
        f"/api/v1/recruitment/applicants/{activist.pk}/stop",
        {"reason": "越权"},
        content_type="application/json",
    )
    assert response.status_code == 404
    inspector = login(people.inspector)
    assert inspector.get(f"/api/v1/recruitment/applicants/{activist.pk}").status_code == 200
    response = inspector.post(
        f"/api/v1/recruitment/applicants/{activist.pk}/stop",
        {"reason": "越权"},
        content_type="application/json",
    )
    assert response.status_code == 403
    activist.refresh_from_db()
    assert activist.status == Applicant.Status.ACTIVE


def test_rule_sets_are_listed_with_articles(login, people) -> None:
    data = login(people.village_secretary).get("/api/v1/recruitment/rule-sets").json()
    assert data[0]["version"] == "2014"
    assert len(data[0]["steps"]) == 25
    assert {x["key"] for x in data[0]["limits"]} >= {"min_age", "notice_working_days"}


def test_a_failed_vote_is_a_201_with_its_outcome_and_a_new_vote_may_follow(
    login, people, tree
) -> None:
    elders = [m.pk for m in sponsors(people.county_admin, tree.village_a1)]
    a = make_applicant(people.village_secretary, tree.village_a1, applied_on=D(2022, 3, 1))
    walk(people.township_a, a, upto=14, people=elders)
    client = login(people.village_secretary)
    url = f"/api/v1/recruitment/applicants/{a.pk}/steps"
    vote = {"number": 15, "entitled": 20, "present": 11, "votes_against": 1, "votes_abstain": 0}
    response = client.post(
        url, {**vote, "done_on": "2026-01-10", "votes_for": 10}, content_type="application/json"
    )
    assert response.status_code == 201
    body = response.json()
    assert body["vote_failed_on"] == "2026-01-10"
    assert body["next"]["number"] == 15
    assert body["member_id"] is None
    failed = [s for s in body["steps"] if s["number"] == 15]
    assert failed[0]["failed"] is True
    assert failed[0]["data"]["vote"]["passed"] is False
    assert failed[0]["result"] == "表决未通过"
    board = client.get(f"/api/v1/recruitment/board?org={tree.village_a1.pk}").json()
    cards = [c for col in board for c in col["cards"] if c["id"] == a.pk]
    assert cards[0]["vote_failed_on"] == "2026-01-10"
    no_quorum = client.post(
        url, {**vote, "present": 10, "votes_against": 0, "done_on": "2026-02-10", "votes_for": 10},
        content_type="application/json",
    )  # fmt: skip
    assert no_quorum.status_code == 400
    assert no_quorum.json()["code"] == "vote_quorum"
    assert "不能召开支部大会表决" in no_quorum.json()["message"]
    assert StepRecord.objects.filter(applicant=a, number=15).count() == 1
    passed = client.post(
        url,
        {**vote, "done_on": "2026-02-10", "votes_for": 11, "votes_against": 0},
        content_type="application/json",
    )
    assert passed.status_code == 201
    assert passed.json()["vote_failed_on"] is None
    assert passed.json()["next"]["number"] == 16
    assert [s["failed"] for s in passed.json()["steps"] if s["number"] == 15] == [True, False]
