from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from dangjian.core.context import client_ip


def request_ip(request: HttpRequest) -> str | None:
    # Behind a trusted proxy, set the proxy to overwrite X-Forwarded-For; we take REMOTE_ADDR
    # so a client cannot spoof its address into the audit log.
    return request.META.get("REMOTE_ADDR")


class RequestContextMiddleware:
    """Makes the client IP available to services for the audit log."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        token = client_ip.set(request_ip(request))
        try:
            return self.get_response(request)
        finally:
            client_ip.reset(token)
