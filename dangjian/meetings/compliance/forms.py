"""Input parsing of the annual plan page."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from dangjian.meetings.compliance.services import PLAN_TYPES, PlanItem


def parse_plan_form(data: Mapping[str, Any]) -> list[PlanItem]:
    """The plan grid's checkboxes (``plan-<month>-<type>``) and topics (``topic-<month>-<type>``)."""
    items = []
    for month in range(1, 13):
        for t in PLAN_TYPES:
            if data.get(f"plan-{month}-{t}"):
                items.append(PlanItem(month, t, str(data.get(f"topic-{month}-{t}", "")).strip()))
    return items
