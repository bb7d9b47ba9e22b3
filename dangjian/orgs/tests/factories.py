"""Test builders for the organization tree: always through the service, so paths are right."""

from __future__ import annotations

import datetime as dt
import itertools
from typing import Any

from dangjian.accounts.models import RoleGrant, User
from dangjian.core.paths import SEGMENT_WIDTH, segment
from dangjian.orgs.models import Organization

_codes = itertools.count(1)


def make_root(name: str = "中共测试县委", **fields: Any) -> Organization:
    """A top organization (only a superuser may create one through the service)."""
    existing = Organization.objects.filter(depth=1).count()
    path = segment(existing + 1)
    return Organization.objects.create(
        name=name,
        code=fields.pop("code", f"ROOT{next(_codes):04d}"),
        org_type=fields.pop("org_type", Organization.Type.LOCAL_COMMITTEE),
        sector=fields.pop("sector", Organization.Sector.PARTY_COMMITTEE),
        path=path,
        depth=len(path) // SEGMENT_WIDTH,
        ancestor_ids=[],
        **fields,
    )


def make_org(
    parent: Organization,
    name: str,
    org_type: str = Organization.Type.BRANCH,
    sector: str = Organization.Sector.RURAL,
    **fields: Any,
) -> Organization:
    """A child organization, created through ``org_create`` by a superuser."""
    from dangjian.orgs.services import org_create

    return org_create(
        actor=_system_user(),
        parent=parent,
        org_type=org_type,
        name=name,
        sector=sector,
        code=fields.pop("code", f"T{next(_codes):06d}"),
        **fields,
    )


def _system_user() -> User:
    """A superuser holding org_admin on every top organization (test set-up only)."""
    user, _ = User.objects.get_or_create(
        username="__system__", defaults={"is_superuser": True, "is_staff": True, "name": "系统"}
    )
    for top in Organization.objects.filter(depth=1).exclude(grants__user=user):
        RoleGrant.objects.create(
            user=user, org=top, role="org_admin", valid_from=dt.date(2000, 1, 1)
        )
    from dangjian.orgs.access import forget_grants

    forget_grants(user)
    return user


def make_user(
    username: str, *, name: str = "", mobile: str | None = None, password: str = "pw-Test-2026"
) -> User:
    user = User.objects.create_user(username=username, password=password, name=name, mobile=mobile)
    return user


def grant(
    user: User,
    org: Organization,
    role: str,
    *,
    valid_from: dt.date | None = None,
    valid_to: dt.date | None = None,
) -> RoleGrant:
    return RoleGrant.objects.create(
        user=user,
        org=org,
        role=role,
        valid_from=valid_from or dt.date(2020, 1, 1),
        valid_to=valid_to,
    )
