"""Two concurrent transfers of one member, in two real transactions: exactly one wins."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, close_old_connections, connection

from dangjian.accounts.models import User
from dangjian.members.models import Member
from dangjian.orgs.models import Organization
from dangjian.transfers import services
from dangjian.transfers.models import Transfer
from dangjian.transfers.tests.factories import this_month

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _shared_cache_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def _run(barrier: threading.Barrier, results: list[Any], **kwargs: Any) -> None:
    """One "request": its own thread, so its own database connection and transaction."""
    try:
        member = Member.objects.get(pk=kwargs.pop("member_id"))
        actor = User.objects.get(pk=kwargs.pop("actor_id"))
        to = Organization.objects.get(pk=kwargs.pop("to_id"))
        barrier.wait(timeout=10)
        for attempt in range(100):
            try:
                t = services.transfer_request(
                    actor=actor, member=member, to_branch=to, dues_paid_through=this_month(),
                    reason="并发测试",
                )  # fmt: skip
            except OperationalError as exc:
                # SQLite's in-memory test database shares one cache between connections, and
                # there a busy writer is reported at BEGIN as "table is locked" instead of
                # waiting for busy_timeout as a file database does. Wait like the busy handler.
                if _shared_cache_sqlite() and "locked" in str(exc) and attempt < 99:
                    time.sleep(0.02)
                    continue
                raise
            results.append(t.pk)
            return
    except Exception as exc:  # noqa: BLE001 — collected for the assertions below
        results.append(exc)
    finally:
        close_old_connections()
        connection.close()


def test_two_concurrent_requests_for_one_member_exactly_one_wins(people, tree, member_a1):
    barrier = threading.Barrier(2)
    results: list[Any] = []
    threads = [
        threading.Thread(
            target=_run,
            args=(barrier, results),
            kwargs={"member_id": member_a1.pk, "actor_id": actor.pk, "to_id": to.pk},
        )
        for actor, to in (
            (people.village_secretary, tree.village_b1),
            (people.township_a, tree.village_a2),
        )
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
    assert "已有正在办理的组织关系转接" in "".join(errors[0].messages)
    assert Transfer.objects.count() == 1
    assert Transfer.objects.get().pk == wins[0]
    assert Member.objects.get(pk=member_a1.pk).status == Member.Status.TRANSFERRING
