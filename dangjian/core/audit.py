"""The audit log: every service write calls ``audit_record``."""

from __future__ import annotations

import datetime as dt
import decimal
from typing import Any

from django.db import models

from dangjian.core.context import client_ip
from dangjian.core.models import AuditLog


def _jsonable(value: Any) -> Any:
    if isinstance(value, (dt.date, dt.datetime)):
        return value.isoformat()
    if isinstance(value, decimal.Decimal):
        return str(value)
    if isinstance(value, models.Model):
        return value.pk
    if isinstance(value, (list, tuple)):
        return [_jsonable(v) for v in value]
    if isinstance(value, dict):
        return {k: _jsonable(v) for k, v in value.items()}
    return value


def field_changes(before: dict[str, Any], after: dict[str, Any]) -> dict[str, list[Any]]:
    """``{field: [old, new]}`` for the fields whose value differs."""
    return {
        k: [_jsonable(before.get(k)), _jsonable(v)] for k, v in after.items() if before.get(k) != v
    }


def audit_record(
    *,
    actor: Any,
    action: str,
    obj: models.Model | None = None,
    object_type: str = "",
    object_id: str = "",
    object_repr: str = "",
    changes: dict[str, Any] | None = None,
    org_id: int | None = None,
    org_path: str = "",
) -> AuditLog:
    """Write one audit row; the IP comes from the current request, if any."""
    if obj is not None:
        object_type = object_type or obj._meta.label_lower
        object_id = object_id or str(obj.pk)
        object_repr = object_repr or str(obj)[:200]
    return AuditLog.objects.create(
        actor=actor if getattr(actor, "pk", None) else None,
        action=action,
        object_type=object_type,
        object_id=object_id,
        object_repr=object_repr[:200],
        changes=_jsonable(changes or {}),
        ip=client_ip.get(),
        org_id=org_id,
        org_path=org_path,
    )
