"""组织关系转接 endpoints: thin — access gate, schema, one service or selector."""

from __future__ import annotations

from typing import Any

from django.http import Http404, HttpRequest
from django.utils import timezone
from ninja import Router
from ninja.params import Query

from dangjian.members.access import access_member_by_id
from dangjian.orgs.models import Organization
from dangjian.transfers import selectors, services
from dangjian.transfers.access import access_transfer_by_id, transfer_actions
from dangjian.transfers.models import Transfer
from dangjian.transfers.schemas import (
    TransferAcceptIn,
    TransferApproveIn,
    TransferCreateIn,
    TransferInExternalIn,
    TransferOut,
    TransferOutExternalIn,
    TransferPageOut,
    TransferReasonIn,
)

router = Router(tags=["组织关系转接"])

BRANCH_NOT_FOUND = "未找到该党支部"


def _with_actions(request: HttpRequest, transfer: Transfer) -> Transfer:
    transfer.viewer_actions = transfer_actions(  # type: ignore[attr-defined]
        request.user, transfer, today=timezone.localdate()
    )
    return transfer


def _reload(request: HttpRequest, transfer: Transfer) -> Transfer:
    return _with_actions(request, access_transfer_by_id(request.user, transfer.pk))


def _branch(branch_id: int) -> Organization:
    # A receiving branch may lie outside the requester's scope: any live branch in the system.
    branch = Organization.objects.filter(pk=branch_id, dissolved_on__isnull=True).first()
    if branch is None:
        raise Http404(BRANCH_NOT_FOUND)
    return branch


@router.get("/", response=TransferPageOut, summary="我可见的组织关系转接")
def transfer_list(
    request: HttpRequest,
    box: Query[str] = "all",
    state: Query[str] = "",
    kind: Query[str] = "",
    q: Query[str] = "",
    cursor: Query[str | None] = None,
    limit: Query[int] = 20,
) -> Any:
    """box: approve 待我审批 / receive 待我接收 / mine 我发起的 / all 全部."""
    page = selectors.transfer_page(
        viewer=request.user,
        box=box if box in dict(selectors.BOXES) else "all",
        state=state,
        kind=kind,
        q=q[:50],
        cursor=cursor,
        limit=limit,
    )
    return {
        "items": [_with_actions(request, t) for t in page.items],
        "next_cursor": page.next_cursor,
    }


@router.get("/{int:transfer_id}", response=TransferOut, summary="转接详情")
def transfer_detail(request: HttpRequest, transfer_id: int) -> Any:
    return _with_actions(request, access_transfer_by_id(request.user, transfer_id))


@router.post("/", response={201: TransferOut}, summary="发起系统内转接")
def transfer_create(request: HttpRequest, payload: TransferCreateIn) -> Any:
    member = access_member_by_id(request.user, payload.member_id, action="transfer.request")
    transfer = services.transfer_request(
        actor=request.user,
        member=member,
        to_branch=_branch(payload.to_branch_id),
        dues_paid_through=payload.dues_paid_through,
        reason=payload.reason,
        note=payload.note,
    )
    return 201, _reload(request, transfer)


@router.post("/external-out", response={201: TransferOut}, summary="发起转出到系统外")
def transfer_external_out(request: HttpRequest, payload: TransferOutExternalIn) -> Any:
    member = access_member_by_id(request.user, payload.member_id, action="transfer.request")
    transfer = services.transfer_out_external(
        actor=request.user,
        member=member,
        external_unit=payload.external_unit,
        dues_paid_through=payload.dues_paid_through,
        reason=payload.reason,
        note=payload.note,
    )
    return 201, _reload(request, transfer)


@router.post("/external-in", response={201: TransferOut}, summary="登记从系统外转入")
def transfer_external_in(request: HttpRequest, payload: TransferInExternalIn) -> Any:
    branch = _branch(payload.to_branch_id)
    transfer = services.transfer_in_external(
        actor=request.user,
        to_branch=branch,
        data=payload.member.dict(exclude_unset=True),
        external_unit=payload.external_unit,
        external_number=payload.external_number,
        dues_paid_through=payload.dues_paid_through,
        received_on=payload.received_on,
        reason=payload.reason,
        note=payload.note,
    )
    return 201, _reload(request, transfer)


@router.post("/{int:transfer_id}/approve", response=TransferOut, summary="审批并开具介绍信")
def transfer_approve(request: HttpRequest, transfer_id: int, payload: TransferApproveIn) -> Any:
    transfer = access_transfer_by_id(request.user, transfer_id)
    services.transfer_approve(
        actor=request.user, transfer=transfer, valid_until=payload.valid_until
    )
    return _reload(request, transfer)


@router.post("/{int:transfer_id}/accept", response=TransferOut, summary="接收（登记回执）")
def transfer_accept(request: HttpRequest, transfer_id: int, payload: TransferAcceptIn) -> Any:
    transfer = access_transfer_by_id(request.user, transfer_id)
    services.transfer_accept(
        actor=request.user,
        transfer=transfer,
        received_on=payload.received_on,
        receiver_name=payload.receiver_name,
    )
    return _reload(request, transfer)


@router.post("/{int:transfer_id}/return", response=TransferOut, summary="退回")
def transfer_return(request: HttpRequest, transfer_id: int, payload: TransferReasonIn) -> Any:
    transfer = access_transfer_by_id(request.user, transfer_id)
    services.transfer_return(actor=request.user, transfer=transfer, reason=payload.reason)
    return _reload(request, transfer)


@router.post("/{int:transfer_id}/revoke", response=TransferOut, summary="撤销")
def transfer_revoke(request: HttpRequest, transfer_id: int, payload: TransferReasonIn) -> Any:
    transfer = access_transfer_by_id(request.user, transfer_id)
    services.transfer_revoke(actor=request.user, transfer=transfer, reason=payload.reason)
    return _reload(request, transfer)
