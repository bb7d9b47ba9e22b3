"""Organization endpoints: thin — access gate, schema, one service or selector."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest
from ninja import Router
from ninja.params import Query

from dangjian.orgs import selectors, services
from dangjian.orgs.access import access_org_by_id
from dangjian.orgs.schemas import (
    OrgCreateIn,
    OrgLinkIn,
    OrgLinkOut,
    OrgMoveIn,
    OrgOut,
    OrgPageOut,
    OrgUpdateIn,
)

router = Router(tags=["组织体系"])


@router.get("/", response=list[OrgOut], summary="我可见的顶层组织")
def org_roots(request: HttpRequest) -> Any:
    return selectors.org_top_level(viewer=request.user)


@router.get("/search", response=OrgPageOut, summary="在我的范围内检索组织")
def org_search(
    request: HttpRequest,
    q: Query[str] = "",
    org_type: Query[str] = "",
    sector: Query[str] = "",
    within: Query[int | None] = None,
    cursor: Query[str | None] = None,
    limit: Query[int] = 20,
) -> Any:
    root = access_org_by_id(request.user, within) if within else None
    page = selectors.org_search(
        viewer=request.user,
        q=q[:50],
        org_type=org_type,
        sector=sector,
        within=root,
        cursor=cursor,
        limit=limit,
    )
    return {"items": page.items, "next_cursor": page.next_cursor}


@router.get("/{org_id}", response=OrgOut, summary="组织详情")
def org_detail(request: HttpRequest, org_id: int) -> Any:
    return access_org_by_id(request.user, org_id)


@router.get("/{org_id}/children", response=list[OrgOut], summary="直属下级组织")
def org_children(request: HttpRequest, org_id: int) -> Any:
    org = access_org_by_id(request.user, org_id)
    return selectors.org_children(viewer=request.user, org=org)


@router.post("/", response={201: OrgOut}, summary="新建下级组织")
def org_create(request: HttpRequest, payload: OrgCreateIn) -> Any:
    parent = access_org_by_id(request.user, payload.parent_id, action="org.create")
    data = payload.dict(exclude={"parent_id", "org_type", "name", "sector"})
    org = services.org_create(
        actor=request.user,
        parent=parent,
        org_type=payload.org_type,
        name=payload.name,
        sector=payload.sector,
        **data,
    )
    return 201, org


@router.patch("/{org_id}", response=OrgOut, summary="修改组织信息")
def org_update(request: HttpRequest, org_id: int, payload: OrgUpdateIn) -> Any:
    org = access_org_by_id(request.user, org_id, action="org.update")
    return services.org_update(actor=request.user, org=org, **payload.dict(exclude_unset=True))


@router.post("/{org_id}/move", response=OrgOut, summary="调整隶属关系（连同下级整体移动）")
def org_move(request: HttpRequest, org_id: int, payload: OrgMoveIn) -> Any:
    org = access_org_by_id(request.user, org_id, action="org.move")
    new_parent = access_org_by_id(request.user, payload.new_parent_id, action="org.create")
    return services.org_move(actor=request.user, org=org, new_parent=new_parent)


@router.get("/{org_id}/links", response=list[OrgLinkOut], summary="联建关系")
def org_links(request: HttpRequest, org_id: int) -> Any:
    org = access_org_by_id(request.user, org_id)
    return selectors.org_links(viewer=request.user, org=org)


@router.post("/{org_id}/links", response={201: OrgLinkOut}, summary="新建联建关系")
def org_link_create(request: HttpRequest, org_id: int, payload: OrgLinkIn) -> Any:
    lead = access_org_by_id(request.user, org_id, action="org.link")
    partner = access_org_by_id(request.user, payload.partner_id)
    link = services.org_link_create(
        actor=request.user,
        kind=payload.kind,
        lead=lead,
        partner=partner,
        started_on=payload.started_on,
        ended_on=payload.ended_on,
        note=payload.note,
    )
    return 201, link
