"""Writes on accounts: users, role grants, API tokens, the working organization."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import ApiToken, RoleGrant, User
from dangjian.accounts.roles import Role
from dangjian.accounts.tokens import new_token_key, token_digest
from dangjian.core.audit import audit_record
from dangjian.orgs.access import forget_grants, require, viewer_grants
from dangjian.orgs.models import Organization

MOBILE_RE = re.compile(r"^1[3-9]\d{9}$")


def validate_mobile(mobile: str) -> str:
    mobile = mobile.strip()
    if not MOBILE_RE.fullmatch(mobile):
        raise ValidationError("手机号码应为 11 位、以 1 开头的中国大陆号码", code="invalid_mobile")
    return mobile


@transaction.atomic
def grant_create(
    *,
    actor: Any,
    user: User,
    org: Organization,
    role: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
) -> RoleGrant:
    """Give ``user`` a role on ``org``'s subtree; the actor must manage grants there; audited."""
    require(actor, "grant.manage", org)
    if role not in Role.values:
        raise ValidationError(f"未知的角色：{role}", code="unknown_role")
    if valid_to and valid_to < valid_from:
        raise ValidationError("失效日期不能早于生效日期", code="invalid_dates")
    grant = RoleGrant.objects.create(
        user=user, org=org, role=role, valid_from=valid_from, valid_to=valid_to, granted_by=actor
    )
    audit_record(
        actor=actor,
        action="grant.create",
        obj=grant,
        changes={"user": user.pk, "role": role, "valid_from": valid_from, "valid_to": valid_to},
        org_id=org.pk,
        org_path=org.path,
    )
    forget_grants(user)
    return grant


@transaction.atomic
def grant_end(*, actor: Any, grant: RoleGrant, valid_to: dt.date) -> RoleGrant:
    """End a grant on ``valid_to`` (inclusive); audited."""
    require(actor, "grant.manage", grant.org)
    if valid_to < grant.valid_from:
        raise ValidationError("失效日期不能早于生效日期", code="invalid_dates")
    before = grant.valid_to
    grant.valid_to = valid_to
    grant.save(update_fields=["valid_to", "updated_at"])
    audit_record(
        actor=actor,
        action="grant.end",
        obj=grant,
        changes={"valid_to": [before, valid_to]},
        org_id=grant.org_id,
        org_path=grant.org.path,
    )
    forget_grants(grant.user)
    return grant


@transaction.atomic
def token_create(
    *, actor: Any, user: User, name: str = "", days: int | None = None
) -> tuple[ApiToken, str]:
    """Issue a personal API token for ``user`` (the actor themself, or by a superuser)."""
    if actor is not None and actor.pk != user.pk and not actor.is_superuser:
        raise PermissionDenied("只能为自己创建 API 令牌")
    key = new_token_key()
    token = ApiToken.objects.create(
        user=user,
        name=name[:100],
        prefix=key[:10],
        key_hash=token_digest(key),
        expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
    )
    audit_record(actor=actor or user, action="token.create", obj=token, changes={"name": name})
    return token, key


@transaction.atomic
def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke an API token; it is refused from then on; audited."""
    if actor.pk != token.user_id and not actor.is_superuser:
        raise PermissionDenied("只能吊销自己的 API 令牌")
    if token.revoked_at is None:
        token.revoked_at = timezone.now()
        token.save(update_fields=["revoked_at", "updated_at"])
        audit_record(actor=actor, action="token.revoke", obj=token)
    return token


def token_authenticate(key: str) -> User | None:
    """The active user behind a token key, or None (malformed, unknown, revoked or expired)."""
    if not key or len(key) > 200:
        return None
    token = ApiToken.objects.select_related("user").filter(key_hash=token_digest(key)).first()
    if token is None or token.revoked_at is not None or not token.user.is_active:
        return None
    now = timezone.now()
    if token.expires_at is not None and token.expires_at <= now:
        return None
    if token.last_used_at is None or now - token.last_used_at > dt.timedelta(minutes=5):
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
    return token.user


def working_grant_choose(*, viewer: Any, session: Any, grant_id: int) -> int:
    """Set the viewer's working organization to one of their own active grants."""
    if not any(g.id == grant_id for g in viewer_grants(viewer)):
        raise ValidationError("只能选择您自己的有效授权", code="invalid_grant")
    session["working_grant_id"] = grant_id
    return grant_id
