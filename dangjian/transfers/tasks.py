"""Background jobs of 组织关系转接."""

from __future__ import annotations

import datetime as dt

from django_tasks import task

from dangjian.transfers.services import transfers_expire


@task()
def transfers_expire_task(today_iso: str) -> int:
    """Daily: letters past their validity become 已过期 (idempotent)."""
    return transfers_expire(today=dt.date.fromisoformat(today_iso))
