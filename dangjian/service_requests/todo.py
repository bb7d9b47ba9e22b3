"""待办 for the five-order loop: the pool to claim, orders to dispatch, my orders, overdue."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse
from django.utils import timezone

from dangjian.core.todo import Todo, capped
from dangjian.grid.access import grids_of_worker
from dangjian.orgs.access import may
from dangjian.service_requests.models import ServiceRequest
from dangjian.service_requests.selectors import (
    DISPATCHABLE,
    MINE_OPEN_STATES,
    POOL_STATES,
    RUNNING_STATES,
    requests_under,
)

AREA = "群众诉求"


def request_todos(*, viewer: Any, org: Any, today: dt.date) -> list[Todo]:
    """What waits for the viewer in the loop, by the roles they hold."""
    items = []
    pool = ServiceRequest.objects.filter(grid__in=grids_of_worker(viewer), state__in=POOL_STATES)
    items.append(Todo(AREA, "网格待领单", capped(pool), reverse("service_requests:pool")))
    if may(viewer, "request.dispatch", org):
        subtree = requests_under(viewer, org, "request.dispatch")
        waiting = capped(subtree.filter(state__in=DISPATCHABLE))
        items.append(Todo(AREA, "诉求待派单", waiting, reverse("service_requests:board")))
        late = subtree.filter(state__in=RUNNING_STATES, due_at__lt=timezone.now())
        items.append(
            Todo(AREA, "诉求逾期未办结", capped(late), reverse("service_requests:overdue"), True)
        )
    mine = ServiceRequest.objects.filter(
        assignments__member__user_id=viewer.pk, state__in=MINE_OPEN_STATES
    ).distinct()
    items.append(Todo(AREA, "我承办的诉求", capped(mine), reverse("service_requests:mine")))
    return items
