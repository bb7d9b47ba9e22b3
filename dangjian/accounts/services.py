"""Writes on accounts: users, role grants, API tokens, the working organization."""

from __future__ import annotations

import datetime as dt
import logging
import re
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.grants import GrantOrg, forget_grants, require, roles_on, viewer_grants
from dangjian.accounts.models import ApiToken, RoleGrant, User
from dangjian.accounts.roles import Role
from dangjian.accounts.tokens import new_token_key, token_digest
from dangjian.core.audit import audit_record

log = logging.getLogger(__name__)

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
    org: GrantOrg,
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
        user=user,
        org_id=org.pk,
        role=role,
        valid_from=valid_from,
        valid_to=valid_to,
        granted_by=actor,
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


CLI_TOKEN_MAX_DAYS = 3650


def _token_days_check(days: int | None, *, longest: int) -> None:
    if days is not None and not 1 <= days <= longest:
        raise ValidationError(f"有效天数须在 1 到 {longest} 之间", code="invalid_days")


def token_create(
    *,
    actor: Any,
    user: User,
    name: str = "",
    days: int | None = None,
    origin: str = ApiToken.Origin.SESSION,
    never_expires: bool = False,
    via_token: ApiToken | None = None,
) -> tuple[ApiToken, str]:
    """Issue a personal API token for ``user`` (the actor themself, or by a superuser).

    Made from a logged-in session (``origin="session"``): at most ``API_TOKEN_MAX_DAYS`` days,
    that many when ``days`` is blank. By the CLI (``origin="cli"``): up to 3650 days, or with
    ``never_expires`` none. A request authenticated by a token (``via_token``) may not make one:
    a leaked token must not be able to outlive its own revocation. The refusal is audited.
    """
    if via_token is not None:
        # Outside any transaction of ours, so the refusal's audit row stays.
        log.warning("API token %s… tried to create a token; refused", via_token.prefix)
        audit_record(
            actor=via_token.user,
            action="token.create_refused",
            obj=via_token,
            changes={"reason": "token_cannot_create_token"},
        )
        raise PermissionDenied(
            "不能用 API 令牌创建新令牌：请登录系统后在“API 令牌”页面创建，或由管理员用命令行创建"
        )
    if actor is not None and actor.pk != user.pk and not actor.is_superuser:
        raise PermissionDenied("只能为自己创建 API 令牌")
    if origin == ApiToken.Origin.CLI:
        if never_expires and days is not None:
            raise ValidationError("“长期有效”与有效天数只能选一个", code="invalid_days")
        _token_days_check(days, longest=CLI_TOKEN_MAX_DAYS)
    elif origin == ApiToken.Origin.SESSION:
        if never_expires:
            raise ValidationError("网页创建的令牌必须有有效期", code="invalid_days")
        _token_days_check(days, longest=settings.API_TOKEN_MAX_DAYS)
    else:
        raise ValidationError("令牌只能在网页登录后或用命令行创建", code="invalid_origin")
    if days is None and not never_expires:
        days = settings.API_TOKEN_MAX_DAYS
    key = new_token_key()
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name[:100],
            origin=origin,
            prefix=key[:10],
            key_hash=token_digest(key),
            expires_at=timezone.now() + dt.timedelta(days=days) if days else None,
        )
        audit_record(
            actor=actor or user,
            action="token.create",
            obj=token,
            changes={"name": name, "origin": origin, "expires_at": token.expires_at},
        )
    return token, key


def _token_descendants(token: ApiToken) -> list[ApiToken]:
    found: list[ApiToken] = []
    seen = {token.pk}
    level = [token.pk]
    while level:
        children = [
            t
            for t in ApiToken.objects.filter(created_by_token_id__in=level).order_by("id")
            if t.pk not in seen
        ]
        seen.update(t.pk for t in children)
        found.extend(children)
        level = [t.pk for t in children]
    return found


def _token_mark_revoked(
    *, actor: Any, token: ApiToken, now: dt.datetime, changes: dict[str, Any] | None = None
) -> None:
    token.revoked_at = now
    token.save(update_fields=["revoked_at", "updated_at"])
    audit_record(actor=actor, action="token.revoke", obj=token, changes=changes)


@transaction.atomic
def token_revoke(*, actor: Any, token: ApiToken) -> ApiToken:
    """Revoke an API token and every token made by it (and by those); audited per token."""
    if actor.pk != token.user_id and not actor.is_superuser:
        raise PermissionDenied("只能吊销自己的 API 令牌")
    now = timezone.now()
    if token.revoked_at is None:
        _token_mark_revoked(actor=actor, token=token, now=now)
    for child in _token_descendants(token):
        if child.revoked_at is None:
            _token_mark_revoked(
                actor=actor,
                token=child,
                now=now,
                changes={"reason": "parent_revoked", "parent": token.pk},
            )
    return token


def token_resolve(key: str) -> ApiToken | None:
    """The usable token for a key, with its user, or None (malformed, unknown, revoked, expired,
    or its user inactive); notes the use at most every five minutes."""
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
    return token


def token_authenticate(key: str) -> User | None:
    """The active user behind a token key, or None (malformed, unknown, revoked or expired)."""
    token = token_resolve(key)
    return token.user if token is not None else None


@transaction.atomic
def password_change(*, actor: Any, user: User, new_password: str, via: str = "form") -> int:
    """Set ``user``'s password and revoke all their API tokens; audited. Returns how many
    tokens were revoked.

    The user's other sessions end by themselves (Django checks each session against the
    password hash); the caller keeps the current one with ``update_session_auth_hash``.
    ``actor`` is None for the CLI.
    """
    from django.contrib.auth.password_validation import validate_password

    if actor is not None and actor.pk != user.pk and not actor.is_superuser:
        raise PermissionDenied("只能修改自己的密码")
    try:
        validate_password(new_password, user)
    except ValidationError as exc:
        raise ValidationError(
            "新密码不符合要求：" + "；".join(exc.messages), code="weak_password"
        ) from exc
    user.set_password(new_password)
    user.save(update_fields=["password"])
    now = timezone.now()
    live = list(ApiToken.objects.filter(user=user, revoked_at__isnull=True).order_by("id"))
    for token in live:
        _token_mark_revoked(
            actor=actor, token=token, now=now, changes={"reason": "password_change"}
        )
    audit_record(
        actor=actor,
        action="user.password_change",
        obj=user,
        changes={"via": via, "tokens_revoked": len(live)},
    )
    log.info("password of user %s changed (%s); %d API tokens revoked", user.pk, via, len(live))
    return len(live)


def working_grant_choose(*, viewer: Any, session: Any, grant_id: int) -> int:
    """Set the viewer's working organization to one of their own active grants."""
    if not any(g.id == grant_id for g in viewer_grants(viewer)):
        raise ValidationError("只能选择您自己的有效授权", code="invalid_grant")
    session["working_grant_id"] = grant_id
    return grant_id


def _actions_on(actor: Any, org: GrantOrg) -> set[str]:
    from dangjian.accounts.roles import ROLE_ACTIONS

    actions: set[str] = set()
    for role in roles_on(actor, org):
        actions |= ROLE_ACTIONS.get(role, frozenset())
    return actions


@transaction.atomic
def grant_give(
    *,
    actor: Any,
    login: str,
    org: GrantOrg,
    role: str,
    valid_from: dt.date,
    valid_to: dt.date | None = None,
    name: str = "",
    password: str = "",
) -> RoleGrant:
    """Give a role to the user with this username or mobile, creating the account if needed.

    The actor may only hand out what they hold themselves on that organization: a township
    party worker cannot mint an org_admin.
    """
    from django.contrib.auth.password_validation import validate_password

    from dangjian.accounts.roles import ROLE_ACTIONS, ROLE_DJANGO_PERMS

    require(actor, "grant.manage", org)
    if role not in Role.values:
        raise ValidationError(f"未知的角色：{role}", code="unknown_role")
    if (
        not ROLE_ACTIONS[role] <= _actions_on(actor, org)
        or not ROLE_DJANGO_PERMS.get(role, frozenset()) <= actor.get_all_permissions()
    ):
        raise ValidationError(
            f"您不能授予“{Role(role).label}”角色：它超出了您自己的权限", code="role_too_high"
        )
    login = login.strip()
    by_mobile = login.isdigit() and len(login) == 11
    user = User.objects.filter(**{"mobile" if by_mobile else "username": login}).first()
    if user is None:
        if by_mobile:
            validate_mobile(login)
        elif not re.fullmatch(r"[A-Za-z0-9_.@+-]{3,150}", login):
            raise ValidationError(
                "新用户的用户名只能由字母、数字和 _ . @ + - 组成，至少 3 位",
                code="invalid_username",
            )
        if not name.strip():
            raise ValidationError("新建账号时请填写姓名", code="name_required")
        if not password:
            raise ValidationError("新建账号时请设置初始密码", code="password_required")
        candidate = User(username=login, name=name.strip(), mobile=login if by_mobile else None)
        try:
            validate_password(password, candidate)
        except ValidationError as exc:
            raise ValidationError("初始密码不符合要求：" + "；".join(exc.messages)) from exc
        candidate.set_password(password)
        candidate.save()
        user = candidate
        audit_record(
            actor=actor,
            action="user.create",
            obj=user,
            changes={"username": user.username, "name": user.name},
            org_id=org.pk,
            org_path=org.path,
        )
    duplicate = (
        RoleGrant.objects.filter(user=user, org_id=org.pk, role=role)
        .exclude(valid_to__lt=valid_from)
        .exists()
    )
    if duplicate:
        raise ValidationError(
            f"{user.display_name} 在该组织已有有效的“{Role(role).label}”角色",
            code="duplicate_grant",
        )
    return grant_create(
        actor=actor, user=user, org=org, role=role, valid_from=valid_from, valid_to=valid_to
    )
