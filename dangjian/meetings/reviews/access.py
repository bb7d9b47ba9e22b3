"""Gate for 民主评议 rows: scoped by the copied organization path."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet

from dangjian.meetings.models import MemberReview
from dangjian.orgs.access import scope_q


def reviews_visible_to(viewer: Any) -> QuerySet[MemberReview]:
    """民主评议 results of members in the viewer's subtrees (those who may view members)."""
    return MemberReview.objects.filter(scope_q(viewer, "org_path", action="member.view"))
