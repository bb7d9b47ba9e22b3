"""The member statistics rollup: per branch, per dimension value, a count.

Every member write calls ``rollup_move(before, after)`` inside its transaction; ``recount`` and
``reconcile`` recompute from the member rows and report (or repair) any drift.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db import connection, transaction

from dangjian.members.models import Member, MemberStat
from dangjian.members.rules import HAN, education_groups

DIMENSIONS = (
    "total",
    "category",
    "sex",
    "minority",
    "education_group",
    "birth_year",
    "join_year",
    "standing",
    "mobile",
    "lost",
    "retired",
)

# A member's place in the rollup: (branch_id, org_path, ((dimension, value), ...)).
Key = tuple[int, str, tuple[tuple[str, str], ...]]


def member_dims(m: Any) -> tuple[tuple[str, str], ...]:
    """The (dimension, value) pairs a current member counts under."""
    return (
        ("total", "all"),
        ("category", m.category),
        ("sex", m.sex),
        ("minority", "0" if m.ethnicity == HAN else "1"),
        ("education_group", education_groups().get(m.education, "junior")),
        ("birth_year", str(m.birth_date.year)),
        ("join_year", str(m.joined_on.year)),
        ("standing", m.standing),
        ("mobile", "1" if m.is_mobile else "0"),
        ("lost", "1" if m.lost_contact else "0"),
        ("retired", "1" if m.is_retired else "0"),
    )


def member_key(m: Member | None) -> Key | None:
    """Where a member counts, or None when they do not (历史库 or no member)."""
    if m is None or m.status == Member.Status.FORMER:
        return None
    return (m.branch_id, m.org_path, member_dims(m))


UPSERT_BATCH = 150


def _apply(counter: Counter[tuple[int, str, str, str]]) -> None:
    """Add the deltas to the rollup: one upsert per batch of cells (SQLite ≥ 3.24 and PostgreSQL).

    ``ON CONFLICT … DO UPDATE`` adds to an existing cell or creates it atomically, so two
    concurrent writes to the same cell both count.
    """
    cells = [(b, p, d, v, n) for (b, p, d, v), n in sorted(counter.items()) if n != 0]
    if not cells:
        return
    table = connection.ops.quote_name(MemberStat._meta.db_table)
    cols = ", ".join(
        connection.ops.quote_name(c)
        for c in ("branch_id", "org_path", "dimension", "value", "count")
    )
    count, path = connection.ops.quote_name("count"), connection.ops.quote_name("org_path")
    with connection.cursor() as cursor:
        for start in range(0, len(cells), UPSERT_BATCH):
            batch = cells[start : start + UPSERT_BATCH]
            values = ", ".join(["(%s, %s, %s, %s, %s)"] * len(batch))
            cursor.execute(
                f"INSERT INTO {table} ({cols}) VALUES {values} "  # noqa: S608 — names are ours
                f'ON CONFLICT ("branch_id", "dimension", "value") DO UPDATE SET '
                f"{count} = {table}.{count} + excluded.{count}, {path} = excluded.{path}",
                [x for cell in batch for x in cell],
            )


def rollup_move(before: Key | None, after: Key | None) -> None:
    """Move one member's counts from ``before`` to ``after`` (either may be None)."""
    if before == after:
        return
    counter: Counter[tuple[int, str, str, str]] = Counter()
    for key, sign in ((before, -1), (after, 1)):
        if key is None:
            continue
        branch_id, org_path, dims = key
        for dim, value in dims:
            counter[(branch_id, org_path, dim, value)] += sign
    _apply(counter)


def rollup_add_many(members: Iterable[Member]) -> None:
    """Add many new members at once (imports, seeding): one UPDATE/INSERT per cell."""
    counter: Counter[tuple[int, str, str, str]] = Counter()
    for m in members:
        key = member_key(m)
        if key is None:
            continue
        for dim, value in key[2]:
            counter[(key[0], key[1], dim, value)] += 1
    _apply(counter)


def recount(*, branch_ids: list[int] | None = None) -> dict[tuple[int, str, str], int]:
    """Recompute ``{(branch_id, dimension, value): count}`` from the member rows."""
    qs = Member.objects.exclude(status=Member.Status.FORMER)
    if branch_ids is not None:
        qs = qs.filter(branch_id__in=branch_ids)
    fields = (
        "branch_id", "org_path", "category", "sex", "ethnicity", "education", "birth_date",
        "joined_on", "standing", "is_mobile", "lost_contact", "is_retired", "status",
    )  # fmt: skip
    counts: Counter[tuple[int, str, str]] = Counter()

    class Row:
        pass

    for values in qs.values_list(*fields).iterator(chunk_size=5000):
        row = Row()
        for name, value in zip(fields, values, strict=True):
            setattr(row, name, value)
        for dim, value in member_dims(row):
            counts[(row.branch_id, dim, value)] += 1  # type: ignore[attr-defined]
    return dict(counts)


@dataclass
class Drift:
    cells_checked: int
    wrong: list[tuple[tuple[int, str, str], int, int]]  # (cell, rollup, recount)

    @property
    def is_clean(self) -> bool:
        return not self.wrong


def reconcile(*, repair: bool = False) -> Drift:
    """Compare the rollup with a recount; optionally rewrite the rollup from the recount."""
    truth = recount()
    stored = {
        (b, d, v): c
        for b, d, v, c in MemberStat.objects.values_list("branch_id", "dimension", "value", "count")
    }
    wrong = [
        (cell, stored.get(cell, 0), truth.get(cell, 0))
        for cell in sorted(set(truth) | set(stored))
        if stored.get(cell, 0) != truth.get(cell, 0)
    ]
    if repair and wrong:
        paths = dict(
            Member.objects.exclude(status=Member.Status.FORMER)
            .values_list("branch_id", "org_path")
            .distinct()
        )
        with transaction.atomic():
            MemberStat.objects.all().delete()
            MemberStat.objects.bulk_create(
                [
                    MemberStat(
                        branch_id=b, org_path=paths.get(b, ""), dimension=d, value=v, count=c
                    )
                    for (b, d, v), c in truth.items()
                ],
                batch_size=2000,
            )
    return Drift(cells_checked=len(set(truth) | set(stored)), wrong=wrong)
