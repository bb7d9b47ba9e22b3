"""Every write on dues: permission, rule, audit.

The monthly rows (``DuesMonth``) are derived data: opened from the profile, the rules and any
approved reduction in force that month, recomputed when one of those changes, and filled by
payments. Only payments change what was paid; the branch never pays for a member (no 垫交) and
nothing is deducted from pay (no 扣缴): every payment is recorded against the member who paid.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone

from dangjian.core.audit import audit_record
from dangjian.dues.models import (
    DuesBackPayApproval,
    DuesBranchSetting,
    DuesMonth,
    DuesPayment,
    DuesProfile,
    DuesReduction,
)
from dangjian.dues.rules import (
    DEFAULT_BASE_KINDS,
    add_months,
    check_money,
    due_month_for,
    month_span,
    months_between,
    policy_in_force,
    quarter_end,
    quote,
)
from dangjian.dues.selectors import (
    Pricer,
    dues_history,
    expected_rows,
    fill_owed,
    profile_for,
    quarterly_branch_ids,
    reduction_for,
)
from dangjian.members.models import Member
from dangjian.orgs.access import may
from dangjian.orgs.models import BRANCH_TYPES, Organization

__all__ = ["add_months"]  # re-exported: older callers import it from here

# One regular payment covers at most a year of months (a quarter, or 补交 of several months).
MAX_PAYMENT_MONTHS = 12
MAX_REDUCTION_MONTHS = 12


def _this_month(today: dt.date | None) -> dt.date:
    return (today or timezone.localdate()).replace(day=1)


def backpay_months(on: dt.date) -> int:
    """How many months back dues may be paid without the upper 党委's approval (rule data)."""
    return policy_in_force(on).backpay_months


def effective_month_window(today: dt.date) -> tuple[dt.date, dt.date]:
    """The earliest and latest month a profile change may take effect, seen from ``today``."""
    this_month = today.replace(day=1)
    return add_months(this_month, -backpay_months(this_month)), add_months(this_month, 1)


def _check_month(value: dt.date, field: str) -> None:
    if value.day != 1:
        raise ValidationError({field: ["月份须为当月 1 日"]})


# --- opening and recomputing monthly rows ------------------------------------------------------


def months_open(*, members: list[Member], months: list[dt.date]) -> int:
    """Open the missing monthly rows of these members for these months (members without a
    profile in force in a month get no row for it). Idempotent; returns rows created."""
    if not members or not months:
        return 0
    ids = [m.pk for m in members]
    existing = set(
        DuesMonth.objects.filter(member_id__in=ids, month__in=months).values_list(
            "member_id", "month"
        )
    )
    if len(existing) == len(ids) * len(months):
        return 0  # the usual case when recording a payment: nothing to price
    new = expected_rows(members=members, months=months, skip=existing)
    # ignore_conflicts: a concurrent opener (the daily job and a generation) may have won.
    DuesMonth.objects.bulk_create(new, batch_size=2000, ignore_conflicts=True)
    return len(new)


def branch_month_open(*, branch: Organization, month: dt.date) -> int:
    """Open ``month`` for every current member of ``branch`` (idempotent)."""
    members = list(
        Member.objects.filter(branch=branch, status=Member.Status.CURRENT).only(
            "id", "branch_id", "org_path"
        )
    )
    have = set(
        DuesMonth.objects.filter(branch=branch, month=month).values_list("member_id", flat=True)
    )
    missing = [m for m in members if m.pk not in have]
    return months_open(members=missing, months=[month])


# How far back 生成本月台账 may open a month (the ledger's month picker goes as far).
GENERATE_MONTHS_BACK = 24


@transaction.atomic
def dues_ledger_generate(
    *, actor: Any, branch: Organization, month: dt.date, today: dt.date | None = None
) -> int:
    """生成本月台账: open ``month``'s rows for every current member of the branch with a dues
    profile, at what the ledger showed them owing. Idempotent (a second run creates nothing and
    writes no audit entry); returns rows created."""
    if not may(actor, "dues.collect", branch):
        raise PermissionDenied("您没有权限生成本支部的党费台账")
    if branch.org_type not in BRANCH_TYPES:
        raise ValidationError("党费台账按党支部生成，请选择党支部")
    _check_month(month, "month")
    this_month = _this_month(today)
    if month > this_month:
        raise ValidationError({"month": ["不能生成本月以后的党费台账"]})
    earliest = add_months(this_month, -GENERATE_MONTHS_BACK)
    if month < earliest:
        raise ValidationError({"month": [f"最早只能生成 {earliest:%Y年%-m月}的党费台账"]})
    created = branch_month_open(branch=branch, month=month)
    if created:
        audit_record(
            actor=actor,
            action="dues.ledger_generate",
            obj=branch,
            object_repr=f"{branch.name} 生成 {month:%Y年%-m月}党费台账",
            changes={"month": month, "created": created},
            org_id=branch.pk,
            org_path=branch.path,
        )
    return created


def _recompute(member: Member, first: dt.date, last: dt.date | None = None) -> None:
    """Recompute owed amounts of the member's open rows from ``first`` (to ``last``) after a
    profile or reduction changed: a pay change counts from its month on (RULES §3)."""
    rows = DuesMonth.objects.filter(member=member, month__gte=first)
    if last is not None:
        rows = rows.filter(month__lte=last)
    rows_list = list(rows.select_for_update())
    if not rows_list:
        return
    profiles, reductions = dues_history([member.pk])
    pricer = Pricer()
    changed = []
    for row in rows_list:
        profile = profile_for(profiles.get(member.pk, []), row.month)
        if profile is None:
            continue
        before = (row.category, row.monthly_base, row.standard, row.expected, row.reduction_id)
        fill_owed(
            row,
            profile,
            reduction_for(reductions.get(member.pk, []), row.month),
            pricer,
            row.org_path,
        )
        if before != (row.category, row.monthly_base, row.standard, row.expected, row.reduction_id):
            changed.append(row)
    DuesMonth.objects.bulk_update(
        changed, ["category", "monthly_base", "standard", "expected", "reduction"]
    )


# --- profiles ----------------------------------------------------------------------------------


@transaction.atomic
def dues_profile_set(
    *,
    actor: Any,
    member: Member,
    category: str,
    monthly_base: Decimal | None,
    base_kind: str = "",
    effective_month: dt.date,
    today: dt.date | None = None,
) -> DuesProfile:
    """Record a member's dues category and base from ``effective_month`` on (a new row)."""
    if not may(actor, "member.edit", member.branch):
        raise PermissionDenied("您没有权限维护该党员的党费基数")
    if effective_month.day != 1:
        raise ValidationError({"effective_month": ["起始月份须为当月 1 日"]})
    today = today or timezone.localdate()
    earliest, latest = effective_month_window(today)
    if effective_month < earliest:
        raise ValidationError(
            {
                "effective_month": [
                    f"起始月份最早为 {earliest:%Y年%m月}（补交不超过 {backpay_months(today)} 个月）"
                ]
            }
        )
    if effective_month > latest:
        raise ValidationError({"effective_month": [f"起始月份最晚为 {latest:%Y年%m月}"]})
    # Validates category and base against the rules in force in that month.
    q = quote(category, monthly_base, on=effective_month, org_path=member.org_path)
    if q.rate is None:
        monthly_base = None
    base_kind = base_kind.strip() or (DEFAULT_BASE_KINDS.get(category, "") if q.rate else "")
    profile = DuesProfile.objects.create(
        member=member,
        category=category,
        monthly_base=monthly_base,
        base_kind=base_kind[:30],
        effective_month=effective_month,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    # Months already open follow the new base; months since it took effect are opened.
    _recompute(member, effective_month)
    if member.status == Member.Status.CURRENT:
        this_month = today.replace(day=1)
        if effective_month <= this_month:
            months_open(members=[member], months=month_span(effective_month, this_month))
    audit_record(
        actor=actor,
        action="dues.profile_set",
        obj=profile,
        object_repr=f"{member.name} 党费基数 {effective_month:%Y-%m}",
        changes={
            "member": member.pk,
            "category": category,
            "monthly_base": monthly_base,
            "base_kind": profile.base_kind,
            "effective_month": effective_month,
            "monthly_amount": q.monthly_amount,
        },
        org_id=member.branch_id,
        org_path=member.org_path,
    )
    return profile


# --- payments ----------------------------------------------------------------------------------


def _is_quarterly(branch_id: int) -> bool:
    return bool(quarterly_branch_ids([branch_id]))


def _check_regular_months(
    member: Member, first: dt.date, last: dt.date, this_month: dt.date, *, limit: int
) -> tuple[dt.date, DuesBackPayApproval | None]:
    """The months a regular payment may cover; returns the back-payment limit and the approval
    that allows older months (if any are older)."""
    if last < first:
        raise ValidationError({"last_month": ["截止月份不能早于起始月份"]})
    if months_between(first, last) + 1 > MAX_PAYMENT_MONTHS:
        raise ValidationError(
            {"last_month": [f"一次最多登记 {MAX_PAYMENT_MONTHS} 个月的党费，请分次登记"]}
        )
    # Only a month after this one needs the branch's mode (quarterly may pay the quarter).
    quarterly = last > this_month and _is_quarterly(member.branch_id)
    latest = quarter_end(this_month) if quarterly else this_month
    if last > latest:
        raise ValidationError(
            {
                "last_month": [
                    f"党费最晚登记到 {latest:%Y年%m月}"
                    + ("（本季度）" if quarterly else "（本月；按季度交纳须经支部同意）")
                ]
            }
        )
    joined = member.joined_on.replace(day=1)
    if first < joined:
        raise ValidationError({"first_month": [f"{first:%Y年%m月}早于入党年月，不应交纳党费"]})
    earliest = add_months(this_month, -limit)
    approval = None
    if first < earliest:
        older_last = min(last, add_months(earliest, -1))
        approval = (
            DuesBackPayApproval.objects.filter(
                member=member, first_month__lte=first, last_month__gte=older_last
            )
            .order_by("-id")
            .first()
        )
        if approval is None:
            raise ValidationError(
                {
                    "first_month": [
                        f"补交党费一般不超过 {limit} 个月：{first:%Y年%m月}早于"
                        f"{earliest:%Y年%m月}，须先经上级党委批准超期补交"
                    ]
                },
                code="backpay_limit",
            )
    return earliest, approval


def _allocate(rows: list[DuesMonth], amount: Decimal, paid_on: dt.date) -> dict[str, str]:
    """Fill each month's outstanding amount in order; anything left over stays on the last
    month (a member may pay more than the standard)."""
    left = amount
    shares: dict[str, str] = {}
    for i, row in enumerate(rows):
        owed = max(row.expected - row.paid, Decimal("0"))
        share = left if i == len(rows) - 1 else min(owed, left)
        if share <= 0:
            continue
        row.paid += share
        row.last_paid_on = max(row.last_paid_on or paid_on, paid_on)
        left -= share
        shares[f"{row.month:%Y-%m}"] = f"{share:.2f}"
    return shares


@transaction.atomic
def dues_payment_record(
    *,
    actor: Any,
    member: Member,
    amount: Decimal,
    method: str,
    paid_on: dt.date,
    first_month: dt.date | None = None,
    last_month: dt.date | None = None,
    kind: str = DuesPayment.Kind.REGULAR,
    reference: str = "",
    note: str = "",
    today: dt.date | None = None,
) -> DuesPayment:
    """Record a payment the member made: regular dues for one or more months (partial, a
    quarter, or 补交 within the limit or with an approval), or a one-off payment."""
    if not may(actor, "dues.collect", member.branch):
        raise PermissionDenied("您没有权限登记该党员的党费")
    today = today or timezone.localdate()
    this_month = today.replace(day=1)
    if member.status != Member.Status.CURRENT:
        raise ValidationError("该党员不在本支部在册（已转出或转接中），不能登记党费")
    check_money(amount, label="交纳金额")
    if method not in DuesPayment.Method.values:
        raise ValidationError({"method": ["请选择交纳方式（现金、银行转账或线上支付）"]})
    reference = reference.strip()
    if method != DuesPayment.Method.CASH and not reference:
        raise ValidationError({"reference": ["银行转账和线上支付须填写流水号"]})
    if len(reference) > 64:
        raise ValidationError({"reference": ["流水号不超过 64 个字符"]})
    if reference:
        dup = DuesPayment.objects.filter(reference=reference).select_related("member").first()
        if dup is not None:
            raise ValidationError(
                {
                    "reference": [
                        f"流水号 {reference} 已登记过（{dup.paid_on:%Y年%m月%d日}），不能重复登记"
                    ]
                },
                code="duplicate",
            )
    if paid_on > today:
        raise ValidationError({"paid_on": ["交纳日期不能晚于今天"]})
    if paid_on < add_months(this_month, -MAX_PAYMENT_MONTHS):
        raise ValidationError({"paid_on": ["交纳日期过早，请核对"]})
    note = note.strip()[:200]
    policy = policy_in_force(today)
    approval = None
    shares: dict[str, str] = {}
    rows: list[DuesMonth] = []
    if kind == DuesPayment.Kind.ONE_OFF:
        first_month = last_month = None
        to_central = amount >= policy.central_threshold
    elif kind == DuesPayment.Kind.REGULAR:
        if first_month is None:
            raise ValidationError({"first_month": ["请选择所交党费的月份"]})
        last_month = last_month or first_month
        _check_month(first_month, "first_month")
        _check_month(last_month, "last_month")
        _, approval = _check_regular_months(
            member, first_month, last_month, this_month, limit=policy.backpay_months
        )
        months = month_span(first_month, last_month)
        locked = (
            DuesMonth.objects.select_for_update()
            .filter(member=member, month__in=months)
            .order_by("month")
        )
        rows = list(locked)
        if len(rows) < len(months):  # a month not opened yet: open it at what it owes
            months_open(members=[member], months=months)
            rows = list(locked.all())
        missing = sorted(set(months) - {r.month for r in rows})
        if missing:
            raise ValidationError(
                {
                    "first_month": [
                        f"{missing[0]:%Y年%m月}尚未核定该党员的党费基数，请先登记党费基数"
                    ]
                }
            )
        shares = _allocate(rows, amount, paid_on)
        to_central = False
    else:
        raise ValidationError({"kind": ["未知的交纳类型"]})
    try:
        with transaction.atomic():
            payment = DuesPayment.objects.create(
                member=member,
                branch_id=member.branch_id,
                org_path=member.org_path,
                kind=kind,
                method=method,
                reference=reference,
                amount=amount,
                paid_on=paid_on,
                first_month=first_month,
                last_month=last_month,
                to_central=to_central,
                backpay_approval=approval,
                note=note,
                recorded_by=actor if getattr(actor, "pk", None) else None,
            )
    except IntegrityError as exc:  # a concurrent request recorded the same reference
        raise ValidationError(
            {"reference": [f"流水号 {reference} 已登记过，不能重复登记"]}, code="duplicate"
        ) from exc
    DuesMonth.objects.bulk_update(rows, ["paid", "last_paid_on"])
    audit_record(
        actor=actor,
        action="dues.payment_record",
        obj=payment,
        object_repr=f"{member.name} 交纳党费 {amount:.2f} 元",
        changes={
            "member": member.pk,
            "kind": kind,
            "method": method,
            "reference": reference,
            "amount": amount,
            "paid_on": paid_on,
            "months": shares,
            "to_central": to_central,
            "backpay_approval": approval.pk if approval else None,
        },
        org_id=member.branch_id,
        org_path=member.org_path,
    )
    return payment


@transaction.atomic
def dues_backpay_approve(
    *,
    actor: Any,
    member: Member,
    first_month: dt.date,
    last_month: dt.date,
    reason: str,
    today: dt.date | None = None,
) -> DuesBackPayApproval:
    """The upper 党委 allows 补交 of months older than the limit (the approval record)."""
    if not may(actor, "dues.approve", member.branch):
        raise PermissionDenied("超期补交须由上级党委批准，您没有该权限")
    today = today or timezone.localdate()
    _check_month(first_month, "first_month")
    _check_month(last_month, "last_month")
    if last_month < first_month:
        raise ValidationError({"last_month": ["截止月份不能早于起始月份"]})
    if last_month > today.replace(day=1):
        raise ValidationError({"last_month": ["截止月份不能晚于本月"]})
    if first_month < member.joined_on.replace(day=1):
        raise ValidationError({"first_month": ["起始月份不能早于入党年月"]})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["请填写批准超期补交的理由"]})
    approval = DuesBackPayApproval.objects.create(
        member=member,
        org_path=member.org_path,
        first_month=first_month,
        last_month=last_month,
        reason=reason[:300],
        approved_on=today,
        approved_by=actor if getattr(actor, "pk", None) else None,
    )
    audit_record(
        actor=actor,
        action="dues.backpay_approve",
        obj=approval,
        object_repr=f"{member.name} 超期补交 {first_month:%Y-%m}–{last_month:%Y-%m}",
        changes={
            "member": member.pk,
            "first_month": first_month,
            "last_month": last_month,
            "reason": approval.reason,
        },
        org_id=member.branch_id,
        org_path=member.org_path,
    )
    return approval


# --- reductions and exemptions -----------------------------------------------------------------


@dataclass(frozen=True)
class _Period:
    first: dt.date
    last: dt.date


def _check_reduction_period(first: dt.date, last: dt.date, this_month: dt.date) -> _Period:
    _check_month(first, "first_month")
    _check_month(last, "last_month")
    if last < first:
        raise ValidationError({"last_month": ["截止月份不能早于起始月份"]})
    if months_between(first, last) + 1 > MAX_REDUCTION_MONTHS:
        raise ValidationError(
            {"last_month": [f"减免期限一次不超过 {MAX_REDUCTION_MONTHS} 个月，期满可再申请"]}
        )
    earliest = add_months(this_month, -backpay_months(this_month))
    if first < earliest:
        raise ValidationError({"first_month": [f"减免起始月份最早为 {earliest:%Y年%m月}"]})
    return _Period(first, last)


@transaction.atomic
def dues_reduction_apply(
    *,
    actor: Any,
    member: Member,
    kind: str,
    first_month: dt.date,
    last_month: dt.date,
    reason: str,
    monthly_amount: Decimal | None = None,
    today: dt.date | None = None,
) -> DuesReduction:
    """A member's application for 减交 or 免交 (entered by the member or by the branch)."""
    own = getattr(actor, "pk", None) is not None and member.user_id == actor.pk
    if not own and not may(actor, "dues.collect", member.branch):
        raise PermissionDenied("您没有权限登记该党员的减免申请")
    today = today or timezone.localdate()
    if member.status != Member.Status.CURRENT:
        raise ValidationError("该党员不在册，不能申请减免")
    period = _check_reduction_period(first_month, last_month, today.replace(day=1))
    if kind == DuesReduction.Kind.EXEMPT:
        monthly_amount = Decimal("0.00")
    elif kind == DuesReduction.Kind.REDUCE:
        if monthly_amount is None:
            raise ValidationError({"monthly_amount": ["减交须填写减交后每月交纳的金额"]})
        check_money(monthly_amount, label="减交后每月交纳金额")
    else:
        raise ValidationError({"kind": ["请选择减交或免交"]})
    reason = reason.strip()
    if not reason:
        raise ValidationError({"reason": ["请填写申请理由（如家庭困难、重病等）"]})
    overlapping = DuesReduction.objects.filter(
        member=member,
        state__in=[
            DuesReduction.State.APPLIED,
            DuesReduction.State.DISCUSSED,
            DuesReduction.State.APPROVED,
        ],
        first_month__lte=period.last,
        last_month__gte=period.first,
    ).exists()
    if overlapping:
        raise ValidationError("该党员在这段时间已有减免申请或已批准的减免")
    reduction = DuesReduction.objects.create(
        member=member,
        branch_id=member.branch_id,
        org_path=member.org_path,
        kind=kind,
        monthly_amount=monthly_amount,
        first_month=period.first,
        last_month=period.last,
        reason=reason[:300],
        applied_on=today,
    )
    audit_record(
        actor=actor,
        action="dues.reduction_apply",
        obj=reduction,
        object_repr=f"{member.name} 申请{reduction.get_kind_display()}党费",
        changes={
            "member": member.pk,
            "kind": kind,
            "monthly_amount": monthly_amount,
            "first_month": period.first,
            "last_month": period.last,
            "reason": reduction.reason,
        },
        org_id=member.branch_id,
        org_path=member.org_path,
    )
    return reduction


def _locked(reduction: DuesReduction) -> DuesReduction:
    return (
        DuesReduction.objects.select_for_update()
        .select_related("member", "branch")
        .get(pk=reduction.pk)
    )


@transaction.atomic
def dues_reduction_discuss(
    *,
    actor: Any,
    reduction: DuesReduction,
    agreed: bool,
    discussion: str,
    discussed_on: dt.date | None = None,
    today: dt.date | None = None,
) -> DuesReduction:
    """The branch's discussion of an application: agreed → to the upper 党委; else refused."""
    reduction = _locked(reduction)
    if not may(actor, "dues.collect", reduction.branch):
        raise PermissionDenied("您没有权限登记支部讨论意见")
    if reduction.state != DuesReduction.State.APPLIED:
        raise ValidationError(f"该申请当前为“{reduction.get_state_display()}”，不能再登记支部讨论")
    today = today or timezone.localdate()
    discussed_on = discussed_on or today
    if discussed_on > today or discussed_on < reduction.applied_on:
        raise ValidationError({"discussed_on": ["讨论日期应在申请日期和今天之间"]})
    discussion = discussion.strip()
    if not discussion:
        raise ValidationError({"discussion": ["请填写支部讨论意见"]})
    reduction.discussed_on = discussed_on
    reduction.discussion = discussion[:300]
    reduction.state = DuesReduction.State.DISCUSSED if agreed else DuesReduction.State.REJECTED
    reduction.save(update_fields=["discussed_on", "discussion", "state", "updated_at"])
    audit_record(
        actor=actor,
        action="dues.reduction_discuss",
        obj=reduction,
        object_repr=f"{reduction.member.name} 减免申请支部讨论",
        changes={"agreed": agreed, "discussion": reduction.discussion, "on": discussed_on},
        org_id=reduction.branch_id,
        org_path=reduction.org_path,
    )
    return reduction


@transaction.atomic
def dues_reduction_decide(
    *,
    actor: Any,
    reduction: DuesReduction,
    approve: bool,
    decision: str = "",
    today: dt.date | None = None,
) -> DuesReduction:
    """The upper 党委 approves (the owed amounts of the period change) or refuses."""
    reduction = _locked(reduction)
    if not may(actor, "dues.approve", reduction.branch):
        raise PermissionDenied("减免党费须由上级党委审批，您没有该权限")
    if reduction.state != DuesReduction.State.DISCUSSED:
        raise ValidationError(
            f"该申请当前为“{reduction.get_state_display()}”，须经支部讨论同意后才能审批"
        )
    decision = decision.strip()
    if not approve and not decision:
        raise ValidationError({"decision": ["不予批准时请填写理由"]})
    reduction.state = DuesReduction.State.APPROVED if approve else DuesReduction.State.REJECTED
    reduction.decision = decision[:300]
    reduction.decided_on = today or timezone.localdate()
    reduction.decided_by = actor if getattr(actor, "pk", None) else None
    reduction.save(update_fields=["state", "decision", "decided_on", "decided_by", "updated_at"])
    if approve:
        _recompute(reduction.member, reduction.first_month, reduction.last_month)
    audit_record(
        actor=actor,
        action="dues.reduction_decide",
        obj=reduction,
        object_repr=f"{reduction.member.name} 减免申请审批",
        changes={"approve": approve, "decision": reduction.decision},
        org_id=reduction.branch_id,
        org_path=reduction.org_path,
    )
    return reduction


# --- the branch's collection mode ----------------------------------------------------------------


@transaction.atomic
def dues_branch_mode_set(
    *,
    actor: Any,
    branch: Organization,
    mode: str,
    agreed_on: dt.date | None = None,
    note: str = "",
    today: dt.date | None = None,
) -> DuesBranchSetting:
    """Collect monthly, or quarterly where the branch has agreed (the date it agreed)."""
    if not may(actor, "dues.collect", branch):
        raise PermissionDenied("您没有权限设置本支部的党费交纳方式")
    if branch.org_type not in BRANCH_TYPES:
        raise ValidationError("党费交纳方式按党支部设置，请选择党支部")
    if mode not in DuesBranchSetting.Mode.values:
        raise ValidationError({"mode": ["请选择按月或按季度交纳"]})
    today = today or timezone.localdate()
    if mode == DuesBranchSetting.Mode.QUARTERLY and agreed_on is None:
        raise ValidationError({"agreed_on": ["按季度交纳须经党支部同意，请填写同意日期"]})
    if agreed_on is not None and agreed_on > today:
        raise ValidationError({"agreed_on": ["同意日期不能晚于今天"]})
    note = note.strip()[:200]
    current = DuesBranchSetting.objects.select_for_update().filter(branch=branch).first()
    was = (current.mode, current.agreed_on, current.note) if current else ("monthly", None, "")
    if (mode, agreed_on, note) == was:
        # Saved unchanged: nothing to write, no months to re-date, no audit row.
        return current or DuesBranchSetting(
            branch=branch, mode=mode, agreed_on=agreed_on, note=note, org_path=branch.path
        )
    setting, _ = DuesBranchSetting.objects.update_or_create(
        branch=branch,
        defaults={
            "mode": mode,
            "agreed_on": agreed_on,
            "note": note,
            "org_path": branch.path,
        },
    )
    # Open months of the current quarter and later are due under the new mode.
    quarterly = mode == DuesBranchSetting.Mode.QUARTERLY
    for row in DuesMonth.objects.filter(Q(branch=branch) & Q(month__gte=today.replace(day=1))).only(
        "id", "month"
    ):
        DuesMonth.objects.filter(pk=row.pk).update(
            due_month=due_month_for(row.month, quarterly=quarterly)
        )
    audit_record(
        actor=actor,
        action="dues.branch_mode_set",
        obj=setting,
        object_repr=f"{branch.name} 党费交纳方式",
        changes={"mode": mode, "agreed_on": agreed_on},
        org_id=branch.pk,
        org_path=branch.path,
    )
    return setting
