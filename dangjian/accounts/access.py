"""Gates for account rows: a user reaches only their own tokens."""

from __future__ import annotations

from typing import Any

from django.http import Http404

from dangjian.accounts.grants import scope_q
from dangjian.accounts.models import ApiToken, RoleGrant


def access_token_by_id(viewer: Any, token_id: int) -> ApiToken:
    """The viewer's own token, else 404 (another user's token looks the same as none)."""
    token = ApiToken.objects.filter(pk=token_id, user_id=viewer.pk).first()
    if token is None:
        raise Http404("未找到该令牌")
    return token


def tokens_of(viewer: Any) -> Any:
    """The viewer's tokens, newest first."""
    return ApiToken.objects.filter(user_id=viewer.pk).order_by("-id")


def access_grant_by_id(viewer: Any, grant_id: int) -> RoleGrant:
    """A grant on an organization where the viewer manages grants, else 404."""
    grant = (
        RoleGrant.objects.filter(scope_q(viewer, "org__path", action="grant.manage"))
        .select_related("user", "org")
        .filter(pk=grant_id)
        .first()
    )
    if grant is None:
        raise Http404("未找到该授权")
    return grant
