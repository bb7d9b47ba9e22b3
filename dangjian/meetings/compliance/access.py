"""Gate of the annual plan: who may write a branch's plan."""

from __future__ import annotations

from typing import Any

from dangjian.orgs.access import may
from dangjian.orgs.models import Organization


def may_edit_plan(viewer: Any, org: Organization) -> bool:
    """Branch plans are written by whoever records the branch's meetings."""
    return org.is_branch_level and may(viewer, "meeting.record", org)
