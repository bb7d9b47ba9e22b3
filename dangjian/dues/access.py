"""Gates for dues rows: a member's dues profile is reached only through the member gate."""

from __future__ import annotations

from typing import Any

from dangjian.members.access import access_member_by_id
from dangjian.members.models import Member


def access_dues_member_by_id(viewer: Any, member_id: int, *, for_write: bool = False) -> Member:
    """The member whose dues the viewer may see (404 outside scope) or set (403 without
    member.edit on the branch)."""
    return access_member_by_id(
        viewer, member_id, action="member.edit" if for_write else "member.view"
    )
