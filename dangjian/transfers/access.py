"""Gates for transfers: both the sending and the receiving side see a transfer; who may act.

A transfer outside the viewer's scope is a 404. The action predicates are pure over the
viewer's cached grants, so pages can show only the buttons that will work.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.db.models import QuerySet
from django.http import Http404

from dangjian.orgs.access import may, scope_q
from dangjian.orgs.models import Organization
from dangjian.transfers.models import Transfer
from dangjian.transfers.rules import is_letter_valid

NOT_FOUND = "未找到该组织关系转接，或您无权查看"

RELATED = ("member", "from_branch", "from_branch__parent", "to_branch", "issuing_org")


def transfers_visible_to(viewer: Any) -> QuerySet[Transfer]:
    """Transfers whose sending side (``org_path``) or receiving branch is in the viewer's scope."""
    return Transfer.objects.filter(
        scope_q(viewer, "org_path", action="member.view")
        | scope_q(viewer, "to_branch__path", action="member.view")
    )


def access_transfer_by_id(viewer: Any, transfer_id: int) -> Transfer:
    """The transfer if the viewer may see it; otherwise 404 (missing and hidden look the same)."""
    transfer = transfers_visible_to(viewer).select_related(*RELATED).filter(pk=transfer_id).first()
    if transfer is None:
        raise Http404(NOT_FOUND)
    return transfer


def approving_org(branch: Organization) -> Organization:
    """Who signs the letter: the branch's upper committee (the branch itself at the top)."""
    return branch.parent if branch.parent_id and branch.parent is not None else branch


def may_request(viewer: Any, branch: Organization) -> bool:
    """May the viewer start a transfer for a member of ``branch``?"""
    return may(viewer, "transfer.request", branch)


def may_approve(viewer: Any, transfer: Transfer) -> bool:
    """The sending branch's upper committee approves and issues the letter."""
    if transfer.from_branch is None:
        return False
    return may(viewer, "transfer.approve", approving_org(transfer.from_branch))


def may_receive(viewer: Any, transfer: Transfer) -> bool:
    """The receiving branch accepts; for a letter to outside the system the issuer records the
    回执 when it comes back."""
    if transfer.kind == Transfer.Kind.OUTBOUND:
        return may_approve(viewer, transfer)
    return transfer.to_branch is not None and may(viewer, "transfer.accept", transfer.to_branch)


def may_revoke(viewer: Any, transfer: Transfer) -> bool:
    """The sending side (requester's branch or the approving committee) may withdraw."""
    if transfer.from_branch is None:
        return False
    return may_request(viewer, transfer.from_branch) or may_approve(viewer, transfer)


def may_return(viewer: Any, transfer: Transfer) -> bool:
    """Refusing: the approver before the letter is issued; the receiver (or approver) after."""
    if transfer.state == Transfer.State.REQUESTED:
        return may_approve(viewer, transfer)
    if transfer.state == Transfer.State.APPROVED:
        return may_receive(viewer, transfer) or may_approve(viewer, transfer)
    return False


def transfer_actions(viewer: Any, transfer: Transfer, *, today: dt.date) -> set[str]:
    """The actions the viewer can take on this transfer now (state and permission)."""
    actions: set[str] = set()
    if transfer.kind == Transfer.Kind.INBOUND:
        return actions
    if transfer.state == Transfer.State.REQUESTED and may_approve(viewer, transfer):
        actions.add("approve")
    if (
        transfer.state == Transfer.State.APPROVED
        and is_letter_valid(transfer.valid_until, today)
        and may_receive(viewer, transfer)
    ):
        actions.add("accept")
    if transfer.is_open and may_return(viewer, transfer):
        actions.add("return")
    if transfer.is_open and may_revoke(viewer, transfer):
        actions.add("revoke")
    return actions


def may_see_letter(transfer: Transfer) -> bool:
    """A letter exists once it has been issued (it has a number)."""
    return bool(transfer.number) and transfer.kind != Transfer.Kind.INBOUND
