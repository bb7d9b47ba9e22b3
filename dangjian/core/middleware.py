from __future__ import annotations

import logging
from collections.abc import Callable

from django.db import OperationalError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

from dangjian.core import context
from dangjian.core.clientip import client_ip

logger = logging.getLogger("dangjian.db")


class RequestContextMiddleware:
    """Makes the client IP available to services for the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = context.client_ip.set(client_ip(request))
        try:
            return self.get_response(request)
        finally:
            context.client_ip.reset(token)


# --- database busy --------------------------------------------------------------------------

BUSY_TITLE = "系统繁忙"
BUSY_MESSAGE = "有其他用户正在保存大量数据，本次操作未能完成。请稍等几秒后重试。"
BUSY_RETRY_AFTER = 5  # seconds, in the Retry-After header
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")


def is_lock_wait(exc: BaseException | None) -> bool:
    """A write that waited longer than the database allows for a lock (worth a retry, not a 500).

    SQLite: "database is locked" after ``busy_timeout``; PostgreSQL: ``lock_timeout`` (55P03).
    """
    if not isinstance(exc, OperationalError):
        return False
    if "is locked" in str(exc).lower():
        return True
    return getattr(exc.__cause__, "sqlstate", None) == "55P03"


def busy_response(request: HttpRequest) -> HttpResponse:
    """503 with a Chinese message: JSON for the API, a page for everything else."""
    response: HttpResponse
    if request.path.startswith("/api/"):
        response = JsonResponse({"code": "busy", "message": BUSY_MESSAGE}, status=503)
    else:
        response = render(
            request,
            "errors/error.html",
            {"status": 503, "title": BUSY_TITLE, "message": BUSY_MESSAGE},
            status=503,
        )
    response["Retry-After"] = str(BUSY_RETRY_AFTER)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseBusyMiddleware:
    """A lock wait in a view becomes one retry (safe methods) or a 503 in Chinese, never a 500.

    Listed last in MIDDLEWARE so its ``process_exception`` runs first. A write is not retried:
    its service ran in a transaction that rolled back, and the user decides whether to resend.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        return self.get_response(request)

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not is_lock_wait(exception):
            return None
        logger.warning(
            "数据库忙（等待锁超时）：%s %s", request.method, request.path, exc_info=exception
        )
        match = request.resolver_match
        if request.method in SAFE_METHODS and match is not None:
            try:
                response = match.func(request, *match.args, **match.kwargs)
                if hasattr(response, "render") and callable(response.render):
                    response = response.render()
            except Exception as again:
                if not is_lock_wait(again):
                    raise
                logger.warning("数据库忙，重试仍未成功：%s %s", request.method, request.path)
            else:
                logger.info("数据库忙，重试成功：%s %s", request.method, request.path)
                return response
        return busy_response(request)
