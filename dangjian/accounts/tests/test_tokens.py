"""Personal API tokens: a hash at rest, shown once, revocable, expiring, one owner."""

from __future__ import annotations

import datetime as dt
import hashlib

import pytest
from django.core.exceptions import PermissionDenied
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
