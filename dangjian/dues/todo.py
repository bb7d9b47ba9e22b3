"""待办 for dues: reduction and exemption applications at the step the viewer can take."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.urls import reverse

from dangjian.core.paths import subtree_q
from dangjian.core.todo import Todo, capped
from dangjian.dues.models import DuesReduction
from dangjian.orgs.access import may


def dues_todos(*, viewer: Any, org: Any, today: dt.date) -> list[Todo]:
    """Applications waiting for the branch's discussion, and those waiting for approval."""
    base = DuesReduction.objects.filter(subtree_q("org_path", org.path))
    url = f"{reverse('dues:ledger')}?org={org.pk}"
    items = []
    # The branch discusses; the 党委 above it approves: each level sees its own step.
    if org.is_branch_level and may(viewer, "dues.collect", org):
        applied = capped(base.filter(state=DuesReduction.State.APPLIED))
        items.append(Todo("党费收缴", "党费减免申请待支部讨论", applied, url))
    if not org.is_branch_level and may(viewer, "dues.approve", org):
        discussed = capped(base.filter(state=DuesReduction.State.DISCUSSED))
        items.append(Todo("党费收缴", "党费减免申请待上级审批", discussed, url))
    return items
