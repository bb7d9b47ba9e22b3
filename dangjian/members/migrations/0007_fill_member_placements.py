"""Fill the placement history from what the database already holds.

Per member: the accepted in-system transfers (from branch → to branch on the 回执 date) give the
earlier branches; the current branch runs from the last move (or from the start) to the 减少 date
for a former member, open otherwise. The start is the joining date, or the registration day for a
member registered as arriving (转入, 恢复党籍, 重新入党: increase reasons 21, 22, 31, 41). A former
member whose leaving date was never recorded gets no placement (they were never counted).
Placement changes made with 调整编入 before this migration left no branch ids behind, so those
members count in their current branch from the start.
"""

from __future__ import annotations

from typing import Any

from django.db import migrations

ARRIVES_ON_REGISTRATION = ("21", "22", "31", "41")
BATCH = 5000


def fill(apps: Any, schema_editor: Any) -> None:
    Member = apps.get_model("members", "Member")
    MemberEvent = apps.get_model("members", "MemberEvent")
    MemberPlacement = apps.get_model("members", "MemberPlacement")
    Transfer = apps.get_model("transfers", "Transfer")
    Organization = apps.get_model("orgs", "Organization")

    arrived: dict[int, Any] = {}
    for member_id, on in (
        MemberEvent.objects.filter(kind="admitted", increase_reason__in=ARRIVES_ON_REGISTRATION)
        .order_by("occurred_on")
        .values_list("member_id", "occurred_on")
    ):
        arrived.setdefault(member_id, on)
    moves: dict[int, list[tuple[Any, int]]] = {}
    for member_id, on, from_id in (
        Transfer.objects.filter(
            kind="internal",
            state="accepted",
            member_id__isnull=False,
            received_on__isnull=False,
            from_branch_id__isnull=False,
        )
        .order_by("received_on", "id")
        .values_list("member_id", "received_on", "from_branch_id")
    ):
        moves.setdefault(member_id, []).append((on, from_id))
    paths = dict(Organization.objects.values_list("id", "path"))

    rows: list[Any] = []
    members = Member.objects.order_by("id").values_list(
        "id", "branch_id", "org_path", "joined_on", "status", "left_on"
    )
    for member_id, branch_id, path, joined_on, status, left_on in members.iterator(
        chunk_size=BATCH
    ):
        if status == "former" and left_on is None:
            continue
        since = max(arrived.get(member_id, joined_on), joined_on)
        for on, from_id in moves.get(member_id, []):
            on = max(on, since)
            rows.append(
                MemberPlacement(
                    member_id=member_id,
                    branch_id=from_id,
                    org_path=paths.get(from_id, ""),
                    since=since,
                    until=on,
                )
            )
            since = on
        until = max(left_on, since) if status == "former" else None
        rows.append(
            MemberPlacement(
                member_id=member_id, branch_id=branch_id, org_path=path, since=since, until=until
            )
        )
        if len(rows) >= BATCH:
            MemberPlacement.objects.bulk_create(rows, batch_size=BATCH)
            rows = []
    MemberPlacement.objects.bulk_create(rows, batch_size=BATCH)


def empty(apps: Any, schema_editor: Any) -> None:
    apps.get_model("members", "MemberPlacement").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [
        ("members", "0006_member_placement"),
        ("transfers", "0001_initial"),
    ]

    operations = [migrations.RunPython(fill, empty)]
