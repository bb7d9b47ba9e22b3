"""Gates for grid rows: scoped by the copied organization path, like every other capability.

A grid the viewer may not see is a 404 (the same as a missing one); a visible grid on which the
viewer lacks the action is a 403.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from dangjian.grid.models import (
    AnchorHousehold,
    Grid,
    Household,
    HouseholdLink,
)
from dangjian.orgs.access import may, scope_q
from dangjian.orgs.models import Organization

NOT_FOUND = "未找到该网格，或您无权查看"


def grids_visible_to(viewer: Any, action: str = "grid.view") -> QuerySet[Grid]:
    """Grids in the subtrees where the viewer holds ``action`` (one range predicate on org_path)."""
    return Grid.objects.filter(scope_q(viewer, "org_path", action=action))


def access_grid_by_id(viewer: Any, grid_id: int, *, action: str = "grid.view") -> Grid:
    """The grid if the viewer may see it (else 404) and may do ``action`` on it (else 403)."""
    grid = grids_visible_to(viewer).select_related("org").filter(pk=grid_id).first()
    if grid is None:
        raise Http404(NOT_FOUND)
    if action != "grid.view" and not may(viewer, action, grid.org):
        raise PermissionDenied("您没有权限执行此操作")
    return grid


def grids_of_worker(user: Any) -> QuerySet[Grid]:
    """The active grids where ``user`` is one of the grid workers (网格员)."""
    if user is None or not getattr(user, "is_authenticated", False):
        return Grid.objects.none()
    return Grid.objects.filter(workers=user, is_active=True)


def households_visible_to(viewer: Any) -> QuerySet[Household]:
    """Households of grids in the viewer's grid scope."""
    return Household.objects.filter(scope_q(viewer, "org_path", action="grid.view"))


def check_action(viewer: Any, action: str, org: Organization) -> None:
    if action != "grid.view" and not may(viewer, action, org):
        raise PermissionDenied("您没有权限执行此操作")


def access_household_by_id(
    viewer: Any, household_id: int, *, action: str = "grid.view"
) -> Household:
    """The household if visible (else 404) and the viewer may do ``action`` (else 403)."""
    row = (
        households_visible_to(viewer)
        .select_related("grid", "grid__org", "org")
        .filter(pk=household_id)
        .first()
    )
    if row is None:
        raise Http404("未找到该住户，或您无权查看")
    check_action(viewer, action, row.org)
    return row


def access_link_by_id(viewer: Any, link_id: int, *, action: str = "grid.view") -> HouseholdLink:
    """The 联户 link if visible (else 404) and the viewer may do ``action`` (else 403)."""
    row = (
        HouseholdLink.objects.filter(scope_q(viewer, "org_path", action="grid.view"))
        .select_related("household", "household__org", "member")
        .filter(pk=link_id)
        .first()
    )
    if row is None:
        raise Http404("未找到该联户关系，或您无权查看")
    check_action(viewer, action, row.household.org)
    return row


def access_anchor_by_id(
    viewer: Any, anchor_id: int, *, action: str = "grid.view"
) -> AnchorHousehold:
    """The 党员中心户 if visible (else 404) and the viewer may do ``action`` (else 403)."""
    row = (
        AnchorHousehold.objects.filter(scope_q(viewer, "org_path", action="grid.view"))
        .select_related("grid", "grid__org", "member", "household")
        .filter(pk=anchor_id)
        .first()
    )
    if row is None:
        raise Http404("未找到该党员中心户，或您无权查看")
    check_action(viewer, action, row.grid.org)
    return row
