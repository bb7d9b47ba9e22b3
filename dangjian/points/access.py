"""Gates for 积分 rows: scoped by the copied organization path; a member always sees their own."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404

from dangjian.accounts.roles import ROLE_ACTIONS
from dangjian.core.paths import path_depth
from dangjian.members.models import Member
from dangjian.orgs.access import may, scope_q, viewer_grants
from dangjian.orgs.models import Organization
from dangjian.points.models import PointsClaim, PointsEntry, PointsItem, PointsScheme, StarReview

NOT_FOUND = "未找到该记录，或您无权查看"


def own_member(viewer: Any) -> Member | None:
    """The viewer's own current member record (the passbook's owner), if linked."""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return None
    return (
        Member.objects.select_related("branch")
        .filter(user_id=viewer.pk)
        .exclude(status=Member.Status.FORMER)
        .first()
    )


def points_members_visible_to(viewer: Any) -> QuerySet[Member]:
    """Current members whose points the viewer may see (points.view on their branch)."""
    return Member.objects.filter(scope_q(viewer, "org_path", action="points.view")).exclude(
        status=Member.Status.FORMER
    )


def access_points_member(viewer: Any, member_id: int, *, action: str = "points.view") -> Member:
    """A member for points work: visible (else 404) and ``action`` allowed (else 403).

    A member may always look at their own passbook.
    """
    me = own_member(viewer)
    if me is not None and me.pk == member_id and action == "points.view":
        return me
    member = points_members_visible_to(viewer).select_related("branch").filter(pk=member_id).first()
    if member is None:
        raise Http404("未找到该党员，或您无权查看")
    if action != "points.view" and not may(viewer, action, member.branch):
        raise PermissionDenied("您没有权限执行此操作")
    return member


def entries_visible_to(viewer: Any) -> QuerySet[PointsEntry]:
    me = own_member(viewer)
    q = scope_q(viewer, "org_path", action="points.view")
    if me is not None:
        q |= Q(member_id=me.pk)
    return PointsEntry.objects.filter(q)


def access_entry_by_id(viewer: Any, entry_id: int, *, action: str = "points.view") -> PointsEntry:
    entry = (
        entries_visible_to(viewer)
        .select_related("member__branch", "item__scheme")
        .filter(pk=entry_id)
        .first()
    )
    if entry is None:
        raise Http404(NOT_FOUND)
    if action != "points.view" and not may(viewer, action, entry.member.branch):
        raise PermissionDenied("您没有权限执行此操作")
    return entry


def claims_visible_to(viewer: Any) -> QuerySet[PointsClaim]:
    me = own_member(viewer)
    q = scope_q(viewer, "org_path", action="points.view")
    if me is not None:
        q |= Q(member_id=me.pk)
    return PointsClaim.objects.filter(q)


def access_claim_by_id(viewer: Any, claim_id: int, *, action: str = "points.view") -> PointsClaim:
    claim = (
        claims_visible_to(viewer)
        .select_related("member__branch", "item__scheme")
        .filter(pk=claim_id)
        .first()
    )
    if claim is None:
        raise Http404(NOT_FOUND)
    if action != "points.view" and not may(viewer, action, claim.member.branch):
        raise PermissionDenied("您没有权限执行此操作")
    return claim


def schemes_visible_to(viewer: Any) -> QuerySet[PointsScheme]:
    """The default catalogues plus those scoped inside or above the viewer's subtrees."""
    above: set[int] = set()
    for g in viewer_grants(viewer):
        above.add(g.org_id)
    ancestors = Organization.objects.filter(pk__in=above).values_list("ancestor_ids", flat=True)
    for ids in ancestors:
        above.update(ids)
    return PointsScheme.objects.filter(
        Q(scope__isnull=True) | Q(scope_id__in=above) | scope_q(viewer, "scope__path")
    )


def may_edit_scheme(viewer: Any, scheme: PointsScheme) -> bool:
    """Catalogue edits: points.rules on the scheme's scope; the default only from a root grant."""
    if scheme.scope is None:
        return any(
            "points.rules" in ROLE_ACTIONS.get(g.role, ()) and path_depth(g.org_path) == 1
            for g in viewer_grants(viewer)
        )
    return may(viewer, "points.rules", scheme.scope)


def access_scheme_by_id(viewer: Any, scheme_id: int, *, for_write: bool = False) -> PointsScheme:
    scheme = schemes_visible_to(viewer).select_related("scope").filter(pk=scheme_id).first()
    if scheme is None:
        raise Http404(NOT_FOUND)
    if for_write and not may_edit_scheme(viewer, scheme):
        raise PermissionDenied("您没有权限维护该积分方案")
    return scheme


def access_item_by_id(viewer: Any, item_id: int, *, for_write: bool = False) -> PointsItem:
    item = PointsItem.objects.select_related("scheme__scope").filter(pk=item_id).first()
    if item is None:
        raise Http404(NOT_FOUND)
    access_scheme_by_id(viewer, item.scheme_id, for_write=for_write)
    return item


def reviews_visible_to(viewer: Any) -> QuerySet[StarReview]:
    return StarReview.objects.filter(scope_q(viewer, "org_path", action="points.view"))


def access_review_by_id(viewer: Any, review_id: int, *, action: str = "points.view") -> StarReview:
    review = reviews_visible_to(viewer).select_related("org").filter(pk=review_id).first()
    if review is None:
        raise Http404(NOT_FOUND)
    if action != "points.view" and not may(viewer, action, review.org):
        raise PermissionDenied("您没有权限执行此操作")
    return review
