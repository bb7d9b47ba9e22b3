"""Who the benchmark commands look as: the top organization and its 组织部 administrator."""

from __future__ import annotations

from typing import Any

from django.core.management.base import CommandError

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.orgs.models import Organization


def county_and_admin() -> tuple[Organization, Any]:
    """The root of the tree and an active org_admin granted on it (the seeded county's 王建国)."""
    root = Organization.objects.filter(parent__isnull=True).order_by("path").first()
    if root is None:
        raise CommandError("没有组织数据，请先运行 dangjian seed")
    grant = (
        RoleGrant.objects.filter(org=root, role=Role.ORG_ADMIN, user__is_active=True)
        .select_related("user")
        .order_by("id")
        .first()
    )
    if grant is None:
        raise CommandError(f"{root.name} 没有组织部管理员授权，无法以其身份统计")
    return root, grant.user
