"""Organizational-life compliance as JSON: the same selector and gate as the page."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Query, Router, Schema
from ninja.responses import Response

from dangjian.meetings.compliance.selectors import STATUS_LABELS, Compliance, Rollup, compliance
from dangjian.meetings.rules import HISTORY_RULES
from dangjian.orgs.access import access_org_by_id

router = Router(tags=["组织生活"])

MAX_RANGE_DAYS = 366 * 3


class CellOut(Schema):
    meeting_type: str = Field(..., title="会议类型")
    label: str = Field(..., title="会议类型名称")
    frequency: str = Field(
        ..., title="频次", description="monthly / quarterly / yearly；空表示不适用"
    )
    required: int = Field(..., title="应开展期数")
    held: int = Field(..., title="按期开展期数")
    held_late: int = Field(..., title="补录完成期数")
    missing: int = Field(..., title="未开展期数")
    pending: int = Field(..., title="进行中期数")
    not_required: int = Field(..., title="不适用期数")
    meetings: int = Field(..., title="计入的会议次数")


class BranchOut(Schema):
    org_id: int = Field(..., title="党支部")
    name: str = Field(..., title="党支部名称")
    full_members: int = Field(
        ..., title="正式党员数", description="统计日期（或撤销前一天）编入本支部的正式党员"
    )
    dissolved_on: dt.date | None = Field(None, title="撤销日期", description="未撤销为空")
    execution_rate: float | None = Field(..., title="执行率（%）")
    attendance_rate: float | None = Field(..., title="参会率（%）")
    missing: int = Field(..., title="未开展期数")
    cells: list[CellOut] = Field(..., title="各类会议")


class RollupOut(Schema):
    org_id: int = Field(..., title="组织")
    name: str = Field(..., title="组织名称")
    branches: int = Field(..., title="党支部数")
    satisfied: int = Field(..., title="已完成期数")
    settled: int = Field(..., title="应完成期数（已结束或已开展）")
    held_late: int = Field(..., title="补录完成期数")
    missing: int = Field(..., title="未开展期数")
    pending: int = Field(..., title="进行中期数")
    invited: int = Field(..., title="应到人次")
    present: int = Field(..., title="实到人次（含迟到）")
    branches_with_missing: int = Field(..., title="有未开展事项的党支部数")
    execution_rate: float | None = Field(..., title="执行率（%）")
    attendance_rate: float | None = Field(..., title="参会率（%）")


class ComplianceOut(Schema):
    org_id: int = Field(..., title="组织")
    org_name: str = Field(..., title="组织名称")
    start: dt.date = Field(..., title="开始日期")
    end: dt.date = Field(..., title="结束日期")
    as_of: dt.date = Field(..., title="统计日期")
    statuses: dict[str, str] = Field(..., title="状态说明")
    basis: list[str] = Field(..., title="统计口径", description="各期要求如何按当时情况确定")
    total: RollupOut = Field(..., title="合计")
    children: list[RollupOut] = Field(..., title="直属下级组织")
    behind: list[int] = Field(..., title="落后党支部（执行率最低的前20个）")
    branches: list[BranchOut] = Field(..., title="各党支部")


def _parse_day(value: str | None, name: str, label: str, default: dt.date) -> dt.date:
    if not value:
        return default
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise ValidationError({name: [f"{label}格式不正确，应为 YYYY-MM-DD"]}) from None


def _rollup(r: Rollup) -> dict[str, Any]:
    return {k: getattr(r, k) for k in RollupOut.model_fields}


def compliance_out(result: Compliance) -> dict[str, Any]:
    return {
        "org_id": result.org.pk,
        "org_name": result.org.name,
        "start": result.start,
        "end": result.end,
        "as_of": result.today,
        "statuses": STATUS_LABELS,
        "basis": list(HISTORY_RULES),
        "total": _rollup(result.total),
        "children": [_rollup(c) for c in result.children],
        "behind": [b.org_id for b in result.behind],
        "branches": [
            {
                "org_id": b.org_id,
                "name": b.name,
                "full_members": b.full_members,
                "dissolved_on": b.dissolved_on,
                "execution_rate": b.execution_rate,
                "attendance_rate": b.attendance_rate,
                "missing": b.missing,
                "cells": [
                    {
                        "meeting_type": c.meeting_type,
                        "label": c.label,
                        "frequency": c.frequency,
                        "required": c.required,
                        "held": c.held,
                        "held_late": c.held_late,
                        "missing": c.missing,
                        "pending": c.pending,
                        "not_required": c.not_required,
                        "meetings": c.meetings,
                    }
                    for c in b.cells.values()
                ],
            }
            for b in result.branches
        ],
    }


@router.get(
    "/orgs/{org_id}/compliance",
    response=ComplianceOut,
    summary="组织生活执行情况",
    description="本组织及下级各党支部“三会一课”等组织生活的执行率与参会率。"
    "from/to 默认为本年1月1日至12月31日；范围不超过3年。",
)
def org_compliance(
    request: HttpRequest,
    org_id: int,
    date_from: str | None = Query(None, alias="from", title="开始日期 YYYY-MM-DD"),
    date_to: str | None = Query(None, alias="to", title="结束日期 YYYY-MM-DD"),
) -> Any:
    org = access_org_by_id(request.user, org_id, action="meeting.view")
    today = timezone.localdate()
    first = _parse_day(date_from, "from", "开始日期", dt.date(today.year, 1, 1))
    last = _parse_day(date_to, "to", "结束日期", dt.date(today.year, 12, 31))
    if last < first:
        raise ValidationError({"to": ["结束日期不能早于开始日期"]})
    if (last - first).days > MAX_RANGE_DAYS:
        raise ValidationError({"to": ["统计范围不能超过3年"]})
    data = compliance_out(
        compliance(viewer=request.user, org=org, start=first, end=last, today=today)
    )
    # ``compliance_out`` builds exactly ComplianceOut (a test validates it against the schema):
    # rendered as is, because validating ~600 branches × 8 cells through the schema classes
    # costs more than computing them.
    return Response(data)
