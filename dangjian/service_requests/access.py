"""Gates for residents' requests: scoped by the copied organization path of the grid.

A request the viewer may not see is a 404 (the same as a missing one). A member who was
dispatched an order sees that request even without a staff role (their "my orders").
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from dangjian.orgs.access import may, scope_q
from dangjian.service_requests.models import RequestAssignment, ServiceRequest

NOT_FOUND = "未找到该诉求，或您无权查看"


def requests_visible_to(viewer: Any, action: str = "request.view") -> QuerySet[ServiceRequest]:
    """Requests in the subtrees where the viewer holds ``action`` (one range predicate)."""
    return ServiceRequest.objects.filter(scope_q(viewer, "org_path", action=action))


def _assigned_q(viewer: Any) -> Q:
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return Q(pk__in=[])
    return Q(
        pk__in=RequestAssignment.objects.filter(member__user_id=viewer.pk).values("request_id")
    )


def access_request_by_id(
    viewer: Any, request_id: int, *, action: str = "request.view"
) -> ServiceRequest:
    """The request if visible (else 404) and the viewer may do ``action`` on it (else 403).

    A dispatched member may view their own orders; their own actions are checked by the
    services (``request.view`` is the only action this gate grants them).
    """
    row = (
        ServiceRequest.objects.select_related("category", "grid", "org", "claimed_by")
        .filter(scope_q(viewer, "org_path", action="request.view") | _assigned_q(viewer))
        .filter(pk=request_id)
        .first()
    )
    if row is None:
        raise Http404(NOT_FOUND)
    if action != "request.view" and not may(viewer, action, row.org):
        raise PermissionDenied("您没有权限执行此操作")
    return row


def may_see_private(viewer: Any, req: ServiceRequest) -> bool:
    """Internal notes and the full phone are for staff with ``request.handle`` on the request."""
    return may(viewer, "request.handle", req.org)
