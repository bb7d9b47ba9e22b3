"""The API of 村情民意, 矛盾调解 and 乡贤, under /api/v1/grid/ beside the grids' own."""

from __future__ import annotations

from typing import Any

from django.core.exceptions import ValidationError
from django.http import HttpRequest
from ninja import Router
from ninja.params import Query

from dangjian.community import selectors, services
from dangjian.community.access import (
    access_mediation_by_id,
    access_opinion_by_id,
    access_worthy_by_id,
    worthies_visible_to,
)
from dangjian.community.models import Mediation
from dangjian.community.schemas import (
    MediationCreateIn,
    MediationOut,
    MediationPageOut,
    OpinionCreateIn,
    OpinionHandleIn,
    OpinionOut,
    OpinionPageOut,
    WorthyCreateIn,
    WorthyOut,
    WorthyPageOut,
    WorthyUpdateIn,
)
from dangjian.grid import selectors as grid_selectors
from dangjian.grid.access import access_grid_by_id, access_household_by_id
from dangjian.grid.api_params import (
    member_for,
    org_param,
    page_size,
    users_by_ids,
)
from dangjian.grid.schemas import GridRevealOut
from dangjian.orgs.access import access_org_by_id

# The operation ids stay those these endpoints had in ``grid.api`` (clients are generated from them).
router = Router(tags=["网格"])


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


# ── 村情民意 ──────────────────────────────────────────────────────────────────


@router.get(
    "/opinions",
    response=OpinionPageOut,
    summary="村情民意（按组织或网格；新在前）",
    operation_id="dangjian_grid_api_opinion_list",
)
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
        org=org_param(request, org_id),
        grid=grid,
        params={"status": status, "category": category},
        cursor=cursor,
        size=page_size(limit),
    )
    return {"items": page.rows, "next_cursor": page.next_cursor}


@router.post(
    "/opinions",
    response={201: OpinionOut},
    summary="登记村情民意（网格员或网格管理者）",
    operation_id="dangjian_grid_api_opinion_create",
)
def opinion_create(request: HttpRequest, payload: OpinionCreateIn) -> Any:
    grid = access_grid_by_id(request.user, payload.grid_id)
    household = None
    if payload.household_id:
        household = access_household_by_id(request.user, payload.household_id)
    member = (
        member_for(grid, payload.collected_by_member_id) if payload.collected_by_member_id else None
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


@router.get(
    "/opinions/{opinion_id}",
    response=OpinionOut,
    summary="民意详情",
    operation_id="dangjian_grid_api_opinion_detail",
)
def opinion_detail(request: HttpRequest, opinion_id: int) -> Any:
    return access_opinion_by_id(request.user, opinion_id)


@router.post(
    "/opinions/{opinion_id}/handle",
    response=OpinionOut,
    summary="办理民意（办理中、办结、答复）",
    operation_id="dangjian_grid_api_opinion_handle",
)
def opinion_handle(request: HttpRequest, opinion_id: int, payload: OpinionHandleIn) -> Any:
    opinion = access_opinion_by_id(request.user, opinion_id)
    return services.opinion_handle(actor=request.user, opinion=opinion, **payload.dict())


# ── 矛盾调解 ──────────────────────────────────────────────────────────────────


@router.get(
    "/mediations",
    response=MediationPageOut,
    summary="矛盾调解（按组织或网格；新在前）",
    operation_id="dangjian_grid_api_mediation_list",
)
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
        org=org_param(request, org_id),
        grid=grid,
        params={"outcome": outcome, "dispute_type": dispute_type, "place": place},
        cursor=cursor,
        size=page_size(limit),
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


@router.post(
    "/mediations",
    response={201: MediationOut},
    summary="登记矛盾调解（当事人加密保存）",
    operation_id="dangjian_grid_api_mediation_create",
)
def mediation_create(request: HttpRequest, payload: MediationCreateIn) -> Any:
    grid = access_grid_by_id(request.user, payload.grid_id)
    members = list(
        grid_selectors.member_choices_qs(grid.org).filter(pk__in=payload.mediator_member_ids)
    )
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
        mediator_users=users_by_ids(payload.mediator_user_ids),
        mediator_members=members,
        worthies=worthies,
        **data,
    )
    return 201, _mediation_out(mediation)


@router.get(
    "/mediations/{mediation_id}",
    response=MediationOut,
    summary="调解详情（当事人脱敏）",
    operation_id="dangjian_grid_api_mediation_detail",
)
def mediation_detail(request: HttpRequest, mediation_id: int) -> Any:
    return _mediation_out(access_mediation_by_id(request.user, mediation_id))


@router.post(
    "/mediations/{mediation_id}/reveal",
    response=GridRevealOut,
    summary="查看当事人全名（审计）",
    operation_id="dangjian_grid_api_mediation_reveal",
)
def mediation_reveal(request: HttpRequest, mediation_id: int) -> Any:
    mediation = access_mediation_by_id(request.user, mediation_id)
    return {"parties": services.mediation_reveal(actor=request.user, mediation=mediation)}


# ── 乡贤 ──────────────────────────────────────────────────────────────────────


@router.get(
    "/worthies",
    response=WorthyPageOut,
    summary="乡贤名录（含参与调解次数）",
    operation_id="dangjian_grid_api_worthy_list",
)
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
        org=org_param(request, org_id),
        params={"background": background, "inactive": "1" if inactive else ""},
        cursor=cursor,
        size=page_size(limit),
    )
    return {"items": page.rows, "next_cursor": page.next_cursor}


@router.post(
    "/worthies",
    response={201: WorthyOut},
    summary="登记乡贤（电话加密保存）",
    operation_id="dangjian_grid_api_worthy_create",
)
def worthy_create(request: HttpRequest, payload: WorthyCreateIn) -> Any:
    org = access_org_by_id(request.user, payload.org_id, action="grid.manage")
    member = None
    if payload.member_id:
        member = grid_selectors.member_choices_qs(org).filter(pk=payload.member_id).first()
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


@router.get(
    "/worthies/{worthy_id}",
    response=WorthyOut,
    summary="乡贤详情（电话脱敏）",
    operation_id="dangjian_grid_api_worthy_detail",
)
def worthy_detail(request: HttpRequest, worthy_id: int) -> Any:
    worthy = access_worthy_by_id(request.user, worthy_id)
    worthy.mediation_count = worthy.mediations.count()  # type: ignore[attr-defined]
    return worthy


@router.patch(
    "/worthies/{worthy_id}",
    response=WorthyOut,
    summary="修改乡贤",
    operation_id="dangjian_grid_api_worthy_update",
)
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
    "/worthies/{worthy_id}/reveal",
    response=GridRevealOut,
    summary="查看乡贤完整电话（审计）",
    operation_id="dangjian_grid_api_worthy_reveal",
)
def worthy_reveal(request: HttpRequest, worthy_id: int) -> Any:
    worthy = access_worthy_by_id(request.user, worthy_id)
    return services.worthy_reveal(actor=request.user, worthy=worthy)
