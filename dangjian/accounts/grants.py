"""Grant resolution: which roles a viewer holds where, and what that lets them do.

A role grant on an organization covers its whole subtree; scope is a set of path ranges. This
module knows organizations only by their materialized path (and the ``orgs.Organization`` label
the ``RoleGrant`` foreign key names), never by importing ``dangjian.orgs``: accounts sits below
orgs. Domain apps keep importing these through ``dangjian.orgs.access``, the access root.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Protocol

from django.core.exceptions import PermissionDenied
from django.db.models import Q
from django.http import Http404
from django.utils import timezone

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import ROLE_ACTIONS, ROLE_DJANGO_PERMS, ROLE_RANK, Role
from dangjian.core.paths import collapse_roots, is_within, subtrees_q

NOT_FOUND_MESSAGE = "未找到该组织，或您无权查看"


class Placed(Protocol):
    """An organization as far as grants care: a place in the tree."""

    @property
    def path(self) -> str: ...


class GrantOrg(Placed, Protocol):
    """An organization a grant can be given on (what the people page and grant writes use)."""

    @property
    def pk(self) -> Any: ...

    @property
    def display_name(self) -> str: ...


@dataclass(frozen=True)
class ActiveGrant:
    id: int
    role: str
    org_id: int
    org_path: str
    org_name: str

    @property
    def role_label(self) -> str:
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


def may(viewer: Any, action: str, org: Placed) -> bool:
    """May the viewer perform ``action`` on ``org``? True when a grant above or on it allows it."""
    return any(
        action in ROLE_ACTIONS.get(g.role, ()) and is_within(org.path, g.org_path)
        for g in viewer_grants(viewer)
    )


def roles_on(viewer: Any, org: Placed) -> set[str]:
    """The roles the viewer holds on ``org`` through any ancestor-or-self grant."""
    return {g.role for g in viewer_grants(viewer) if is_within(org.path, g.org_path)}


def require(viewer: Any, action: str, org: Placed) -> None:
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


# The people page picks an organization by id; only orgs can look one up (it owns the model),
# so orgs registers its gate here when the app registry is ready (OrgsConfig.ready).
OrgGate = Callable[..., GrantOrg]
_org_gate: list[OrgGate] = []


def org_gate_register(gate: OrgGate) -> None:
    """Install the organization gate (``access_org_by_id``); called once by the orgs app."""
    _org_gate[:] = [gate]


def access_org_for_grants(viewer: Any, org_id: int) -> GrantOrg:
    """The organization if the viewer may manage grants on it: 404 when unseen, 403 when not."""
    if not _org_gate:
        raise RuntimeError("dangjian.orgs is not installed: no organization gate registered")
    return _org_gate[0](viewer, org_id, action="grant.manage")
