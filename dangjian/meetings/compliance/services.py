"""年度组织生活计划: services to write a branch's plan, and the planned-vs-held calendar."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from dangjian.core.audit import audit_record
from dangjian.meetings.compliance import tag_counts_query
from dangjian.meetings.models import AnnualPlan, MeetingType, PlannedMeeting
from dangjian.meetings.rules import (
    applicable_rules,
    branch_facts,
    load_rule_book,
    months,
)
from dangjian.orgs.access import may
from dangjian.orgs.models import Organization

PLAN_TYPES = [t for t in MeetingType.values if t != MeetingType.LEADERSHIP_LIFE_MEETING]
MAX_ITEMS = 12 * len(PLAN_TYPES) * 4


@dataclass(frozen=True)
class PlanItem:
    month: int
    meeting_type: str
    topic: str = ""


def may_edit_plan(viewer: Any, org: Organization) -> bool:
    """Branch plans are written by whoever records the branch's meetings."""
    return org.is_branch_level and may(viewer, "meeting.record", org)


def parse_plan_form(data: Mapping[str, Any]) -> list[PlanItem]:
    """The plan grid's checkboxes (``plan-<month>-<type>``) and topics (``topic-<month>-<type>``)."""
    items = []
    for month in range(1, 13):
        for t in PLAN_TYPES:
            if data.get(f"plan-{month}-{t}"):
                items.append(PlanItem(month, t, str(data.get(f"topic-{month}-{t}", "")).strip()))
    return items


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


@dataclass
class PlanCell:
    meeting_type: str
    planned: list[str] = field(default_factory=list)  # topics ("" when none)
    held: int = 0

    @property
    def tone(self) -> str:
        if self.planned and self.held >= len(self.planned):
            return "success"
        if self.planned and self.held:
            return "warning"
        if self.planned:
            return "danger"
        return "info" if self.held else ""


@dataclass
class PlanMonth:
    month: int
    cells: list[PlanCell]
    is_past: bool


@dataclass
class PlanCalendar:
    org: Organization
    year: int
    plan: AnnualPlan | None
    types: list[tuple[str, str]]
    months: list[PlanMonth]
    required: list[dict[str, Any]]
    planned_total: int
    held_total: int


def plan_calendar(
    *, viewer: Any, org: Organization, year: int, today: dt.date, all_types: bool = False
) -> PlanCalendar:
    """Planned vs held meetings of one organization (and its groups) by month and type.

    The caller gates ``org`` with meeting.view.
    """
    start, end = dt.date(year, 1, 1), dt.date(year, 12, 31)
    plan = AnnualPlan.objects.filter(org=org, year=year).first()
    planned: dict[tuple[int, str], list[str]] = {}
    if plan is not None:
        for item in plan.items.all():
            planned.setdefault((item.month, item.meeting_type), []).append(item.topic)
    held: dict[tuple[int, str], int] = {}
    month_list = months(start, end)
    for row in tag_counts_query(org.path, start, end):
        for i in range(len(month_list)):
            if row[f"m{i}"]:
                key = (i + 1, row["meeting_type"])
                held[key] = held.get(key, 0) + row[f"m{i}"]
    book = load_rule_book(start=start, end=end)
    on = min(max(today, start), end)
    required = (
        applicable_rules(book, path=org.path, facts=branch_facts(org, on), on=on)
        if org.is_branch_level
        else []
    )
    shown = {r.meeting_type for r in required} | {t for _m, t in planned} | {t for _m, t in held}
    types = [(t, MeetingType(t).label) for t in PLAN_TYPES if all_types or t in shown]
    month_rows = [
        PlanMonth(
            month=m,
            cells=[
                PlanCell(t, planned=planned.get((m, t), []), held=held.get((m, t), 0))
                for t, _label in types
            ],
            is_past=dt.date(year, m, 1) <= today and (m < today.month or year < today.year),
        )
        for m in range(1, 13)
    ]
    return PlanCalendar(
        org=org,
        year=year,
        plan=plan,
        types=types,
        months=month_rows,
        required=[
            {
                "label": r.label,
                "frequency": r.frequency_label,
                "min_count": r.min_count,
                "source": r.source,
                "tag": r.tag,
            }
            for r in required
        ],
        planned_total=sum(len(v) for v in planned.values()),
        held_total=sum(held.values()),
    )
