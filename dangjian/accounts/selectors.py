"""Reads over accounts: the grants a viewer manages."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Q, QuerySet

from dangjian.accounts.grants import Placed, scope_q
from dangjian.accounts.models import RoleGrant
from dangjian.core.paths import subtree_q


def grants_managed_by(
    *,
    viewer: Any,
    within: Placed | None = None,
    role: str = "",
    q: str = "",
    active_on: dt.date | None = None,
    limit: int = 200,
) -> QuerySet[RoleGrant]:
    """Role grants on organizations where the viewer may manage grants, newest first."""
    qs = RoleGrant.objects.filter(scope_q(viewer, "org__path", action="grant.manage"))
    if within is not None:
        qs = qs.filter(subtree_q("org__path", within.path))
    if role:
        qs = qs.filter(role=role)
    if q:
        qs = qs.filter(
            Q(user__username__icontains=q) | Q(user__name__icontains=q) | Q(user__mobile=q)
        )
    if active_on is not None:
        qs = qs.filter(valid_from__lte=active_on).filter(
            Q(valid_to__isnull=True) | Q(valid_to__gte=active_on)
        )
    return qs.select_related("user", "org").order_by("org__path", "role", "user_id")[:limit]
