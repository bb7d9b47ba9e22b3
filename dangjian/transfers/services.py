"""Every write of 组织关系转接: keyword-only, atomic, permission-checked, audited.

request → approve (the letter is issued) → accept (the member moves, 回执 recorded) is the main
road; return (refused), revoke (withdrawn) and expire (the letter ran out) end it early and put
the member back on the roll as current. Letters to and from outside the system end in
``member_leave`` (减少 41) and ``member_create`` (增加 21).
"""

from __future__ import annotations

import datetime as dt
import logging
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from dangjian.core.audit import audit_record
from dangjian.dues.selectors import paid_through_text
from dangjian.members import rollups
from dangjian.members.access import may_reveal
from dangjian.members.models import Member, MemberEvent
from dangjian.members.placements import placement_move
from dangjian.members.rules import check_id_number, normalize_id
from dangjian.members.services import (
    check_member_id_free,
    event_record,
    member_create,
    member_leave,
)
from dangjian.orgs.access import may
from dangjian.orgs.models import BRANCH_TYPES, Organization
from dangjian.transfers import letters, rules
from dangjian.transfers.access import (
    approving_org,
    may_approve,
    may_receive,
    may_request,
    may_return,
    may_revoke,
    may_see_letter,
)
from dangjian.transfers.models import Transfer, TransferCounter

log = logging.getLogger(__name__)

DENIED = "您没有权限办理此项组织关系转接"
ALREADY_OPEN = "该党员已有正在办理的组织关系转接，不能重复发起"
REASON_MAX = 200
NOTE_MAX = 1000
UNIT_MAX = 100


# --- small checks ---------------------------------------------------------------------------


def _text(value: str, *, field: str, label: str, limit: int, required: bool = True) -> str:
    text = (value or "").strip()
    if required and not text:
        raise ValidationError({field: f"请填写{label}"})
    if len(text) > limit:
        raise ValidationError({field: f"{label}不能超过 {limit} 个字"})
    if "\x00" in text:
        raise ValidationError({field: f"{label}含有不可见的空字符"})
    return text


def _check_receiving_branch(branch: Organization, *, field: str = "to_branch") -> None:
    if branch.org_type not in BRANCH_TYPES:
        raise ValidationError({field: "接收组织必须是党支部（含联合党支部、临时党支部）"})
    if branch.dissolved_on is not None:
        raise ValidationError({field: f"“{branch.display_name}”已撤销，不能接收组织关系"})


def _lock(transfer: Transfer) -> Transfer:
    """The transfer row, locked for this transaction and re-read (its state may have moved)."""
    # No select_related: PostgreSQL refuses FOR UPDATE on the nullable side of an outer join.
    return Transfer.objects.select_for_update().get(pk=transfer.pk)


def _lock_member(member_id: int) -> Member:
    return Member.objects.select_for_update().get(pk=member_id)


def _sending_branch(transfer: Transfer) -> Organization:
    if transfer.from_branch is None:  # only inbound letters lack one; they are never approved
        raise ValidationError("从系统外转入的记录没有转出党支部")
    return transfer.from_branch


def _next_number(year: int) -> str:
    """The year's next letter number. The UPDATE holds the counter row's lock until commit, so
    two approvals in parallel queue here and never share a number."""
    if not TransferCounter.objects.filter(year=year).update(last=F("last") + 1):
        try:
            with transaction.atomic():
                TransferCounter.objects.create(year=year, last=1)
        except IntegrityError:  # another approval created the year's row in between
            TransferCounter.objects.filter(year=year).update(last=F("last") + 1)
    serial = TransferCounter.objects.values_list("last", flat=True).get(year=year)
    return rules.letter_number(year, serial)


def _audit(actor: Any, action: str, transfer: Transfer, **changes: Any) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=transfer,
        changes=changes,
        org_id=transfer.from_branch_id or transfer.to_branch_id,
        org_path=transfer.org_path,
    )


def _release_member(transfer: Transfer) -> None:
    """Put the member back on the roll as current (the transfer ended without moving them)."""
    if transfer.member_id is None:
        return
    member = _lock_member(transfer.member_id)
    if member.status == Member.Status.TRANSFERRING:
        before = rollups.member_key(member)
        member.status = Member.Status.CURRENT
        member.save(update_fields=["status", "updated_at"])
        rollups.rollup_move(before, rollups.member_key(member))


def _notify(users: Any, *, title: str, body: str, transfer: Transfer, key: str) -> None:
    from dangjian.core.services import notify

    recipients = [u for u in users if u is not None and getattr(u, "pk", None)]
    if recipients:
        notify(
            recipients=recipients,
            title=title,
            body=body,
            url=f"/transfers/{transfer.pk}/",
            dedupe_key=f"transfer:{transfer.pk}:{key}",
        )


def _receivers(branch: Organization, *, today: dt.date) -> list[Any]:
    """People who can accept at ``branch``: its secretaries and the committee's party workers."""
    from dangjian.accounts.models import RoleGrant
    from dangjian.accounts.roles import Role

    orgs = [branch.pk, *([branch.parent_id] if branch.parent_id else [])]
    grants = (
        RoleGrant.objects.filter(
            org_id__in=orgs,
            role__in=[Role.SECRETARY, Role.PARTY_WORKER],
            valid_from__lte=today,
        )
        .exclude(valid_to__lt=today)
        .select_related("user")
    )
    return list({g.user for g in grants if g.user.is_active})


# --- the main road --------------------------------------------------------------------------


def _open(
    *,
    actor: Any,
    member: Member,
    kind: str,
    to_branch: Organization | None,
    external_unit: str,
    dues_paid_through: dt.date | str,
    reason: str,
    note: str,
    today: dt.date,
) -> Transfer:
    member = _lock_member(member.pk)  # two requests for one member queue here
    branch = member.branch
    if not may(actor, "member.view", branch) or not may_request(actor, branch):
        raise PermissionDenied("您没有为该党支部党员办理组织关系转接的权限")
    if to_branch is not None:
        _check_receiving_branch(to_branch)
        if to_branch.pk == branch.pk:
            raise ValidationError({"to_branch": "转入党支部不能与当前所在党支部相同"})
    reason = _text(reason, field="reason", label="转接原因", limit=REASON_MAX)
    note = _text(note, field="note", label="备注", limit=NOTE_MAX, required=False)
    # Left blank, 党费交至年月 comes from the dues ledger (the month paid through).
    dues = rules.parse_month(dues_paid_through or paid_through_text(member))
    if member.status == Member.Status.FORMER:
        raise ValidationError({"member": "该党员已在历史库中，不能办理组织关系转接"})
    if member.status == Member.Status.TRANSFERRING:
        raise ValidationError({"member": ALREADY_OPEN})
    rules.check_dues_month(dues, today=today, joined_on=member.joined_on)
    if member.standing == Member.Standing.SUSPENDED:
        # Allowed, but everyone handling the letter should know.
        note = ("提示：该党员处于停止党籍状态。" + ("\n" + note if note else ""))[:NOTE_MAX]

    transfer = Transfer(
        kind=kind,
        member=member,
        member_name=member.name,
        member_category=member.category,
        from_branch=branch,
        to_branch=to_branch,
        org_path=branch.path,
        external_unit=external_unit,
        dues_paid_through=dues,
        reason=reason,
        note=note,
        state=Transfer.State.REQUESTED,
        requested_by=actor if getattr(actor, "pk", None) else None,
        requested_at=timezone.now(),
    )
    try:
        with transaction.atomic():
            transfer.save()
    except IntegrityError as exc:  # the partial unique index: another open transfer won
        raise ValidationError({"member": ALREADY_OPEN}) from exc

    before = rollups.member_key(member)
    member.status = Member.Status.TRANSFERRING
    member.save(update_fields=["status", "updated_at"])
    rollups.rollup_move(before, rollups.member_key(member))
    _audit(
        actor,
        "transfer.request",
        transfer,
        kind=kind,
        member=member.pk,
        from_branch=branch.pk,
        to_branch=to_branch.pk if to_branch else None,
        external_unit=external_unit,
        dues_paid_through=dues,
    )
    return transfer


@transaction.atomic
def transfer_request(
    *,
    actor: Any,
    member: Member,
    to_branch: Organization,
    dues_paid_through: dt.date | str,
    reason: str,
    note: str = "",
    today: dt.date | None = None,
) -> Transfer:
    """Start a transfer inside the system: the member becomes 转接中 until it ends."""
    return _open(
        actor=actor,
        member=member,
        kind=Transfer.Kind.INTERNAL,
        to_branch=to_branch,
        external_unit="",
        dues_paid_through=dues_paid_through,
        reason=reason,
        note=note,
        today=today or timezone.localdate(),
    )


@transaction.atomic
def transfer_out_external(
    *,
    actor: Any,
    member: Member,
    external_unit: str,
    dues_paid_through: dt.date | str,
    reason: str,
    note: str = "",
    today: dt.date | None = None,
) -> Transfer:
    """Start a transfer to a party organization outside the system (转出到系统外)."""
    today = today or timezone.localdate()
    unit = _text(external_unit, field="external_unit", label="接收的党组织", limit=UNIT_MAX)
    return _open(
        actor=actor,
        member=member,
        kind=Transfer.Kind.OUTBOUND,
        to_branch=None,
        external_unit=unit,
        dues_paid_through=dues_paid_through,
        reason=reason,
        note=note,
        today=today,
    )


@transaction.atomic
def transfer_approve(
    *,
    actor: Any,
    transfer: Transfer,
    valid_until: dt.date | None = None,
    today: dt.date | None = None,
) -> Transfer:
    """The upper committee approves and issues the letter: a number and a validity period."""
    today = today or timezone.localdate()
    transfer = _lock(transfer)
    if not may_approve(actor, transfer):
        raise PermissionDenied("审批组织关系转接须由转出党支部的上级党委办理")
    if transfer.state != Transfer.State.REQUESTED:
        raise ValidationError(f"该转接当前为“{transfer.get_state_display()}”，不能审批")
    if transfer.to_branch is not None:
        _check_receiving_branch(transfer.to_branch)
    valid_until = valid_until or rules.valid_until_for(today)
    rules.check_valid_until(today, valid_until)
    from_branch = _sending_branch(transfer)
    transfer.number = _next_number(today.year)
    transfer.issuing_org = approving_org(from_branch)
    transfer.issued_on = today
    transfer.valid_until = valid_until
    transfer.state = Transfer.State.APPROVED
    transfer.approved_by = actor if getattr(actor, "pk", None) else None
    transfer.approved_at = timezone.now()
    transfer.save()
    _audit(
        actor,
        "transfer.approve",
        transfer,
        number=transfer.number,
        issued_on=today,
        valid_until=valid_until,
    )
    if transfer.to_branch is not None:
        _notify(
            _receivers(transfer.to_branch, today=today),
            title=f"待接收组织关系：{transfer.member_name}",
            body=(
                f"{from_branch.display_name}开具介绍信 {transfer.number}，"
                f"请在 {rules.date_label(valid_until)} 前办理接收。"
            ),
            transfer=transfer,
            key="approved",
        )
    return transfer


@transaction.atomic
def transfer_accept(
    *,
    actor: Any,
    transfer: Transfer,
    received_on: dt.date | None = None,
    receiver_name: str = "",
    today: dt.date | None = None,
) -> Transfer:
    """Receive the relationship (回执). Inside the system the member moves to the receiving
    branch; for a letter to outside the system the member leaves the roll (减少 41)."""
    today = today or timezone.localdate()
    transfer = _lock(transfer)
    if not may_receive(actor, transfer):
        if transfer.kind == Transfer.Kind.OUTBOUND:
            raise PermissionDenied("系统外党组织的回执须由开具介绍信的党委登记")
        raise PermissionDenied("接收组织关系须由转入党支部或其上级党委办理")
    if transfer.state != Transfer.State.APPROVED:
        raise ValidationError(f"该转接当前为“{transfer.get_state_display()}”，不能接收")
    received_on = received_on or today
    if received_on > today:
        raise ValidationError({"received_on": "回执日期不能晚于今天"})
    if transfer.issued_on and received_on < transfer.issued_on:
        raise ValidationError({"received_on": "回执日期不能早于介绍信开具日期"})
    if not rules.is_letter_valid(transfer.valid_until, today):
        raise ValidationError(
            f"介绍信已超过有效期（{rules.date_label(transfer.valid_until)}），"
            "不能接收，请转出方重新开具"
        )
    receiver_name = _text(
        receiver_name or getattr(actor, "display_name", ""),
        field="receiver_name",
        label="回执经办人",
        limit=50,
    )
    from_branch = _sending_branch(transfer)
    if transfer.member_id is None:
        raise ValidationError("该转接没有关联党员")
    member = _lock_member(transfer.member_id)
    if member.branch_id != transfer.from_branch_id or member.status != Member.Status.TRANSFERRING:
        raise ValidationError("该党员的组织关系在办理期间已发生变化，请撤销本次转接后重新办理")

    if transfer.to_branch is not None:
        _check_receiving_branch(transfer.to_branch)

    transfer.state = Transfer.State.ACCEPTED
    transfer.accepted_by = actor if getattr(actor, "pk", None) else None
    transfer.accepted_at = timezone.now()
    transfer.received_on = received_on
    transfer.receiver_name = receiver_name
    transfer.save()

    if transfer.kind == Transfer.Kind.OUTBOUND:
        # Back to current first, so member_leave sees an ordinary member and records 41.
        before = rollups.member_key(member)
        member.status = Member.Status.CURRENT
        member.save(update_fields=["status", "updated_at"])
        rollups.rollup_move(before, rollups.member_key(member))
        member_leave(
            actor=actor,
            member=member,
            on=received_on,
            decrease_reason="41",
            note=f"转往{transfer.external_unit}（介绍信 {transfer.number}）",
        )
        _audit(actor, "transfer.accept", transfer, received_on=received_on, left=True)
        return transfer

    to_branch = transfer.to_branch
    if to_branch is None:  # excluded by the kind constraint; narrows the type
        raise ValidationError("该转接没有转入党支部")
    details = {"transfer": transfer.pk, "number": transfer.number}
    event_record(
        actor=actor,
        member=member,
        kind=MemberEvent.Kind.TRANSFER_OUT,
        summary=f"系统内转出：转往{to_branch.display_name}（介绍信 {transfer.number}）",
        occurred_on=received_on,
        decrease_reason="42",
        details=details,
    )
    before = rollups.member_key(member)
    member.branch = to_branch
    member.group = None
    member.org_path = to_branch.path
    member.status = Member.Status.CURRENT
    # A 党内职务 (书记, 委员, 组长 …) belongs to the old branch and ends with the move.
    member.party_post = ""
    member.save(update_fields=["branch", "group", "org_path", "status", "party_post", "updated_at"])
    # The relationship moves on the 回执 date: the sending branch counts the member until the
    # day before, the receiving branch from that day.
    placement_move(member, on=received_on)
    event_record(
        actor=actor,
        member=member,
        kind=MemberEvent.Kind.TRANSFER_IN,
        summary=f"系统内转入：由{from_branch.display_name}转入（介绍信 {transfer.number}）",
        occurred_on=received_on,
        increase_reason="22",
        details=details,
    )
    rollups.rollup_move(before, rollups.member_key(member))
    _audit(
        actor,
        "transfer.accept",
        transfer,
        received_on=received_on,
        receiver_name=receiver_name,
    )
    # The receiving side's audit trail sees the member arrive.
    audit_record(
        actor=actor,
        action="member.transfer_in",
        obj=member,
        changes={"branch": [from_branch.pk, to_branch.pk], "transfer": transfer.pk},
        org_id=to_branch.pk,
        org_path=member.org_path,
    )
    return transfer


@transaction.atomic
def transfer_return(*, actor: Any, transfer: Transfer, reason: str) -> Transfer:
    """Refuse (退回) with a reason: by the approver before issue, by the receiver after."""
    transfer = _lock(transfer)
    if transfer.kind == Transfer.Kind.INBOUND or not (
        may_approve(actor, transfer) or may_receive(actor, transfer)
    ):
        raise PermissionDenied(DENIED)
    if not transfer.is_open:
        raise ValidationError(f"该转接当前为“{transfer.get_state_display()}”，不能退回")
    if not may_return(actor, transfer):
        raise PermissionDenied("介绍信尚未开具，只能由转出党支部的上级党委退回")
    reason = _text(reason, field="reason", label="退回原因", limit=REASON_MAX)
    before_state = transfer.state
    transfer.state = Transfer.State.RETURNED
    transfer.closed_by = actor if getattr(actor, "pk", None) else None
    transfer.closed_at = timezone.now()
    transfer.closed_reason = reason
    transfer.save()
    _release_member(transfer)
    _audit(actor, "transfer.return", transfer, state=[before_state, transfer.state], reason=reason)
    _notify(
        [transfer.requested_by],
        title=f"组织关系转接被退回：{transfer.member_name}",
        body=f"退回原因：{reason}",
        transfer=transfer,
        key="returned",
    )
    return transfer


@transaction.atomic
def transfer_revoke(*, actor: Any, transfer: Transfer, reason: str = "") -> Transfer:
    """Withdraw (撤销) a transfer not yet accepted: by the sending branch or its committee."""
    transfer = _lock(transfer)
    if transfer.kind == Transfer.Kind.INBOUND or not may_revoke(actor, transfer):
        raise PermissionDenied(DENIED)
    if not transfer.is_open:
        raise ValidationError(f"该转接当前为“{transfer.get_state_display()}”，不能撤销")
    reason = _text(reason, field="reason", label="撤销原因", limit=REASON_MAX, required=False)
    before_state = transfer.state
    transfer.state = Transfer.State.REVOKED
    transfer.closed_by = actor if getattr(actor, "pk", None) else None
    transfer.closed_at = timezone.now()
    transfer.closed_reason = reason
    transfer.save()
    _release_member(transfer)
    _audit(actor, "transfer.revoke", transfer, state=[before_state, transfer.state], reason=reason)
    return transfer


@transaction.atomic
def _expire_one(transfer_id: int, *, today: dt.date) -> bool:
    transfer = Transfer.objects.select_for_update().get(pk=transfer_id)
    if transfer.state != Transfer.State.APPROVED or rules.is_letter_valid(
        transfer.valid_until, today
    ):
        return False  # accepted or revoked meanwhile, or still valid
    transfer.state = Transfer.State.EXPIRED
    transfer.closed_at = timezone.now()
    transfer.closed_reason = f"介绍信有效期至{rules.date_label(transfer.valid_until)}，逾期未接收"
    transfer.save()
    _release_member(transfer)
    _audit(None, "transfer.expire", transfer, valid_until=transfer.valid_until, today=today)
    _notify(
        [transfer.requested_by],
        title=f"组织关系介绍信已过期：{transfer.member_name}",
        body=f"介绍信 {transfer.number} 逾期未接收，如仍需转接请重新办理。",
        transfer=transfer,
        key="expired",
    )
    return True


def transfers_expire(*, today: dt.date) -> int:
    """Daily: letters past their validity and not accepted become 已过期 (idempotent).

    Each transfer ends in its own transaction, so one bad row cannot hold back the rest.
    """
    due = Transfer.objects.filter(state=Transfer.State.APPROVED, valid_until__lt=today)
    return sum(_expire_one(pk, today=today) for pk in due.values_list("pk", flat=True))


# --- from outside the system ----------------------------------------------------------------


def transfer_in_external(
    *,
    actor: Any,
    to_branch: Organization,
    data: dict[str, Any],
    external_unit: str,
    dues_paid_through: dt.date | str,
    external_number: str = "",
    received_on: dt.date | None = None,
    reason: str = "",
    note: str = "",
    today: dt.date | None = None,
) -> Transfer:
    """Register a member arriving with a letter from outside the system (增加 21)."""
    _check_receiving_branch(to_branch)
    if not may(actor, "transfer.accept", to_branch):
        raise PermissionDenied("接收组织关系须由转入党支部或其上级党委办理")
    number = normalize_id(str(data.get("id_number") or ""))
    if check_id_number(number).valid:
        # Before the transaction, so the clash's audit row and probe counter are kept.
        check_member_id_free(actor=actor, number=number, surface="transfer.in_external")
    return _transfer_in_external(
        actor=actor,
        to_branch=to_branch,
        data=data,
        external_unit=external_unit,
        dues_paid_through=dues_paid_through,
        external_number=external_number,
        received_on=received_on,
        reason=reason,
        note=note,
        today=today,
    )


@transaction.atomic
def _transfer_in_external(
    *,
    actor: Any,
    to_branch: Organization,
    data: dict[str, Any],
    external_unit: str,
    dues_paid_through: dt.date | str,
    external_number: str,
    received_on: dt.date | None,
    reason: str,
    note: str,
    today: dt.date | None,
) -> Transfer:
    today = today or timezone.localdate()
    unit = _text(external_unit, field="external_unit", label="转出的党组织", limit=UNIT_MAX)
    number = _text(
        external_number, field="external_number", label="来信编号", limit=40, required=False
    )
    reason = _text(reason or "从系统外转入", field="reason", label="转接原因", limit=REASON_MAX)
    note = _text(note, field="note", label="备注", limit=NOTE_MAX, required=False)
    dues = rules.parse_month(dues_paid_through)
    received_on = received_on or today
    if received_on > today:
        raise ValidationError({"received_on": "接收日期不能晚于今天"})
    member = member_create(
        actor=actor,
        branch=to_branch,
        data=data,
        increase_reason="21",
        surface="transfer.in_external",
        id_checked=True,  # checked above (an invalid number fails member_clean first)
    )
    rules.check_dues_month(dues, today=today, joined_on=member.joined_on)
    now = timezone.now()
    me = actor if getattr(actor, "pk", None) else None
    transfer = Transfer.objects.create(
        kind=Transfer.Kind.INBOUND,
        member=member,
        member_name=member.name,
        member_category=member.category,
        to_branch=to_branch,
        org_path=to_branch.path,
        external_unit=unit,
        external_number=number,
        dues_paid_through=dues,
        reason=reason,
        note=note,
        state=Transfer.State.ACCEPTED,
        requested_by=me,
        requested_at=now,
        accepted_by=me,
        accepted_at=now,
        received_on=received_on,
        receiver_name=getattr(actor, "display_name", "")[:50],
    )
    _audit(
        actor,
        "transfer.in_external",
        transfer,
        member=member.pk,
        external_unit=unit,
        external_number=number,
    )
    return transfer


# --- the letter -------------------------------------------------------------------------------


@transaction.atomic
def letter_read(*, actor: Any, transfer: Transfer) -> letters.Letter:
    """The letter of an issued transfer as ``actor`` may read it: the full ID number and mobile
    only if they may reveal the member's, and then audited like a reveal."""
    if not may_see_letter(transfer):
        raise ValidationError("介绍信尚未开具（审批通过后才有介绍信）")
    member = transfer.member
    revealed = member is not None and may_reveal(actor, member)
    letter = letters.letter_for(transfer=transfer, revealed=revealed)
    if revealed and member is not None:
        audit_record(
            actor=actor,
            action="transfer.letter_reveal",
            obj=transfer,
            changes={"member": member.pk},
            org_id=member.branch_id,
            org_path=member.org_path,
        )
    return letter
