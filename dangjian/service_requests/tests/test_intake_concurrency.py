"""Races on the public intake, in real transactions: one code makes one request; two first
hits on a new rate window both count."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, close_old_connections, connection

from dangjian.core import sms
from dangjian.core.models import RateCounter
from dangjian.core.ratelimit import rate_hit
from dangjian.grid.models import Grid
from dangjian.grid.tests.factories import make_grid
from dangjian.service_requests import intake
from dangjian.service_requests.models import ServiceRequest
from dangjian.service_requests.tests.factories import category

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

PHONE = "13912345678"


def _busy(exc: OperationalError) -> bool:
    # SQLite's shared-cache in-memory test database reports a busy writer as "table is
    # locked" instead of waiting: retry like the busy handler would.
    return connection.vendor == "sqlite" and "locked" in str(exc)


def _race(work: Callable[[], Any], n: int = 2) -> list[Any]:
    barrier = threading.Barrier(n)
    results: list[Any] = []

    def run() -> None:
        try:
            barrier.wait(timeout=10)
            for attempt in range(100):
                try:
                    results.append(work())
                    return
                except OperationalError as exc:
                    if _busy(exc) and attempt < 99:
                        time.sleep(0.02)
                        continue
                    raise
        except Exception as exc:  # noqa: BLE001 — collected for the assertions
            results.append(exc)
        finally:
            close_old_connections()
            connection.close()

    threads = [threading.Thread(target=run) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    return results


def test_one_code_submitted_twice_at_once_makes_one_request(tree, people):
    grid = make_grid(tree.village_a1, "第一网格")
    sms.phone_code_issue(phone=PHONE, purpose=intake.PURPOSE)
    code = sms.last_code_for(PHONE)
    policy = category("policy")

    def submit() -> str:
        req, _ = intake.intake_submit(
            category=policy,
            grid=Grid.objects.get(pk=grid.pk),
            description="双击了两次提交",
            address="",
            resident_name="",
            resident_phone=PHONE,
            code=code,
            photos=[],
            extra=None,
            ip="10.0.0.9",
        )
        return req.tracking_code

    results = _race(submit)
    wins = [r for r in results if isinstance(r, str)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1, results
    assert len(errors) == 1, results
    assert isinstance(errors[0], ValidationError), repr(errors[0])
    assert "验证码已使用" in "".join(errors[0].messages) or "请先获取" in "".join(
        errors[0].messages
    )
    assert ServiceRequest.objects.count() == 1


def test_two_first_hits_on_a_new_window_both_count(db):
    results = _race(lambda: rate_hit(key="race", limit=(10, 3600)))
    assert sorted(results) == [1, 2], results
    assert RateCounter.objects.get(key="race").count == 2
