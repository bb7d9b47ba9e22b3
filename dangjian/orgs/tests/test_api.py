"""The JSON API at /api/v1/ for every persona: session and Bearer-token authentication."""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from django.test import Client
from django.utils import timezone

from dangjian.accounts.models import ApiToken
from dangjian.accounts.services import token_create, token_revoke
from dangjian.core import workdays
from dangjian.core.models import AuditLog
from dangjian.orgs.models import Organization

API = "/api/v1"


@pytest.fixture(autouse=True)
def fresh_calendar_cache():
    workdays.clear_cache()
    yield
    workdays.clear_cache()


def bearer(user: Any) -> dict[str, str]:
    _, key = token_create(actor=user, user=user, name="测试")
    return {"HTTP_AUTHORIZATION": f"Bearer {key}"}


def post(client: Client, url: str, body: dict[str, Any], **headers: str):  # type: ignore[no-untyped-def]
    return client.post(url, json.dumps(body), content_type="application/json", **headers)


def patch(client: Client, url: str, body: dict[str, Any], **headers: str):  # type: ignore[no-untyped-def]
    return client.patch(url, json.dumps(body), content_type="application/json", **headers)


def snapshot() -> tuple[int, int, list[tuple[Any, ...]]]:
    rows = list(
        Organization.objects.order_by("pk").values_list(
            "pk", "name", "path", "depth", "parent_id", "code"
        )
    )
    return Organization.objects.count(), AuditLog.objects.count(), rows


def new_branch(parent: Organization, **extra: Any) -> dict[str, Any]:
    return {
        "parent_id": parent.pk,
        "org_type": "branch",
        "name": "中共丁村支部委员会",
        "sector": "rural",
        **extra,
    }


# --- reading ---------------------------------------------------------------------------------

TOP = {
    "county_admin": ["county"],
    "township_a": ["township_a"],
    "township_b": ["township_b"],
    "village_secretary": ["village_a1"],
    "member": ["village_a1"],
    "grid_worker": ["township_a"],
    "inspector": ["county"],
    "nobody": [],
}


@pytest.mark.parametrize("persona", list(TOP))
def test_org_roots_are_the_top_of_each_personas_forest(tree, people, login, persona) -> None:
    client = login(getattr(people, persona))
    response = client.get(f"{API}/orgs/")
    assert response.status_code == 200
    assert [o["id"] for o in response.json()] == [getattr(tree, k).pk for k in TOP[persona]]


def test_org_roots_carry_labels_and_child_flags(tree, people, login) -> None:
    response = login(people.township_a).get(f"{API}/orgs/")
    (org,) = response.json()
    assert org["name"] == "中共甲镇委员会"
    assert org["org_type"] == "committee"
    assert org["org_type_label"] == "党委"
    assert org["type_code"] == "611"
    assert org["sector_label"] == "乡镇"
    assert org["path"] == tree.township_a.path
    assert org["ancestor_ids"] == [tree.county.pk]
    assert org["has_children"] is True


def test_org_detail_for_a_visible_org(tree, people, login) -> None:
    response = login(people.member).get(f"{API}/orgs/{tree.group_a1.pk}")
    assert response.status_code == 200
    assert response.json()["name"] == "甲村第一党小组"
    assert response.json()["parent_id"] == tree.village_a1.pk


@pytest.mark.parametrize(
    ("persona", "org"),
    [
        ("township_a", "township_b"),
        ("township_a", "village_b1"),
        ("township_a", "county"),
        ("township_b", "village_a1"),
        ("member", "village_a2"),
        ("nobody", "county"),
    ],
)
def test_org_detail_outside_scope_is_404_json(tree, people, login, persona, org) -> None:
    response = login(getattr(people, persona)).get(f"{API}/orgs/{getattr(tree, org).pk}")
    assert response.status_code == 404
    assert response.json() == {"code": "not_found", "message": "未找到该组织，或您无权查看"}


def test_a_missing_org_looks_like_a_forbidden_one(tree, people, login) -> None:
    client = login(people.township_a)
    missing = client.get(f"{API}/orgs/999999")
    forbidden = client.get(f"{API}/orgs/{tree.township_b.pk}")
    assert missing.status_code == forbidden.status_code == 404
    assert missing.json() == forbidden.json()


def test_org_children_lists_the_direct_children(tree, people, login) -> None:
    response = login(people.township_a).get(f"{API}/orgs/{tree.township_a.pk}/children")
    assert response.status_code == 200
    assert [(o["id"], o["has_children"]) for o in response.json()] == [
        (tree.village_a1.pk, True),
        (tree.village_a2.pk, False),
    ]


def test_org_children_of_an_invisible_org_is_404(tree, people, login) -> None:
    response = login(people.township_b).get(f"{API}/orgs/{tree.township_a.pk}/children")
    assert response.status_code == 404


@pytest.mark.parametrize(
    ("persona", "expected"),
    [
        ("county_admin", ["village_a1", "group_a1"]),
        ("township_a", ["village_a1", "group_a1"]),
        ("member", ["village_a1", "group_a1"]),
        ("township_b", []),
        ("nobody", []),
    ],
)
def test_org_search_stays_inside_the_scope(tree, people, login, persona, expected) -> None:
    response = login(getattr(people, persona)).get(f"{API}/orgs/search", {"q": "甲村"})
    assert response.status_code == 200
    body = response.json()
    assert [o["id"] for o in body["items"]] == [getattr(tree, k).pk for k in expected]
    assert body["next_cursor"] is None


def test_org_search_pages_with_a_cursor(tree, people, login) -> None:
    client = login(people.county_admin)
    first = client.get(f"{API}/orgs/search", {"limit": 4}).json()
    assert [o["id"] for o in first["items"]] == [
        tree.county.pk,
        tree.township_a.pk,
        tree.village_a1.pk,
        tree.group_a1.pk,
    ]
    assert first["next_cursor"] == tree.group_a1.path
    second = client.get(f"{API}/orgs/search", {"limit": 4, "cursor": first["next_cursor"]}).json()
    assert [o["id"] for o in second["items"]] == [
        tree.village_a2.pk,
        tree.township_b.pk,
        tree.village_b1.pk,
        tree.organs.pk,
    ]
    third = client.get(f"{API}/orgs/search", {"limit": 4, "cursor": second["next_cursor"]}).json()
    assert [o["id"] for o in third["items"]] == [tree.bureau.pk]
    assert third["next_cursor"] is None


def test_org_search_within_an_invisible_org_is_404(tree, people, login) -> None:
    response = login(people.township_a).get(f"{API}/orgs/search", {"within": tree.township_b.pk})
    assert response.status_code == 404


def test_org_search_by_type_and_within(tree, people, login) -> None:
    response = login(people.county_admin).get(
        f"{API}/orgs/search", {"org_type": "branch", "within": tree.township_a.pk}
    )
    assert [o["id"] for o in response.json()["items"]] == [tree.village_a1.pk, tree.village_a2.pk]


# --- writing ---------------------------------------------------------------------------------


def test_post_org_creates_under_the_parent(tree, people, client) -> None:
    response = post(
        client,
        f"{API}/orgs/",
        new_branch(tree.township_a, code="dc-01", short_name="丁村党支部"),
        **bearer(people.township_a),
    )
    assert response.status_code == 201
    body = response.json()
    org = Organization.objects.get(pk=body["id"])
    assert (org.name, org.code, org.parent_id) == (
        "中共丁村支部委员会",
        "DC-01",
        tree.township_a.pk,
    )
    assert body["path"] == tree.township_a.path + "0003"
    log = AuditLog.objects.latest("id")
    assert (log.action, log.actor_id, log.ip) == ("org.create", people.township_a.pk, "127.0.0.1")


def test_post_org_with_a_session(tree, people, login) -> None:
    # The test client skips CSRF checks, as a browser page with the token would pass them.
    response = post(login(people.township_a), f"{API}/orgs/", new_branch(tree.township_a))
    assert response.status_code == 201


def test_a_session_post_without_a_csrf_token_is_refused(tree, people) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(
        people.township_a, backend="dangjian.accounts.backends.UsernameOrMobileBackend"
    )
    before = snapshot()
    response = post(client, f"{API}/orgs/", new_branch(tree.township_a))
    assert response.status_code == 403
    assert response.json() == {"code": "csrf_failed", "message": "CSRF 校验失败，请刷新页面后重试"}
    assert snapshot() == before


def test_an_unparseable_body_is_400_json(tree, people, client) -> None:
    headers = bearer(people.township_a)
    before = snapshot()
    response = client.post(f"{API}/orgs/", "{not json", content_type="application/json", **headers)
    assert response.status_code == 400
    assert response.json() == {"code": "bad_request", "message": "请求内容无法解析，请提交 JSON"}
    assert snapshot() == before


def test_a_session_post_with_the_csrf_token_is_accepted(tree, people) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(
        people.township_a, backend="dangjian.accounts.backends.UsernameOrMobileBackend"
    )
    client.get("/")  # sets the csrftoken cookie
    token = client.cookies["csrftoken"].value
    response = post(client, f"{API}/orgs/", new_branch(tree.township_a), HTTP_X_CSRFTOKEN=token)
    assert response.status_code == 201


def test_a_token_post_needs_no_csrf_token(tree, people) -> None:
    client = Client(enforce_csrf_checks=True)
    response = post(
        client, f"{API}/orgs/", new_branch(tree.township_a), **bearer(people.township_a)
    )
    assert response.status_code == 201


def test_member_cannot_post_an_org(tree, people, client) -> None:
    headers = bearer(people.member)
    before = snapshot()
    response = post(
        client,
        f"{API}/orgs/",
        new_branch(tree.township_a) | {"parent_id": tree.village_a1.pk, "org_type": "group"},
        **headers,
    )
    assert response.status_code == 403
    assert response.json() == {"code": "forbidden", "message": "您没有权限执行此操作"}
    assert snapshot() == before


def test_township_a_cannot_post_under_township_b(tree, people, client) -> None:
    headers = bearer(people.township_a)
    before = snapshot()
    response = post(client, f"{API}/orgs/", new_branch(tree.township_b), **headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"
    assert snapshot() == before


def test_an_unknown_org_type_is_400_with_a_chinese_message(tree, people, client) -> None:
    headers = bearer(people.township_a)
    before = snapshot()
    response = post(
        client,
        f"{API}/orgs/",
        new_branch(tree.township_a, org_type="cell"),
        **headers,
    )
    assert response.status_code == 400
    assert response.json() == {"code": "unknown_type", "message": "未知的组织类别：cell"}
    assert snapshot() == before


def test_a_misplaced_org_type_is_400(tree, people, client) -> None:
    headers = bearer(people.township_a)
    before = snapshot()
    response = post(
        client,
        f"{API}/orgs/",
        new_branch(tree.township_a, org_type="group"),
        **headers,
    )
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_placement", "message": "党小组只能设在党支部之下"}
    assert snapshot() == before


def test_a_duplicate_code_is_400_with_the_field(tree, people, client) -> None:
    headers = bearer(people.township_a)
    before = snapshot()
    code = tree.village_a1.code
    response = post(
        client,
        f"{API}/orgs/",
        new_branch(tree.township_a, code=code),
        **headers,
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "invalid",
        "message": f"组织代码“{code}”已被使用",
        "fields": {"code": [f"组织代码“{code}”已被使用"]},
    }
    assert snapshot() == before


def test_a_missing_field_is_422(tree, people, client) -> None:
    headers = bearer(people.township_a)
    before = snapshot()
    response = post(client, f"{API}/orgs/", {"parent_id": tree.township_a.pk}, **headers)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert response.json()["message"] == "请求参数格式不正确"
    assert snapshot() == before


def test_a_too_long_short_name_is_422_not_a_crash(tree, people, client) -> None:
    headers = bearer(people.township_a)
    before = snapshot()
    response = post(
        client,
        f"{API}/orgs/",
        new_branch(tree.township_a, short_name="长" * 51),
        **headers,
    )
    assert response.status_code == 422
    assert snapshot() == before


def test_patch_org_updates_fields(tree, people, client) -> None:
    response = patch(
        client,
        f"{API}/orgs/{tree.village_a1.pk}",
        {"short_name": "甲村支部", "term_end": None},
        **bearer(people.village_secretary),
    )
    assert response.status_code == 200
    assert response.json()["short_name"] == "甲村支部"
    tree.village_a1.refresh_from_db()
    assert tree.village_a1.short_name == "甲村支部"


def test_inspector_cannot_patch_and_nothing_changes(tree, people, client) -> None:
    headers = bearer(people.inspector)
    before = snapshot()
    response = patch(client, f"{API}/orgs/{tree.village_a1.pk}", {"name": "改名"}, **headers)
    assert response.status_code == 403
    assert response.json()["code"] == "forbidden"
    assert snapshot() == before


def test_township_b_patching_township_a_is_404(tree, people, client) -> None:
    headers = bearer(people.township_b)
    before = snapshot()
    response = patch(client, f"{API}/orgs/{tree.village_a1.pk}", {"name": "改名"}, **headers)
    assert response.status_code == 404
    assert snapshot() == before


@pytest.mark.parametrize(
    "body",
    [
        {"name": None},
        {"short_name": None},
        {"code": None},
        {"sector": None},
        {"is_retiree": None},
        {"is_mobile": None},
        {"unit_name": None},
        {"unit_credit_code": None},
        {"address": None},
        {"phone": None},
    ],
)
def test_patch_with_null_for_a_required_field_is_refused_not_a_crash(
    tree, people, client, body
) -> None:
    headers = bearer(people.township_a)
    before = snapshot()
    response = patch(client, f"{API}/orgs/{tree.village_a1.pk}", body, **headers)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    (error,) = response.json()["detail"]
    assert error["loc"] == ["body", "payload", next(iter(body))]
    assert "该字段不能为 null" in error["msg"]
    assert snapshot() == before


def test_patch_with_null_clears_a_date(tree, people, client) -> None:
    tree.village_a1.term_start = dt.date(2024, 1, 1)
    tree.village_a1.term_end = dt.date(2029, 1, 1)
    tree.village_a1.save()
    response = patch(
        client,
        f"{API}/orgs/{tree.village_a1.pk}",
        {"term_end": None},
        **bearer(people.township_a),
    )
    assert response.status_code == 200
    assert response.json()["term_end"] is None
    tree.village_a1.refresh_from_db()
    assert tree.village_a1.term_end is None


def test_post_move_moves_the_subtree(tree, people, client) -> None:
    response = post(
        client,
        f"{API}/orgs/{tree.village_a2.pk}/move",
        {"new_parent_id": tree.township_b.pk},
        **bearer(people.county_admin),
    )
    assert response.status_code == 200
    assert response.json()["parent_id"] == tree.township_b.pk
    assert response.json()["path"] == tree.township_b.path + "0002"


def test_a_move_into_its_own_subtree_is_400(tree, people, client) -> None:
    headers = bearer(people.county_admin)
    before = snapshot()
    response = post(
        client,
        f"{API}/orgs/{tree.township_a.pk}/move",
        {"new_parent_id": tree.village_a1.pk},
        **headers,
    )
    assert response.status_code == 400
    assert response.json() == {
        "code": "move_into_own_subtree",
        "message": "不能把组织调整到它自己或它的下级组织之下",
    }
    assert snapshot() == before


def test_township_a_cannot_move_into_township_b(tree, people, client) -> None:
    headers = bearer(people.township_a)
    before = snapshot()
    response = post(
        client,
        f"{API}/orgs/{tree.village_a2.pk}/move",
        {"new_parent_id": tree.township_b.pk},
        **headers,
    )
    assert response.status_code == 404
    assert snapshot() == before


def test_links_post_and_list(tree, people, client) -> None:
    headers = bearer(people.township_a)
    url = f"{API}/orgs/{tree.village_a1.pk}/links"
    body = {"kind": "alliance", "partner_id": tree.village_a2.pk, "started_on": "2025-01-01"}
    created = post(client, url, body, **headers)
    assert created.status_code == 201
    assert created.json()["kind_label"] == "跨村联建"
    again = post(client, url, body, **headers)
    assert again.status_code == 400
    assert again.json()["code"] == "duplicate_link"
    listed = client.get(url, **headers)
    assert [x["id"] for x in listed.json()] == [created.json()["id"]]


# --- calendar --------------------------------------------------------------------------------


def test_add_working_days_across_national_day(people, login) -> None:
    response = login(people.member).get(
        f"{API}/calendar/add-working-days", {"start": "2025-09-30", "days": 1}
    )
    assert response.status_code == 200
    assert response.json() == {"date": "2025-10-09"}


def test_working_days_between_and_is_working_day(people, login) -> None:
    client = login(people.member)
    between = client.get(
        f"{API}/calendar/working-days-between", {"start": "2026-02-13", "end": "2026-02-28"}
    )
    assert between.json() == {"working_days": 6}
    day = client.get(f"{API}/calendar/is-working-day", {"date": "2026-02-14"})
    assert day.json() == {"date": "2026-02-14", "is_working_day": True}


def test_a_bad_date_is_422_json(people, login) -> None:
    response = login(people.member).get(
        f"{API}/calendar/add-working-days", {"start": "2025-13-01", "days": 1}
    )
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert response.json()["message"] == "请求参数格式不正确"


def test_negative_days_is_400_with_a_chinese_message(people, login) -> None:
    response = login(people.member).get(
        f"{API}/calendar/add-working-days", {"start": "2025-09-30", "days": -1}
    )
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_days", "message": "工作日天数须在 0 到 3660 之间"}


def test_the_last_representable_date_is_refused_not_a_crash(people, login) -> None:
    response = login(people.member).get(
        f"{API}/calendar/add-working-days", {"start": "9999-12-31", "days": 1}
    )
    assert response.status_code == 400
    assert response.json() == {"code": "date_out_of_range", "message": "日期超出可计算的范围"}


# --- authentication --------------------------------------------------------------------------

UNAUTHORIZED = {"code": "unauthorized", "message": "未登录，或 API 令牌无效、已吊销或已过期"}


@pytest.mark.parametrize(
    "url",
    [
        "/orgs/",
        "/orgs/1",
        "/orgs/search",
        "/calendar/add-working-days?start=2025-09-30&days=1",
        "/me",
        "/tokens",
    ],
)
def test_unauthenticated_requests_are_401_json(db, client, url) -> None:
    response = client.get(API + url)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_unauthenticated_post_is_401_and_creates_nothing(tree, client) -> None:
    before = snapshot()
    response = post(client, f"{API}/orgs/", new_branch(tree.township_a))
    assert response.status_code == 401
    assert snapshot() == before


@pytest.mark.parametrize(
    "header",
    [
        "Bearer",
        "Bearer ",
        "Bearer djt_not-a-real-token",
        "Bearer " + "x" * 500,
        "Token djt_abc",
        "djt_abc",
    ],
)
def test_malformed_or_unknown_tokens_are_401(people, client, header) -> None:
    response = client.get(f"{API}/orgs/", HTTP_AUTHORIZATION=header)
    assert response.status_code == 401
    assert response.json() == UNAUTHORIZED


def test_a_valid_token_reads(tree, people, client) -> None:
    response = client.get(f"{API}/orgs/", **bearer(people.township_a))
    assert response.status_code == 200
    assert [o["id"] for o in response.json()] == [tree.township_a.pk]


def test_a_revoked_token_is_401(tree, people, client) -> None:
    token, key = token_create(actor=people.township_a, user=people.township_a)
    token_revoke(actor=people.township_a, token=token)
    response = client.get(f"{API}/orgs/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 401


def test_an_expired_token_is_401(tree, people, client) -> None:
    token, key = token_create(actor=people.township_a, user=people.township_a, days=1)
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(seconds=1))
    response = client.get(f"{API}/orgs/", HTTP_AUTHORIZATION=f"Bearer {key}")
    assert response.status_code == 401


def test_a_token_of_an_inactive_user_is_401(tree, people, client) -> None:
    headers = bearer(people.township_a)
    people.township_a.is_active = False
    people.township_a.save()
    assert client.get(f"{API}/orgs/", **headers).status_code == 401


def test_a_township_a_token_cannot_read_township_b(tree, people, client) -> None:
    headers = bearer(people.township_a)
    assert client.get(f"{API}/orgs/{tree.village_a1.pk}", **headers).status_code == 200
    response = client.get(f"{API}/orgs/{tree.village_b1.pk}", **headers)
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_me_lists_the_active_grants(tree, people, client) -> None:
    response = client.get(f"{API}/me", **bearer(people.township_a))
    assert response.status_code == 200
    body = response.json()
    assert (body["username"], body["name"]) == ("township_a", "李红梅")
    assert [(g["role"], g["role_label"], g["org_id"]) for g in body["grants"]] == [
        ("party_worker", "党务工作者", tree.township_a.pk)
    ]


# --- tokens ----------------------------------------------------------------------------------


def test_post_tokens_shows_the_key_once(people, client) -> None:
    # Tokens are made from a logged-in session (a token may not make one: accounts/test_api).
    client.force_login(people.member)
    response = post(client, f"{API}/tokens", {"name": "数据同步", "days": 30})
    assert response.status_code == 201
    body = response.json()
    assert body["key"].startswith("djt_")
    assert body["prefix"] == body["key"][:10]
    assert body["name"] == "数据同步"
    token = ApiToken.objects.get(pk=body["id"])
    assert body["key"] not in (token.key_hash, token.prefix)
    listed = client.get(f"{API}/tokens", HTTP_AUTHORIZATION=f"Bearer {body['key']}").json()
    assert "key" not in listed[0]
    assert [t["id"] for t in listed][0] == token.pk


@pytest.mark.parametrize("days", [0, -1, 91, 3651])
def test_post_tokens_refuses_a_bad_lifetime(people, client, days) -> None:
    client.force_login(people.member)
    before = ApiToken.objects.count()
    response = post(client, f"{API}/tokens", {"days": days})
    assert response.status_code == 400
    assert response.json() == {"code": "invalid_days", "message": "有效天数须在 1 到 90 之间"}
    assert ApiToken.objects.count() == before


def test_delete_token_revokes_it(people, client) -> None:
    headers = bearer(people.member)
    token, key = token_create(actor=people.member, user=people.member)
    response = client.delete(f"{API}/tokens/{token.pk}", **headers)
    assert response.status_code == 204
    token.refresh_from_db()
    assert token.revoked_at is not None
    assert client.get(f"{API}/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401


def test_delete_another_users_token_is_404_and_changes_nothing(people, client) -> None:
    token, key = token_create(actor=people.township_b, user=people.township_b)
    audits = AuditLog.objects.count()
    response = client.delete(f"{API}/tokens/{token.pk}", **bearer(people.member))
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None
    assert AuditLog.objects.count() == audits + 1  # only the member's own token.create
    assert client.get(f"{API}/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 200


# --- the schema ------------------------------------------------------------------------------


def test_openapi_json_is_valid_and_lists_the_org_paths(db, client) -> None:
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200
    doc = response.json()
    assert doc["openapi"].startswith("3.")
    assert doc["info"]["title"] == "智慧党建 API"
    paths = doc["paths"]
    for path in (
        "/api/v1/orgs/",
        "/api/v1/orgs/search",
        "/api/v1/orgs/{org_id}",
        "/api/v1/orgs/{org_id}/children",
        "/api/v1/orgs/{org_id}/move",
        "/api/v1/orgs/{org_id}/links",
        "/api/v1/calendar/add-working-days",
        "/api/v1/tokens",
        "/api/v1/tokens/{token_id}",
    ):
        assert path in paths, path
    assert set(paths["/api/v1/orgs/"]) == {"get", "post"}
    assert set(paths["/api/v1/orgs/{org_id}"]) == {"get", "patch"}
    schemes = doc["components"]["securitySchemes"]
    assert {s["type"] for s in schemes.values()} >= {"http", "apiKey"}

    import schemathesis

    schemathesis.openapi.from_dict(doc).validate()  # against the OpenAPI meta-schema


# --- hostile input: refused the same way on SQLite and PostgreSQL ----------------------------


@pytest.mark.parametrize(
    "query",
    [{"q": "甲\x00村"}, {"cursor": "\x00"}, {"org_type": "branch\x00"}, {"sector": "\x00"}],
)
def test_a_nul_character_in_a_query_is_422(tree, people, client, query) -> None:
    response = client.get(f"{API}/orgs/search", query, **bearer(people.county_admin))
    assert response.status_code == 422
    body = response.json()
    assert (body["code"], body["message"]) == ("invalid_input", "请求参数格式不正确")
    assert body["detail"] == [
        {"type": "nul_character", "loc": ["query"], "msg": "不能包含空字符（\\x00）"}
    ]


@pytest.mark.parametrize(
    ("method", "url", "body"),
    [
        ("post", "/orgs/", {"name": "丁村\x00党支部"}),
        ("patch", "/orgs/{a1}", {"address": "\x00"}),
        ("post", "/orgs/{a1}/links", {"note": "\x00"}),
        ("post", "/tokens", {"name": "\x00"}),
    ],
)
def test_a_nul_character_in_a_body_is_422_and_nothing_changes(
    tree, people, client, method, url, body
) -> None:
    headers = bearer(people.county_admin)
    payload = {
        "/orgs/": new_branch(tree.township_a),
        "/orgs/{a1}": {},
        "/orgs/{a1}/links": {
            "kind": "alliance",
            "partner_id": tree.village_a2.pk,
            "started_on": "2025-01-01",
        },
        "/tokens": {},
    }[url] | body
    tokens, before = ApiToken.objects.count(), snapshot()
    send = post if method == "post" else patch
    response = send(client, API + url.format(a1=tree.village_a1.pk), payload, **headers)
    assert response.status_code == 422
    assert response.json()["code"] == "invalid_input"
    assert response.json()["detail"][0]["type"] == "nul_character"
    assert (ApiToken.objects.count(), snapshot()) == (tokens, before)


@pytest.mark.parametrize("org_id", [2**31, 2**63, 2**70])
def test_an_out_of_range_id_is_404(tree, people, client, org_id) -> None:
    headers = bearer(people.county_admin)
    assert client.get(f"{API}/orgs/{org_id}", **headers).status_code == 404
    assert client.get(f"{API}/orgs/search", {"within": org_id}, **headers).status_code == 404
    response = post(
        client,
        f"{API}/orgs/{tree.village_a2.pk}/move",
        {"new_parent_id": org_id},
        **headers,
    )
    assert response.status_code == 404
