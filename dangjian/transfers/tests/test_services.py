"""The transfer services: the main road, refusals, expiry at its boundary, outside the system."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.management import call_command
from django.db import IntegrityError, transaction
from django.test import override_settings
from django.utils import timezone

from dangjian.core.models import AuditLog, Notification
from dangjian.core.workdays import add_months
from dangjian.members import rollups
from dangjian.members.models import Member, MemberEvent, MemberStat
from dangjian.members.services import member_create, member_place, member_set_standing
from dangjian.orgs.services import org_dissolve
from dangjian.transfers import services
from dangjian.transfers.models import Transfer
from dangjian.transfers.tests.factories import approved, member_data, request, this_month

pytestmark = pytest.mark.django_db


def _total(branch) -> int:  # type: ignore[no-untyped-def]
    row = MemberStat.objects.filter(branch_id=branch.pk, dimension="total", value="all").first()
    return row.count if row else 0


def _snapshot(t: Transfer) -> tuple:  # type: ignore[type-arg]
    t.refresh_from_db()
    m = Member.objects.get(pk=t.member_id)
    return (t.state, t.number, t.valid_until, m.status, m.branch_id, AuditLog.objects.count())


# --- the main road ----------------------------------------------------------------------------


def test_request_approve_accept_moves_the_member(people, tree):
    today = timezone.localdate()
    member = member_create(
        actor=people.county_admin,
        branch=tree.village_a1,
        group=tree.group_a1,
        data=member_data(name="李明"),
    )
    assert _total(tree.village_a1) == 1

    t = request(people.village_secretary, member, tree.village_b1, reason="经常居住地变动")
    assert t.state == Transfer.State.REQUESTED
    assert t.kind == Transfer.Kind.INTERNAL
    assert t.org_path == tree.village_a1.path
    assert t.number is None
    assert t.requested_by == people.village_secretary
    assert Member.objects.get(pk=member.pk).status == Member.Status.TRANSFERRING

    t = services.transfer_approve(actor=people.township_a, transfer=t)
    assert t.state == Transfer.State.APPROVED
    assert re.fullmatch(rf"QC-{today.year}-\d{{6}}", t.number or "")
    assert t.issued_on == today
    assert t.valid_until == add_months(today, 3)
    assert t.issuing_org == tree.township_a
    assert t.approved_by == people.township_a

    t = services.transfer_accept(actor=people.township_b, transfer=t)
    assert t.state == Transfer.State.ACCEPTED
    assert t.received_on == today
    assert t.receiver_name == "张卫东"
    assert t.accepted_by == people.township_b

    member.refresh_from_db()
    assert member.branch == tree.village_b1
    assert member.group is None
    assert member.org_path == tree.village_b1.path
    assert member.status == Member.Status.CURRENT

    out = MemberEvent.objects.get(member=member, kind=MemberEvent.Kind.TRANSFER_OUT)
    assert (out.decrease_reason, out.increase_reason) == ("42", "")
    assert out.org_path == tree.village_a1.path
    assert t.number in out.summary
    came = MemberEvent.objects.get(member=member, kind=MemberEvent.Kind.TRANSFER_IN)
    assert (came.increase_reason, came.decrease_reason) == ("22", "")
    assert came.org_path == tree.village_b1.path

    actions = list(
        AuditLog.objects.filter(object_type="transfers.transfer", object_id=str(t.pk))
        .order_by("id")
        .values_list("action", "actor__username")
    )
    assert actions == [
        ("transfer.request", "village_secretary"),
        ("transfer.approve", "township_a"),
        ("transfer.accept", "township_b"),
    ]
    arrival = AuditLog.objects.get(action="member.transfer_in", object_id=str(member.pk))
    assert arrival.org_path == tree.village_b1.path

    assert _total(tree.village_a1) == 0
    assert _total(tree.village_b1) == 1
    assert rollups.reconcile().is_clean


def test_approval_notifies_the_receiving_side(people, tree, member_a1):
    approved(people.village_secretary, people.township_a, member_a1, tree.village_b1)
    note = Notification.objects.get(recipient=people.township_b)
    assert "待接收组织关系" in note.title
    assert "李明" in note.title


def test_letter_numbers_are_consecutive_and_restart_each_year(people, tree, member_a1, member_b1):
    t1 = approved(people.township_a, people.township_a, member_a1, tree.village_a2)
    t2 = approved(people.township_b, people.township_b, member_b1, tree.village_a1)
    n1, n2 = int(t1.number[-6:]), int(t2.number[-6:])
    assert n2 == n1 + 1
    other = request(
        people.township_a,
        member_create(actor=people.county_admin, branch=tree.village_a2, data=member_data()),
        tree.village_a1,
    )
    t3 = services.transfer_approve(
        actor=people.township_a, transfer=other, today=dt.date(2031, 1, 2)
    )
    assert t3.number == "QC-2031-000001"


@override_settings(TRANSFER_VALID_MONTHS=1)
def test_validity_period_comes_from_the_setting(people, tree, member_a1):
    t = approved(people.township_a, people.township_a, member_a1, tree.village_a2)
    assert t.valid_until == add_months(timezone.localdate(), 1)


def test_approver_may_choose_a_validity_within_the_rule(people, tree, member_a1):
    today = timezone.localdate()
    t = request(people.township_a, member_a1, tree.village_a2)
    with pytest.raises(ValidationError, match="最长为开具之日起 6 个月"):
        services.transfer_approve(
            actor=people.township_a, transfer=t, valid_until=add_months(today, 7)
        )
    with pytest.raises(ValidationError, match="不能早于开具日期"):
        services.transfer_approve(
            actor=people.township_a, transfer=t, valid_until=today - dt.timedelta(days=1)
        )
    t.refresh_from_db()
    assert (t.state, t.number) == (Transfer.State.REQUESTED, None)
    t = services.transfer_approve(
        actor=people.township_a, transfer=t, valid_until=today + dt.timedelta(days=30)
    )
    assert t.valid_until == today + dt.timedelta(days=30)


def test_a_suspended_member_may_be_transferred_with_a_note(people, tree, member_a1):
    member_set_standing(
        actor=people.township_a, member=member_a1, suspended=True, on=timezone.localdate()
    )
    t = request(people.township_a, member_a1, tree.village_a2, note="本人申请")
    assert t.note.startswith("提示：该党员处于停止党籍状态。")
    assert t.note.endswith("本人申请")


# --- refusals: bad input changes nothing ------------------------------------------------------


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("reason", "  ", "请填写转接原因"),
        ("reason", "因" * 201, "转接原因不能超过 200 个字"),
        ("dues_paid_through", "十月", "不是年月"),
        ("dues_paid_through", "2026-13", "不是有效的年月"),
        ("dues_paid_through", "2004-12", "不能早于入党年月"),
        ("dues_paid_through", "2099-01", "不能晚于本月之后 12 个月"),
    ],
)
def test_bad_request_input_is_refused_in_chinese(people, tree, member_a1, field, value, message):
    with pytest.raises(ValidationError, match=message):
        request(people.township_a, member_a1, tree.village_b1, **{field: value})
    assert not Transfer.objects.exists()
    assert Member.objects.get(pk=member_a1.pk).status == Member.Status.CURRENT


def test_dues_month_accepts_chinese_and_dashed_forms(people, tree, member_a1):
    t = request(people.township_a, member_a1, tree.village_b1, dues_paid_through="2025年9月")
    assert t.dues_paid_through == dt.date(2025, 9, 1)


def test_receiving_organization_must_be_another_live_branch(people, tree, member_a1):
    with pytest.raises(ValidationError, match="不能与当前所在党支部相同"):
        request(people.township_a, member_a1, tree.village_a1)
    with pytest.raises(ValidationError, match="接收组织必须是党支部"):
        request(people.township_a, member_a1, tree.township_b)
    with pytest.raises(ValidationError, match="接收组织必须是党支部"):
        request(people.township_a, member_a1, tree.group_a1)
    org_dissolve(actor=people.county_admin, org=tree.village_b1, on=timezone.localdate())
    tree.village_b1.refresh_from_db()
    with pytest.raises(ValidationError, match="已撤销"):
        request(people.township_a, member_a1, tree.village_b1)
    assert not Transfer.objects.exists()


def test_second_request_for_the_same_member_is_refused(people, tree, member_a1):
    request(people.village_secretary, member_a1, tree.village_b1)
    with pytest.raises(ValidationError, match="已有正在办理的组织关系转接"):
        request(people.township_a, member_a1, tree.village_a2)
    assert Transfer.objects.count() == 1


def test_the_database_allows_one_open_transfer_per_member(people, tree, member_a1):
    t = request(people.township_a, member_a1, tree.village_b1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Transfer.objects.create(
            kind=t.kind,
            member=member_a1,
            member_name="李明",
            from_branch=tree.village_a1,
            to_branch=tree.village_a2,
            dues_paid_through=this_month(),
            reason="重复",
        )
    # A closed transfer does not count: a new one may start after a return.
    services.transfer_return(actor=people.township_a, transfer=t, reason="材料不全")
    request(people.township_a, member_a1, tree.village_a2)
    assert Transfer.objects.filter(member=member_a1).count() == 2


def test_a_stale_status_still_hits_the_unique_index_and_says_so_in_chinese(people, tree, member_a1):
    request(people.township_a, member_a1, tree.village_b1)
    # As if a writer had read the member before the first transfer committed.
    Member.objects.filter(pk=member_a1.pk).update(status=Member.Status.CURRENT)
    with pytest.raises(ValidationError, match="已有正在办理的组织关系转接"):
        request(people.township_a, member_a1, tree.village_a2)
    assert Transfer.objects.count() == 1


def test_a_former_member_cannot_be_transferred(people, tree, member_a1):
    from dangjian.members.services import member_leave

    member_leave(
        actor=people.township_a, member=member_a1, on=timezone.localdate(), decrease_reason="11"
    )
    with pytest.raises(ValidationError, match="历史库"):
        request(people.township_a, member_a1, tree.village_b1)


# --- who may do what (the services check, whatever door is used) ------------------------------


@pytest.mark.parametrize("who", ["township_b", "member", "grid_worker", "inspector", "nobody"])
def test_only_the_sending_side_may_request(people, tree, member_a1, who):
    with pytest.raises(PermissionDenied):
        request(getattr(people, who), member_a1, tree.village_b1)
    assert not Transfer.objects.exists()
    assert Member.objects.get(pk=member_a1.pk).status == Member.Status.CURRENT


@pytest.mark.parametrize(
    "who", ["village_secretary", "township_b", "inspector", "member", "nobody"]
)
def test_only_the_upper_committee_may_approve(people, tree, member_a1, who):
    t = request(people.village_secretary, member_a1, tree.village_b1)
    before = _snapshot(t)
    with pytest.raises(PermissionDenied):
        services.transfer_approve(actor=getattr(people, who), transfer=t)
    assert _snapshot(t) == before


@pytest.mark.parametrize("who", ["township_a", "village_secretary", "inspector", "grid_worker"])
def test_only_the_receiving_side_may_accept(people, tree, member_a1, who):
    t = approved(people.village_secretary, people.township_a, member_a1, tree.village_b1)
    before = _snapshot(t)
    with pytest.raises(PermissionDenied):
        services.transfer_accept(actor=getattr(people, who), transfer=t)
    assert _snapshot(t) == before


def test_a_branch_secretary_accepts_into_own_branch(people, tree, member_b1):
    t = approved(people.township_b, people.township_b, member_b1, tree.village_a1)
    services.transfer_accept(actor=people.village_secretary, transfer=t)
    member_b1.refresh_from_db()
    assert member_b1.branch == tree.village_a1


def test_cannot_accept_before_approval_or_twice(people, tree, member_a1):
    t = request(people.township_a, member_a1, tree.village_b1)
    with pytest.raises(ValidationError, match="不能接收"):
        services.transfer_accept(actor=people.township_b, transfer=t)
    services.transfer_approve(actor=people.township_a, transfer=t)
    services.transfer_accept(actor=people.township_b, transfer=t)
    with pytest.raises(ValidationError, match="已接收"):
        services.transfer_accept(actor=people.township_b, transfer=t)
    with pytest.raises(ValidationError, match="不能审批"):
        services.transfer_approve(actor=people.township_a, transfer=t)


def test_a_member_in_transfer_cannot_be_placed_elsewhere(people, tree, member_a1):
    approved(people.township_a, people.township_a, member_a1, tree.village_b1)
    with pytest.raises(ValidationError, match="正在办理组织关系转接"):
        member_place(actor=people.township_a, member=member_a1, branch=tree.village_a2)
    assert Member.objects.get(pk=member_a1.pk).branch == tree.village_a1


def test_accept_refuses_a_member_moved_meanwhile(people, tree, member_a1):
    t = approved(people.township_a, people.township_a, member_a1, tree.village_b1)
    # Moved by some other path than the placement service (which now refuses during a transfer).
    Member.objects.filter(pk=member_a1.pk).update(
        branch=tree.village_a2, org_path=tree.village_a2.path
    )
    with pytest.raises(ValidationError, match="已发生变化"):
        services.transfer_accept(actor=people.township_b, transfer=t)
    assert Member.objects.get(pk=member_a1.pk).branch == tree.village_a2


# --- returns, revocations ---------------------------------------------------------------------


def test_the_approver_returns_a_request_and_the_member_is_current_again(people, tree, member_a1):
    t = request(people.village_secretary, member_a1, tree.village_b1)
    with pytest.raises(ValidationError, match="请填写退回原因"):
        services.transfer_return(actor=people.township_a, transfer=t, reason=" ")
    t = services.transfer_return(actor=people.township_a, transfer=t, reason="材料不全")
    assert (t.state, t.closed_reason, t.closed_by) == (
        Transfer.State.RETURNED,
        "材料不全",
        people.township_a,
    )
    assert Member.objects.get(pk=member_a1.pk).status == Member.Status.CURRENT
    assert Notification.objects.filter(recipient=people.village_secretary, title__contains="退回")
    assert AuditLog.objects.filter(action="transfer.return", object_id=str(t.pk)).exists()


def test_the_receiver_returns_an_issued_letter_but_not_an_unapproved_request(
    people, tree, member_a1
):
    t = request(people.township_a, member_a1, tree.village_b1)
    with pytest.raises(PermissionDenied, match="尚未开具"):
        services.transfer_return(actor=people.township_b, transfer=t, reason="无此人")
    services.transfer_approve(actor=people.township_a, transfer=t)
    t = services.transfer_return(actor=people.township_b, transfer=t, reason="本支部不接收")
    assert t.state == Transfer.State.RETURNED
    assert Member.objects.get(pk=member_a1.pk).branch == tree.village_a1


def test_the_requesting_branch_revokes_before_acceptance(people, tree, member_a1):
    t = approved(people.village_secretary, people.township_a, member_a1, tree.village_b1)
    with pytest.raises(PermissionDenied):
        services.transfer_revoke(actor=people.township_b, transfer=t)
    t = services.transfer_revoke(actor=people.village_secretary, transfer=t, reason="不再调动")
    assert t.state == Transfer.State.REVOKED
    assert Member.objects.get(pk=member_a1.pk).status == Member.Status.CURRENT
    with pytest.raises(ValidationError, match="不能撤销"):
        services.transfer_revoke(actor=people.village_secretary, transfer=t)


def test_an_accepted_transfer_cannot_be_revoked_or_returned(people, tree, member_a1):
    t = approved(people.township_a, people.township_a, member_a1, tree.village_b1)
    services.transfer_accept(actor=people.township_b, transfer=t)
    with pytest.raises(ValidationError):
        services.transfer_revoke(actor=people.township_a, transfer=t)
    with pytest.raises(ValidationError):
        services.transfer_return(actor=people.township_a, transfer=t, reason="晚了")
    assert Member.objects.get(pk=member_a1.pk).branch == tree.village_b1


# --- validity: the day before, the day of, the day after --------------------------------------


@pytest.mark.parametrize(("offset", "ok"), [(-1, True), (0, True), (1, False)])
def test_a_letter_can_be_accepted_through_its_last_valid_day(people, tree, member_a1, offset, ok):
    t = approved(people.township_a, people.township_a, member_a1, tree.village_b1)
    assert t.valid_until is not None
    day = t.valid_until + dt.timedelta(days=offset)
    if ok:
        services.transfer_accept(
            actor=people.township_b, transfer=t, received_on=timezone.localdate(), today=day
        )
        assert Transfer.objects.get(pk=t.pk).state == Transfer.State.ACCEPTED
    else:
        with pytest.raises(ValidationError, match="超过有效期"):
            services.transfer_accept(actor=people.township_b, transfer=t, today=day)
        assert Transfer.objects.get(pk=t.pk).state == Transfer.State.APPROVED


@pytest.mark.parametrize(("offset", "expired"), [(-1, False), (0, False), (1, True)])
def test_the_daily_job_expires_letters_the_day_after_their_last_day(
    people, tree, member_a1, offset, expired
):
    t = approved(people.village_secretary, people.township_a, member_a1, tree.village_b1)
    assert t.valid_until is not None
    n = services.transfers_expire(today=t.valid_until + dt.timedelta(days=offset))
    t.refresh_from_db()
    assert n == (1 if expired else 0)
    assert t.state == (Transfer.State.EXPIRED if expired else Transfer.State.APPROVED)
    status = Member.objects.get(pk=member_a1.pk).status
    assert status == (Member.Status.CURRENT if expired else Member.Status.TRANSFERRING)


def test_expiry_is_idempotent_and_audited_once(people, tree, member_a1):
    t = approved(people.village_secretary, people.township_a, member_a1, tree.village_b1)
    later = t.valid_until + dt.timedelta(days=5)
    assert services.transfers_expire(today=later) == 1
    assert services.transfers_expire(today=later) == 0
    assert AuditLog.objects.filter(action="transfer.expire", object_id=str(t.pk)).count() == 1
    assert (
        Notification.objects.filter(
            recipient=people.village_secretary, title__contains="过期"
        ).count()
        == 1
    )
    t.refresh_from_db()
    assert "逾期未接收" in t.closed_reason


def test_expire_command_and_task(people, tree, member_a1, capsys):
    t = approved(people.township_a, people.township_a, member_a1, tree.village_b1)
    day = (t.valid_until + dt.timedelta(days=1)).isoformat()
    call_command("transfer_expire", "--date", day)
    assert "1 件转为已过期" in capsys.readouterr().out
    call_command("transfer_expire", "--date", day, "--enqueue")  # immediate backend in tests
    assert "已加入后台任务队列" in capsys.readouterr().out
    assert Transfer.objects.get(pk=t.pk).state == Transfer.State.EXPIRED


# --- outside the system -----------------------------------------------------------------------


def test_outbound_letter_ends_with_the_member_leaving_the_roll(people, tree, member_a1):
    t = services.transfer_out_external(
        actor=people.village_secretary,
        member=member_a1,
        external_unit="中共浙江省杭州市西湖区委组织部",
        dues_paid_through="2026-10",
        reason="工作单位变动",
    )
    assert (t.kind, t.to_branch, t.state) == (Transfer.Kind.OUTBOUND, None, "requested")
    t = services.transfer_approve(actor=people.township_a, transfer=t)
    # The 回执 comes back to the committee that issued the letter, not to the branch.
    with pytest.raises(PermissionDenied):
        services.transfer_accept(actor=people.village_secretary, transfer=t)
    t = services.transfer_accept(
        actor=people.township_a, transfer=t, receiver_name="西湖区委组织部"
    )
    assert t.state == Transfer.State.ACCEPTED
    member_a1.refresh_from_db()
    assert member_a1.status == Member.Status.FORMER
    assert member_a1.leave_reason == "41"
    left = MemberEvent.objects.get(member=member_a1, kind=MemberEvent.Kind.LEFT)
    assert left.decrease_reason == "41"
    assert "西湖区" in left.summary
    assert _total(tree.village_a1) == 0
    assert rollups.reconcile().is_clean


def test_outbound_needs_the_receiving_unit(people, tree, member_a1):
    with pytest.raises(ValidationError, match="请填写接收的党组织"):
        services.transfer_out_external(
            actor=people.township_a,
            member=member_a1,
            external_unit="",
            dues_paid_through="2026-10",
            reason="工作单位变动",
        )
    assert not Transfer.objects.exists()


def test_inbound_letter_registers_the_member(people, tree):
    t = services.transfer_in_external(
        actor=people.township_b,
        to_branch=tree.village_b1,
        data=member_data(name="赵敏", male=False),
        external_unit="中共江苏省南京市鼓楼区委组织部",
        external_number="苏组转〔2026〕88号",
        dues_paid_through="2026-09",
    )
    assert (t.kind, t.state, t.from_branch) == (Transfer.Kind.INBOUND, "accepted", None)
    assert t.org_path == tree.village_b1.path
    assert t.display_number == "来信 苏组转〔2026〕88号"
    member = t.member
    assert member is not None
    assert (member.branch, member.status, member.name) == (tree.village_b1, "current", "赵敏")
    event = MemberEvent.objects.get(member=member, kind=MemberEvent.Kind.ADMITTED)
    assert event.increase_reason == "21"
    assert AuditLog.objects.filter(action="transfer.in_external", object_id=str(t.pk)).exists()
    assert _total(tree.village_b1) == 1
    assert rollups.reconcile().is_clean


def test_inbound_with_bad_member_data_changes_nothing(people, tree):
    bad = member_data(id_number="110101198001011235")
    with pytest.raises(ValidationError) as exc:
        services.transfer_in_external(
            actor=people.township_b,
            to_branch=tree.village_b1,
            data=bad,
            external_unit="中共某某区委组织部",
            dues_paid_through="2026-09",
        )
    assert "校验位" in str(exc.value)
    assert not Transfer.objects.exists()
    assert not Member.objects.exists()


def test_inbound_only_into_a_branch_the_actor_receives_for(people, tree):
    for who in ("township_a", "inspector", "village_secretary"):
        with pytest.raises(PermissionDenied):
            services.transfer_in_external(
                actor=getattr(people, who),
                to_branch=tree.village_b1,
                data=member_data(),
                external_unit="中共某某区委组织部",
                dues_paid_through="2026-09",
            )
    assert not Member.objects.exists()


def test_inbound_person_already_on_the_roll_is_refused(people, tree, member_a1):
    from dangjian.core import crypto

    data = member_data(name="李明")
    data["id_number"] = crypto.decrypt(member_a1.id_number_enc)
    with pytest.raises(ValidationError, match="已在其他党组织登记") as exc:
        services.transfer_in_external(
            actor=people.township_b,
            to_branch=tree.village_b1,
            data=data,
            external_unit="中共某某区委组织部",
            dues_paid_through="2026-09",
        )
    assert "甲村" not in str(exc.value)  # another township's branch is never named
    assert not Transfer.objects.exists()
