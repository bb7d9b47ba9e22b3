"""Behind a TLS proxy every resident has the proxy's REMOTE_ADDR: limits count the real client."""

from __future__ import annotations

import pytest
from axes.models import AccessAttempt

from dangjian.core.models import RateCounter

pytestmark = pytest.mark.django_db

PROXY = "10.0.0.2"
TRACK = "/s/track/?code=261121ABC234"


def track(client, forwarded: str) -> int:  # type: ignore[no-untyped-def]
    return client.get(TRACK, REMOTE_ADDR=PROXY, HTTP_X_FORWARDED_FOR=forwarded).status_code


@pytest.fixture
def one_proxy(settings):  # type: ignore[no-untyped-def]
    settings.TRUSTED_PROXY_COUNT = 1
    settings.INTAKE_LIMITS = {**settings.INTAKE_LIMITS, "track_per_ip": (2, 600)}
    return settings


def test_two_residents_behind_the_proxy_are_limited_separately(client, one_proxy) -> None:
    assert [track(client, "203.0.113.7") for _ in range(3)] == [200, 200, 429]
    # The neighbour on another address still gets through: the proxy is not what is counted.
    assert track(client, "198.51.100.20") == 200
    assert not RateCounter.objects.filter(key__contains=PROXY).exists()


def test_a_spoofed_forwarded_entry_does_not_escape_the_limit(client, one_proxy) -> None:
    assert [track(client, "203.0.113.7") for _ in range(2)] == [200, 200]
    # The resident prepends made-up addresses; nginx appends the real one after them.
    assert track(client, "1.2.3.4, 203.0.113.7") == 429
    assert track(client, "5.6.7.8, 9.9.9.9, 203.0.113.7") == 429
    assert RateCounter.objects.filter(key__contains="203.0.113.7").get().count == 4
    assert not RateCounter.objects.filter(key__contains="1.2.3.4").exists()


def test_without_a_trusted_proxy_the_forwarded_header_changes_nothing(client, settings) -> None:
    settings.TRUSTED_PROXY_COUNT = 0
    settings.INTAKE_LIMITS = {**settings.INTAKE_LIMITS, "track_per_ip": (1, 600)}
    assert track(client, "203.0.113.7") == 200
    assert track(client, "198.51.100.20") == 429  # both count against REMOTE_ADDR


def test_a_failed_login_records_the_client_behind_the_proxy(client, one_proxy, people) -> None:
    client.post(
        "/accounts/login/",
        {"username": people.member.username, "password": "wrong"},
        REMOTE_ADDR=PROXY,
        HTTP_X_FORWARDED_FOR="1.2.3.4, 203.0.113.7",
    )
    assert list(AccessAttempt.objects.values_list("ip_address", flat=True)) == ["203.0.113.7"]
