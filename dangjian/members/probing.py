"""Telling the organization admins about an actor who probes ID numbers (id_clash, id_lookup)."""

from __future__ import annotations

from typing import Any

from django.db.models import Q
from django.utils import timezone

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.core.audit import audit_record
from dangjian.core.models import AuditLog
from dangjian.core.paths import SEGMENT_WIDTH
from dangjian.core.services import notify
from dangjian.orgs.access import viewer_grants


def county_path(actor: Any) -> str:
    """Where audit rows about the actor's probing are filed: the county above their grants."""
    paths = [g.org_path for g in viewer_grants(actor)]
    return min(paths)[:SEGMENT_WIDTH] if paths else ""


def flag_prober(
    actor: Any, *, kind: str, seconds: int, title: str, body: str, changes: dict[str, Any]
) -> None:
    """Tell the organization admins above the actor, once per actor, kind and window."""
    actor_id = getattr(actor, "pk", None)
    if not actor_id:
        return
    window = int(timezone.now().timestamp()) // seconds
    key = f"{kind}:{actor_id}:{window}"
    if not AuditLog.objects.filter(action="member.id_probe_flagged", object_id=key).exists():
        audit_record(
            actor=actor,
            action="member.id_probe_flagged",
            object_type="accounts.user",
            object_id=key,
            object_repr=title,
            changes=changes,
            org_path=county_path(actor),
        )
    prefixes = {
        g.org_path[:end]
        for g in viewer_grants(actor)
        for end in range(SEGMENT_WIDTH, len(g.org_path) + 1, SEGMENT_WIDTH)
    }
    today = timezone.localdate()
    admins = {
        g.user
        for g in RoleGrant.objects.filter(
            role=Role.ORG_ADMIN, org__path__in=prefixes, valid_from__lte=today
        )
        .filter(Q(valid_to__isnull=True) | Q(valid_to__gte=today))
        .exclude(user_id=actor_id)
        .select_related("user")
    }
    notify(recipients=admins, title=title, body=body, url="", dedupe_key=key)
