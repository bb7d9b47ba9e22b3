"""待办 for findings: rectification past its deadline in the working organization."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import Exists, OuterRef
from django.urls import reverse

from dangjian.core.paths import subtree_q
from dangjian.core.todo import Todo, capped
from dangjian.findings.access import findings_visible_to
from dangjian.findings.models import Finding, Remedy
from dangjian.findings.selectors import overdue_remedies_q
from dangjian.orgs.access import may


def finding_todos(*, viewer: Any, org: Any, today: dt.date) -> list[Todo]:
    """Open findings with a remedy past its deadline, for those who manage findings here."""
    if not may(viewer, "finding.manage", org):
        return []
    late = Remedy.objects.filter(overdue_remedies_q(today), finding=OuterRef("pk"))
    qs = (
        findings_visible_to(viewer)
        .filter(subtree_q("org_path", org.path))
        .exclude(state=Finding.State.CLOSED)
        .filter(Exists(late))
    )
    url = f"{reverse('findings:ledger')}?org={org.pk}&overdue=1"
    return [Todo("问题整改", "整改措施已超期", capped(qs), url, urgent=True)]
