"""网格与联户 endpoints: thin — access gate, schema, one service or selector."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.params import Query

from dangjian.accounts.models import User
from dangjian.grid import selectors, services
from dangjian.grid.access import (
    access_anchor_by_id,
    access_grid_by_id,
    access_household_by_id,
    access_link_by_id,
    access_mediation_by_id,
    access_opinion_by_id,
    access_worthy_by_id,
    households_visible_to,
    worthies_visible_to,
)
from dangjian.grid.models import (
    AnchorHousehold,
    Grid,
    Household,
    HouseholdLink,
    Mediation,
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
    MediationCreateIn,
    MediationOut,
    MediationPageOut,
    OpinionCreateIn,
    OpinionHandleIn,
    OpinionOut,
    OpinionPageOut,
    TagOut,
    WorthyCreateIn,
    WorthyOut,
    WorthyPageOut,
    WorthyUpdateIn,
)
from dangjian.members.models import Member
from dangjian.orgs.access import access_org_by_id, scope_q
from dangjian.orgs.models import Organization

router = Router(tags=["网格"])
PAGE_MAX = 100


def _size(limit: int) -> int:
    return max(1, min(limit, PAGE_MAX))


def _org(request: HttpRequest, org_id: int | None) -> Organization | None:
    return access_org_by_id(request.user, org_id, action="grid.view") if org_id else None


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


def _mediation_out(m: Mediation) -> dict[str, Any]:
    return {
        **{f: getattr(m, f) for f in (
            "id", "org_id", "grid_id", "mediated_on", "dispute_type", "parties_masked", "summary",
            "place", "place_detail", "outcome", "referred_to", "agreement",
        )},
        "mediator_user_ids": [u.pk for u in m.mediator_users.all()],
        "mediator_member_ids": [x.pk for x in m.mediator_members.all()],
        "worthy_ids": [w.pk for w in m.worthies.all()],
    }  # fmt: skip


def _users(ids: list[int]) -> list[User]:
    users = list(User.objects.filter(pk__in=ids))
    if len(users) != len(set(ids)):
        raise ValidationError("网格员账号不存在", code="worker_unknown")
    return users


def _member_for(grid: Grid, member_id: int) -> Member:
    member = selectors.member_choices_qs(grid.org).filter(pk=member_id).first()
    if member is None:
        raise ValidationError("该党员不是本村（社区）的在册党员", code="member_out_of_org")
    return member


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
        viewer=request.user, org=_org(request, org_id), include_inactive=include_inactive
    )
    page = selectors.grid_page(qs, cursor=cursor, size=_size(limit))
    return {"items": [_grid_out(g) for g in page.rows], "next_cursor": page.next_cursor}


@router.post("/grids", response={201: GridOut}, summary="设立网格（村、社区党组织之下）")
def grid_create(request: HttpRequest, payload: GridCreateIn) -> Any:
    org = access_org_by_id(request.user, payload.org_id, action="grid.manage")
    grid = services.grid_create(
        actor=request.user,
        org=org,
        name=payload.name,
        area_description=payload.area_description,
        workers=_users(payload.worker_ids),
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
        workers=_users(payload.worker_ids) if payload.worker_ids is not None else None,
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
        viewer=request.user, org=_org(request, org_id), grid=grid, params=params
    )
    page = selectors.household_page(qs, cursor=cursor, size=_size(limit))
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
    size = _size(limit)
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
    member = _member_for(households[0].grid, payload.member_id)
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
        member=_member_for(grid, payload.member_id),
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


# ── 村情民意 ──────────────────────────────────────────────────────────────────


@router.get("/opinions", response=OpinionPageOut, summary="村情民意（按组织或网格；新在前）")
def opinion_list(
    request: HttpRequest,
    org_id: Query[int | None] = None,
    grid_id: Query[int | None] = None,
    status: Query[str] = "",
    category: Query[str] = "",
    cursor: Query[str | None] = None,
    limit: Query[int] = 20,
) -> Any:
    grid = access_grid_by_id(request.user, grid_id) if grid_id else None
    page = selectors.opinion_page(
        viewer=request.user,
        org=_org(request, org_id),
        grid=grid,
        params={"status": status, "category": category},
        cursor=cursor,
        size=_size(limit),
    )
    return {"items": page.rows, "next_cursor": page.next_cursor}


@router.post("/opinions", response={201: OpinionOut}, summary="登记村情民意（网格员或网格管理者）")
def opinion_create(request: HttpRequest, payload: OpinionCreateIn) -> Any:
    grid = access_grid_by_id(request.user, payload.grid_id)
    household = None
    if payload.household_id:
        household = access_household_by_id(request.user, payload.household_id)
    member = (
        _member_for(grid, payload.collected_by_member_id)
        if payload.collected_by_member_id
        else None
    )
    opinion = services.opinion_record(
        actor=request.user,
        grid=grid,
        collected_on=payload.collected_on,
        category=payload.category,
        content=payload.content,
        household=household,
        collected_by_member=member,
    )
    return 201, opinion


@router.get("/opinions/{opinion_id}", response=OpinionOut, summary="民意详情")
def opinion_detail(request: HttpRequest, opinion_id: int) -> Any:
    return access_opinion_by_id(request.user, opinion_id)


@router.post(
    "/opinions/{opinion_id}/handle", response=OpinionOut, summary="办理民意（办理中、办结、答复）"
)
def opinion_handle(request: HttpRequest, opinion_id: int, payload: OpinionHandleIn) -> Any:
    opinion = access_opinion_by_id(request.user, opinion_id)
    return services.opinion_handle(actor=request.user, opinion=opinion, **payload.dict())


# ── 矛盾调解 ──────────────────────────────────────────────────────────────────


@router.get("/mediations", response=MediationPageOut, summary="矛盾调解（按组织或网格；新在前）")
def mediation_list(
    request: HttpRequest,
    org_id: Query[int | None] = None,
    grid_id: Query[int | None] = None,
    outcome: Query[str] = "",
    dispute_type: Query[str] = "",
    place: Query[str] = "",
    cursor: Query[str | None] = None,
    limit: Query[int] = 20,
) -> Any:
    grid = access_grid_by_id(request.user, grid_id) if grid_id else None
    page = selectors.mediation_page(
        viewer=request.user,
        org=_org(request, org_id),
        grid=grid,
        params={"outcome": outcome, "dispute_type": dispute_type, "place": place},
        cursor=cursor,
        size=_size(limit),
    )
    rows = list(page.rows)
    ids = [m.pk for m in rows]
    # Mediators are two more queries for the whole page, not per row.
    users = _through(Mediation.mediator_users.through, "user_id", ids)
    members = _through(Mediation.mediator_members.through, "member_id", ids)
    items = []
    for m in rows:
        out = _mediation_fields(m)
        out["mediator_user_ids"] = users.get(m.pk, [])
        out["mediator_member_ids"] = members.get(m.pk, [])
        out["worthy_ids"] = [w.pk for w in m.worthies.all()]
        items.append(out)
    return {"items": items, "next_cursor": page.next_cursor}


def _through(model: Any, column: str, ids: list[int]) -> dict[int, list[int]]:
    found: dict[int, list[int]] = {}
    for mediation_id, other in model.objects.filter(mediation_id__in=ids).values_list(
        "mediation_id", column
    ):
        found.setdefault(mediation_id, []).append(other)
    return found


def _mediation_fields(m: Mediation) -> dict[str, Any]:
    return {f: getattr(m, f) for f in (
        "id", "org_id", "grid_id", "mediated_on", "dispute_type", "parties_masked", "summary",
        "place", "place_detail", "outcome", "referred_to", "agreement",
    )}  # fmt: skip


@router.post("/mediations", response={201: MediationOut}, summary="登记矛盾调解（当事人加密保存）")
def mediation_create(request: HttpRequest, payload: MediationCreateIn) -> Any:
    grid = access_grid_by_id(request.user, payload.grid_id)
    members = list(selectors.member_choices_qs(grid.org).filter(pk__in=payload.mediator_member_ids))
    if len(members) != len(set(payload.mediator_member_ids)):
        raise ValidationError("调解人中有非本村（社区）的党员", code="mediator_member_scope")
    worthies = list(worthies_visible_to(request.user).filter(pk__in=payload.worthy_ids))
    if len(worthies) != len(set(payload.worthy_ids)):
        raise ValidationError("乡贤不存在", code="worthy_unknown")
    data = payload.dict(
        exclude={"grid_id", "mediator_user_ids", "mediator_member_ids", "worthy_ids"}
    )
    mediation = services.mediation_record(
        actor=request.user,
        grid=grid,
        mediator_users=_users(payload.mediator_user_ids),
        mediator_members=members,
        worthies=worthies,
        **data,
    )
    return 201, _mediation_out(mediation)


@router.get("/mediations/{mediation_id}", response=MediationOut, summary="调解详情（当事人脱敏）")
def mediation_detail(request: HttpRequest, mediation_id: int) -> Any:
    return _mediation_out(access_mediation_by_id(request.user, mediation_id))


@router.post(
    "/mediations/{mediation_id}/reveal", response=GridRevealOut, summary="查看当事人全名（审计）"
)
def mediation_reveal(request: HttpRequest, mediation_id: int) -> Any:
    mediation = access_mediation_by_id(request.user, mediation_id)
    return {"parties": services.mediation_reveal(actor=request.user, mediation=mediation)}


# ── 乡贤 ──────────────────────────────────────────────────────────────────────


@router.get("/worthies", response=WorthyPageOut, summary="乡贤名录（含参与调解次数）")
def worthy_list(
    request: HttpRequest,
    org_id: Query[int | None] = None,
    background: Query[str] = "",
    inactive: Query[bool] = False,
    cursor: Query[str | None] = None,
    limit: Query[int] = 20,
) -> Any:
    page = selectors.worthy_page(
        viewer=request.user,
        org=_org(request, org_id),
        params={"background": background, "inactive": "1" if inactive else ""},
        cursor=cursor,
        size=_size(limit),
    )
    return {"items": page.rows, "next_cursor": page.next_cursor}


@router.post("/worthies", response={201: WorthyOut}, summary="登记乡贤（电话加密保存）")
def worthy_create(request: HttpRequest, payload: WorthyCreateIn) -> Any:
    org = access_org_by_id(request.user, payload.org_id, action="grid.manage")
    member = None
    if payload.member_id:
        member = selectors.member_choices_qs(org).filter(pk=payload.member_id).first()
        if member is None:
            raise ValidationError("关联的党员不在本村（社区）", code="member_out_of_org")
    worthy = services.worthy_create(
        actor=request.user,
        org=org,
        data=payload.dict(include={"name", "background", "specialty", "joined_on", "note"}),
        phone=payload.phone,
        member=member,
    )
    return 201, worthy


@router.get("/worthies/{worthy_id}", response=WorthyOut, summary="乡贤详情（电话脱敏）")
def worthy_detail(request: HttpRequest, worthy_id: int) -> Any:
    worthy = access_worthy_by_id(request.user, worthy_id)
    worthy.mediation_count = worthy.mediations.count()  # type: ignore[attr-defined]
    return worthy


@router.patch("/worthies/{worthy_id}", response=WorthyOut, summary="修改乡贤")
def worthy_update(request: HttpRequest, worthy_id: int, payload: WorthyUpdateIn) -> Any:
    worthy = access_worthy_by_id(request.user, worthy_id, action="grid.manage")
    data = payload.dict(
        include={"name", "background", "specialty", "joined_on", "note"}, exclude_none=True
    )
    return services.worthy_update(
        actor=request.user,
        worthy=worthy,
        data=data,
        phone=payload.phone,
        is_active=payload.is_active,
    )


@router.post(
    "/worthies/{worthy_id}/reveal", response=GridRevealOut, summary="查看乡贤完整电话（审计）"
)
def worthy_reveal(request: HttpRequest, worthy_id: int) -> Any:
    worthy = access_worthy_by_id(request.user, worthy_id)
    return services.worthy_reveal(actor=request.user, worthy=worthy)


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
