from __future__ import annotations

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from dangjian.core import context
from dangjian.core.clientip import client_ip

# The name callers used before the address learned about trusted proxies.
request_ip = client_ip


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
