"""Gates for member rows: scope by the copied organization path; personal data masked."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from dangjian.members.models import DossierItem, Member
from dangjian.orgs.access import may, scope_q

NOT_FOUND = "未找到该党员，或您无权查看"


def members_visible_to(viewer: Any, *, include_former: bool = False) -> QuerySet[Member]:
    """Members placed in the viewer's subtrees (one range predicate on ``org_path``)."""
    qs = Member.objects.filter(scope_q(viewer, "org_path", action="member.view"))
    if not include_former:
        qs = qs.exclude(status=Member.Status.FORMER)
    return qs


def access_member_by_id(
    viewer: Any, member_id: int, *, action: str = "member.view", include_former: bool = True
) -> Member:
    """The member if visible (else 404) and the viewer may do ``action`` on the branch (else 403)."""
    member = (
        members_visible_to(viewer, include_former=include_former)
        .select_related("branch", "group", "mobile_branch", "checkin_community")
        .filter(pk=member_id)
        .first()
    )
    if member is None:
        raise Http404(NOT_FOUND)
    if action != "member.view" and not may(viewer, action, member.branch):
        raise PermissionDenied("您没有权限执行此操作")
    return member


def access_dossier_item_by_id(viewer: Any, item_id: int) -> DossierItem:
    """A dossier item if its member is visible to the viewer, former members included (else 404)."""
    row = (
        DossierItem.objects.filter(
            pk=item_id, member__in=members_visible_to(viewer, include_former=True)
        )
        .select_related("member", "requirement")
        .first()
    )
    if row is None:
        raise Http404("未找到该档案材料，或您无权查看")
    return row


def may_reveal(viewer: Any, member: Member) -> bool:
    """May the viewer see this member's full ID number and phone (an audited permission)?"""
    return may(viewer, "member.reveal", member.branch)
