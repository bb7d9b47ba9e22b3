"""待办 for organizational life: meeting records of lower organizations waiting for review."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from dangjian.core.todo import Todo, capped
from dangjian.meetings.selectors import review_queue


def meeting_todos(*, viewer: Any, org: Any, today: dt.date) -> list[Todo]:
    """The viewer's 待我审核 queue."""
    return [
        Todo(
            "组织生活",
            "会议记录待审核",
            capped(review_queue(viewer)),
            reverse("meetings:to_review"),
        )
    ]
