"""The public intake's blocklist: phones (by keyed hash) and IP addresses, each with a reason
and an optional end time.

Who may keep it is decided outside core (core imports no domain app):
``settings.BLOCKLIST_GATE`` is the dotted path of ``gate(viewer) -> bool``. The project points it
at ``dangjian.service_requests.access.may_manage_blocklist`` (``request.manage`` on a root
organization of the tree, because an entry applies to the whole installation).
"""

from __future__ import annotations

import datetime as dt
import ipaddress
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Q, QuerySet
from django.utils import timezone
from django.utils.module_loading import import_string

from dangjian.core.audit import audit_record
from dangjian.core.crypto import lookup_hash, mask_phone
from dangjian.core.models import BlockEntry

PHONE_DIGITS = 11
BLOCKED_MESSAGE = "该手机号或网络暂时无法提交诉求。如有急事，请直接联系所在村（社区）或拨打 12345。"


def may_manage_blocklist(viewer: Any) -> bool:
    """May the viewer add and lift blocklist entries (the configured gate)?"""
    if viewer is None or not getattr(viewer, "is_authenticated", False):
        return False
    gate = import_string(settings.BLOCKLIST_GATE)
    return bool(gate(viewer))


def _require(actor: Any) -> None:
    if not may_manage_blocklist(actor):
        raise PermissionDenied("您没有维护黑名单的权限")


def _active_q(now: dt.datetime) -> Q:
    return Q(lifted_at__isnull=True) & (Q(until__isnull=True) | Q(until__gt=now))


def is_blocked(*, phone: str = "", ip: str | None = None) -> bool:
    """Is this phone or this IP address on the blocklist right now? (one indexed query)"""
    match = Q(pk__in=[])
    if phone:
        match |= Q(kind=BlockEntry.Kind.PHONE, value=lookup_hash(phone))
    if ip:
        match |= Q(kind=BlockEntry.Kind.IP, value=ip)
    return BlockEntry.objects.filter(match).filter(_active_q(timezone.now())).exists()


@transaction.atomic
def block_add(
    *, actor: Any, kind: str, value: str, reason: str, until: dt.datetime | None = None
) -> BlockEntry:
    """Put a phone or an IP address on the blocklist; needs the gate; audited."""
    _require(actor)
    value = (value or "").strip()
    reason = (reason or "").strip()
    if kind == BlockEntry.Kind.PHONE:
        if not (len(value) == PHONE_DIGITS and value.isdigit() and value.startswith("1")):
            raise ValidationError({"value": "手机号码应为 11 位、以 1 开头的中国大陆号码"})
        stored, label = lookup_hash(value), mask_phone(value)
    elif kind == BlockEntry.Kind.IP:
        try:
            stored = label = str(ipaddress.ip_address(value))
        except ValueError as exc:
            raise ValidationError({"value": "IP 地址格式不正确"}) from exc
    else:
        raise ValidationError({"kind": "类型只能是手机号或 IP 地址"})
    if not reason:
        raise ValidationError({"reason": "请填写列入黑名单的原因"})
    now = timezone.now()
    if until is not None and until <= now:
        raise ValidationError({"until": "截止时间应晚于现在"})
    if BlockEntry.objects.filter(kind=kind, value=stored).filter(_active_q(now)).exists():
        raise ValidationError({"value": "该号码或地址已在黑名单中"})
    entry = BlockEntry.objects.create(
        kind=kind, value=stored, label=label, reason=reason[:200], until=until, created_by=actor
    )
    audit_record(
        actor=actor,
        action="blocklist.add",
        obj=entry,
        changes={"kind": kind, "label": label, "reason": reason, "until": until},
    )
    return entry


@transaction.atomic
def block_lift(*, actor: Any, entry_id: int) -> BlockEntry:
    """Take an entry off the blocklist before its end time; needs the gate; audited."""
    _require(actor)
    entry = BlockEntry.objects.select_for_update().filter(pk=entry_id).first()
    if entry is None:
        raise ValidationError("未找到该黑名单记录")
    if entry.lifted_at is not None:
        raise ValidationError("该记录已解除")
    entry.lifted_at, entry.lifted_by = timezone.now(), actor
    entry.save(update_fields=["lifted_at", "lifted_by", "updated_at"])
    audit_record(actor=actor, action="blocklist.lift", obj=entry)
    return entry


def block_entries(*, active_only: bool = True, limit: int = 200) -> QuerySet[BlockEntry]:
    """Blocklist entries, newest first (capped: the list is short by nature)."""
    qs = BlockEntry.objects.select_related("created_by", "lifted_by")
    if active_only:
        qs = qs.filter(_active_q(timezone.now()))
    return qs.order_by("-id")[:limit]
