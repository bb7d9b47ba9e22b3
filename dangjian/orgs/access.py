"""The access root: which organizations a viewer may see, and what an actor may do where.

Every capability scopes its rows through this module: a role grant on an organization covers
its whole subtree, scope is a set of path ranges, and a row outside them is a 404.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied
from django.db.models import Q, QuerySet
from django.http import Http404
from django.utils import timezone

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import ROLE_ACTIONS, ROLE_DJANGO_PERMS, ROLE_RANK
from dangjian.core.paths import collapse_roots, is_within, subtrees_q
from dangjian.orgs.models import Organization

NOT_FOUND_MESSAGE = "未找到该组织，或您无权查看"


@dataclass(frozen=True)
class ActiveGrant:
    id: int
    role: str
    org_id: int
    org_path: str
    org_name: str

    @property
    def role_label(self) -> str:
        from dangjian.accounts.roles import Role

        return Role(self.role).label


def viewer_grants(viewer: Any, *, on: dt.date | None = None) -> list[ActiveGrant]:
    """The viewer's grants in force today, cached on the user object for the request."""
    if viewer is None or not getattr(viewer, "is_authenticated", False) or not viewer.is_active:
        return []
    day = on or timezone.localdate()
    cache_key = "_dangjian_grants"
    cached = getattr(viewer, cache_key, None)
    if on is None and cached is not None and cached[0] == day:
        return cached[1]
    rows = (
        RoleGrant.objects.filter(user_id=viewer.pk, valid_from__lte=day)
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=day))
        .filter(org__dissolved_on__isnull=True)
        .values_list("id", "role", "org_id", "org__path", "org__name")
    )
    grants = sorted(
        (ActiveGrant(*row) for row in rows), key=lambda g: (ROLE_RANK.get(g.role, 99), g.org_path)
    )
    if on is None:
        setattr(viewer, cache_key, (day, grants))
    return grants


def forget_grants(viewer: Any) -> None:
    """Drop the per-request grant cache (after a grant changes)."""
    if hasattr(viewer, "_dangjian_grants"):
        delattr(viewer, "_dangjian_grants")


def scope_roots(viewer: Any, *, action: str = "org.view") -> list[str]:
    """The subtree roots (paths) where the viewer may perform ``action``."""
    return collapse_roots(
        [g.org_path for g in viewer_grants(viewer) if action in ROLE_ACTIONS.get(g.role, ())]
    )


def scope_q(viewer: Any, field: str = "path", *, action: str = "org.view") -> Q:
    """A predicate for rows whose ``field`` (a path or a copied path) is in the viewer's scope."""
    return subtrees_q(field, scope_roots(viewer, action=action))


def orgs_visible_to(viewer: Any) -> QuerySet[Organization]:
    """Every organization the viewer may see: the union of their grants' subtrees."""
    return Organization.objects.filter(scope_q(viewer))


def may(viewer: Any, action: str, org: Organization) -> bool:
    """May the viewer perform ``action`` on ``org``? True when a grant above or on it allows it."""
    return any(
        action in ROLE_ACTIONS.get(g.role, ()) and is_within(org.path, g.org_path)
        for g in viewer_grants(viewer)
    )


def roles_on(viewer: Any, org: Organization) -> set[str]:
    """The roles the viewer holds on ``org`` through any ancestor-or-self grant."""
    return {g.role for g in viewer_grants(viewer) if is_within(org.path, g.org_path)}


def access_org_by_id(viewer: Any, org_id: int, *, action: str = "org.view") -> Organization:
    """The organization if the viewer may see it (else 404) and may do ``action`` (else 403)."""
    org = orgs_visible_to(viewer).filter(pk=org_id).first()
    if org is None:
        raise Http404(NOT_FOUND_MESSAGE)
    if not may(viewer, action, org):
        raise PermissionDenied("您没有权限执行此操作")
    return org


def require(viewer: Any, action: str, org: Organization) -> None:
    """Raise PermissionDenied (403) unless the viewer may do ``action`` on a visible ``org``."""
    if not may(viewer, "org.view", org):
        raise Http404(NOT_FOUND_MESSAGE)
    if not may(viewer, action, org):
        raise PermissionDenied("您没有权限执行此操作")


def viewer_django_perms(viewer: Any) -> set[str]:
    """Django permissions granted through roles (system configuration such as holidays)."""
    perms: set[str] = set()
    for g in viewer_grants(viewer):
        perms |= ROLE_DJANGO_PERMS.get(g.role, frozenset())
    return perms


def viewer_top_orgs(viewer: Any) -> QuerySet[Organization]:
    """The highest organizations in the viewer's scope (the roots of their visible forest)."""
    return Organization.objects.filter(path__in=scope_roots(viewer)).order_by("path")
