"""Login, logout, workspace switching and the token page."""

from __future__ import annotations

import pytest
from django.conf import settings

from dangjian.accounts.models import ApiToken
from dangjian.orgs.tests.factories import grant

pytestmark = pytest.mark.django_db
PASSWORD = "pw-Test-2026"


def test_login_page_is_chinese(client):
    html = client.get("/accounts/login/").content.decode()
    assert "用户名或手机号" in html
    assert "登录" in html


def test_login_with_username(client, people):
    response = client.post("/accounts/login/", {"username": "township_a", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/").status_code == 200


def test_login_with_mobile(client, people):
    response = client.post("/accounts/login/", {"username": "13800000001", "password": PASSWORD})
    assert response.status_code == 302


def test_wrong_password_shows_chinese_error(client, people):
    response = client.post("/accounts/login/", {"username": "township_a", "password": "wrong"})
    assert response.status_code == 200
    assert "用户名（手机号）或密码不正确" in response.content.decode()


def test_repeated_failures_lock_the_account(client, people):
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "township_a", "password": "wrong"})
    response = client.post("/accounts/login/", {"username": "township_a", "password": PASSWORD})
    assert response.status_code == 429
    assert "已暂时锁定" in response.content.decode()
    assert "_auth_user_id" not in client.session


def test_logout(login, people):
    client = login(people.member)
    response = client.post("/accounts/logout/")
    assert response.status_code == 302
    assert client.get("/").status_code == 302


def test_switching_working_org(login, people, tree):
    g = grant(people.village_secretary, tree.village_b1, "member")
    client = login(people.village_secretary)
    assert "甲村党支部" in client.get("/").content.decode()
    client.post("/accounts/workspace/", {"grant_id": g.pk, "next": "/"})
    html = client.get("/").content.decode()
    assert "丙村党支部" in html


def test_cannot_switch_to_someone_elses_grant(login, people, tree):
    client = login(people.member)
    other = people.county_admin.grants.first()
    client.post("/accounts/workspace/", {"grant_id": other.pk, "next": "/"})
    assert client.session.get("working_grant_id") is None


def test_token_page_creates_and_revokes(login, people):
    client = login(people.member)
    response = client.post("/accounts/tokens/", {"name": "数据对接"})
    html = response.content.decode()
    assert "只显示这一次" in html
    token = ApiToken.objects.get(user=people.member)
    assert token.prefix in html
    client.post(f"/accounts/tokens/{token.pk}/revoke/")
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_cannot_revoke_another_users_token(login, people):
    from dangjian.accounts.services import token_create

    token, _ = token_create(actor=people.township_b, user=people.township_b)
    response = login(people.member).post(f"/accounts/tokens/{token.pk}/revoke/")
    assert response.status_code == 404
    token.refresh_from_db()
    assert token.revoked_at is None


def test_a_member_finds_their_own_pages_on_the_home_page_and_in_the_sidebar(
    tree, people, login
) -> None:  # type: ignore[no-untyped-def]
    from dangjian.members.models import Member
    from dangjian.members.tests.factories import make_member

    record = make_member(people.county_admin, tree.village_a1, name="陈秀英")
    Member.objects.filter(pk=record.pk).update(user=people.member)
    html = login(people.member).get("/").content.decode()
    for label, url in (
        ("我的积分存折", "/points/mine/"),
        ("我的党费", "/dues/mine/"),
        ("我的派单", "/requests/mine/"),
        ("我联系的住户", "/grid/mine/"),
    ):
        assert label in html
        assert f'href="{url}"' in html
    assert html.count("会议签到") == 1  # in the sidebar once, not again under 我的


def test_a_user_without_a_member_record_has_no_own_pages(people, login) -> None:  # type: ignore[no-untyped-def]
    html = login(people.township_a).get("/").content.decode()
    assert 'data-testid="home-mine"' not in html
    assert "我的积分存折" not in html


def test_a_token_made_on_the_page_expires_after_the_default_days(login, people):
    import datetime as dt

    client = login(people.member)
    html = client.get("/accounts/tokens/").content.decode()
    assert "留空为 90 天，最长 90 天" in html
    client.post("/accounts/tokens/", {"name": "数据对接", "days": ""})
    token = ApiToken.objects.get(user=people.member)
    assert token.origin == "session"
    assert abs(token.expires_at - token.created_at - dt.timedelta(days=90)) < dt.timedelta(
        seconds=5
    )
    assert "网页登录后创建" in client.get("/accounts/tokens/").content.decode()


@pytest.mark.parametrize(("days", "made"), [("1", True), ("90", True), ("91", False)])
def test_token_page_days_boundaries(login, people, days, made):
    response = login(people.member).post("/accounts/tokens/", {"name": "x", "days": days})
    assert response.status_code == 200
    assert ApiToken.objects.filter(user=people.member).exists() is made
    if not made:
        assert "有效天数须在 1 到 90 之间" in response.content.decode()


@pytest.mark.parametrize(
    ("days", "message"),
    [
        ("0", "有效天数须在 1 到 90 之间"),
        ("-5", "有效天数须在 1 到 90 之间"),
        ("永久", "有效天数请填写整数"),
    ],
)
def test_a_bad_lifetime_on_the_page_gets_a_chinese_message_and_makes_nothing(
    login, people, days, message
):
    from dangjian.core.models import AuditLog

    audits = AuditLog.objects.count()
    response = login(people.member).post("/accounts/tokens/", {"name": "x", "days": days})
    assert message in response.content.decode()
    assert "只显示这一次" not in response.content.decode()
    assert not ApiToken.objects.exists()
    assert AuditLog.objects.count() == audits


def test_the_page_cap_follows_the_setting(login, people, settings):
    settings.API_TOKEN_MAX_DAYS = 7
    client = login(people.member)
    response = client.post("/accounts/tokens/", {"days": "8"})
    assert "有效天数须在 1 到 7 之间" in response.content.decode()
    assert not ApiToken.objects.exists()
    client.post("/accounts/tokens/", {"days": "7"})
    assert ApiToken.objects.count() == 1
