"""Gates for recruitment rows: scoped by the copied organization path."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from dangjian.orgs.access import may, scope_q
from dangjian.orgs.models import Organization
from dangjian.recruitment.models import Applicant, DocumentTemplate, StepFile

NOT_FOUND = "未找到该入党申请人，或您无权查看"


def applicants_visible_to(viewer: Any) -> QuerySet[Applicant]:
    """Applicants of branches in the viewer's subtrees (those who may view recruitment)."""
    return Applicant.objects.filter(scope_q(viewer, "org_path", action="recruit.view"))


def access_applicant_by_id(
    viewer: Any, applicant_id: int, *, action: str = "recruit.view"
) -> Applicant:
    """The applicant if visible (else 404) and the viewer may do ``action`` (else 403)."""
    applicant = (
        applicants_visible_to(viewer)
        .select_related("org", "org__parent", "rule_set", "member")
        .filter(pk=applicant_id)
        .first()
    )
    if applicant is None:
        raise Http404(NOT_FOUND)
    if action != "recruit.view" and not may(viewer, action, applicant.org):
        raise PermissionDenied("您没有权限执行此操作")
    return applicant


def upper_org(org: Organization) -> Organization:
    """The committee that files and approves for a branch: its parent (the branch itself at a root)."""
    return org.parent if org.parent_id and org.parent is not None else org


def may_record_step(viewer: Any, applicant: Applicant, *, needs_upper: bool) -> bool:
    """Branch steps need recruit.record on the branch; the upper committee's steps (预审, 派人谈话,
    审批, 备案) need recruit.approve on the branch's upper organization."""
    if needs_upper:
        return may(viewer, "recruit.approve", upper_org(applicant.org))
    return may(viewer, "recruit.record", applicant.org)


def access_step_file_by_id(viewer: Any, file_id: int) -> StepFile:
    """A filed scan if its applicant is visible to the viewer (else 404)."""
    row = (
        StepFile.objects.filter(scope_q(viewer, "org_path", action="recruit.view"))
        .select_related("record", "record__applicant")
        .filter(pk=file_id)
        .first()
    )
    if row is None:
        raise Http404("未找到该材料，或您无权查看")
    return row


def access_template_by_id(viewer: Any, template_id: int) -> DocumentTemplate:
    """An uploaded document template if the viewer maintains templates on its scope (else 404)."""
    row = (
        DocumentTemplate.objects.filter(scope_q(viewer, "scope_path", action="recruit.approve"))
        .select_related("scope")
        .filter(pk=template_id)
        .first()
    )
    if row is None:
        raise Http404("未找到该模板，或您无权查看")
    return row
