"""Gates for dues rows: members through the member gate, organizations through the org gate,
reduction applications by the dues scope."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import Http404

from dangjian.dues.models import DuesReduction
from dangjian.members.access import access_member_by_id
from dangjian.members.models import Member
from dangjian.orgs.access import access_org_by_id, may, scope_q
from dangjian.orgs.models import Organization


def access_dues_member_by_id(viewer: Any, member_id: int, *, for_write: bool = False) -> Member:
    """The member whose dues the viewer may see (404 outside scope) or set (403 without
    member.edit on the branch)."""
    return access_member_by_id(
        viewer, member_id, action="member.edit" if for_write else "member.view"
    )


def access_dues_org_by_id(viewer: Any, org_id: int, *, action: str = "dues.view") -> Organization:
    """The organization whose dues the viewer may see (404 outside scope, 403 without the
    action)."""
    return access_org_by_id(viewer, org_id, action=action)


def access_reduction_by_id(viewer: Any, reduction_id: int) -> DuesReduction:
    """A reduction application in the viewer's dues scope (404 otherwise)."""
    reduction = (
        DuesReduction.objects.filter(scope_q(viewer, "org_path", action="dues.view"))
        .select_related("member", "branch")
        .filter(pk=reduction_id)
        .first()
    )
    if reduction is None:
        raise Http404("未找到该减免申请，或您无权查看")
    return reduction


def access_collect_member_by_id(viewer: Any, member_id: int) -> Member:
    """A member whose dues the viewer may collect: 404 outside the viewer's scope, 403 without
    dues.collect on the member's branch."""
    member = access_member_by_id(viewer, member_id)
    if not may(viewer, "dues.collect", member.branch):
        raise PermissionDenied("您没有权限登记该党员的党费")
    return member
