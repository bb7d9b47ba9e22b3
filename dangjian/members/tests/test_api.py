"""The member API: check-id, CRUD, actions, with the same scoping and masking."""

from __future__ import annotations

import datetime as dt
import json

import pytest

from dangjian.accounts.services import token_create
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_id, make_member

pytestmark = pytest.mark.django_db


def _bearer(user):
    _, key = token_create(actor=user, user=user)
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def test_check_id_valid_with_x(client, people):
    response = client.post(
        "/api/v1/members/check-id",
        json.dumps({"id_number": "11010519491231002X"}),
        content_type="application/json",
        **_bearer(people.member),
    )
    assert response.json() == {
        "valid": True,
        "birth_date": "1949-12-31",
        "sex": "female",
        "message": "公民身份号码有效",
    }


def test_check_id_invalid(client, people):
    response = client.post(
        "/api/v1/members/check-id",
        json.dumps({"id_number": "110105194912310021"}),
        content_type="application/json",
        **_bearer(people.member),
    )
    body = response.json()
    assert body["valid"] is False
    assert body["birth_date"] is None
    assert "校验位" in body["message"]


def test_create_and_patch_through_the_api(client, people, tree):
    headers = _bearer(people.village_secretary)
    payload = {
        "branch_id": tree.village_a1.pk,
        "name": "孙八",
        "sex": "1",
        "ethnicity": "01",
        "id_number": make_id(),
        "birth_date": "1980-01-01",
        "education": "21",
        "category": "full",
        "joined_on": "2005-07-01",
        "full_member_on": "2006-07-01",
        "job": "1",
        "mobile": "13811112222",
    }
    response = client.post(
        "/api/v1/members/", json.dumps(payload), content_type="application/json", **headers
    )
    assert response.status_code == 201
    body = response.json()
    assert body["mobile_masked"] == "138****2222"
    assert "id_number" not in body
    response = client.patch(
        f"/api/v1/members/{body['id']}",
        json.dumps({"education": "14"}),
        content_type="application/json",
        **headers,
    )
    assert response.json()["education"] == "14"


def test_api_create_outside_scope_is_404_and_changes_nothing(client, people, tree):
    payload = {
        "branch_id": tree.village_b1.pk,
        "name": "x",
        "sex": "1",
        "ethnicity": "01",
        "id_number": make_id(),
        "birth_date": "1980-01-01",
        "education": "21",
        "category": "full",
        "joined_on": "2005-07-01",
        "full_member_on": "2006-07-01",
        "job": "1",
    }
    response = client.post(
        "/api/v1/members/",
        json.dumps(payload),
        content_type="application/json",
        **_bearer(people.village_secretary),
    )
    assert response.status_code == 404
    assert Member.objects.count() == 0


def test_api_bad_id_is_400_with_field_message(client, people, tree):
    payload = {
        "branch_id": tree.village_a1.pk,
        "name": "x",
        "sex": "1",
        "ethnicity": "01",
        "id_number": "110105194912310021",
        "birth_date": "1949-12-31",
        "education": "21",
        "category": "full",
        "joined_on": "1970-07-01",
        "full_member_on": "1971-07-01",
        "job": "1",
    }
    response = client.post(
        "/api/v1/members/",
        json.dumps(payload),
        content_type="application/json",
        **_bearer(people.village_secretary),
    )
    assert response.status_code == 400
    assert "校验位不正确" in response.json()["fields"]["id_number"][0]


def test_api_actions_and_events(client, people, tree):
    m = make_member(
        people.township_a, tree.village_a1, category="probationary", joined_on=dt.date(2025, 9, 1)
    )
    headers = _bearer(people.village_secretary)
    response = client.post(
        f"/api/v1/members/{m.pk}/actions/confirm_full",
        json.dumps({"on": "2026-09-01"}),
        content_type="application/json",
        **headers,
    )
    assert response.json()["category"] == "full"
    response = client.post(
        f"/api/v1/members/{m.pk}/actions/lost",
        json.dumps({}),
        content_type="application/json",
        **headers,
    )
    assert response.status_code == 400
    kinds = [e["kind"] for e in client.get(f"/api/v1/members/{m.pk}/events", **headers).json()]
    assert kinds[0] == "category"


def test_api_list_is_scoped_and_filtered(client, people, tree):
    make_member(people.county_admin, tree.village_a1, name="张伟")
    make_member(people.county_admin, tree.village_b1, name="李强")
    names = [
        m["name"]
        for m in client.get("/api/v1/members/", **_bearer(people.township_a)).json()["items"]
    ]
    assert names == ["张伟"]
    names = [
        m["name"]
        for m in client.get("/api/v1/members/?q=lq", **_bearer(people.county_admin)).json()["items"]
    ]
    assert names == ["李强"]
