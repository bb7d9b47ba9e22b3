"""Gates for findings: scoped by the copied organization path; a hidden row is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from dangjian.findings.models import Finding, Remedy
from dangjian.orgs.access import may, scope_q

NOT_FOUND = "未找到该问题，或您无权查看"


def findings_visible_to(viewer: Any) -> QuerySet[Finding]:
    """Findings of organizations where the viewer manages findings or views organizational life
    (inspectors read the ledger too)."""
    return Finding.objects.filter(
        scope_q(viewer, "org_path", action="finding.manage")
        | scope_q(viewer, "org_path", action="meeting.view")
    )


def access_finding_by_id(viewer: Any, finding_id: int) -> Finding:
    """The finding if visible, else 404 (the service checks what the viewer may do with it)."""
    finding = (
        findings_visible_to(viewer)
        .select_related("org", "org__parent", "created_by", "verified_by")
        .filter(pk=finding_id)
        .first()
    )
    if finding is None:
        raise Http404(NOT_FOUND)
    return finding


def access_remedy_by_id(viewer: Any, remedy_id: int) -> Remedy:
    remedy = (
        Remedy.objects.select_related("finding__org__parent")
        .filter(pk=remedy_id, finding__in=findings_visible_to(viewer))
        .first()
    )
    if remedy is None:
        raise Http404("未找到该整改措施，或您无权查看")
    return remedy


def may_manage(viewer: Any, finding: Finding) -> bool:
    """The finding's own organization (or any above it) registers and rectifies."""
    return may(viewer, "finding.manage", finding.org)


def may_verify(viewer: Any, finding: Finding) -> bool:
    """Verification and 销号 are for the upper organization, never the one being rectified."""
    parent = finding.org.parent
    return parent is not None and may(viewer, "finding.manage", parent)
