"""Two concurrent 联户 requests for one member at the limit, in two real transactions: the
per-member limit holds (exactly one wins)."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.db import OperationalError, close_old_connections, connection

from dangjian.accounts.models import User
from dangjian.grid import services
from dangjian.grid.models import GridRuleSet, Household, HouseholdLink
from dangjian.grid.tests.factories import make_grid, make_household
from dangjian.members.models import Member
from dangjian.members.tests.factories import make_member

pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def _shared_cache_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def _run(barrier: threading.Barrier, results: list[Any], **ids: int) -> None:
    """One "request": its own thread, so its own connection and transaction."""
    try:
        actor = User.objects.get(pk=ids["actor_id"])
        member = Member.objects.get(pk=ids["member_id"])
        household = Household.objects.select_related("grid__org").get(pk=ids["household_id"])
        barrier.wait(timeout=10)
        for attempt in range(100):
            try:
                links = services.household_link(actor=actor, member=member, households=[household])
            except OperationalError as exc:
                if _shared_cache_sqlite() and "locked" in str(exc) and attempt < 99:
                    time.sleep(0.02)
                    continue
                raise
            results.append(len(links))
            return
    except Exception as exc:  # noqa: BLE001 — collected for the assertions below
        results.append(exc)
    finally:
        close_old_connections()
        connection.close()


def test_two_links_racing_for_the_last_place_exactly_one_wins(people, tree):
    GridRuleSet.objects.update(links_per_member_max=2)
    grid = make_grid(tree.village_a1, "甲村第一网格")
    member = make_member(people.county_admin, tree.village_a1, name="孙立新")
    first, x, y = (make_household(grid) for _ in range(3))
    services.household_link(actor=people.county_admin, member=member, households=[first])
    barrier = threading.Barrier(2)
    results: list[Any] = []
    threads = [
        threading.Thread(
            target=_run,
            args=(barrier, results),
            kwargs={"actor_id": actor.pk, "member_id": member.pk, "household_id": h.pk},
        )
        for actor, h in ((people.village_secretary, x), (people.township_a, y))
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)
    wins = [r for r in results if r == 1]
    errors = [r for r in results if isinstance(r, Exception)]
    assert len(wins) == 1, results
    assert len(errors) == 1, results
    assert isinstance(errors[0], ValidationError), repr(errors[0])
    assert HouseholdLink.objects.filter(member=member, ended_on__isnull=True).count() == 2
