"""Gates for residents' requests: scoped by the copied organization path of the grid.

A request the viewer may not see is a 404 (the same as a missing one). A member who was
dispatched an order sees that request even without a staff role (their "my orders").
"""

from __future__ import annotations

from collections.abc import Callable
from functools import cache
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from dangjian.orgs.access import may, scope_q
from dangjian.orgs.models import Organization
from dangjian.service_requests import rules
from dangjian.service_requests.models import RequestAssignment, RequestState, ServiceRequest

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


def may_claim(viewer: Any, req: ServiceRequest) -> bool:
    """A grid worker of the request's grid, or anyone who may dispatch there."""
    if not may(viewer, "request.handle", req.org):
        return False
    return req.grid.workers.filter(pk=viewer.pk).exists() or may(
        viewer, "request.dispatch", req.org
    )


def is_assigned(viewer: Any, req: ServiceRequest) -> bool:
    """Whether the viewer is one of the members the request was dispatched to."""
    if viewer is None or not getattr(viewer, "pk", None):
        return False
    return RequestAssignment.objects.filter(request=req, member__user_id=viewer.pk).exists()


def _who(viewer: Any, req: ServiceRequest) -> dict[str, Callable[[], bool]]:
    """Who may take each step, whatever the state; each fact is asked at most once."""
    assigned = cache(lambda: is_assigned(viewer, req))
    dispatch = cache(lambda: may(viewer, "request.dispatch", req.org))

    def claimant() -> bool:
        return req.claimed_by_id == getattr(viewer, "pk", None)

    return {
        "claim": lambda: may_claim(viewer, req),
        "release": lambda: claimant() or dispatch(),
        "dispatch": dispatch,
        "start": lambda: assigned() or dispatch(),
        "wait": lambda: claimant() or assigned() or dispatch(),
        "resume": lambda: claimant() or assigned() or dispatch(),
        "report": lambda: assigned() or dispatch(),
        "reopen_by_staff": dispatch,
        "close": dispatch,
        "close_unresolved": dispatch,
        "escalate": lambda: may(viewer, "request.manage", req.org),
        "transfer": dispatch,
        "recategorize": dispatch,  # not a transition: the deadlines are recomputed
    }


def may_act(viewer: Any, verb: str, req: ServiceRequest) -> bool:
    """Whether the viewer may take step ``verb`` on the request (its state is checked apart,
    by ``rules.allowed``). The services ask this before every staff step."""
    return _who(viewer, req)[verb]()


def allowed_transitions(viewer: Any, req: ServiceRequest) -> set[str]:
    """The steps the viewer may take on the request now: the forms its page shows. The
    services ask ``may_act`` again; rating and reopening belong to the resident (not listed)."""
    shown: set[str] = set()
    for verb, ok in _who(viewer, req).items():
        if verb == "recategorize":
            now = req.is_open
        elif verb == "close":
            # The page offers 结单 once the resident rated (a reported one closes by itself).
            now = req.state == RequestState.RATED
        else:
            now = rules.allowed(verb, req.state)
        if now and ok():
            shown.add(verb)
    return shown


def may_manage_blocklist(viewer: Any) -> bool:
    """``request.manage`` on a root organization: a blocklist entry applies to the whole
    installation, so a township's workers (who manage requests only in their township) ask
    the county instead."""
    roots = Organization.objects.filter(parent__isnull=True, dissolved_on__isnull=True)
    return any(may(viewer, "request.manage", org) for org in roots)
