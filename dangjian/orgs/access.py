"""The access root: which organizations a viewer may see, and what an actor may do where.

Every capability scopes its rows through this module: a role grant on an organization covers
its whole subtree, scope is a set of path ranges, and a row outside them is a 404.
"""

from __future__ import annotations

from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404

from dangjian.accounts.grants import (
    NOT_FOUND_MESSAGE,
    ActiveGrant,
    forget_grants,
    may,
    require,
    roles_on,
    scope_q,
    scope_roots,
    viewer_django_perms,
    viewer_grants,
)
from dangjian.orgs.models import Organization

# Grant resolution lives in accounts (below orgs); this module stays the one access root the
# domain apps import, so it re-exports it next to the gates that need the Organization model.
__all__ = [
    "NOT_FOUND_MESSAGE",
    "ActiveGrant",
    "access_org_by_id",
    "forget_grants",
    "may",
    "orgs_visible_to",
    "require",
    "roles_on",
    "scope_q",
    "scope_roots",
    "viewer_django_perms",
    "viewer_grants",
    "viewer_top_orgs",
]


def orgs_visible_to(viewer: Any) -> QuerySet[Organization]:
    """Every organization the viewer may see: the union of their grants' subtrees."""
    return Organization.objects.filter(scope_q(viewer))


def access_org_by_id(viewer: Any, org_id: int, *, action: str = "org.view") -> Organization:
    """The organization if the viewer may see it (else 404) and may do ``action`` (else 403)."""
    org = orgs_visible_to(viewer).filter(pk=org_id).first()
    if org is None:
        raise Http404(NOT_FOUND_MESSAGE)
    if not may(viewer, action, org):
        raise PermissionDenied("您没有权限执行此操作")
    return org


def viewer_top_orgs(viewer: Any) -> QuerySet[Organization]:
    """The highest organizations in the viewer's scope (the roots of their visible forest)."""
    return Organization.objects.filter(path__in=scope_roots(viewer)).order_by("path")
