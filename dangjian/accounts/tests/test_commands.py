from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command

from dangjian.accounts.models import ApiToken
from dangjian.accounts.services import token_authenticate

pytestmark = pytest.mark.django_db


def test_token_create_prints_a_working_key(people):
    out = io.StringIO()
    call_command("token", "create", "township_a", stdout=out)
    key = out.getvalue().strip()
    assert token_authenticate(key) == people.township_a
    assert not ApiToken.objects.filter(key_hash=key).exists()


def test_token_create_for_unknown_user_fails_in_chinese(people):
    with pytest.raises(CommandError, match="用户不存在"):
        call_command("token", "create", "ghost")


def test_token_revoke_by_prefix(people):
    out = io.StringIO()
    call_command("token", "create", "member", stdout=out)
    key = out.getvalue().strip()
    call_command("token", "revoke", key[:10], stdout=io.StringIO())
    assert token_authenticate(key) is None


def _create(*args: str) -> ApiToken:
    out = io.StringIO()
    call_command("token", "create", "member", *args, stdout=out)
    key = out.getvalue().strip()
    token = ApiToken.objects.get(prefix=key[:10])
    assert token_authenticate(key) is not None
    return token


def _days(token: ApiToken) -> float:
    assert token.expires_at is not None
    return (token.expires_at - token.created_at).total_seconds() / 86400


def test_a_cli_token_lasts_api_token_max_days_unless_told(people, settings):
    settings.API_TOKEN_MAX_DAYS = 90
    token = _create()
    assert token.origin == "cli"
    assert round(_days(token)) == 90


@pytest.mark.parametrize("days", ["1", "3650"])
def test_the_cli_may_give_up_to_ten_years(people, days):
    assert round(_days(_create("--days", days))) == int(days)


def test_only_with_never_expires_does_a_cli_token_never_expire(people):
    assert _create("--never-expires").expires_at is None


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--days", "0"], "有效天数须在 1 到 3650 之间"),
        (["--days", "3651"], "有效天数须在 1 到 3650 之间"),
        (["--days", "30", "--never-expires"], "“长期有效”与有效天数只能选一个"),
    ],
)
def test_bad_cli_lifetimes_fail_in_chinese_and_make_nothing(people, args, message):
    with pytest.raises(CommandError, match=message):
        call_command("token", "create", "member", *args, stdout=io.StringIO())
    assert not ApiToken.objects.exists()


# --- changepassword: Django's command, through the service --------------------------------


def _answers(monkeypatch, *answers: str) -> None:  # type: ignore[no-untyped-def]
    feed = iter(answers)
    monkeypatch.setattr("getpass.getpass", lambda prompt="": next(feed))


def test_changepassword_is_ours(people):
    from django.core.management import get_commands

    assert get_commands()["changepassword"] == "dangjian.accounts"


def test_changepassword_revokes_the_users_tokens_and_is_audited(people, monkeypatch):
    from dangjian.accounts.services import token_create
    from dangjian.core.models import AuditLog

    _, key = token_create(actor=None, user=people.member, origin="cli", never_expires=True)
    _, other_key = token_create(actor=people.township_a, user=people.township_a)
    _answers(monkeypatch, "Xin-mima-2026", "Xin-mima-2026")
    out = io.StringIO()
    call_command("changepassword", "member", stdout=out)
    assert "已修改用户 member 的密码；吊销 API 令牌 1 个" in out.getvalue()
    people.member.refresh_from_db()
    assert people.member.check_password("Xin-mima-2026")
    assert token_authenticate(key) is None
    assert token_authenticate(other_key) == people.township_a
    log = AuditLog.objects.filter(action="user.password_change").get()
    assert (log.actor_id, log.changes) == (None, {"via": "cli", "tokens_revoked": 1})


def test_changepassword_gives_up_in_chinese_and_changes_nothing(people, monkeypatch):
    from conftest import PASSWORD
    from dangjian.accounts.services import token_create

    _, key = token_create(actor=people.member, user=people.member)
    # A mismatch, a weak password, another mismatch: three tries, then it stops.
    _answers(monkeypatch, "Xin-mima-2026", "Xin-mima-2027", "123", "123", "a-Long-1", "b")
    err = io.StringIO()
    with pytest.raises(CommandError, match="已尝试 3 次，放弃修改用户 member 的密码"):
        call_command("changepassword", "member", stdout=io.StringIO(), stderr=err)
    assert "密码太短" in err.getvalue()
    people.member.refresh_from_db()
    assert people.member.check_password(PASSWORD)
    assert token_authenticate(key) == people.member


def test_changepassword_for_an_unknown_user_fails_in_chinese(people):
    with pytest.raises(CommandError, match="用户不存在：ghost"):
        call_command("changepassword", "ghost")
