"""待办 for organizational transfers: letters to approve and members to receive."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from dangjian.core.todo import Todo
from dangjian.transfers.selectors import box_counts

LABELS = {"approve": "组织关系转接待审批", "receive": "转入的党员待接收"}


def transfer_todos(*, viewer: Any, org: Any, today: dt.date) -> list[Todo]:
    """Transfers waiting in the viewer's approve and receive boxes."""
    counts = box_counts(viewer=viewer)
    url = reverse("transfers:list")
    return [
        Todo("组织关系转接", LABELS[box], counts[box], f"{url}?box={box}")
        for box in ("approve", "receive")
    ]
