"""年度组织生活计划: the write of a branch's annual plan (the calendar is in ``selectors``)."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dangjian.core.audit import audit_record
from dangjian.meetings.compliance.access import may_edit_plan
from dangjian.meetings.models import AnnualPlan, MeetingType, PlannedMeeting
from dangjian.orgs.models import Organization

PLAN_TYPES = [t for t in MeetingType.values if t != MeetingType.LEADERSHIP_LIFE_MEETING]
MAX_ITEMS = 12 * len(PLAN_TYPES) * 4


@dataclass(frozen=True)
class PlanItem:
    month: int
    meeting_type: str
    topic: str = ""


@transaction.atomic
def plan_save(
    *, actor: Any, org: Organization, year: int, items: Iterable[PlanItem], note: str = ""
) -> AnnualPlan:
    """Create or replace a branch's annual plan (its planned meetings by month and type)."""
    if not may_edit_plan(actor, org):
        raise PermissionDenied("您没有权限编辑年度计划")
    clean: list[PlanItem] = []
    errors = []
    for item in items:
        if not 1 <= item.month <= 12:
            errors.append(f"计划月份不正确：{item.month}")
        elif item.meeting_type not in PLAN_TYPES:
            errors.append(f"会议类型不正确：{item.meeting_type}")
        elif len(item.topic) > 200:
            errors.append("主题不能超过200字")
        else:
            clean.append(item)
    if len(clean) > MAX_ITEMS:
        errors.append("计划会议过多")
    if errors:
        raise ValidationError(errors)
    plan, created = AnnualPlan.objects.select_for_update().get_or_create(
        org=org, year=year, defaults={"org_path": org.path, "note": note.strip()}
    )
    if not created:
        plan.note = note.strip()
        plan.org_path = org.path
        plan.save(update_fields=["note", "org_path", "updated_at"])
        plan.items.all().delete()
    PlannedMeeting.objects.bulk_create(
        PlannedMeeting(plan=plan, month=i.month, meeting_type=i.meeting_type, topic=i.topic)
        for i in clean
    )
    audit_record(
        actor=actor,
        action="meeting_plan.save",
        obj=plan,
        changes={"year": year, "items": len(clean), "created": created},
        org_id=org.pk,
        org_path=org.path,
    )
    return plan
