"""Writes for 积分: automatic awards, manual awards and deductions, reversals, self-reports,
period close, the catalogue, star reviews and 双亮 commitments.

Every service is keyword-only, atomic, checks permission through the access root and writes
the audit log. Errors are ``ValidationError`` with a Chinese message and a stable code.
The ledger is append-only: nothing here updates or deletes a ``PointsEntry``. Every booking
also updates the member's materialised ``PointsBalance`` rows in the same transaction, under
the member row lock (``_balances_apply``); ``balances_rebuild`` rewrites them from the ledger.
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from typing import Any

from django.contrib.contenttypes.models import ContentType
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, models, transaction
from django.db.models import Case, DecimalField, F, QuerySet, Sum, Value, When
from django.db.models.functions import Round
from django.http import Http404
from django.urls import reverse
from django.utils import timezone

from dangjian.core.audit import audit_record
from dangjian.core.bulk import insert_rows
from dangjian.core.paths import subtree_q
from dangjian.core.uploads import sanitize_upload
from dangjian.core.workdays import add_working_days
from dangjian.members.models import Member
from dangjian.orgs.access import may
from dangjian.orgs.models import Organization
from dangjian.points.models import (
    Category,
    Commitment,
    PeriodKind,
    PointsBalance,
    PointsClaim,
    PointsEntry,
    PointsItem,
    PointsPeriod,
    PointsScheme,
    StarBand,
    StarRating,
    StarReview,
)
from dangjian.points.rules import (
    Band,
    Catalogue,
    assign_stars,
    capped_points,
    catalogue_for,
    catalogue_item,
    period_label,
    period_window,
    score_from_balance,
    star_unrated_reason,
    year_windows,
)
from dangjian.points.selectors import (
    BalanceDrift,
    competition_ranks,
    current_members,
    expected_balances,
    ledger_months,
    ledger_sums,
    lost_contact_spans,
    open_balance_drift,
)


def _invalid(message: str, code: str = "invalid", field: str | None = None) -> ValidationError:
    if field:
        return ValidationError({field: ValidationError(message, code=code)})
    return ValidationError(message, code=code)


def _audit(actor: Any, action: str, obj: models.Model, changes: dict[str, Any]) -> None:
    path = getattr(obj, "org_path", "") or ""
    audit_record(actor=actor, action=action, obj=obj, changes=changes, org_path=path)


def period_is_closed(scheme: PointsScheme, on: dt.date) -> bool:
    """Is ``on`` inside a closed month, quarter or year of ``scheme``?"""
    return PointsPeriod.objects.filter(
        scheme=scheme, state=PointsPeriod.State.CLOSED, start__lte=on, end__gte=on
    ).exists()


def _lock_member(member: Member) -> Member:
    # One writer per member at a time: caps are read-then-write, so concurrent awards for
    # different sources must not both slip under a cap.
    return Member.objects.select_for_update(of=("self",)).select_related("branch").get(pk=member.pk)


def _cap_used(member: Member, item: PointsItem, on: dt.date) -> Decimal:
    if not item.cap_period or item.cap_points is None:
        return Decimal(0)
    start, end = period_window(item.cap_period, on)
    total = PointsEntry.objects.filter(
        member=member, item=item, occurred_on__gte=start, occurred_on__lte=end
    ).aggregate(s=Sum("points"))["s"]
    return total or Decimal(0)


def _existing(member: Member, item: PointsItem, ct: ContentType, pk: int) -> PointsEntry | None:
    return PointsEntry.objects.filter(
        member=member, item=item, source_type=ct, source_id=pk, reverses__isnull=True
    ).first()


def _source_label(source: models.Model, note: str) -> str:
    """What the entry came from, for the passbook: “出席记录：<note>” or “出席记录 #12”."""
    kind = str(source._meta.verbose_name)
    return f"{kind}：{note}"[:200] if note else f"{kind} #{source.pk}"


def _book(
    *,
    member: Member,
    item: PointsItem,
    points: Decimal,
    on: dt.date,
    origin: str,
    source: models.Model | None,
    actor: Any,
    reason: str,
    scheme: PointsScheme | None,
    label: str = "",
    periods: list[PointsPeriod] | None = None,
) -> tuple[PointsEntry | None, bool]:
    """Insert one entry and update the balances; a duplicate source returns the entry already
    booked (not created, balances untouched)."""
    ct = ContentType.objects.get_for_model(source) if source is not None else None
    entry = PointsEntry(
        member=member,
        item=item,
        points=points,
        occurred_on=on,
        origin=origin,
        source_type=ct,
        source_id=source.pk if source is not None else None,
        source_label=label[:200],
        reason=reason[:300],
        actor=actor if getattr(actor, "pk", None) else None,
        org_path=member.org_path,
    )
    try:
        with transaction.atomic():
            entry.save()
    except IntegrityError:
        if ct is None or source is None:
            raise
        return _existing(member, item, ct, source.pk), False
    _balances_apply(member=member, scheme=scheme, on=on, points=points, periods=periods)
    return entry, True


@transaction.atomic
def points_award_auto(
    *,
    member: Member,
    rule_code: str,
    source: models.Model,
    on: dt.date,
    actor: Any = None,
    note: str = "",
) -> PointsEntry | None:
    """Award an automatic item for a source event, once; None when nothing may be awarded.

    Idempotent per (member, item, source): a repeated or racing call returns the entry already
    booked (the database's unique constraint decides a race). Returns None, booking nothing,
    when the item is missing or inactive in the member's catalogue for ``on``'s year, when the
    period containing ``on`` is closed, or when the item's cap for the period is reached.
    """
    if source is None or source.pk is None:
        raise ValueError("points_award_auto needs a saved source object")
    member = _lock_member(member)
    base, item = catalogue_item(member.branch, on.year, rule_code)
    if base is None or item is None or not item.is_active:
        return None
    ct = ContentType.objects.get_for_model(source)
    existing = _existing(member, item, ct, source.pk)
    if existing is not None:
        return existing
    # The year's periods answer "is it closed?" and are reused for the balance upkeep.
    periods = year_periods(base)
    if any(p.state == PointsPeriod.State.CLOSED and p.start <= on <= p.end for p in periods):
        return None
    points = capped_points(item.points, item.cap_points, _cap_used(member, item, on))
    if points == 0:
        return None
    entry, created = _book(
        member=member,
        item=item,
        points=points,
        on=on,
        origin=PointsEntry.Origin.AUTO,
        source=source,
        actor=actor,
        scheme=base,
        periods=periods,
        reason="系统自动记分"
        if points == item.points
        else f"系统自动记分（已达封顶，计{points}分）",
        label=_source_label(source, note),
    )
    if created and entry is not None:
        _audit(actor, "points.award_auto", entry, {"item": item.code, "points": points})
    return entry


def _catalogue_item(cat: Catalogue, item: PointsItem, on: dt.date) -> None:
    """The item must belong to the member's catalogue of ``on``'s year."""
    if item.scheme.year != on.year:
        raise _invalid(
            f"积分项目“{item.name}”属于{item.scheme.year}年度方案，不能用于{on.year}年的记录",
            "wrong_year",
            "item",
        )
    if cat.items.get(item.code) is None or cat.items[item.code].pk != item.pk:
        raise _invalid(f"积分项目“{item.name}”不适用于该党员所在组织", "not_in_catalogue", "item")
    if not item.is_active:
        raise _invalid(f"积分项目“{item.name}”已停用", "inactive", "item")


def _check_open(cat: Catalogue, on: dt.date) -> None:
    if cat.base is not None and period_is_closed(cat.base, on):
        raise _invalid(f"{on:%Y年%m月%d日}所在的积分周期已结账，不能再登记积分", "closed", "on")


def _require_award(actor: Any, member: Member) -> None:
    if not may(actor, "org.view", member.branch):
        raise Http404("未找到该党员，或您无权查看")
    if not may(actor, "points.award", member.branch):
        raise PermissionDenied("您没有权限为该党员登记积分")


def _clean_reason(reason: str, *, required: bool = True, label: str = "事由") -> str:
    reason = (reason or "").strip()
    if required and not reason:
        raise _invalid(f"请填写{label}", "reason_required", "reason")
    return reason[:300]


def _check_member(member: Member) -> None:
    if member.status == Member.Status.FORMER:
        raise _invalid("该党员已转入历史库，不能登记积分", "former", "member")


@transaction.atomic
def points_award_manual(
    *,
    actor: Any,
    member: Member,
    item: PointsItem,
    on: dt.date,
    reason: str,
) -> PointsEntry:
    """A secretary awards or deducts a manual item with a reason (capped like any award)."""
    _require_award(actor, member)
    member = _lock_member(member)
    _check_member(member)
    reason = _clean_reason(reason)
    if on > timezone.localdate():
        raise _invalid("发生日期不能晚于今天", "future", "on")
    cat = catalogue_for(member.branch, on.year)
    _catalogue_item(cat, item, on)
    if item.mode != PointsItem.Mode.MANUAL:
        raise _invalid(f"“{item.name}”由系统自动记分，不能人工登记", "auto_item", "item")
    _check_open(cat, on)
    points = capped_points(item.points, item.cap_points, _cap_used(member, item, on))
    if points == 0:
        raise _invalid(
            f"“{item.name}”{item.get_cap_period_display()}最多{abs(item.cap_points or 0)}分，"
            "该党员本期已达上限",
            "cap_reached",
            "item",
        )
    entry = PointsEntry.objects.create(
        member=member,
        item=item,
        points=points,
        occurred_on=on,
        origin=PointsEntry.Origin.MANUAL,
        reason=reason,
        actor=actor,
        org_path=member.org_path,
    )
    _balances_apply(member=member, scheme=cat.base, on=on, points=points)
    _audit(actor, "points.award", entry, {"item": item.code, "points": points, "reason": reason})
    return entry


@transaction.atomic
def points_entry_reverse(*, actor: Any, entry: PointsEntry, reason: str) -> PointsEntry:
    """Cancel an entry with a reversing entry (never an edit); once per entry.

    The reversal is dated like the original when that period is open; when it is closed the
    correction is booked today, in the open period (the closed balances stay as frozen).
    """
    _require_award(actor, entry.member)
    member = _lock_member(entry.member)
    reason = _clean_reason(reason, label="冲正原因")
    if entry.reverses_id is not None:
        raise _invalid("冲正分录不能再冲正", "is_reversal")
    if PointsEntry.objects.filter(reverses=entry).exists():
        raise _invalid("该分录已冲正", "already_reversed")
    cat = catalogue_for(member.branch, entry.occurred_on.year)
    on = entry.occurred_on
    if cat.base is None or period_is_closed(cat.base, on):
        on = timezone.localdate()
        cat = catalogue_for(member.branch, on.year)
        _check_open(cat, on)
    reversal = PointsEntry(
        member=member,
        item=entry.item,
        points=-entry.points,
        occurred_on=on,
        origin=PointsEntry.Origin.REVERSAL,
        reason=f"冲正：{reason}",
        source_label=f"冲正第{entry.pk}号分录",
        actor=actor,
        reverses=entry,
        org_path=member.org_path,
    )
    try:
        with transaction.atomic():
            reversal.save()
    except IntegrityError:
        raise _invalid("该分录已冲正", "already_reversed") from None
    _balances_apply(member=member, scheme=cat.base, on=on, points=reversal.points)
    _audit(actor, "points.reverse", reversal, {"reverses": entry.pk, "reason": reason})
    return reversal


# --- materialised balances ------------------------------------------------------------------

MONEY = DecimalField(max_digits=8, decimal_places=1)


def year_periods(scheme: PointsScheme) -> list[PointsPeriod]:
    """The 17 periods of the scheme's year (months, quarters, year), created open on first use.

    Concurrent first writes both insert-or-ignore; the unique key keeps one row per period.
    """
    periods = list(PointsPeriod.objects.filter(scheme=scheme))
    windows = year_windows(scheme.year)
    if len(periods) < len(windows):
        have = {(p.kind, p.start) for p in periods}
        PointsPeriod.objects.bulk_create(
            [
                PointsPeriod(scheme=scheme, kind=kind, start=start, end=end)
                for kind, start, end in windows
                if (kind, start) not in have
            ],
            ignore_conflicts=True,
        )
        periods = list(PointsPeriod.objects.filter(scheme=scheme))
    return periods


def _balances_apply(
    *,
    member: Member,
    scheme: PointsScheme | None,
    on: dt.date,
    points: Decimal,
    periods: list[PointsPeriod] | None = None,
) -> None:
    """Add an entry just booked to the member's open balances, in the entry's transaction.

    Every open period of the year ending on or after ``on`` gains ``points`` in its balance;
    the periods containing ``on`` also in ``earned``. F() increments under the member lock the
    caller holds; rows the member does not have yet are filled from the ledger (which already
    holds the new entry). Two queries when the rows exist.
    """
    if scheme is None or scheme.year != on.year:
        return
    periods = [
        p
        for p in (periods if periods is not None else year_periods(scheme))
        if p.state == PointsPeriod.State.OPEN and p.end >= on
    ]
    if not periods:
        return
    ids = [p.pk for p in periods]
    inside = [p.pk for p in periods if p.start <= on]
    delta = Value(points, output_field=MONEY)
    updated = PointsBalance.objects.filter(member_id=member.pk, period_id__in=ids).update(
        # ROUND keeps SQLite's binary arithmetic on the one-decimal grid, so ties stay ties.
        balance=Round(F("balance") + delta, 1, output_field=MONEY),
        earned=Round(
            F("earned")
            + Case(When(period_id__in=inside, then=delta), default=Value(0), output_field=MONEY),
            1,
            output_field=MONEY,
        ),
    )
    if updated == len(ids):
        return
    have = set(
        PointsBalance.objects.filter(member_id=member.pk, period_id__in=ids).values_list(
            "period_id", flat=True
        )
    )
    missing = [p for p in periods if p.pk not in have]
    expected = expected_balances(
        scheme, missing, ledger_months(scheme=scheme, member_ids=[member.pk])
    )
    PointsBalance.objects.bulk_create(
        PointsBalance(
            period_id=pid,
            member_id=mid,
            branch_id=member.branch_id,
            org_path=member.org_path,
            earned=_points(earned),
            balance=_points(balance),
        )
        for (mid, pid), (earned, balance) in expected.items()
    )


def _points(tenths: int) -> Decimal:
    return (Decimal(tenths) / 10).quantize(Decimal("0.1"))


def _chunks(values: list[int], size: int = 5000) -> list[list[int]]:
    return [values[i : i + size] for i in range(0, len(values), size)]


@transaction.atomic
def balances_rebuild(*, scheme: PointsScheme) -> BalanceDrift:
    """Make the open periods' balances of ``scheme`` match the ledger; returns what was wrong.

    Creates the year's periods when the year has entries, deletes rows the ledger does not
    support, rewrites wrong ones and inserts missing ones. Closed periods stay frozen.
    """
    year_start, year_end = dt.date(scheme.year, 1, 1), dt.date(scheme.year, 12, 31)
    if PointsEntry.objects.filter(occurred_on__gte=year_start, occurred_on__lte=year_end).exists():
        year_periods(scheme)
    drift, expected, _ledger = open_balance_drift(scheme)
    stale: dict[int, list[int]] = {}
    for mid, pid in [*drift.extra, *drift.wrong]:
        stale.setdefault(pid, []).append(mid)
    for pid, mids in stale.items():
        for chunk in _chunks(mids):
            PointsBalance.objects.filter(period_id=pid, member_id__in=chunk).delete()
    todo = [*drift.missing, *drift.wrong]
    where: dict[int, tuple[int, str]] = {}
    for chunk in _chunks(sorted({mid for mid, _pid in todo})):
        where.update(
            (mid, (branch_id, path))
            for mid, branch_id, path in Member.objects.filter(pk__in=chunk).values_list(
                "id", "branch_id", "org_path"
            )
        )
    rows = [
        {
            "period_id": pid,
            "member_id": mid,
            "branch_id": where[mid][0],
            "org_path": where[mid][1],
            "earned": _points(expected[(mid, pid)][0]),
            "balance": _points(expected[(mid, pid)][1]),
            "rank_in_branch": None,
        }
        for mid, pid in todo
    ]
    if rows:
        insert_rows(PointsBalance, rows, as_dicts=True)
    return drift


# --- self-reports ---------------------------------------------------------------------------


@transaction.atomic
def claim_submit(
    *,
    actor: Any,
    item: PointsItem,
    on: dt.date,
    description: str,
    evidence: Any = None,
) -> PointsClaim:
    """A member reports an item for themselves, with evidence where the item requires it."""
    from dangjian.points.access import own_member

    member = own_member(actor)
    if member is None:
        raise PermissionDenied("您的账号未关联党员信息，不能申报积分")
    description = (description or "").strip()
    if not description:
        raise _invalid("请填写情况说明", "description_required", "description")
    if on > timezone.localdate():
        raise _invalid("发生日期不能晚于今天", "future", "on")
    cat = catalogue_for(member.branch, on.year)
    _catalogue_item(cat, item, on)
    if not item.self_report:
        raise _invalid(f"“{item.name}”不接受党员自行申报", "not_self_report", "item")
    _check_open(cat, on)
    if item.evidence_required and not evidence:
        raise _invalid(
            f"“{item.name}”须上传佐证照片（如活动照片、截图）", "evidence_required", "evidence"
        )
    claim = PointsClaim(
        member=member,
        item=item,
        occurred_on=on,
        description=description[:500],
        org_path=member.org_path,
    )
    if evidence:
        claim.evidence = sanitize_upload(evidence, allow_pdf=False)
    claim.save()
    _audit(actor, "points.claim_submit", claim, {"item": item.code, "on": on})
    _notify_secretaries(member, claim)
    return claim


def _notify_secretaries(member: Member, claim: PointsClaim) -> None:
    """Tell the branch secretaries a self-report waits for them."""
    from dangjian.accounts.models import RoleGrant
    from dangjian.core.services import notify

    today = timezone.localdate()
    users = [
        g.user
        for g in RoleGrant.objects.filter(
            org_id=member.branch_id, role="secretary", valid_from__lte=today, user__is_active=True
        )
        .filter(models.Q(valid_to__isnull=True) | models.Q(valid_to__gte=today))
        .select_related("user")
    ]
    if users:
        notify(
            recipients=users,
            title=f"{member.name}申报积分待审核",
            body=f"“{claim.item.name}”：{claim.description[:60]}",
            url=f"{reverse('points:home')}?org={member.branch_id}",
            dedupe_key=f"points-claim-new-{claim.pk}",
        )


@transaction.atomic
def claim_decide(*, actor: Any, claim: PointsClaim, approve: bool, reason: str = "") -> PointsClaim:
    """The branch approves a pending self-report (booking its points once) or rejects it."""
    _require_award(actor, claim.member)
    claim = PointsClaim.objects.select_for_update().select_related("item__scheme").get(pk=claim.pk)
    if claim.state != PointsClaim.State.PENDING:
        raise _invalid("该申报已审核，不能重复审核", "decided")
    reason = _clean_reason(reason, required=not approve, label="不通过的理由")
    if approve:
        member = _lock_member(claim.member)
        item = claim.item
        cat = catalogue_for(member.branch, claim.occurred_on.year)
        _catalogue_item(cat, item, claim.occurred_on)
        _check_open(cat, claim.occurred_on)
        points = capped_points(
            item.points, item.cap_points, _cap_used(member, item, claim.occurred_on)
        )
        if points == 0:
            raise _invalid(
                f"“{item.name}”{item.get_cap_period_display()}最多{item.cap_points}分，"
                "该党员本期已达上限，请作不通过处理",
                "cap_reached",
            )
        entry, created = _book(
            member=member,
            item=item,
            points=points,
            on=claim.occurred_on,
            origin=PointsEntry.Origin.CLAIM,
            source=claim,
            actor=actor,
            scheme=cat.base,
            reason=claim.description,
            label=f"党员申报（{claim.created_at:%m月%d日}提交，"
            f"{getattr(actor, 'name', '') or actor}审核通过）",
        )
        if not created:
            raise _invalid("该申报已计分", "decided")
    claim.state = PointsClaim.State.APPROVED if approve else PointsClaim.State.REJECTED
    claim.decided_by = actor
    claim.decided_at = timezone.now()
    claim.decision_reason = reason
    claim.save(update_fields=["state", "decided_by", "decided_at", "decision_reason", "updated_at"])
    _audit(actor, "points.claim_decide", claim, {"state": claim.state, "reason": reason})
    if claim.member.user_id:
        from dangjian.core.services import notify

        verdict = "已通过" if approve else f"未通过：{reason}"
        notify(
            recipients=[claim.member.user],
            title=f"积分申报{'已通过' if approve else '未通过'}",
            body=f"您申报的“{claim.item.name}”{verdict}",
            url=reverse("points:passbook"),
            dedupe_key=f"points-claim-{claim.pk}",
        )
    return claim


# --- periods --------------------------------------------------------------------------------


def _scheme_members(scheme: PointsScheme, org: Organization) -> QuerySet[Member]:
    """Current members of ``org``'s subtree whose base catalogue is ``scheme``."""
    qs = current_members(org)
    inner = PointsScheme.objects.filter(
        year=scheme.year, kind=PointsScheme.Kind.BASE, is_active=True, scope__isnull=False
    ).exclude(pk=scheme.pk)
    for other in inner.select_related("scope"):
        if other.scope is not None and len(other.scope.path) > len(org.path):
            qs = qs.exclude(subtree_q("org_path", other.scope.path))
    return qs


@transaction.atomic
def period_close(
    *, actor: Any, org: Organization, kind: str, start: dt.date, today: dt.date | None = None
) -> PointsPeriod:
    """Close a month, quarter or year of the catalogue ``org`` owns; freeze every balance."""
    today = today or timezone.localdate()
    if kind not in PeriodKind.values:
        raise _invalid("周期类型不正确", "bad_kind", "kind")
    start, end = period_window(kind, start)
    cat = catalogue_for(org, start.year)
    scheme = cat.base
    if scheme is None:
        raise _invalid(f"{start.year}年没有适用的积分方案", "no_scheme")
    owner_ok = (scheme.scope_id == org.pk) or (scheme.scope is None and org.depth == 1)
    if not may(actor, "org.view", org):
        raise Http404("未找到该组织，或您无权查看")
    if not owner_ok or not may(actor, "points.rules", org):
        raise PermissionDenied("只有制定积分方案的党委（县委组织部）可以结账")
    if end >= today:
        raise _invalid(f"{period_label(kind, start)}尚未结束，不能结账", "not_ended", "start")
    period, _ = PointsPeriod.objects.select_for_update().get_or_create(
        scheme=scheme, kind=kind, start=start, defaults={"end": end}
    )
    if period.state == PointsPeriod.State.CLOSED:
        raise _invalid(f"{period_label(kind, start)}已结账", "already_closed")
    members = list(_scheme_members(scheme, org).values_list("id", "branch_id", "org_path"))
    sums = ledger_sums(org=org, year_start=dt.date(start.year, 1, 1), start=start, end=end)
    by_branch: dict[int, list[tuple[int, Decimal]]] = {}
    for mid, branch_id, _ in members:
        by_branch.setdefault(branch_id, []).append(
            (mid, scheme.base_points + sums.get(mid, (Decimal(0), Decimal(0)))[1])
        )
    ranks: dict[int, int] = {}
    for rows in by_branch.values():
        ranks.update(competition_ranks(rows))
    balances = [
        PointsBalance(
            period=period,
            member_id=mid,
            branch_id=branch_id,
            org_path=path,
            earned=sums.get(mid, (Decimal(0), Decimal(0)))[0],
            balance=scheme.base_points + sums.get(mid, (Decimal(0), Decimal(0)))[1],
            rank_in_branch=ranks[mid],
        )
        for mid, branch_id, path in members
    ]
    PointsBalance.objects.filter(period=period).delete()
    PointsBalance.objects.bulk_create(balances, batch_size=2000)
    period.end = end
    period.state = PointsPeriod.State.CLOSED
    period.closed_at = timezone.now()
    period.closed_by = actor
    period.save()
    audit_record(
        actor=actor,
        action="points.period_close",
        obj=period,
        changes={"kind": kind, "start": start, "members": len(balances)},
        org_id=org.pk,
        org_path=org.path,
    )
    return period


# --- the catalogue --------------------------------------------------------------------------

SCHEME_FIELDS = (
    "name",
    "source",
    "is_active",
    "base_points",
    "low_threshold",
    "board_min_members",
    "township_item_max_points",
    "township_items_max",
    "star_full_marks",
    "star_publicity_days",
)
ITEM_FIELDS = (
    "code",
    "name",
    "category",
    "points",
    "cap_period",
    "cap_points",
    "mode",
    "self_report",
    "evidence_required",
    "is_active",
    "source",
)


def _require_rules(actor: Any, org: Organization) -> None:
    if not may(actor, "org.view", org):
        raise Http404("未找到该组织，或您无权查看")
    if not may(actor, "points.rules", org):
        raise PermissionDenied("您没有权限维护积分方案")


@transaction.atomic
def scheme_create(*, actor: Any, org: Organization, year: int, kind: str) -> PointsScheme:
    """A county adopts its own catalogue (a copy of the one in force) or a township starts additions."""
    _require_rules(actor, org)
    if not 2000 <= year <= 2100:
        raise _invalid("年度不正确", "bad_year", "year")
    cat = catalogue_for(org, year)
    if kind == PointsScheme.Kind.BASE:
        if cat.base is not None and cat.base.scope_id == org.pk:
            raise _invalid(f"{org.display_name}已有{year}年积分方案", "exists")
        template = cat.base or catalogue_for(org, year - 1).base
        if template is None:
            raise _invalid(f"没有可复制的{year}年或上一年度积分方案", "no_template")
        scheme = PointsScheme.objects.create(
            kind=kind,
            scope=org,
            year=year,
            **{f: getattr(template, f) for f in SCHEME_FIELDS if f not in ("name", "is_active")},
            name=f"{org.display_name}党员量化积分管理（{year}年）",
        )
        for item in template.items.all():
            PointsItem.objects.create(
                scheme=scheme,
                position=item.position,
                tag=item.tag,
                **{f: getattr(item, f) for f in ITEM_FIELDS},
            )
        for band in template.star_bands.all():
            StarBand.objects.create(
                scheme=scheme,
                stars=band.stars,
                min_score=band.min_score,
                max_ratio=band.max_ratio,
                source=band.source,
            )
    elif kind == PointsScheme.Kind.ADDITION:
        if cat.base is None:
            raise _invalid(f"{year}年没有县级积分方案，不能添加补充项目", "no_base")
        if cat.base.scope_id == org.pk or org.depth == 1:
            raise _invalid("补充项目由乡镇（街道）党委添加", "addition_at_base")
        if any(s.scope_id == org.pk for s in cat.additions):
            raise _invalid(f"{org.display_name}已有{year}年补充项目方案", "exists")
        scheme = PointsScheme.objects.create(
            kind=kind,
            scope=org,
            year=year,
            name=f"{org.display_name}积分补充项目（{year}年）",
            source="[local] 乡镇党委在县级方案允许的范围内添加",
        )
    else:
        raise _invalid("方案类型不正确", "bad_kind", "kind")
    audit_record(
        actor=actor,
        action="points.scheme_create",
        obj=scheme,
        changes={"kind": kind, "year": year},
        org_id=org.pk,
        org_path=org.path,
    )
    return scheme


def _require_scheme_write(actor: Any, scheme: PointsScheme) -> None:
    from dangjian.points.access import may_edit_scheme

    if not may_edit_scheme(actor, scheme):
        raise PermissionDenied("您没有权限维护该积分方案")


@transaction.atomic
def scheme_update(*, actor: Any, scheme: PointsScheme, data: dict[str, Any]) -> PointsScheme:
    """Change a scheme's numbers (base points, threshold, board minimum, township limits, stars)."""
    _require_scheme_write(actor, scheme)
    before = {f: getattr(scheme, f) for f in SCHEME_FIELDS}
    for f in SCHEME_FIELDS:
        if f in data and data[f] is not None:
            setattr(scheme, f, data[f])
    if scheme.base_points < 0 or scheme.low_threshold < 0:
        raise _invalid("基础分和预警分数线不能为负数", "negative")
    if not 1 <= scheme.star_publicity_days <= 30:
        raise _invalid("公示天数须在1到30个工作日之间", "bad_days", "star_publicity_days")
    changes = {
        f: [before[f], getattr(scheme, f)] for f in SCHEME_FIELDS if before[f] != getattr(scheme, f)
    }
    if not changes:  # an unchanged form changes nothing, not even the audit log
        return scheme
    scheme.save()
    audit_record(
        actor=actor,
        action="points.scheme_update",
        obj=scheme,
        changes=changes,
        org_path=scheme.scope.path if scheme.scope else "",
    )
    return scheme


def _base_of(scheme: PointsScheme) -> PointsScheme | None:
    if scheme.kind == PointsScheme.Kind.BASE:
        return scheme
    if scheme.scope is None:
        return None
    return catalogue_for(scheme.scope, scheme.year).base


def _validate_item(scheme: PointsScheme, item: PointsItem) -> None:
    if item.points == 0:
        raise _invalid("分值不能为0（加分填正数，扣分填负数）", "zero", "points")
    if item.category not in Category.values:
        raise _invalid("类别不正确", "bad_category", "category")
    if item.mode not in PointsItem.Mode.values:
        raise _invalid("登记方式不正确", "bad_mode", "mode")
    if item.cap_period not in PointsItem.CapPeriod.values:
        raise _invalid("封顶周期不正确", "bad_cap_period", "cap_period")
    if bool(item.cap_period) != (item.cap_points is not None):
        raise _invalid("封顶周期和每期封顶分值须同时填写或同时留空", "cap_pair", "cap_points")
    if item.cap_points is not None and item.cap_points < abs(item.points):
        raise _invalid("每期封顶分值不能小于单次分值", "cap_small", "cap_points")
    if item.self_report and item.points < 0:
        raise _invalid("扣分项目不能由党员申报", "deduct_self_report", "self_report")
    if item.self_report and item.mode != PointsItem.Mode.MANUAL:
        raise _invalid("系统自动记分的项目不能申报", "auto_self_report", "self_report")
    if scheme.kind == PointsScheme.Kind.ADDITION:
        base = _base_of(scheme)
        if base is None:
            raise _invalid("没有适用的县级积分方案", "no_base")
        if abs(item.points) > base.township_item_max_points:
            raise _invalid(
                f"乡镇补充项目单项分值不能超过{base.township_item_max_points}分（县级方案规定）",
                "over_township_limit",
                "points",
            )
        if item.mode != PointsItem.Mode.MANUAL:
            raise _invalid("乡镇补充项目只能人工登记", "addition_auto", "mode")
        if base.items.filter(code=item.code).exists():
            raise _invalid("代码与县级方案的项目重复", "code_taken", "code")
        count = scheme.items.exclude(pk=item.pk).count()
        if item.pk is None and count >= base.township_items_max:
            raise _invalid(
                f"乡镇补充项目不能超过{base.township_items_max}项（县级方案规定）",
                "too_many",
            )
    if scheme.items.filter(code=item.code).exclude(pk=item.pk).exists():
        raise _invalid("该方案已有相同代码的项目", "code_taken", "code")


@transaction.atomic
def item_create(*, actor: Any, scheme: PointsScheme, data: dict[str, Any]) -> PointsItem:
    """Add an item to a county scheme or to a township's additions (within the county's limits)."""
    _require_scheme_write(actor, scheme)
    item = PointsItem(scheme=scheme, tag="local")
    for f in ITEM_FIELDS:
        if f in data and data[f] is not None:
            setattr(item, f, data[f])
    item.code = (item.code or "").strip()
    item.name = (item.name or "").strip()
    if not item.code or not item.name:
        raise _invalid("请填写项目代码和名称", "required", "name")
    _validate_item(scheme, item)
    item.position = scheme.items.count()
    item.save()
    audit_record(
        actor=actor,
        action="points.item_create",
        obj=item,
        changes={f: getattr(item, f) for f in ITEM_FIELDS},
        org_path=scheme.scope.path if scheme.scope else "",
    )
    return item


@transaction.atomic
def item_update(*, actor: Any, item: PointsItem, data: dict[str, Any]) -> PointsItem:
    """Change an item; entries already booked keep their points (the ledger is never edited)."""
    scheme = item.scheme
    _require_scheme_write(actor, scheme)
    before = {f: getattr(item, f) for f in ITEM_FIELDS}
    for f in ITEM_FIELDS:
        if f in data and data[f] is not None and f != "code":
            setattr(item, f, data[f])
    _validate_item(scheme, item)
    item.save()
    changes = {
        f: [before[f], getattr(item, f)] for f in ITEM_FIELDS if before[f] != getattr(item, f)
    }
    audit_record(
        actor=actor,
        action="points.item_update",
        obj=item,
        changes=changes,
        org_path=scheme.scope.path if scheme.scope else "",
    )
    return item


# --- 双亮 -----------------------------------------------------------------------------------


@transaction.atomic
def commitment_set(*, actor: Any, member: Member, year: int, text: str) -> Commitment:
    """亮承诺: the member (or the branch for them) sets the year's public commitment."""
    from dangjian.points.access import own_member

    me = own_member(actor)
    if me is None or me.pk != member.pk:
        _require_award(actor, member)
    text = (text or "").strip()
    if not text:
        raise _invalid("请填写承诺内容", "text_required", "text")
    if len(text) > 300:
        raise _invalid("承诺内容不超过300字", "too_long", "text")
    if not 2000 <= year <= timezone.localdate().year + 1:
        raise _invalid("年度不正确", "bad_year", "year")
    current = Commitment.objects.filter(member=member, year=year).first()
    if current is not None and current.text == text:
        return current  # saved unchanged: no write, no audit row
    row, created = Commitment.objects.update_or_create(
        member=member, year=year, defaults={"text": text, "org_path": member.org_path}
    )
    _audit(actor, "points.commitment_set", row, {"year": year, "text": text})
    return row


# --- 星级评定 ---------------------------------------------------------------------------------


def _bands(scheme: PointsScheme) -> list[Band]:
    return [
        Band(stars=b.stars, min_score=b.min_score, max_ratio=b.max_ratio)
        for b in scheme.star_bands.all()
    ]


@transaction.atomic
def star_review_start(
    *, actor: Any, org: Organization, year: int, today: dt.date | None = None
) -> StarReview:
    """The branch opens a year's 星级评定: every current member, 评分 prefilled from the balance."""
    today = today or timezone.localdate()
    if not may(actor, "org.view", org):
        raise Http404("未找到该组织，或您无权查看")
    if not may(actor, "points.award", org):
        raise PermissionDenied("您没有权限发起星级评定")
    if not org.is_branch_level:
        raise _invalid("星级评定以党支部为单位进行", "not_branch", "org")
    if year > today.year or year < 2000:
        raise _invalid("只能评定本年度或以前年度", "bad_year", "year")
    cat = catalogue_for(org, year)
    if cat.base is None or not cat.base.star_bands.exists():
        raise _invalid(f"{year}年没有适用的星级评定标准", "no_bands")
    if StarReview.objects.filter(org=org, year=year).exists():
        raise _invalid(f"{org.display_name}{year}年的星级评定已发起", "exists")
    review = StarReview.objects.create(org=org, year=year, org_path=org.path, created_by=actor)
    end = min(today, dt.date(year, 12, 31))
    members = list(
        Member.objects.filter(branch=org)
        .exclude(status=Member.Status.FORMER)
        .values_list("id", "org_path")
    )
    sums = ledger_sums(
        members=Member.objects.filter(branch=org),
        year_start=dt.date(year, 1, 1),
        start=dt.date(year, 1, 1),
        end=end,
    )
    spans = lost_contact_spans(mid for mid, _p in members)
    StarRating.objects.bulk_create(
        StarRating(
            review=review,
            member_id=mid,
            org_path=path,
            score=score_from_balance(
                cat.base.base_points + sums.get(mid, (Decimal(0), Decimal(0)))[1],
                cat.base.star_full_marks,
            ),
            unrated_reason=star_unrated_reason(spans.get(mid, []), year=year, on=today),
        )
        for mid, path in members
    )
    _audit(actor, "points.star_review_start", review, {"year": year, "members": len(members)})
    return review


def _review_locked(review: StarReview) -> StarReview:
    return StarReview.objects.select_for_update().select_related("org").get(pk=review.pk)


@transaction.atomic
def star_rating_adjust(*, actor: Any, rating: StarRating, score: Decimal, note: str) -> StarRating:
    """Adjust one member's 评分 while the review is a draft (a reason is required)."""
    review = _review_locked(rating.review)
    _require_award(actor, rating.member)
    if review.state != StarReview.State.DRAFT:
        raise _invalid("公示开始后不能修改评分；如有异议请先撤回公示", "not_draft")
    if rating.unrated_reason:
        raise _invalid(f"{rating.unrated_reason}，不能调整评分", "unrated")
    if not Decimal(0) <= score <= Decimal(100):
        raise _invalid("评分须在0到100分之间", "bad_score", "score")
    note = _clean_reason(note, label="调整说明")
    before = rating.score
    rating.score = score
    rating.note = note[:200]
    rating.save(update_fields=["score", "note"])
    _audit(actor, "points.star_rating_adjust", rating, {"score": [before, score], "note": note})
    return rating


@transaction.atomic
def star_review_publish(
    *, actor: Any, review: StarReview, today: dt.date | None = None
) -> StarReview:
    """The township (points.rules) assigns stars under the ratio caps and starts the 公示."""
    today = today or timezone.localdate()
    review = _review_locked(review)
    _require_rules(actor, review.org)
    if review.state != StarReview.State.DRAFT:
        raise _invalid("只能公示评定中的星级评定", "not_draft")
    cat = catalogue_for(review.org, review.year)
    if cat.base is None:
        raise _invalid(f"{review.year}年没有适用的星级评定标准", "no_bands")
    ratings = list(review.ratings.all())
    # Who is rated is decided again on the day stars are given: contact lost since the start
    # counts too. The unrated hold no place under the ratio caps.
    spans = lost_contact_spans(x.member_id for x in ratings)
    for rating in ratings:
        rating.unrated_reason = star_unrated_reason(
            spans.get(rating.member_id, []), year=review.year, on=today
        )
    rated = [x for x in ratings if not x.unrated_reason]
    results = {r.key: r for r in assign_stars([(x.pk, x.score) for x in rated], _bands(cat.base))}
    for rating in ratings:
        result = results.get(rating.pk)
        rating.stars = result.stars if result else 0
        rating.capped = result.capped if result else False
    StarRating.objects.bulk_update(ratings, ["stars", "capped", "unrated_reason"])
    review.state = StarReview.State.PUBLICITY
    review.publicity_from = today
    review.publicity_until = add_working_days(today, cat.base.star_publicity_days)
    review.save(update_fields=["state", "publicity_from", "publicity_until", "updated_at"])
    _audit(
        actor,
        "points.star_review_publish",
        review,
        {"from": today, "until": review.publicity_until},
    )
    return review


@transaction.atomic
def star_review_withdraw(*, actor: Any, review: StarReview, reason: str) -> StarReview:
    """An objection during the 公示: back to the draft to re-score (a reason is required)."""
    review = _review_locked(review)
    _require_rules(actor, review.org)
    if review.state != StarReview.State.PUBLICITY:
        raise _invalid("只能撤回公示中的星级评定", "not_publicity")
    reason = _clean_reason(reason, label="撤回原因")
    review.state = StarReview.State.DRAFT
    review.publicity_from = None
    review.publicity_until = None
    review.save(update_fields=["state", "publicity_from", "publicity_until", "updated_at"])
    _audit(actor, "points.star_review_withdraw", review, {"reason": reason})
    return review


@transaction.atomic
def star_reviews_finalize_due(*, today: dt.date | None = None) -> int:
    """The daily job: a 公示 whose last working day has passed makes its stars current."""
    today = today or timezone.localdate()
    due = list(
        StarReview.objects.select_for_update().filter(
            state=StarReview.State.PUBLICITY, publicity_until__lt=today
        )
    )
    for review in due:
        member_ids = list(review.ratings.values_list("member_id", flat=True))
        StarRating.objects.filter(member_id__in=member_ids, is_current=True).update(
            is_current=False
        )
        review.ratings.update(is_current=True)
        review.state = StarReview.State.FINAL
        review.finalized_on = today
        review.save(update_fields=["state", "finalized_on", "updated_at"])
        audit_record(
            actor=None,
            action="points.star_review_final",
            obj=review,
            changes={"until": review.publicity_until, "members": len(member_ids)},
            org_path=review.org_path,
        )
    return len(due)
