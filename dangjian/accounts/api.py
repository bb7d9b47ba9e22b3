"""Who am I, my grants, my API tokens; and the bearer-token authentication."""

from __future__ import annotations

import datetime as dt
from typing import Any, cast

from django.http import HttpRequest
from ninja import Router, Schema
from ninja.security import HttpBearer

from dangjian.accounts.access import access_token_by_id, tokens_of
from dangjian.accounts.grants import viewer_grants
from dangjian.accounts.models import ApiToken, User
from dangjian.accounts.services import token_create, token_resolve, token_revoke

router = Router(tags=["账号"])


class BearerTokenAuth(HttpBearer):
    """``Authorization: Bearer <token>``; the request runs as the token's user.

    The token itself is kept on ``request.api_token``: some actions (making a token) are for a
    logged-in session only.
    """

    openapi_scheme = "bearer"

    def authenticate(self, request: HttpRequest, token: str) -> Any:
        api_token = token_resolve(token)
        if api_token is None:
            return None
        request.api_token = api_token  # type: ignore[attr-defined]
        request.user = api_token.user
        return api_token.user


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
    days: int | None = None  # blank: API_TOKEN_MAX_DAYS (90), which is also the most


class TokenOut(Schema):
    id: int
    name: str
    prefix: str
    origin: str
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


@router.post(
    "/tokens",
    response={201: TokenCreatedOut},
    summary="新建 API 令牌（仅此一次显示；仅限网页登录会话，令牌本身不能创建令牌）",
)
def token_new(request: HttpRequest, payload: TokenIn) -> Any:
    token, key = token_create(
        actor=request.user,
        user=cast(User, request.user),
        name=payload.name,
        days=payload.days,
        origin=ApiToken.Origin.SESSION,
        via_token=getattr(request, "api_token", None),
    )
    return 201, {**TokenOut.from_orm(token).dict(), "key": key}


@router.delete("/tokens/{token_id}", response={204: None}, summary="吊销 API 令牌")
def token_delete(request: HttpRequest, token_id: int) -> Any:
    token = access_token_by_id(request.user, token_id)
    token_revoke(actor=request.user, token=token)
    return 204, None
