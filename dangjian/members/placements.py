"""Where a member's organizational relationship sat, day by day: the placement history.

Written only from inside the services that move a member (registration, import, 调整编入,
减少, 组织关系转接), in their transaction; read by compliance to count a branch's full members on
a past day. Intervals are half-open: ``since`` is the first day in the branch, ``until`` the
first day out of it.

Where a placement starts when a member is registered (the only evidence there is then):

* 新发展 (11) and 其他原因增加 (91, which includes loading an existing roll into the system):
  in the branch since joining the party — no earlier placement is on record;
* 转入 (21 系统外转入, 22 系统内转入), 恢复党籍 (31), 重新入党 (41): since the registration day.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.utils import timezone

from dangjian.members.models import Member, MemberPlacement

# Increase reasons whose registration day is the day the member arrived in the branch.
ARRIVES_ON_REGISTRATION = frozenset({"21", "22", "31", "41"})


def placement_start(*, joined_on: dt.date, increase_reason: str, registered_on: dt.date) -> dt.date:
    """The first day in the branch for a member registered with ``increase_reason``."""
    if increase_reason in ARRIVES_ON_REGISTRATION:
        return max(registered_on, joined_on)
    return joined_on


def placement_row(member: Member, since: dt.date, until: dt.date | None = None) -> dict[str, Any]:
    """A placement as a dict for ``insert_rows`` (bulk imports and the demo)."""
    return {
        "member_id": member.pk,
        "branch_id": member.branch_id,
        "org_path": member.org_path,
        "since": since,
        "until": until,
    }


def placement_open(member: Member, *, since: dt.date) -> MemberPlacement:
    """Start the member's placement in their current branch on ``since``."""
    return MemberPlacement.objects.create(
        member=member, branch_id=member.branch_id, org_path=member.org_path, since=since
    )


def placement_close(member: Member, *, on: dt.date) -> None:
    """End the open placement: from ``on`` the member is no longer in that branch.

    A date before the placement began (a correction of an earlier mistake) ends it the day it
    began, so intervals never run backwards.
    """
    for p in MemberPlacement.objects.filter(member=member, until__isnull=True):
        p.until = max(on, p.since)
        p.save(update_fields=["until"])


def placement_move(member: Member, *, on: dt.date | None = None) -> MemberPlacement:
    """The member (already saved in the new branch) moved there on ``on`` (today by default)."""
    on = on or timezone.localdate()
    placement_close(member, on=on)
    return placement_open(member, since=on)


def placement_rejoined_on(member: Member, *, old: dt.date, new: dt.date) -> int:
    """The joining date was corrected: a placement that started on the old date (one derived
    from it at registration) starts on the new one instead."""
    return (
        MemberPlacement.objects.filter(member=member, since=old)
        .exclude(until__lt=new)
        .update(since=new)
    )
