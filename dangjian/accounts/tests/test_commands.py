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
