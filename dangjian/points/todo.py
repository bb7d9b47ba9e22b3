"""待办 for points: members' self-reports waiting for the branch."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from dangjian.core.paths import subtree_q
from dangjian.core.todo import Todo, capped
from dangjian.orgs.access import may
from dangjian.points.access import claims_visible_to
from dangjian.points.models import PointsClaim


def points_todos(*, viewer: Any, org: Any, today: dt.date) -> list[Todo]:
    """Pending self-reports (积分申报) in the working organization, for those who award."""
    if not may(viewer, "points.award", org):
        return []
    qs = claims_visible_to(viewer).filter(
        subtree_q("org_path", org.path), state=PointsClaim.State.PENDING
    )
    return [Todo("积分管理", "党员积分申报待审核", capped(qs), reverse("points:home"))]
