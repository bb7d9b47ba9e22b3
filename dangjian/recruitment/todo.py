"""待办 for member development: steps past their time limit."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from dangjian.core.paths import subtree_q
from dangjian.core.todo import Todo, capped
from dangjian.orgs.access import may
from dangjian.recruitment.access import applicants_visible_to
from dangjian.recruitment.models import Applicant


def recruitment_todos(*, viewer: Any, org: Any, today: dt.date) -> list[Todo]:
    """Applicants whose next step is past its limit (e.g. the talk within a month)."""
    if not may(viewer, "recruit.record", org):
        return []
    qs = applicants_visible_to(viewer).filter(
        subtree_q("org_path", org.path), status=Applicant.Status.ACTIVE, due_on__lt=today
    )
    return [
        Todo(
            "发展党员",
            "发展党员步骤超期未办",
            capped(qs),
            reverse("recruitment:board"),
            urgent=True,
        )
    ]
