"""The error contract of the JSON API: one body shape, documented on every operation.

Every error under ``/api/`` is ``{"code": "...", "message": "中文说明"}`` (plus ``fields`` for a
refused form, ``detail`` for input that does not match the schema). ``config/api.py`` produces
them from exceptions; ``ApiErrorsAsJsonMiddleware`` turns whatever Django answers outside the
API's handlers (an unknown path, a wrong method, a server error) into the same shape; and
``document_error_responses`` writes into the OpenAPI which of them each operation can return.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any

from django.http import HttpRequest, HttpResponse
from ninja import Field, Schema
from ninja.openapi.schema import REF_TEMPLATE
from ninja.schema import NinjaGenerateJsonSchema

# Mounted in config/urls.py; the middleware only rewrites answers under it.
API_PREFIX = "/api/"


class ErrorOut(Schema):
    """Every error the API answers: a stable code to branch on and a Chinese message to show."""

    code: str = Field(description="稳定的错误代码，如 not_found、invalid、invalid_input、too_large")
    message: str = Field(description="中文说明，可直接展示给用户")
    fields: dict[str, list[str]] | None = Field(
        None, description="仅 400 invalid：各字段未通过校验的说明"
    )
    detail: list[dict[str, Any]] | None = Field(
        None, description="仅 422 invalid_input：不符合接口定义的参数及原因"
    )


# What each error status means in this API (the OpenAPI description of the response).
ERROR_STATUSES: dict[int, str] = {
    400: "请求内容无法解析，或业务规则拒绝了这次操作；未做任何更改",
    401: "未登录，或 API 令牌无效、已吊销或已过期",
    403: "对象在您的范围内，但您的角色无权执行此操作；或浏览器会话的 CSRF 校验失败",
    404: "对象不存在，或不在您的查看范围内（两者回答相同）",
    413: "请求内容过大",
    422: "参数不符合接口定义（类型、格式、必填项）",
    429: "请求过于频繁，请按 Retry-After 头稍后再试",
}

# The answer for a status when nothing more specific is known (the middleware's fallback).
DEFAULT_ERRORS: dict[int, tuple[str, str]] = {
    400: ("bad_request", "请求无效，请检查后重试"),
    401: ("unauthorized", "未登录，或 API 令牌无效、已吊销或已过期"),
    403: ("forbidden", "您没有权限执行此操作"),
    404: ("not_found", "未找到，或您无权查看"),
    405: ("method_not_allowed", "该接口不支持此请求方法"),
    413: ("too_large", "请求内容过大"),
    415: ("unsupported_media_type", "不支持的请求内容类型，请提交 JSON"),
    429: ("rate_limited", "请求过于频繁，请稍后再试"),
    500: ("server_error", "服务器内部错误，请稍后重试；如果一直出现，请联系管理员"),
}


def default_error(status: int) -> tuple[str, str]:
    """The code and Chinese message for an error status nobody described more precisely."""
    if status in DEFAULT_ERRORS:
        return DEFAULT_ERRORS[status]
    if status >= 500:
        return ("server_error", DEFAULT_ERRORS[500][1])
    return ("http_error", "请求未能完成，请检查后重试")


def error_responses(*statuses: int) -> dict[int, type[ErrorOut]]:
    """``response={200: XOut, **error_responses(404)}``: declare an error an operation can
    return beyond those ``document_error_responses`` derives from its shape."""
    return dict.fromkeys(statuses, ErrorOut)


_ERROR_REF = REF_TEMPLATE.format(model=ErrorOut.__name__)


def _names_a_row(name: str) -> bool:
    # An org filter or an id in the query or the body is looked up through an access gate,
    # which answers 404 for a missing row and for one outside the viewer's scope alike.
    return name in {"org", "within"} or name.endswith(("_id", "_ids"))


def _body_properties(operation: dict[str, Any], components: dict[str, Any]) -> set[str]:
    names: set[str] = set()
    for content in operation.get("requestBody", {}).get("content", {}).values():
        schema = content.get("schema", {})
        if "$ref" in schema:
            schema = components.get(schema["$ref"].rsplit("/", 1)[-1], {})
        names |= set(schema.get("properties", {}))
    return names


def error_statuses(method: str, operation: dict[str, Any], components: dict[str, Any]) -> set[int]:
    """The error statuses an operation can answer, from its shape in the OpenAPI.

    - 401: it needs authentication (every handler runs the auth check first).
    - 400 and 422: it takes input (422 when input does not match the schema, 400 when a
      rule refuses it or a body cannot be parsed); 413 when it takes a body.
    - 403: it needs authentication and takes input or writes (a role check on the row it
      names; the CSRF check of a session).
    - 404: it names a row (a path parameter, an org filter, an id in the query or body).
    """
    parameters = operation.get("parameters", [])
    has_body = "requestBody" in operation
    takes_input = bool(parameters) or has_body
    authenticated = bool(operation.get("security"))
    statuses: set[int] = set()
    if authenticated:
        statuses.add(401)
        if takes_input or method.lower() != "get":
            statuses.add(403)
    if takes_input:
        statuses |= {400, 422}
    if has_body:
        statuses.add(413)
    names = {p["name"] for p in parameters if p["in"] == "query"}
    names |= _body_properties(operation, components)
    if any(p["in"] == "path" for p in parameters) or any(_names_a_row(n) for n in names):
        statuses.add(404)
    return statuses


def _error_response(status: int) -> dict[str, Any]:
    response: dict[str, Any] = {
        "description": ERROR_STATUSES.get(status, default_error(status)[1]),
        "content": {"application/json": {"schema": {"$ref": _ERROR_REF}}},
    }
    if status == 429:
        response["headers"] = {
            "Retry-After": {"description": "多少秒后可以重试", "schema": {"type": "integer"}}
        }
    return response


def document_error_responses(openapi: dict[str, Any]) -> None:
    """Add the error responses of every operation to a generated OpenAPI document (in place).

    What an operation declares itself (``error_responses``) is kept and described the same way.
    """
    components = openapi.setdefault("components", {}).setdefault("schemas", {})
    error_schema = ErrorOut.model_json_schema(
        ref_template=REF_TEMPLATE, schema_generator=NinjaGenerateJsonSchema, mode="serialization"
    )
    components.update(error_schema.pop("$defs", {}))
    components[ErrorOut.__name__] = error_schema
    for item in openapi.get("paths", {}).values():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for status in sorted(error_statuses(method, operation, components)):
                responses.setdefault(status, _error_response(status))
            for status, response in responses.items():
                schema = response.get("content", {}).get("application/json", {}).get("schema")
                if int(status) >= 400 and schema == {"$ref": _ERROR_REF}:
                    responses[status] = _error_response(int(status))


class ApiErrorsAsJsonMiddleware:
    """Under ``/api/``, an error Django answers itself (an unknown path, a method the path does
    not take, a server error, a refused host) is JSON in the API's shape, never an HTML page.

    Errors the API's own handlers produce are JSON already and pass through untouched. The
    response object is kept, so headers set further in (``Allow``, ``Retry-After``, security
    headers) stay.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        if (
            response.status_code < 400
            or not request.path.startswith(API_PREFIX)
            or response.get("Content-Type", "").startswith("application/json")
            or getattr(response, "streaming", False)
        ):
            return response
        code, message = default_error(response.status_code)
        response.content = json.dumps({"code": code, "message": message}, ensure_ascii=False)
        response["Content-Type"] = "application/json; charset=utf-8"
        if response.has_header("Content-Length"):
            response["Content-Length"] = str(len(response.content))
        return response
