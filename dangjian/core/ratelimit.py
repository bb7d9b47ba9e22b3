"""Fixed-window rate limits counted in the database.

Why the database: the project runs on one machine with SQLite or on several processes with
PostgreSQL, and has no shared cache. A per-process cache (what django-ratelimit would use with
the default LocMemCache) would let each worker count separately, so a flood spread over four
workers would get four times the limit. One row per (key, window) with an atomic
``UPDATE … SET count = count + 1`` is exact across processes and costs one or two indexed
writes per limited action, which only the public intake and Open311 pay.

Limits are ``(count, seconds)`` pairs in settings (``INTAKE_LIMITS``). Keys never hold a raw
phone number: callers pass ``crypto.lookup_hash(phone)``.
"""

from __future__ import annotations

import datetime as dt

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dangjian.core.models import RateCounter

# Rows older than this are deleted when a new window row is written (no limit is longer).
MAX_WINDOW = dt.timedelta(days=2)


class RateLimitedError(Exception):
    """Raised when a limit is used up; ``retry_after`` in seconds, ``message`` in Chinese."""

    def __init__(self, message: str, *, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def _window_start(now: dt.datetime, seconds: int) -> dt.datetime:
    epoch = int(now.timestamp())
    return dt.datetime.fromtimestamp(epoch - epoch % seconds, tz=dt.UTC)


def rate_hit(*, key: str, limit: tuple[int, int], message: str = "") -> int:
    """Count one hit on ``key`` in the current window; raise ``RateLimitedError`` past the limit.

    A refused hit is still counted, so hammering does not open the window early. Returns the
    count so far in this window.
    """
    allowed, seconds = limit
    now = timezone.now()
    start = _window_start(now, seconds)
    count = _increment(key[:128], start)
    if count > allowed:
        retry_after = max(1, int((start + dt.timedelta(seconds=seconds) - now).total_seconds()))
        raise RateLimitedError(message or _default_message(retry_after), retry_after=retry_after)
    return count


def rate_count(*, key: str, seconds: int, amount: int = 1) -> int:
    """Count ``amount`` hits on ``key`` without refusing (the caller peeked before acting)."""
    return _increment(key[:128], _window_start(timezone.now(), seconds), amount)


def rate_used(*, key: str, seconds: int) -> int:
    """How many hits ``key`` has in the current window (nothing is counted)."""
    start = _window_start(timezone.now(), seconds)
    row = RateCounter.objects.filter(key=key[:128], window_start=start).only("count").first()
    return row.count if row is not None else 0


def rate_peek(*, key: str, limit: tuple[int, int]) -> bool:
    """True when ``key`` has used up its limit in the current window (nothing is counted)."""
    allowed, seconds = limit
    start = _window_start(timezone.now(), seconds)
    row = RateCounter.objects.filter(key=key[:128], window_start=start).only("count").first()
    return row is not None and row.count >= allowed


def _increment(key: str, start: dt.datetime, amount: int = 1) -> int:
    # Callers count before they open their own transaction, so a refused action (which rolls
    # back) still keeps its hit.
    with transaction.atomic():
        updated = RateCounter.objects.filter(key=key, window_start=start).update(
            count=F("count") + amount
        )
        if not updated:
            try:
                with transaction.atomic():
                    RateCounter.objects.create(key=key, window_start=start, count=amount)
            except IntegrityError:  # another process created the window first
                RateCounter.objects.filter(key=key, window_start=start).update(
                    count=F("count") + amount
                )
            else:
                RateCounter.objects.filter(window_start__lt=start - MAX_WINDOW).delete()
        return RateCounter.objects.values_list("count", flat=True).get(key=key, window_start=start)


def _default_message(retry_after: int) -> str:
    if retry_after >= 3600:
        wait = f"{(retry_after + 3599) // 3600} 小时"
    elif retry_after >= 60:
        wait = f"{(retry_after + 59) // 60} 分钟"
    else:
        wait = f"{retry_after} 秒"
    return f"操作太频繁，请 {wait}后再试"
