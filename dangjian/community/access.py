"""The only way to fetch 村情民意, 矛盾调解 and 乡贤 rows for a user: the grid scope
(``grid.view``) decides what is visible; a row outside it is a 404."""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from dangjian.community.models import LocalWorthy, Mediation, OpinionRecord
from dangjian.grid.access import check_action
from dangjian.orgs.access import scope_q


def opinions_visible_to(viewer: Any) -> QuerySet[OpinionRecord]:
    """村情民意 records in the viewer's grid scope."""
    return OpinionRecord.objects.filter(scope_q(viewer, "org_path", action="grid.view"))


def mediations_visible_to(viewer: Any) -> QuerySet[Mediation]:
    """矛盾调解 records in the viewer's grid scope."""
    return Mediation.objects.filter(scope_q(viewer, "org_path", action="grid.view"))


def worthies_visible_to(viewer: Any) -> QuerySet[LocalWorthy]:
    """乡贤 registered in the viewer's grid scope."""
    return LocalWorthy.objects.filter(scope_q(viewer, "org_path", action="grid.view"))


def access_opinion_by_id(viewer: Any, opinion_id: int) -> OpinionRecord:
    """The opinion record if visible, else 404 (writing is checked by the service)."""
    row = (
        opinions_visible_to(viewer)
        .select_related("grid", "grid__org", "org", "household", "collected_by_user")
        .select_related("collected_by_member", "recorded_by")
        .filter(pk=opinion_id)
        .first()
    )
    if row is None:
        raise Http404("未找到该民意记录，或您无权查看")
    return row


def access_mediation_by_id(viewer: Any, mediation_id: int) -> Mediation:
    """The mediation record if visible, else 404."""
    row = (
        mediations_visible_to(viewer)
        .select_related("grid", "org", "recorded_by")
        .filter(pk=mediation_id)
        .first()
    )
    if row is None:
        raise Http404("未找到该调解记录，或您无权查看")
    return row


def access_worthy_by_id(viewer: Any, worthy_id: int, *, action: str = "grid.view") -> LocalWorthy:
    """The 乡贤 if visible (else 404) and the viewer may do ``action`` (else 403)."""
    row = worthies_visible_to(viewer).select_related("org", "member").filter(pk=worthy_id).first()
    if row is None:
        raise Http404("未找到该乡贤，或您无权查看")
    check_action(viewer, action, row.org)
    return row
