"""待办 for organizational life: meeting records of lower organizations waiting for review."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q
from django.urls import reverse

from dangjian.core.paths import subtree_q
from dangjian.core.todo import Todo, capped
from dangjian.meetings.models import Meeting
from dangjian.orgs.access import scope_roots


def meeting_todos(*, viewer: Any, org: Any, today: dt.date) -> list[Todo]:
    """Submitted meetings strictly below the viewer's review grants (the 待我审核 queue)."""
    roots = scope_roots(viewer, action="meeting.review")
    if not roots:
        return []
    q = Q()
    for root in roots:
        q |= subtree_q("org_path", root)
    qs = Meeting.objects.filter(q, state=Meeting.State.SUBMITTED).exclude(org_path__in=roots)
    return [Todo("组织生活", "会议记录待审核", capped(qs), reverse("meetings:to_review"))]
