"""Two concurrent awards for one source event, in two real transactions: one entry only."""

from __future__ import annotations

import datetime as dt
import threading
import time
from decimal import Decimal
from typing import Any

import pytest
from django.db import IntegrityError, OperationalError, close_old_connections, connection
from django.db import transaction as db_transaction

from dangjian.meetings.models import Attendance
from dangjian.members.models import Member
from dangjian.points.models import PointsBalance, PointsEntry, PointsItem, PointsScheme
from dangjian.points.selectors import open_balance_drift
from dangjian.points.services import points_award_auto
from dangjian.points.tests.factories import make_attendance, roll

__all__ = ["roll"]

# Transactional: each thread commits for real. The data-migration catalogue may have been
# flushed by an earlier transactional test, so the county gets its own scheme here.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)

ON = dt.date(2026, 11, 10)


def _county_scheme(county: Any) -> PointsScheme:
    scheme = PointsScheme.objects.create(scope=county, year=2026, name="测试县积分方案")
    PointsItem.objects.create(
        scheme=scheme,
        code="meeting_present",
        name="参加组织生活",
        category="org_life",
        points=Decimal(2),
        cap_period="month",
        cap_points=Decimal(6),
        mode="auto",
    )
    return scheme


def _shared_cache_sqlite() -> bool:
    return connection.vendor == "sqlite" and connection.is_in_memory_db()


def _run(barrier: threading.Barrier, results: list[Any], member_id: int, source_id: int) -> None:
    """One "request": its own thread, so its own database connection and transaction."""
    try:
        member = Member.objects.get(pk=member_id)
        source = Attendance.objects.get(pk=source_id)
        barrier.wait(timeout=10)
        for attempt in range(100):
            try:
                entry = points_award_auto(
                    member=member, rule_code="meeting_present", source=source, on=ON
                )
            except OperationalError as exc:
                # SQLite's in-memory test database reports a busy writer as "table is locked"
                # at BEGIN instead of waiting for busy_timeout: wait like the busy handler.
                if _shared_cache_sqlite() and "locked" in str(exc) and attempt < 99:
                    time.sleep(0.02)
                    continue
                raise
            results.append(entry.pk if entry else None)
            return
    except Exception as exc:  # noqa: BLE001 — collected for the assertions below
        results.append(exc)
    finally:
        close_old_connections()
        connection.close()


def test_two_racing_awards_for_one_source_book_one_entry(people, tree, roll):
    _county_scheme(tree.county)
    src = make_attendance(people.village_secretary, tree.village_a1, roll.me)
    barrier = threading.Barrier(2)
    results: list[Any] = []
    threads = [
        threading.Thread(target=_run, args=(barrier, results, roll.me.pk, src.pk)) for _ in range(2)
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert len(results) == 2, results
    assert all(isinstance(r, int) for r in results), results
    assert results[0] == results[1]
    assert PointsEntry.objects.count() == 1
    assert PointsEntry.objects.get().points == Decimal(2)
    # The loser booked nothing, so the materialised balance moved once.
    year = PointsBalance.objects.get(member=roll.me, period__kind="year")
    assert (year.earned, year.balance) == (Decimal(2), Decimal(102))


def test_two_racing_awards_for_two_sources_both_reach_the_balance(people, tree, roll):
    scheme = _county_scheme(tree.county)
    sources = [make_attendance(people.village_secretary, tree.village_a1, roll.me) for _ in "ab"]
    barrier = threading.Barrier(2)
    results: list[Any] = []
    threads = [
        threading.Thread(target=_run, args=(barrier, results, roll.me.pk, src.pk))
        for src in sources
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=30)

    assert len(results) == 2, results
    assert all(isinstance(r, int) for r in results), results
    assert PointsEntry.objects.count() == 2
    # No lost update: both increments landed (the member lock serialises the writers).
    rows = {
        b.period.kind: (b.earned, b.balance)
        for b in PointsBalance.objects.filter(member=roll.me).select_related("period")
        if b.period.start <= ON <= b.period.end
    }
    assert rows == {k: (Decimal(4), Decimal(104)) for k in ("month", "quarter", "year")}
    assert open_balance_drift(scheme)[0].total == 0


def test_the_database_itself_refuses_a_second_entry_for_a_source(people, tree, roll):
    _county_scheme(tree.county)
    src = make_attendance(people.village_secretary, tree.village_a1, roll.me)
    first = points_award_auto(member=roll.me, rule_code="meeting_present", source=src, on=ON)
    assert first is not None
    twin = PointsEntry(
        member=first.member,
        item=first.item,
        points=first.points,
        occurred_on=ON,
        origin=first.origin,
        source_type=first.source_type,
        source_id=first.source_id,
    )
    with pytest.raises(IntegrityError), db_transaction.atomic():
        twin.save()
    assert PointsEntry.objects.count() == 1
