"""Writing generated organizations: bulk inserts in batches, one transaction per batch group."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from itertools import islice

from django.core.management.color import no_style
from django.db import connection, transaction
from django.db.models import Max

from dangjian.core.paths import segment_number
from dangjian.orgs.models import Organization, OrgLink

BATCH_SIZE = 2000
BATCHES_PER_TRANSACTION = 10


def next_free() -> tuple[int, int]:
    """(first free id, first free top-level path number) in the current database."""
    agg = Organization.objects.aggregate(max_id=Max("id"))
    top = Organization.objects.filter(depth=1).aggregate(m=Max("path"))["m"]
    return (agg["max_id"] or 0) + 1, (segment_number(top) + 1 if top else 1)


def write_orgs(rows: Iterable[Organization], progress: Callable[[int], None]) -> int:
    """Insert ``rows`` (parents before children) in batches; returns how many were written."""
    it = iter(rows)
    total = 0
    done = False
    while not done:
        with transaction.atomic():
            for _ in range(BATCHES_PER_TRANSACTION):
                batch = list(islice(it, BATCH_SIZE))
                if not batch:
                    done = True
                    break
                Organization.objects.bulk_create(batch, batch_size=BATCH_SIZE)
                total += len(batch)
                progress(total)
    reset_sequences()
    return total


def write_links(links: list[OrgLink]) -> int:
    with transaction.atomic():
        OrgLink.objects.bulk_create(links, batch_size=BATCH_SIZE)
    return len(links)


def reset_sequences() -> None:
    """After inserting explicit ids, move PostgreSQL's id sequence past them (no-op on SQLite)."""
    statements = connection.ops.sequence_reset_sql(no_style(), [Organization])
    if statements:
        with connection.cursor() as cursor:
            for sql in statements:
                cursor.execute(sql)
