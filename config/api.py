"""The JSON API at /api/v1/: one NinjaAPI, each app mounts its router.

Errors are JSON ``{"code": "...", "message": "中文说明"}`` with a stable code; the OpenAPI
documents on every operation which ones it can return (``dangjian/core/api_errors.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.conf import settings
from django.core.exceptions import (
    PermissionDenied,
    RequestDataTooBig,
    TooManyFieldsSent,
    TooManyFilesSent,
    ValidationError,
)
from django.db import OperationalError
from django.http import Http404, HttpRequest, HttpResponse
from ninja import NinjaAPI
from ninja.errors import AuthenticationError, HttpError
from ninja.errors import ValidationError as SchemaValidationError
from ninja.parser import Parser
from ninja.security import django_auth

from dangjian.accounts.api import BearerTokenAuth
from dangjian.accounts.api import router as accounts_router
from dangjian.community.api import router as community_router
from dangjian.core.api import router as core_router
from dangjian.core.api_errors import default_error, document_error_responses
from dangjian.core.ratelimit import RateLimitedError
from dangjian.dues.api import router as dues_router
from dangjian.findings.api import router as findings_router
from dangjian.grid.api import router as grid_router
from dangjian.meetings.api import router as meetings_router
from dangjian.meetings.compliance.api import router as compliance_router
from dangjian.meetings.reviews.api import router as reviews_router
from dangjian.members.api import router as members_router
from dangjian.members.stats.api import router as member_stats_router
from dangjian.orgs.api import router as orgs_router
from dangjian.points.api import router as points_router
from dangjian.recruitment.api import router as recruitment_router
from dangjian.service_requests.api import router as service_requests_router
from dangjian.transfers.api import router as transfers_router


def _reject_nul(value: Any, where: str) -> None:
    if isinstance(value, str):
        if "\x00" in value:
            raise SchemaValidationError(
                [{"type": "nul_character", "loc": [where], "msg": "不能包含空字符（\\x00）"}]
            )
    elif isinstance(value, dict):
        for key, item in value.items():
            _reject_nul(key, where)
            _reject_nul(item, where)
    elif isinstance(value, list):
        for item in value:
            _reject_nul(item, where)


class NulRejectingParser(Parser):
    """JSON bodies and query strings without U+0000: PostgreSQL text cannot store it (a 500),
    and SQLite would store it silently, so both databases refuse it the same way (a 422)."""

    def parse_body(self, request: HttpRequest) -> Any:
        data = super().parse_body(request)
        _reject_nul(data, "body")
        return data

    def parse_querydict(self, data: Any, list_fields: list[str], request: HttpRequest) -> Any:
        parsed = super().parse_querydict(data, list_fields, request)
        _reject_nul(parsed, "query")
        return parsed


def docs_gate(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
    """The OpenAPI document and its Swagger page: anyone when ``API_DOCS_PUBLIC``, otherwise
    logged-in users only (a 404 for the rest, read per request so tests can flip it)."""

    @wraps(view)
    def gated(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not settings.API_DOCS_PUBLIC and not request.user.is_authenticated:
            raise Http404
        return view(request, *args, **kwargs)

    return gated


class DocumentedErrorsAPI(NinjaAPI):
    """A NinjaAPI whose OpenAPI also lists the error responses of every operation."""

    def get_openapi_schema(
        self, *, path_prefix: str | None = None, path_params: dict[str, Any] | None = None
    ) -> Any:
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        document_error_responses(schema)
        return schema


api = DocumentedErrorsAPI(
    title="智慧党建 API",
    version="1",
    description="组织体系、账号与日历。认证：浏览器会话，或 `Authorization: Bearer <令牌>`。",
    auth=[BearerTokenAuth(), django_auth],
    urls_namespace="api",
    parser=NulRejectingParser(),
    docs_decorator=docs_gate,
)


def _error(
    request: HttpRequest, status: int, code: str, message: str, **extra: object
) -> HttpResponse:
    return api.create_response(request, {"code": code, "message": message, **extra}, status=status)


@api.exception_handler(Http404)
def on_not_found(request: HttpRequest, exc: Http404) -> HttpResponse:
    return _error(request, 404, "not_found", str(exc) or "未找到，或您无权查看")


@api.exception_handler(PermissionDenied)
def on_forbidden(request: HttpRequest, exc: PermissionDenied) -> HttpResponse:
    return _error(request, 403, "forbidden", str(exc) or "您没有权限执行此操作")


@api.exception_handler(AuthenticationError)
def on_unauthenticated(request: HttpRequest, exc: AuthenticationError) -> HttpResponse:
    return _error(request, 401, "unauthorized", "未登录，或 API 令牌无效、已吊销或已过期")


@api.exception_handler(HttpError)
def on_http_error(request: HttpRequest, exc: HttpError) -> HttpResponse:
    # Raised by ninja itself (session CSRF check, unparseable body): keep the error shape.
    if isinstance(exc.__cause__, SchemaValidationError):  # the parser refused the body
        return on_schema_invalid(request, exc.__cause__)
    if exc.status_code == 403 and "CSRF" in exc.message:
        return _error(request, 403, "csrf_failed", "CSRF 校验失败，请刷新页面后重试")
    if exc.status_code == 400:
        return _error(request, 400, "bad_request", "请求内容无法解析，请提交 JSON")
    code, message = default_error(exc.status_code)  # ninja's own messages are English
    return _error(request, exc.status_code, code, message)


@api.exception_handler(RequestDataTooBig)
def on_too_big(request: HttpRequest, exc: RequestDataTooBig) -> HttpResponse:
    # Django would answer its HTML 400 page; the body was not read, nothing changed.
    limit = settings.DATA_UPLOAD_MAX_MEMORY_SIZE or 0
    size = f"{limit / 2**20:g} MB" if limit >= 2**20 else f"{limit / 2**10:g} KB"
    message = f"请求内容过大，不能超过 {size}；附件请压缩后再上传"
    return _error(request, 413, "too_large", message)


@api.exception_handler(TooManyFieldsSent)
@api.exception_handler(TooManyFilesSent)
def on_too_many_parts(request: HttpRequest, exc: Exception) -> HttpResponse:
    return _error(request, 413, "too_large", "请求包含的字段或文件过多")


@api.exception_handler(RateLimitedError)
def on_rate_limited(request: HttpRequest, exc: RateLimitedError) -> HttpResponse:
    response = _error(request, 429, "rate_limited", exc.message)
    response["Retry-After"] = str(exc.retry_after)
    return response


@api.exception_handler(ValidationError)
def on_invalid(request: HttpRequest, exc: ValidationError) -> HttpResponse:
    if hasattr(exc, "error_dict"):
        fields = {k: [str(m) for e in v for m in e.messages] for k, v in exc.error_dict.items()}
        message = "；".join(m for msgs in fields.values() for m in msgs)
        return _error(request, 400, "invalid", message, fields=fields)
    code = getattr(exc, "code", None) or "invalid"
    return _error(request, 400, code, "；".join(exc.messages))


@api.exception_handler(OperationalError)
def on_database_error(request: HttpRequest, exc: OperationalError) -> HttpResponse:
    # Hand it to Django's middleware (ninja's default would answer a 500 in DEBUG): a lock
    # wait becomes a retry or a JSON 503 there (DatabaseBusyMiddleware), anything else a 500.
    raise exc


@api.exception_handler(SchemaValidationError)
def on_schema_invalid(request: HttpRequest, exc: SchemaValidationError) -> HttpResponse:
    return _error(request, 422, "invalid_input", "请求参数格式不正确", detail=exc.errors)


api.add_router("/orgs/", orgs_router)
api.add_router("/members/", members_router)
api.add_router("/", member_stats_router)
api.add_router("/transfers/", transfers_router)
api.add_router("/meetings/", meetings_router)
api.add_router("/", compliance_router)
api.add_router("/reviews/", reviews_router)
api.add_router("/findings/", findings_router)
api.add_router("/dues/", dues_router)
api.add_router("/points/", points_router)
api.add_router("/recruitment/", recruitment_router)
api.add_router("/grid/", grid_router)
api.add_router("/grid/", community_router)  # 村情民意, 矛盾调解, 乡贤: same paths as before
api.add_router("/requests/", service_requests_router)
api.add_router("/calendar/", core_router)
api.add_router("/", accounts_router)
