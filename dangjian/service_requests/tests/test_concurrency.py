"""Two grid workers claim the same request at once, in two real transactions: one wins."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, close_old_connections, connection

from dangjian.accounts.models import User
from dangjian.grid.tests.factories import make_grid
from dangjian.orgs.tests.factories import grant, make_user
from dangjian.service_requests import services
from dangjian.service_requests.models import RequestEvent, ServiceRequest
from dangjian.service_requests.tests.factories import submit

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _shared_cache_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def _claim(barrier: threading.Barrier, results: list[Any], request_id: int, actor_id: int) -> None:
    """One "request": its own thread, so its own database connection and transaction."""
    try:
        actor = User.objects.get(pk=actor_id)
        req = ServiceRequest.objects.get(pk=request_id)
        barrier.wait(timeout=10)
        for attempt in range(100):
            try:
                services.request_claim(actor=actor, request=req)
            except OperationalError as exc:
                # SQLite's shared-cache in-memory test database reports a busy writer as
                # "table is locked" at BEGIN instead of waiting: wait like the busy handler.
                if _shared_cache_sqlite() and "locked" in str(exc) and attempt < 99:
                    time.sleep(0.02)
                    continue
                raise
            results.append(actor_id)
            return
    except Exception as exc:  # noqa: BLE001 — collected for the assertions below
        results.append(exc)
    finally:
        close_old_connections()
        connection.close()


def test_two_grid_workers_claiming_at_once_exactly_one_wins(people, tree):
    second = make_user("grid_worker_2", name="孙网格")
    grant(second, tree.township_a, "grid_worker")
    grid = make_grid(tree.village_a1, "并发网格", workers=[people.grid_worker, second])
    req, _ = submit(grid)
    barrier = threading.Barrier(2)
    results: list[Any] = []
    threads = [
        threading.Thread(target=_claim, args=(barrier, results, req.pk, user.pk))
        for user in (people.grid_worker, second)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    wins = [r for r in results if isinstance(r, int)]
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1, results
    assert len(errors) == 1, results
    assert isinstance(errors[0], ValidationError), repr(errors[0])
    assert "诉求当前为“已领单”，不能领单" in "".join(errors[0].messages)
    req.refresh_from_db()
    assert req.state == "claimed"
    assert req.claimed_by_id == wins[0]
    assert RequestEvent.objects.filter(request=req, action="claim").count() == 1
