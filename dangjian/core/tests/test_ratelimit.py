"""The database-backed fixed-window rate limiter."""

from __future__ import annotations

import datetime as dt
from unittest import mock

import pytest

from dangjian.core import ratelimit
from dangjian.core.models import RateCounter

pytestmark = pytest.mark.django_db

T0 = dt.datetime(2026, 11, 21, 2, 0, 0, tzinfo=dt.UTC)  # on an hour boundary


def _at(moment: dt.datetime):  # type: ignore[no-untyped-def]
    return mock.patch("django.utils.timezone.now", return_value=moment)


def test_allows_up_to_the_limit_then_refuses_with_retry_after():
    with _at(T0 + dt.timedelta(minutes=10)):
        for n in (1, 2, 3):
            assert ratelimit.rate_hit(key="k", limit=(3, 3600)) == n
        with pytest.raises(ratelimit.RateLimitedError) as info:
            ratelimit.rate_hit(key="k", limit=(3, 3600))
    assert info.value.retry_after == 50 * 60
    assert info.value.message == "操作太频繁，请 50 分钟后再试"


def test_refused_hits_are_still_counted():
    with _at(T0):
        for _ in range(3):
            with pytest.raises(ratelimit.RateLimitedError):
                ratelimit.rate_hit(key="k", limit=(0, 60))
    assert RateCounter.objects.get(key="k").count == 3


def test_window_boundary_second_before_of_and_after():
    with _at(T0 - dt.timedelta(seconds=1)):
        ratelimit.rate_hit(key="k", limit=(1, 3600))
        with pytest.raises(ratelimit.RateLimitedError) as info:
            ratelimit.rate_hit(key="k", limit=(1, 3600))
        assert info.value.retry_after == 1
    with _at(T0):  # a new window opens exactly on the boundary
        assert ratelimit.rate_hit(key="k", limit=(1, 3600)) == 1
    with _at(T0 + dt.timedelta(seconds=1)), pytest.raises(ratelimit.RateLimitedError):
        ratelimit.rate_hit(key="k", limit=(1, 3600))


def test_keys_are_counted_apart():
    with _at(T0):
        ratelimit.rate_hit(key="a", limit=(1, 60))
        assert ratelimit.rate_hit(key="b", limit=(1, 60)) == 1


def test_peek_does_not_count():
    with _at(T0):
        assert not ratelimit.rate_peek(key="k", limit=(1, 60))
        ratelimit.rate_hit(key="k", limit=(1, 60))
        assert ratelimit.rate_peek(key="k", limit=(1, 60))
    assert RateCounter.objects.get(key="k").count == 1


def test_custom_message_and_long_waits_in_hours():
    with _at(T0), pytest.raises(ratelimit.RateLimitedError) as info:
        ratelimit.rate_hit(key="k", limit=(0, 86400), message="今天提交太多了")
    assert info.value.message == "今天提交太多了"
    with _at(T0), pytest.raises(ratelimit.RateLimitedError) as info:
        ratelimit.rate_hit(key="k2", limit=(0, 86400))
    assert "小时后再试" in info.value.message


def test_old_windows_are_cleaned_up_when_a_new_window_starts():
    with _at(T0 - dt.timedelta(days=3)):
        ratelimit.rate_hit(key="old", limit=(5, 60))
    with _at(T0):
        ratelimit.rate_hit(key="new", limit=(5, 60))
    assert list(RateCounter.objects.values_list("key", flat=True)) == ["new"]


def test_count_never_refuses_and_peek_sees_it():
    with _at(T0):
        for _ in range(3):
            ratelimit.rate_count(key="k", seconds=60)
        assert ratelimit.rate_peek(key="k", limit=(3, 60))
        assert not ratelimit.rate_peek(key="k", limit=(4, 60))
