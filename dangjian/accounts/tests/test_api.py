"""The token endpoints: a token is made from a logged-in session, never by a token."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client

from dangjian.accounts.models import ApiToken
from dangjian.accounts.services import token_authenticate, token_create
from dangjian.core.models import AuditLog

API = "/api/v1"
REFUSED = {
    "code": "forbidden",
    "message": "不能用 API 令牌创建新令牌：请登录系统后在“API 令牌”页面创建，或由管理员用命令行创建",
}


def post(client: Client, body: dict[str, Any], **headers: str):  # type: ignore[no-untyped-def]
    return client.post(
        f"{API}/tokens", json.dumps(body), content_type="application/json", **headers
    )


def counts() -> tuple[int, int]:
    return ApiToken.objects.count(), AuditLog.objects.count()


@pytest.mark.parametrize("body", [{}, {"name": "永久令牌"}, {"days": 1}, {"days": 3650}])
def test_a_token_cannot_make_a_token_403_json_and_nothing_is_made(
    people, client, caplog, body
) -> None:
    parent, key = token_create(actor=people.member, user=people.member, days=1)
    tokens, audits = counts()
    response = post(client, body, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 403
    assert response.json() == REFUSED
    assert ApiToken.objects.count() == tokens
    # One audit row: the refusal, naming the token that tried.
    assert AuditLog.objects.count() == audits + 1
    log = AuditLog.objects.latest("id")
    assert (log.action, log.object_id) == ("token.create_refused", str(parent.pk))
    assert "tried to create a token" in caplog.text


def test_a_token_cannot_make_a_token_even_beside_a_session(login, people) -> None:
    # Both credentials on one request: the token is used, so it is still refused.
    client = login(people.member)
    _, key = token_create(actor=people.member, user=people.member)
    tokens = ApiToken.objects.count()
    response = post(client, {"name": "x"}, HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 403
    assert ApiToken.objects.count() == tokens


def test_a_token_may_still_list_and_revoke_tokens(people, client) -> None:
    first, first_key = token_create(actor=people.member, user=people.member)
    second, _ = token_create(actor=people.member, user=people.member)
    headers = {"HTTP_AUTHORIZATION": f"Bearer {first_key}"}
    listed = client.get(f"{API}/tokens", **headers).json()
    assert [t["id"] for t in listed] == [second.pk, first.pk]
    assert {t["origin"] for t in listed} == {"session"}
    assert client.delete(f"{API}/tokens/{second.pk}", **headers).status_code == 204


def test_a_session_makes_a_token_that_expires_within_the_cap(login, people, settings) -> None:
    settings.API_TOKEN_MAX_DAYS = 90
    client = login(people.member)
    response = post(client, {"name": "数据同步"})
    assert response.status_code == 201
    body = response.json()
    assert body["origin"] == "session"
    lifetime = dt.datetime.fromisoformat(body["expires_at"]) - dt.datetime.fromisoformat(
        body["created_at"]
    )
    assert abs(lifetime - dt.timedelta(days=90)) < dt.timedelta(seconds=5)
    assert token_authenticate(body["key"]) == people.member


@pytest.mark.parametrize(("days", "status"), [(89, 201), (90, 201), (91, 400), (0, 400)])
def test_session_token_days_boundaries(login, people, settings, days, status) -> None:
    settings.API_TOKEN_MAX_DAYS = 90
    client = login(people.member)
    before = counts()
    response = post(client, {"days": days})
    assert response.status_code == status
    if status == 400:
        assert response.json() == {"code": "invalid_days", "message": "有效天数须在 1 到 90 之间"}
        assert counts() == before
    else:
        assert ApiToken.objects.get(pk=response.json()["id"]).origin == "session"


@pytest.mark.parametrize("body", [{"days": "永久"}, {"days": 1.5}, {"name": ["a"]}])
def test_a_malformed_token_request_is_422_and_nothing_is_made(login, people, body) -> None:
    client = login(people.member)
    before = counts()
    response = post(client, body)
    assert response.status_code == 422
    assert response.json()["message"] == "请求参数格式不正确"
    assert counts() == before
