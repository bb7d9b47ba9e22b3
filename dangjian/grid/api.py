"""网格与联户 endpoints: thin — access gate, schema, one service or selector."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.params import Query

from dangjian.grid import selectors, services
from dangjian.grid.access import (
    access_anchor_by_id,
    access_grid_by_id,
    access_household_by_id,
    access_link_by_id,
    households_visible_to,
)
from dangjian.grid.api_params import (
    member_for,
    org_param,
    page_size,
    users_by_ids,
)
from dangjian.grid.models import (
    AnchorHousehold,
    Grid,
    Household,
    HouseholdLink,
)
from dangjian.grid.schemas import (
    AnchorCreateIn,
    AnchorOut,
    ChildStatsOut,
    EndIn,
    GridCreateIn,
    GridDetailOut,
    GridOut,
    GridPageOut,
    GridRevealOut,
    GridStatsOut,
    GridUpdateIn,
    HouseholdCreateIn,
    HouseholdOut,
    HouseholdPageOut,
    HouseholdUpdateIn,
    LinkCreateIn,
    LinkOut,
    LinkPageOut,
    TagOut,
)
from dangjian.orgs.access import access_org_by_id, scope_q

router = Router(tags=["网格"])


def _grid_out(grid: Grid) -> dict[str, Any]:
    return {
        "id": grid.pk,
        "org_id": grid.org_id,
        "name": grid.name,
        "area_description": grid.area_description,
        "is_active": grid.is_active,
        "workers": [{"id": u.pk, "name": u.name or u.username} for u in grid.workers.all()],
        "household_count": getattr(grid, "household_count", None),
        "anchor_count": getattr(grid, "anchor_count", None),
    }


def _household_out(h: Household) -> dict[str, Any]:
    return {
        "id": h.pk,
        "grid_id": h.grid_id,
        "org_id": h.org_id,
        "address": h.address,
        "head_name": h.head_name,
        "size": h.size,
        "phone_masked": h.phone_masked,
        "head_id_masked": h.head_id_masked,
        "tags": [t.code for t in h.tags.all()],
        "note": h.note,
        "is_active": h.is_active,
    }


# ── grids ────────────────────────────────────────────────────────────────────


@router.get("/grids", response=GridPageOut, summary="网格列表（本组织及下级；键集分页）")
def grid_list(
    request: HttpRequest,
    org_id: Query[int | None] = None,
    include_inactive: Query[bool] = False,
    cursor: Query[str | None] = None,
    limit: Query[int] = 20,
) -> Any:
    qs = selectors.grid_filter(
        viewer=request.user, org=org_param(request, org_id), include_inactive=include_inactive
    )
    page = selectors.grid_page(qs, cursor=cursor, size=page_size(limit))
    return {"items": [_grid_out(g) for g in page.rows], "next_cursor": page.next_cursor}


@router.post("/grids", response={201: GridOut}, summary="设立网格（村、社区党组织之下）")
def grid_create(request: HttpRequest, payload: GridCreateIn) -> Any:
    org = access_org_by_id(request.user, payload.org_id, action="grid.manage")
    grid = services.grid_create(
        actor=request.user,
        org=org,
        name=payload.name,
        area_description=payload.area_description,
        workers=users_by_ids(payload.worker_ids),
    )
    return 201, _grid_out(grid)


@router.get("/grids/{grid_id}", response=GridDetailOut, summary="网格详情")
def grid_detail(request: HttpRequest, grid_id: int) -> Any:
    grid = access_grid_by_id(request.user, grid_id)
    detail = selectors.grid_detail(grid, today=timezone.localdate())
    return {
        **_grid_out(grid),
        "household_count": detail.households,
        "anchor_count": len(detail.anchors),
        "care_households": detail.care_households,
        "links": detail.links,
        "opinions_open": detail.opinions_open,
    }


@router.patch("/grids/{grid_id}", response=GridOut, summary="修改网格（名称、范围、网格员、启用）")
def grid_update(request: HttpRequest, grid_id: int, payload: GridUpdateIn) -> Any:
    grid = access_grid_by_id(request.user, grid_id, action="grid.manage")
    grid = services.grid_update(
        actor=request.user,
        grid=grid,
        name=payload.name,
        area_description=payload.area_description,
        workers=users_by_ids(payload.worker_ids) if payload.worker_ids is not None else None,
        is_active=payload.is_active,
    )
    return _grid_out(grid)


@router.get("/tags", response=list[TagOut], summary="住户标签（代码表）")
def tag_list(request: HttpRequest) -> Any:
    return selectors.tag_choices()


# ── households ───────────────────────────────────────────────────────────────


@router.get("/households", response=HouseholdPageOut, summary="住户列表（按网格或组织；标签筛选）")
def household_list(
    request: HttpRequest,
    grid_id: Query[int | None] = None,
    org_id: Query[int | None] = None,
    tag: Query[str] = "",
    care: Query[bool] = False,
    linked: Query[str] = "",
    q: Query[str] = "",
    inactive: Query[bool] = False,
    cursor: Query[str | None] = None,
    limit: Query[int] = 20,
) -> Any:
    grid = access_grid_by_id(request.user, grid_id) if grid_id else None
    params = {
        "tag": tag[:30], "care": "1" if care else "", "linked": linked[:1], "q": q,
        "inactive": "1" if inactive else "",
    }  # fmt: skip
    qs = selectors.household_filter(
        viewer=request.user, org=org_param(request, org_id), grid=grid, params=params
    )
    page = selectors.household_page(qs, cursor=cursor, size=page_size(limit))
    return {"items": [_household_out(h) for h in page.rows], "next_cursor": page.next_cursor}


@router.post(
    "/households", response={201: HouseholdOut}, summary="登记住户（电话、身份证号加密保存）"
)
def household_create(request: HttpRequest, payload: HouseholdCreateIn) -> Any:
    grid = access_grid_by_id(request.user, payload.grid_id, action="grid.manage")
    household = services.household_create(
        actor=request.user,
        grid=grid,
        data=payload.dict(include={"address", "head_name", "size", "note"}),
        phone=payload.phone,
        head_id=payload.head_id,
        tags=payload.tags,
    )
    return 201, _household_out(household)


@router.get("/households/{household_id}", response=HouseholdOut, summary="住户详情（号码脱敏）")
def household_detail(request: HttpRequest, household_id: int) -> Any:
    return _household_out(access_household_by_id(request.user, household_id))


@router.patch("/households/{household_id}", response=HouseholdOut, summary="修改住户")
def household_update(request: HttpRequest, household_id: int, payload: HouseholdUpdateIn) -> Any:
    household = access_household_by_id(request.user, household_id, action="grid.manage")
    grid = (
        access_grid_by_id(request.user, payload.grid_id, action="grid.manage")
        if payload.grid_id
        else None
    )
    data = payload.dict(include={"address", "head_name", "size", "note"}, exclude_none=True)
    household = services.household_update(
        actor=request.user,
        household=household,
        data=data,
        phone=payload.phone,
        head_id=payload.head_id,
        tags=payload.tags,
        grid=grid,
        is_active=payload.is_active,
    )
    return _household_out(household)


@router.post(
    "/households/{household_id}/reveal",
    response=GridRevealOut,
    summary="查看完整电话和身份证号（审计）",
)
def household_reveal(request: HttpRequest, household_id: int) -> Any:
    household = access_household_by_id(request.user, household_id)
    return services.household_reveal(actor=request.user, household=household)


# ── 联户 and 党员中心户 ───────────────────────────────────────────────────────


@router.get("/links", response=LinkPageOut, summary="党员联户关系（按网格、住户或党员）")
def link_list(
    request: HttpRequest,
    grid_id: Query[int | None] = None,
    household_id: Query[int | None] = None,
    member_id: Query[int | None] = None,
    include_ended: Query[bool] = False,
    cursor: Query[str | None] = None,
    limit: Query[int] = 20,
) -> Any:
    qs = HouseholdLink.objects.filter(scope_q(request.user, "org_path", action="grid.view"))
    if grid_id:
        qs = qs.filter(household__grid=access_grid_by_id(request.user, grid_id))
    if household_id:
        qs = qs.filter(household_id=household_id)
    if member_id:
        qs = qs.filter(member_id=member_id)
    if not include_ended:
        qs = qs.filter(ended_on__isnull=True)
    if cursor and cursor.isdigit() and len(cursor) < 19:
        qs = qs.filter(id__gt=int(cursor))
    size = page_size(limit)
    rows = list(qs.select_related("member").order_by("id")[: size + 1])
    more = len(rows) > size
    rows = rows[:size]
    return {"items": rows, "next_cursor": str(rows[-1].pk) if more and rows else None}


@router.post(
    "/links", response={201: list[LinkOut]}, summary="安排党员联户（已联系的住户保持不变）"
)
def link_create(request: HttpRequest, payload: LinkCreateIn) -> Any:
    households = list(
        households_visible_to(request.user)
        .filter(pk__in=payload.household_ids)
        .select_related("grid", "grid__org", "org")
    )
    if len(households) != len(set(payload.household_ids)):
        raise Http404("未找到住户，或您无权查看")
    member = member_for(households[0].grid, payload.member_id)
    anchor = (
        access_anchor_by_id(request.user, payload.anchor_id, action="grid.manage")
        if payload.anchor_id
        else None
    )
    links = services.household_link(
        actor=request.user,
        member=member,
        households=households,
        anchor=anchor,
        started_on=payload.started_on,
    )
    return 201, links


@router.post("/links/{link_id}/end", response=LinkOut, summary="结束联户关系")
def link_end(request: HttpRequest, link_id: int, payload: EndIn) -> Any:
    link = access_link_by_id(request.user, link_id, action="grid.manage")
    services.household_unlink(actor=request.user, link=link, ended_on=payload.ended_on)
    return link


@router.get("/anchors", response=list[AnchorOut], summary="党员中心户（按网格；最多 200 个）")
def anchor_list(
    request: HttpRequest, grid_id: Query[int | None] = None, include_ended: Query[bool] = False
) -> Any:
    qs = AnchorHousehold.objects.filter(scope_q(request.user, "org_path", action="grid.view"))
    if grid_id:
        qs = qs.filter(grid=access_grid_by_id(request.user, grid_id))
    if not include_ended:
        qs = qs.filter(ended_on__isnull=True)
    return list(qs.select_related("member").order_by("id")[:200])


@router.post("/anchors", response={201: AnchorOut}, summary="设立党员中心户")
def anchor_create(request: HttpRequest, payload: AnchorCreateIn) -> Any:
    grid = access_grid_by_id(request.user, payload.grid_id, action="grid.manage")
    household = None
    if payload.household_id:
        household = access_household_by_id(request.user, payload.household_id)
    anchor = services.anchor_create(
        actor=request.user,
        grid=grid,
        member=member_for(grid, payload.member_id),
        household=household,
        started_on=payload.started_on,
        note=payload.note,
    )
    return 201, anchor


@router.post("/anchors/{anchor_id}/end", response=AnchorOut, summary="撤销党员中心户")
def anchor_end(request: HttpRequest, anchor_id: int, payload: EndIn) -> Any:
    anchor = access_anchor_by_id(request.user, anchor_id, action="grid.manage")
    services.anchor_end(actor=request.user, anchor=anchor, ended_on=payload.ended_on)
    return anchor


# ── statistics ───────────────────────────────────────────────────────────────

STATS_MAX_DAYS = 366 * 5


@router.get("/stats", response=GridStatsOut, summary="网格治理统计（任一组织及下级、任一期间）")
def grid_statistics(
    request: HttpRequest,
    org_id: int,
    start: Query[dt.date | None] = None,
    end: Query[dt.date | None] = None,
) -> Any:
    org = access_org_by_id(request.user, org_id, action="grid.view")
    today = timezone.localdate()
    end = end or today
    start = start or dt.date(end.year, 1, 1)
    if start > end:
        raise ValidationError("开始日期不能晚于结束日期", code="period_invalid")
    if (end - start).days > STATS_MAX_DAYS:
        raise ValidationError("统计期间最长 5 年", code="period_too_long")
    stats = selectors.grid_stats(org=org, start=start, end=end, today=today)
    return {
        **stats.__dict__,
        "opinions_handled": stats.opinions_handled,
        "success_rate": stats.success_rate,
        "worthy_share": stats.worthy_share,
    }


@router.get(
    "/stats/children", response=list[ChildStatsOut], summary="网格治理统计（按下级组织分列）"
)
def grid_statistics_by_child(
    request: HttpRequest,
    org_id: int,
    start: Query[dt.date | None] = None,
    end: Query[dt.date | None] = None,
) -> Any:
    org = access_org_by_id(request.user, org_id, action="grid.view")
    end = end or timezone.localdate()
    start = start or dt.date(end.year, 1, 1)
    if start > end:
        raise ValidationError("开始日期不能晚于结束日期", code="period_invalid")
    rows = selectors.grid_stats_by_child(org=org, start=start, end=end)
    return [
        {**{k: v for k, v in r.__dict__.items() if k != "org"}, "org_id": r.org.pk,
         "org_name": r.org.display_name, "linked_share": r.linked_share}
        for r in rows
    ]  # fmt: skip
