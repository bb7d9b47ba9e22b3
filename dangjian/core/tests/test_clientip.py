"""The client address: REMOTE_ADDR alone, or X-Forwarded-For read from the right past our proxies."""

from __future__ import annotations

import pytest
from django.http import HttpResponse
from django.test import RequestFactory

from dangjian.core.audit import audit_record
from dangjian.core.clientip import client_ip
from dangjian.core.middleware import RequestContextMiddleware
from dangjian.core.models import AuditLog

PROXY = "10.0.0.2"


def request_from(remote: str, forwarded: str | None = None):  # type: ignore[no-untyped-def]
    extra = {"HTTP_X_FORWARDED_FOR": forwarded} if forwarded is not None else {}
    return RequestFactory().get("/", REMOTE_ADDR=remote, **extra)


def test_without_trusted_proxies_the_header_is_ignored(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("198.51.100.4", "1.2.3.4")) == "198.51.100.4"


def test_behind_one_proxy_the_client_is_the_last_forwarded_entry(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from(PROXY, "203.0.113.7")) == "203.0.113.7"


def test_behind_one_proxy_an_entry_the_client_sent_is_skipped(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    # nginx appends the address it saw to whatever the client sent.
    assert client_ip(request_from(PROXY, "1.2.3.4, 203.0.113.7")) == "203.0.113.7"
    assert client_ip(request_from(PROXY, "1.2.3.4,5.6.7.8 , 203.0.113.7")) == "203.0.113.7"


def test_behind_two_proxies_the_client_is_the_second_entry_from_the_right(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from(PROXY, "1.2.3.4, 203.0.113.7, 10.0.0.9")) == "203.0.113.7"


def test_a_request_that_skipped_a_proxy_uses_the_farthest_address_known(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 2
    assert client_ip(request_from(PROXY, "203.0.113.7")) == "203.0.113.7"
    assert client_ip(request_from("127.0.0.1")) == "127.0.0.1"  # a health check, no header


def test_addresses_are_normalised_and_garbage_is_refused(settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 1
    assert client_ip(request_from(PROXY, "2001:DB8::0001")) == "2001:db8::1"
    assert client_ip(request_from(PROXY, "[2001:db8::1]:443")) == "2001:db8::1"
    assert client_ip(request_from(PROXY, "203.0.113.7:51234")) == "203.0.113.7"
    assert client_ip(request_from(PROXY, "<script>")) == PROXY
    settings.TRUSTED_PROXY_COUNT = 0
    assert client_ip(request_from("unix-socket")) is None


@pytest.mark.django_db
def test_the_audit_log_records_the_client_behind_the_proxy(settings, people) -> None:
    settings.TRUSTED_PROXY_COUNT = 1

    def view(request):  # type: ignore[no-untyped-def]
        audit_record(actor=people.member, action="test.proxy", object_type="x.y")
        return HttpResponse()

    RequestContextMiddleware(view)(request_from(PROXY, "1.2.3.4, 203.0.113.7"))
    assert AuditLog.objects.get(action="test.proxy").ip == "203.0.113.7"
