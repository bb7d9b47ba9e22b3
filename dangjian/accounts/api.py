"""Who am I, my grants, my API tokens; and the bearer-token authentication."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import HttpBearer

from dangjian.accounts.access import access_token_by_id, tokens_of
from dangjian.accounts.models import User
from dangjian.accounts.services import token_authenticate, token_create, token_revoke
from dangjian.orgs.access import viewer_grants

router = Router(tags=["账号"])


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; the request runs as the token's user."""

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        user = token_authenticate(token)
        if user is None:
            return None
        request.user = user
        return user


class GrantOut(Schema):
    id: int
    role: str
    role_label: str
    org_id: int
    org_name: str


class MeOut(Schema):
    id: int
    username: str
    name: str
    grants: list[GrantOut]


class TokenIn(Schema):
    name: str = ""
    days: int | None = None


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    created_at: dt.datetime
    last_used_at: dt.datetime | None
    expires_at: dt.datetime | None
    revoked_at: dt.datetime | None


class TokenCreatedOut(TokenOut):
    key: str


@router.get("/me", response=MeOut, summary="当前用户与有效授权")
def me(request: HttpRequest) -> dict[str, Any]:
    user = request.user
    return {
        "id": user.pk,
        "username": user.get_username(),
        "name": getattr(user, "name", ""),
        "grants": [
            {
                "id": g.id,
                "role": g.role,
                "role_label": g.role_label,
                "org_id": g.org_id,
                "org_name": g.org_name,
            }
            for g in viewer_grants(user)
        ],
    }


@router.get("/tokens", response=list[TokenOut], summary="我的 API 令牌")
def token_list(request: HttpRequest) -> Any:
    return tokens_of(request.user)[:100]


@router.post("/tokens", response={201: TokenCreatedOut}, summary="新建 API 令牌（仅此一次显示）")
def token_new(request: HttpRequest, payload: TokenIn) -> Any:
    days = payload.days
    if days is not None and not 1 <= days <= 3650:
        raise ValidationError("有效天数须在 1 到 3650 之间", code="invalid_days")
    token, key = token_create(
        actor=request.user, user=cast(User, request.user), name=payload.name, days=days
    )
    return 201, {**TokenOut.from_orm(token).dict(), "key": key}


@router.delete("/tokens/{token_id}", response={204: None}, summary="吊销 API 令牌")
def token_delete(request: HttpRequest, token_id: int) -> Any:
    token = access_token_by_id(request.user, token_id)
    token_revoke(actor=request.user, token=token)
    return 204, None
