"""Member statistics and alerts as JSON: the same selectors, gates and figures as the panels."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Field, Router, Schema

from dangjian.members.stats import selectors as stats
from dangjian.orgs.access import access_org_by_id

router = Router(tags=["党员统计"])


class FigureOut(Schema):
    key: str = Field(..., title="分组代码", description="用于党员名册筛选的取值")
    label: str = Field(..., title="名称")
    count: int = Field(..., title="人数")
    share: float = Field(
        ..., title="占比（%）", description="占统计范围内党员总数的百分比，一位小数"
    )
    query: str = Field(..., title="名册筛选参数", description="追加到 /members/?org=<组织> 之后")


class MemberStatsOut(Schema):
    org_id: int = Field(..., title="组织")
    org_name: str = Field(..., title="组织名称")
    as_of: dt.date = Field(..., title="统计日期")
    total: FigureOut = Field(..., title="党员总数")
    category: list[FigureOut] = Field(..., title="人员类别（正式、预备）")
    sex: list[FigureOut] = Field(..., title="性别")
    women: FigureOut = Field(..., title="女党员")
    minority: FigureOut = Field(..., title="少数民族党员")
    age_bands: list[FigureOut] = Field(..., title="年龄分组（党统表2）")
    education: list[FigureOut] = Field(..., title="学历分组（党统表4）")
    party_age_bands: list[FigureOut] = Field(..., title="党龄分组")
    mobile: FigureOut = Field(..., title="流动党员")
    lost_contact: FigureOut = Field(..., title="失联党员")
    retired: FigureOut = Field(..., title="离退休党员")
    suspended: FigureOut = Field(..., title="停止党籍")
    age_basis: str = Field(..., title="年龄口径")
    age_source: str = Field(..., title="年龄分组依据")
    education_source: str = Field(..., title="学历分组依据")


class AlertExampleOut(Schema):
    member_id: int = Field(..., title="党员")
    name: str = Field(..., title="姓名")
    branch_name: str = Field(..., title="所在党支部")
    detail: str = Field(..., title="情况")


class BranchCountOut(Schema):
    branch_id: int = Field(..., title="党支部")
    branch_name: str = Field(..., title="党支部名称")
    count: int = Field(..., title="人数")


class MemberAlertOut(Schema):
    key: str = Field(..., title="预警代码", description="党员名册的 alert= 筛选值")
    title: str = Field(..., title="预警")
    description: str = Field(..., title="说明")
    level: str = Field(..., title="级别", description="red 需立即处理，yellow 需关注")
    count: int = Field(..., title="人数")
    source: str = Field(..., title="依据")
    examples: list[AlertExampleOut] = Field(..., title="示例（最多 10 人）")
    by_branch: list[BranchCountOut] = Field(..., title="按党支部（人数最多的 10 个）")


@router.get(
    "/orgs/{org_id}/member-stats",
    response=MemberStatsOut,
    summary="党员统计（党统表2、表4：类别、性别、民族、年龄、学历、党龄等）",
)
def member_stats(request: HttpRequest, org_id: int) -> Any:
    org = access_org_by_id(request.user, org_id)
    return stats.member_stats(viewer=request.user, org=org, today=timezone.localdate())


@router.get(
    "/orgs/{org_id}/member-alerts",
    response=list[MemberAlertOut],
    summary="党员预警（失联满6个月、预备期满未转正、流动党员无管理组织、档案材料不全）",
)
def member_alerts(request: HttpRequest, org_id: int) -> Any:
    org = access_org_by_id(request.user, org_id)
    return stats.member_alerts(viewer=request.user, org=org, today=timezone.localdate())
