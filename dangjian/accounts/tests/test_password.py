"""Changing one's password: it revokes every API token, ends the other sessions, and the
current password is checked under the same lockout as the login (django-axes, per account)."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.test import Client

from conftest import PASSWORD
from dangjian.accounts.models import ApiToken
from dangjian.accounts.services import token_authenticate, token_create
from dangjian.core.models import AuditLog

pytestmark = pytest.mark.django_db

URL = "/accounts/password/"
NEW = "Xin-mima-2026"


def change(client: Client, old: str, new: str = NEW, again: str | None = None):  # type: ignore[no-untyped-def]
    return client.post(
        URL, {"old_password": old, "new_password1": new, "new_password2": again or new}
    )


def failures(username: str) -> int:
    return sum(a.failures_since_start for a in AccessAttempt.objects.filter(username=username))


def password_is(user, password: str) -> bool:  # type: ignore[no-untyped-def]
    user.refresh_from_db()
    return user.check_password(password)


def test_the_page_warns_that_tokens_and_other_sessions_end(login, people) -> None:
    html = login(people.member).get(URL).content.decode()
    assert "您的全部 API 令牌也会被吊销" in html


def test_a_password_change_revokes_tokens_and_ends_other_sessions(login, people) -> None:
    other = Client()
    other.force_login(people.member, backend="dangjian.accounts.backends.UsernameOrMobileBackend")
    assert other.get("/").status_code == 200
    _, key = token_create(actor=people.member, user=people.member)
    _, cli_key = token_create(
        actor=None, user=people.member, origin=ApiToken.Origin.CLI, never_expires=True
    )
    client = login(people.member)

    response = change(client, PASSWORD)

    assert response.status_code == 302
    assert password_is(people.member, NEW)
    assert token_authenticate(key) is None
    assert token_authenticate(cli_key) is None
    assert Client().get("/api/v1/me", HTTP_AUTHORIZATION=f"Bearer {key}").status_code == 401
    # This session stays (and is told); the other one is logged out.
    home = client.get("/")
    assert home.status_code == 200
    assert "密码已修改；您的 2 个 API 令牌已随之吊销" in home.content.decode()
    assert other.get("/").status_code == 302
    log = AuditLog.objects.filter(action="user.password_change").get()
    assert (log.actor_id, log.object_id, log.changes) == (
        people.member.pk,
        str(people.member.pk),
        {"via": "form", "tokens_revoked": 2},
    )


def test_a_password_change_without_tokens_says_only_that(login, people) -> None:
    client = login(people.member)
    change(client, PASSWORD)
    html = client.get("/").content.decode()
    assert "密码已修改" in html
    assert "API 令牌已随之吊销" not in html


@pytest.mark.parametrize(
    ("new", "again", "message"),
    [
        (NEW, NEW + "x", "两次输入的新密码不一致"),
        ("Ab-1", "Ab-1", "密码太短，至少需要 8 个字符。"),
        ("12345678", "12345678", "密码只包含数字"),
        ("password", "password", "这个密码太常见了"),
    ],
)
def test_a_bad_new_password_gets_a_chinese_message_and_changes_nothing(
    login, people, new, again, message
) -> None:
    _, key = token_create(actor=people.member, user=people.member)
    audits = AuditLog.objects.count()
    response = change(login(people.member), PASSWORD, new, again)
    assert response.status_code == 200
    assert message in response.content.decode()
    assert password_is(people.member, PASSWORD)
    assert token_authenticate(key) == people.member
    assert AuditLog.objects.count() == audits
    assert failures("member") == 0  # the current password was right: nothing counted


# --- the lockout: limit - 1, limit, limit + 1 ------------------------------------------------


def test_one_short_of_the_limit_the_right_password_still_works(login, people) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    assert limit == 5
    client = login(people.member)
    for n in range(1, limit):
        response = change(client, f"wrong-{n}")
        assert response.status_code == 200
        assert f"当前密码不正确。再输错 {limit - n} 次，账号将被锁定 30 分钟。" in (
            response.content.decode()
        )
    assert failures("member") == limit - 1
    assert password_is(people.member, PASSWORD)

    response = change(client, PASSWORD)  # the limit-th try, with the right password

    assert response.status_code == 302
    assert password_is(people.member, NEW)
    assert failures("member") == 0  # a right password clears the count, as a login does


def test_at_the_limit_the_account_locks_like_a_login_lockout(login, people) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    _, key = token_create(actor=people.member, user=people.member)
    client = login(people.member)
    for n in range(1, limit):
        change(client, f"wrong-{n}")

    response = change(client, "wrong-last")

    assert response.status_code == 429
    assert "账号已暂时锁定" in response.content.decode()
    assert failures("member") == limit
    # This session is over, and logging in again is refused even with the right password.
    assert client.get("/").status_code == 302
    login_page = Client().post("/accounts/login/", {"username": "member", "password": PASSWORD})
    assert login_page.status_code == 429
    assert password_is(people.member, PASSWORD)
    assert token_authenticate(key) == people.member  # a lockout is not a password change


def test_past_the_limit_the_form_refuses_even_the_right_password(login, people) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    _, key = token_create(actor=people.member, user=people.member)
    client = login(people.member)  # (a login clears the count: log in before the guessing)
    # Another of the user's sessions used up the attempts.
    guesser = Client()
    guesser.force_login(people.member, backend="dangjian.accounts.backends.UsernameOrMobileBackend")
    for n in range(limit):
        change(guesser, f"wrong-{n}")
    audits = AuditLog.objects.count()

    response = change(client, PASSWORD)  # limit + 1

    assert response.status_code == 429
    html = response.content.decode()
    assert "当前密码连续输错次数过多，账号已暂时锁定，现在不能修改密码。请 30 分钟后再试" in html
    assert password_is(people.member, PASSWORD)
    assert token_authenticate(key) == people.member
    assert AuditLog.objects.count() == audits
    assert failures("member") == limit  # a refused try is not counted (no reset of the clock)


def test_failed_logins_and_wrong_current_passwords_share_one_count(login, people) -> None:
    limit = settings.AXES_FAILURE_LIMIT
    client = login(people.member)  # a login clears the count, so it comes first
    for _ in range(limit - 1):
        Client().post("/accounts/login/", {"username": "member", "password": "wrong"})

    response = change(client, "wrong")

    assert response.status_code == 429
    assert failures("member") == limit
    assert password_is(people.member, PASSWORD)


def test_the_lockout_of_one_account_does_not_touch_another(login, people) -> None:
    for _ in range(settings.AXES_FAILURE_LIMIT):
        Client().post("/accounts/login/", {"username": "township_a", "password": "wrong"})
    response = change(login(people.member), PASSWORD)
    assert response.status_code == 302
    assert password_is(people.member, NEW)


def test_no_password_from_the_form_is_kept_by_the_lockout_records(login, people) -> None:
    client = login(people.member)
    change(client, "Wrong-Guess-1", "Secret-New-77", "Secret-New-77")
    attempt = AccessAttempt.objects.get(username="member")
    assert attempt.failures_since_start == 1
    assert "Wrong-Guess-1" not in attempt.post_data
    assert "Secret-New-77" not in attempt.post_data
