"""Personal API tokens: a hash at rest, shown once, revocable, expiring, one owner."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from dangjian.accounts.models import ApiToken
from dangjian.accounts.services import token_authenticate, token_create, token_revoke
from dangjian.core.models import AuditLog
from dangjian.orgs.tests.factories import make_user


def test_token_create_stores_only_a_hash(people) -> None:
    token, key = token_create(actor=people.member, user=people.member, name="数据同步")
    assert key.startswith("djt_")
    assert len(key) > 40
    row = ApiToken.objects.filter(pk=token.pk).values().get()
    assert row["key_hash"] == hashlib.sha256(key.encode()).hexdigest()
    assert row["prefix"] == key[:10]
    # The key itself appears in no column (the prefix is a deliberately short, public part).
    assert all(key not in str(value) for value in row.values())
    assert not ApiToken.objects.filter(key_hash=key).exists()
    assert row["name"] == "数据同步"
    assert row["origin"] == "session"
    assert row["created_by_token_id"] is None
    assert row["revoked_at"] is None


def test_token_create_is_audited_without_the_key(people) -> None:
    before = AuditLog.objects.count()
    token, key = token_create(actor=people.member, user=people.member, name="同步")
    assert AuditLog.objects.count() == before + 1
    log = AuditLog.objects.latest("id")
    assert (log.action, log.actor_id, log.object_id) == (
        "token.create",
        people.member.pk,
        str(token.pk),
    )
    assert log.changes == {
        "name": "同步",
        "origin": "session",
        "expires_at": token.expires_at.isoformat(),
    }
    assert key not in str(log.changes)
    assert key not in log.object_repr


def test_two_tokens_have_different_keys(people) -> None:
    _, first = token_create(actor=people.member, user=people.member)
    _, second = token_create(actor=people.member, user=people.member)
    assert first != second


def test_token_authenticate_returns_the_owner_and_notes_the_use(people) -> None:
    token, key = token_create(actor=people.member, user=people.member)
    assert token_authenticate(key) == people.member
    token.refresh_from_db()
    first_use = token.last_used_at
    assert first_use is not None
    # Within five minutes the use is not written again (no write on every request).
    assert token_authenticate(key) == people.member
    token.refresh_from_db()
    assert token.last_used_at == first_use


@pytest.mark.parametrize("key", ["", "djt_", "djt_unknown", "x" * 201])
def test_token_authenticate_refuses_malformed_and_unknown_keys(people, key: str) -> None:
    token_create(actor=people.member, user=people.member)
    assert token_authenticate(key) is None


def test_token_revoke_sets_revoked_at_and_the_token_stops_working(people) -> None:
    token, key = token_create(actor=people.member, user=people.member)
    audits = AuditLog.objects.count()
    revoked = token_revoke(actor=people.member, token=token)
    assert revoked.revoked_at is not None
    assert ApiToken.objects.get(pk=token.pk).revoked_at == revoked.revoked_at
    assert token_authenticate(key) is None
    assert AuditLog.objects.count() == audits + 1
    assert AuditLog.objects.latest("id").action == "token.revoke"


def test_revoking_twice_keeps_the_first_time_and_one_audit_row(people) -> None:
    token, _ = token_create(actor=people.member, user=people.member)
    first = token_revoke(actor=people.member, token=token).revoked_at
    audits = AuditLog.objects.count()
    assert token_revoke(actor=people.member, token=token).revoked_at == first
    assert AuditLog.objects.count() == audits


def test_another_user_cannot_revoke_and_nothing_changes(people) -> None:
    token, key = token_create(actor=people.member, user=people.member)
    audits = AuditLog.objects.count()
    for other in (people.township_a, people.county_admin):
        with pytest.raises(PermissionDenied):
            token_revoke(actor=other, token=token)
    token.refresh_from_db()
    assert token.revoked_at is None
    assert AuditLog.objects.count() == audits
    assert token_authenticate(key) == people.member


def test_a_superuser_may_revoke_anyones_token(people) -> None:
    root = make_user("root")
    root.is_superuser = True
    root.save()
    token, key = token_create(actor=people.member, user=people.member)
    token_revoke(actor=root, token=token)
    assert token_authenticate(key) is None


def test_nobody_may_create_a_token_for_someone_else(people) -> None:
    before = ApiToken.objects.count()
    audits = AuditLog.objects.count()
    with pytest.raises(PermissionDenied):
        token_create(actor=people.county_admin, user=people.member)
    assert (ApiToken.objects.count(), AuditLog.objects.count()) == (before, audits)


def test_token_expiry_boundaries(people) -> None:
    token, key = token_create(actor=people.member, user=people.member, days=30)
    now = timezone.now()
    assert now + dt.timedelta(days=29, hours=23) < token.expires_at <= now + dt.timedelta(days=30)
    assert token_authenticate(key) == people.member

    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() + dt.timedelta(minutes=1))
    assert token_authenticate(key) == people.member  # the minute before
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now())
    assert token_authenticate(key) is None  # the moment of expiry
    ApiToken.objects.filter(pk=token.pk).update(expires_at=timezone.now() - dt.timedelta(days=1))
    assert token_authenticate(key) is None  # after


def test_a_token_of_an_inactive_user_is_refused(people) -> None:
    _, key = token_create(actor=people.member, user=people.member)
    people.member.is_active = False
    people.member.save()
    assert token_authenticate(key) is None


# --- who may make a token, and for how long -----------------------------------------------


def _counts() -> tuple[int, int]:
    return ApiToken.objects.count(), AuditLog.objects.count()


def test_a_token_cannot_make_a_token_and_the_refusal_is_audited(people, caplog) -> None:
    parent, _ = token_create(actor=people.member, user=people.member)
    tokens, audits = _counts()
    with pytest.raises(PermissionDenied, match="不能用 API 令牌创建新令牌"):
        token_create(actor=people.member, user=people.member, via_token=parent)
    assert ApiToken.objects.count() == tokens
    assert AuditLog.objects.count() == audits + 1
    log = AuditLog.objects.latest("id")
    assert (log.action, log.actor_id, log.object_id) == (
        "token.create_refused",
        people.member.pk,
        str(parent.pk),
    )
    assert parent.prefix in caplog.text


def test_a_token_cannot_make_a_token_even_through_the_cli_origin(people) -> None:
    parent, _ = token_create(actor=people.member, user=people.member)
    tokens = ApiToken.objects.count()
    with pytest.raises(PermissionDenied):
        token_create(
            actor=people.member,
            user=people.member,
            origin=ApiToken.Origin.CLI,
            never_expires=True,
            via_token=parent,
        )
    assert ApiToken.objects.count() == tokens


def _last_audit_id() -> int:
    return AuditLog.objects.order_by("-id").values_list("id", flat=True).first() or 0


def _lifetime(token: ApiToken) -> dt.timedelta:
    assert token.expires_at is not None
    return token.expires_at - token.created_at


def test_a_session_token_without_days_lives_api_token_max_days(people, settings) -> None:
    settings.API_TOKEN_MAX_DAYS = 30
    token, _ = token_create(actor=people.member, user=people.member)
    assert token.origin == ApiToken.Origin.SESSION
    assert dt.timedelta(days=30) - dt.timedelta(seconds=5) < _lifetime(token)
    assert _lifetime(token) <= dt.timedelta(days=30) + dt.timedelta(seconds=5)


@pytest.mark.parametrize("days", [1, 29, 30])
def test_a_session_token_may_live_up_to_the_cap(people, settings, days) -> None:
    settings.API_TOKEN_MAX_DAYS = 30
    token, _ = token_create(actor=people.member, user=people.member, days=days)
    assert abs(_lifetime(token) - dt.timedelta(days=days)) < dt.timedelta(seconds=5)


@pytest.mark.parametrize("days", [0, -1, 31, 3650])
def test_a_session_token_past_the_cap_is_refused_and_nothing_is_made(
    people, settings, days
) -> None:
    settings.API_TOKEN_MAX_DAYS = 30
    before = _counts()
    with pytest.raises(ValidationError) as exc:
        token_create(actor=people.member, user=people.member, days=days)
    assert exc.value.messages == ["有效天数须在 1 到 30 之间"]
    assert _counts() == before


def test_a_session_token_cannot_be_made_to_never_expire(people) -> None:
    before = _counts()
    with pytest.raises(ValidationError, match="网页创建的令牌必须有有效期"):
        token_create(actor=people.member, user=people.member, never_expires=True)
    assert _counts() == before


def test_an_unknown_origin_is_refused(people) -> None:
    before = _counts()
    for origin in (ApiToken.Origin.LEGACY, "api"):
        with pytest.raises(ValidationError):
            token_create(actor=people.member, user=people.member, origin=origin)
    assert _counts() == before


def test_only_the_cli_may_make_a_token_that_never_expires(people) -> None:
    token, key = token_create(
        actor=None, user=people.member, origin=ApiToken.Origin.CLI, never_expires=True
    )
    assert (token.origin, token.expires_at) == ("cli", None)
    assert token_authenticate(key) == people.member


@pytest.mark.parametrize(("days", "ok"), [(3649, True), (3650, True), (3651, False), (0, False)])
def test_cli_token_days_boundaries(people, days, ok) -> None:
    before = _counts()
    if ok:
        token, _ = token_create(
            actor=None, user=people.member, origin=ApiToken.Origin.CLI, days=days
        )
        assert abs(_lifetime(token) - dt.timedelta(days=days)) < dt.timedelta(seconds=5)
    else:
        with pytest.raises(ValidationError, match="有效天数须在 1 到 3650 之间"):
            token_create(actor=None, user=people.member, origin=ApiToken.Origin.CLI, days=days)
        assert _counts() == before


def test_cli_refuses_days_together_with_never_expires(people) -> None:
    before = _counts()
    with pytest.raises(ValidationError, match="只能选一个"):
        token_create(
            actor=None,
            user=people.member,
            origin=ApiToken.Origin.CLI,
            days=10,
            never_expires=True,
        )
    assert _counts() == before


# --- revoking a token revokes what it made ----------------------------------------------------


def _legacy_child(parent: ApiToken, tag: str) -> tuple[ApiToken, str]:
    """A token made by another token, as the API allowed before: only rows can show it now."""
    from dangjian.accounts.tokens import new_token_key, token_digest

    key = new_token_key()
    token = ApiToken.objects.create(
        user=parent.user,
        name=tag,
        origin=ApiToken.Origin.LEGACY,
        prefix=key[:10],
        key_hash=token_digest(key),
        created_by_token=parent,
    )
    return token, key


def test_revoking_a_token_revokes_its_children_and_grandchildren(people) -> None:
    root, root_key = token_create(actor=people.member, user=people.member)
    child, child_key = _legacy_child(root, "子")
    grandchild, grandchild_key = _legacy_child(child, "孙")
    sibling, sibling_key = token_create(actor=people.member, user=people.member)
    nephew, nephew_key = _legacy_child(sibling, "旁支")
    last = _last_audit_id()

    token_revoke(actor=people.member, token=root)

    for key in (root_key, child_key, grandchild_key):
        assert token_authenticate(key) is None
    for key in (sibling_key, nephew_key):
        assert token_authenticate(key) == people.member
    revoked = {t.pk: t.revoked_at for t in ApiToken.objects.filter(revoked_at__isnull=False)}
    assert set(revoked) == {root.pk, child.pk, grandchild.pk}
    assert len(set(revoked.values())) == 1  # one moment for the whole line
    logs = list(AuditLog.objects.filter(pk__gt=last).order_by("id"))
    assert [(log.action, log.object_id, log.changes) for log in logs] == [
        ("token.revoke", str(root.pk), {}),
        ("token.revoke", str(child.pk), {"reason": "parent_revoked", "parent": root.pk}),
        ("token.revoke", str(grandchild.pk), {"reason": "parent_revoked", "parent": root.pk}),
    ]


def test_revoking_a_child_leaves_its_parent_working(people) -> None:
    root, root_key = token_create(actor=people.member, user=people.member)
    child, child_key = _legacy_child(root, "子")
    token_revoke(actor=people.member, token=child)
    assert token_authenticate(child_key) is None
    assert token_authenticate(root_key) == people.member


def test_revoking_an_already_revoked_parent_still_reaches_a_live_child(people) -> None:
    root, _ = token_create(actor=people.member, user=people.member)
    token_revoke(actor=people.member, token=root)
    first = ApiToken.objects.get(pk=root.pk).revoked_at
    _, child_key = _legacy_child(root, "后来才发现的子令牌")
    token_revoke(actor=people.member, token=ApiToken.objects.get(pk=root.pk))
    assert token_authenticate(child_key) is None
    assert ApiToken.objects.get(pk=root.pk).revoked_at == first


def test_another_user_cannot_revoke_a_line_and_nothing_changes(people) -> None:
    root, root_key = token_create(actor=people.member, user=people.member)
    _, child_key = _legacy_child(root, "子")
    audits = AuditLog.objects.count()
    with pytest.raises(PermissionDenied):
        token_revoke(actor=people.township_a, token=root)
    assert token_authenticate(root_key) == token_authenticate(child_key) == people.member
    assert AuditLog.objects.count() == audits


# --- a password change revokes every token ----------------------------------------------------


NEW_PASSWORD = "Xin-mima-2026"  # noqa: S105


def test_a_password_change_revokes_all_the_users_tokens_and_is_audited(people) -> None:
    from dangjian.accounts.services import password_change

    first, first_key = token_create(actor=people.member, user=people.member)
    _, cli_key = token_create(
        actor=None, user=people.member, origin=ApiToken.Origin.CLI, never_expires=True
    )
    old, _ = token_create(actor=people.member, user=people.member)
    token_revoke(actor=people.member, token=old)
    old_revoked_at = ApiToken.objects.get(pk=old.pk).revoked_at
    _, other_key = token_create(actor=people.township_a, user=people.township_a)
    last = _last_audit_id()

    assert password_change(actor=people.member, user=people.member, new_password=NEW_PASSWORD) == 2

    people.member.refresh_from_db()
    assert people.member.check_password(NEW_PASSWORD)
    assert token_authenticate(first_key) is None
    assert token_authenticate(cli_key) is None
    assert ApiToken.objects.get(pk=old.pk).revoked_at == old_revoked_at
    assert token_authenticate(other_key) == people.township_a  # someone else's stay
    logs = list(AuditLog.objects.filter(pk__gt=last).order_by("id"))
    assert [(log.action, log.changes) for log in logs] == [
        ("token.revoke", {"reason": "password_change"}),
        ("token.revoke", {"reason": "password_change"}),
        ("user.password_change", {"via": "form", "tokens_revoked": 2}),
    ]
    assert NEW_PASSWORD not in str([log.changes for log in logs])


def test_a_weak_new_password_is_refused_and_nothing_changes(people) -> None:
    from conftest import PASSWORD
    from dangjian.accounts.services import password_change

    _, key = token_create(actor=people.member, user=people.member)
    audits = AuditLog.objects.count()
    for weak in ("123", "password", "12345678"):
        with pytest.raises(ValidationError) as exc:
            password_change(actor=people.member, user=people.member, new_password=weak)
        assert exc.value.messages[0].startswith("新密码不符合要求：")
    people.member.refresh_from_db()
    assert people.member.check_password(PASSWORD)
    assert token_authenticate(key) == people.member
    assert AuditLog.objects.count() == audits


def test_nobody_may_change_someone_elses_password(people) -> None:
    from conftest import PASSWORD
    from dangjian.accounts.services import password_change

    _, key = token_create(actor=people.member, user=people.member)
    with pytest.raises(PermissionDenied):
        password_change(actor=people.county_admin, user=people.member, new_password=NEW_PASSWORD)
    people.member.refresh_from_db()
    assert people.member.check_password(PASSWORD)
    assert token_authenticate(key) == people.member
