"""Reads of dues: the profile in force, the paid-through month, a member's statement, a
branch's monthly ledger, arrears and the 自行脱党 review alert, subtree summaries.

Ledgers and summaries are a few aggregate queries over ``DuesMonth`` (``month`` equality and an
``org_path`` range), whatever the size of the subtree.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import Count, DecimalField, ExpressionWrapper, F, Max, Min, Q, QuerySet, Sum
from django.db.models.functions import Substr

from dangjian.core.counting import CappedCount, capped_count
from dangjian.core.paths import subtree_q
from dangjian.dues.models import (
    DuesBranchSetting,
    DuesMonth,
    DuesPayment,
    DuesProfile,
    DuesReduction,
    DuesRuleSet,
)
from dangjian.dues.rules import (
    Quote,
    add_months,
    choose_rule_set,
    due_month_for,
    last_closed_month,
    months_between,
    policy_in_force,
    quarter_end,
    quarter_start,
    quote,
    reduced_amount,
)
from dangjian.meetings.models import Attendance
from dangjian.meetings.selectors import NOT_HELD
from dangjian.members.models import Member
from dangjian.orgs.models import BRANCH_TYPES, Organization
from dangjian.orgs.selectors import attach_org_places

ZERO = Decimal("0.00")
CENT = Decimal("0.01")


def _cents(value: Any) -> Decimal:
    """An aggregate as money: SQLite sums decimals as floats-turned-Decimal (295, 0.1+0.2)."""
    return Decimal(str(value or 0)).quantize(CENT)


MONEY = DecimalField(max_digits=12, decimal_places=2)


def first_of_month(day: dt.date) -> dt.date:
    return day.replace(day=1)


def dues_profile_history(member: Member) -> QuerySet[DuesProfile]:
    """Every profile row of the member, newest effective month first."""
    return DuesProfile.objects.filter(member=member).select_related("created_by")


def dues_profile_on(member: Member, month: dt.date) -> DuesProfile | None:
    """The profile in force in ``month``: the latest row effective in or before it."""
    return (
        DuesProfile.objects.filter(member=member, effective_month__lte=first_of_month(month))
        .order_by("-effective_month", "-id")
        .first()
    )


def expected_quote(member: Member, month: dt.date) -> Quote | None:
    """The dues owed for ``month`` under the rules in force then (None: no profile yet)."""
    profile = dues_profile_on(member, month)
    if profile is None:
        return None
    return quote(
        profile.category,
        profile.monthly_base,
        on=first_of_month(month),
        org_path=member.org_path,
    )


def expected_amount(member: Member, month: dt.date) -> Decimal | None:
    """The amount owed for ``month``; a pay change counts from its effective month on."""
    q = expected_quote(member, month)
    return q.monthly_amount if q else None


# --- what a month owes: the rows the daily job opens, and the ledger's projection -------------


class Pricer:
    """Quotes for many members and months with every rule set and its bands loaded once (two
    queries, whatever the number of members, months and categories)."""

    def __init__(self) -> None:
        self._sets: list[DuesRuleSet] | None = None
        self._chosen: dict[tuple[str, dt.date, str], DuesRuleSet] = {}

    def rule_set(self, category: str, month: dt.date, org_path: str) -> DuesRuleSet:
        if self._sets is None:
            self._sets = list(DuesRuleSet.objects.select_related("scope").prefetch_related("bands"))
        key = (category, month, org_path)
        chosen = self._chosen.get(key)
        if chosen is None:
            in_force = [
                s
                for s in self._sets
                if s.effective_from <= month and (s.effective_to is None or s.effective_to >= month)
            ]
            chosen = choose_rule_set(in_force, category, on=month, org_path=org_path)
            self._chosen[key] = chosen
        return chosen

    def amount(self, profile: DuesProfile, month: dt.date, org_path: str) -> Decimal:
        rule_set = self.rule_set(profile.category, month, org_path)
        return quote(
            profile.category, profile.monthly_base, on=month, rule_set=rule_set, org_path=org_path
        ).monthly_amount


def profile_for(profiles: list[DuesProfile], month: dt.date) -> DuesProfile | None:
    """From one member's profiles sorted by (effective_month, id), the one in force in month."""
    chosen = None
    for p in profiles:
        if p.effective_month <= month:
            chosen = p
        else:
            break
    return chosen


def reduction_for(reductions: list[DuesReduction], month: dt.date) -> DuesReduction | None:
    """The approved reduction in force in ``month``, if any."""
    for r in reductions:
        if r.first_month <= month <= r.last_month:
            return r
    return None


def quarterly_branch_ids(branch_ids: Iterable[int]) -> set[int]:
    """Of these branches, the ones collecting quarterly."""
    return set(
        DuesBranchSetting.objects.filter(
            branch_id__in=list(branch_ids), mode=DuesBranchSetting.Mode.QUARTERLY
        ).values_list("branch_id", flat=True)
    )


def dues_history(
    member_ids: list[int],
) -> tuple[dict[int, list[DuesProfile]], dict[int, list[DuesReduction]]]:
    """Profiles (oldest first) and approved reductions of these members. Two queries."""
    profiles: dict[int, list[DuesProfile]] = {}
    for p in DuesProfile.objects.filter(member_id__in=member_ids).order_by(
        "member_id", "effective_month", "id"
    ):
        profiles.setdefault(p.member_id, []).append(p)
    reductions: dict[int, list[DuesReduction]] = {}
    for r in DuesReduction.objects.filter(
        member_id__in=member_ids, state=DuesReduction.State.APPROVED
    ):
        reductions.setdefault(r.member_id, []).append(r)
    return profiles, reductions


def fill_owed(
    row: DuesMonth,
    profile: DuesProfile,
    reduction: DuesReduction | None,
    pricer: Pricer,
    org_path: str,
) -> None:
    """Set what ``row`` owes: the category and base in force, the standard amount under the
    rules, and the amount after an approved reduction."""
    row.category = profile.category
    row.monthly_base = profile.monthly_base
    row.standard = pricer.amount(profile, row.month, org_path)
    row.reduction = reduction
    row.expected = reduced_amount(row.standard, reduction.monthly_amount if reduction else None)


def expected_rows(
    *,
    members: list[Member],
    months: list[dt.date],
    quarterly: set[int] | None = None,
    skip: set[tuple[int, dt.date]] | frozenset[tuple[int, dt.date]] = frozenset(),
) -> list[DuesMonth]:
    """The monthly rows these members owe for these months, unsaved: what ``months_open``
    writes and what a ledger shows for a member whose month is not opened yet — the same
    numbers from the same code. Members without a profile in force in a month get no row;
    ``skip`` holds (member, month) pairs that exist already. Five queries at most."""
    if not members or not months:
        return []
    profiles, reductions = dues_history([m.pk for m in members])
    if quarterly is None:
        quarterly = quarterly_branch_ids({m.branch_id for m in members})
    pricer = Pricer()
    rows: list[DuesMonth] = []
    for member in members:
        history = profiles.get(member.pk)
        if not history:
            continue
        for month in months:
            if (member.pk, month) in skip:
                continue
            profile = profile_for(history, month)
            if profile is None:
                continue
            row = DuesMonth(
                member_id=member.pk,
                branch_id=member.branch_id,
                org_path=member.org_path,
                month=month,
                due_month=due_month_for(month, quarterly=member.branch_id in quarterly),
                paid=ZERO,
            )
            fill_owed(
                row,
                profile,
                reduction_for(reductions.get(member.pk, []), month),
                pricer,
                member.org_path,
            )
            rows.append(row)
    return rows


# --- paid-through month -----------------------------------------------------------------------


def _settled_q() -> Q:
    return Q(paid__gte=F("expected"))


_PAID_THROUGH = {
    "first_open": Min("month", filter=~_settled_q()),
    "last_settled": Max("month", filter=_settled_q()),
    "first_month": Min("month"),
}


def _paid_through_from(r: Mapping[str, Any]) -> dt.date | None:
    """交至年月 from the aggregates of ``_PAID_THROUGH`` over one member's months."""
    if r["first_open"] is not None:
        return add_months(r["first_open"], -1) if r["first_open"] > r["first_month"] else None
    return r["last_settled"]


def paid_through_many(member_ids: list[int]) -> dict[int, dt.date]:
    """交至年月 per member: the month before the first month not fully paid, or the last month
    on record when every month is paid (members without any month are left out). One query."""
    rows = (
        DuesMonth.objects.filter(member_id__in=member_ids)
        .values("member_id")
        .annotate(**_PAID_THROUGH)
    )
    result: dict[int, dt.date] = {}
    for r in rows:
        month = _paid_through_from(r)
        if month is not None:
            result[r["member_id"]] = month
    return result


def paid_through(member: Member) -> dt.date | None:
    """The month the member's dues are paid through (the transfer letter's 党费交至年月)."""
    return paid_through_many([member.pk]).get(member.pk)


def paid_through_text(member: Member) -> str:
    """交至年月 as the month input writes it (``2026-10``), or empty when nothing is on record."""
    month = paid_through(member)
    return f"{month:%Y-%m}" if month else ""


# --- a member's statement ---------------------------------------------------------------------


@dataclass
class Statement:
    member: Member
    this_month: dt.date
    quote: Quote | None
    profile: DuesProfile | None
    paid_through: dt.date | None
    months: list[DuesMonth]
    payments: list[DuesPayment]
    reductions: list[DuesReduction]
    owed: Decimal
    owed_months: int

    @property
    def current(self) -> DuesMonth | None:
        return next((m for m in self.months if m.month == self.this_month), None)


def member_statement(member: Member, *, today: dt.date, months: int = 12) -> Statement:
    """What a member sees: this month's amount and how it was worked out, paid-through month,
    arrears, the last ``months`` months, payments and reductions."""
    this_month = first_of_month(today)
    start = add_months(this_month, -(months - 1))
    rows = list(
        DuesMonth.objects.filter(member=member, month__gte=start, month__lte=this_month)
        .select_related("reduction")
        .order_by("-month")
    )
    # Arrears and the paid-through month in one pass over the member's rows.
    overdue = Q(due_month__lt=this_month, paid__lt=F("expected"))
    owed_rows = DuesMonth.objects.filter(member=member).aggregate(
        owed=Sum(ExpressionWrapper(F("expected") - F("paid"), output_field=MONEY), filter=overdue),
        n=Count("id", filter=overdue),
        **_PAID_THROUGH,
    )
    profile = dues_profile_on(member, this_month)
    q = None
    if profile is not None:
        q = quote(profile.category, profile.monthly_base, on=this_month, org_path=member.org_path)
    return Statement(
        member=member,
        this_month=this_month,
        quote=q,
        profile=profile,
        paid_through=_paid_through_from(owed_rows),
        months=rows,
        payments=list(
            DuesPayment.objects.filter(member=member)
            .select_related("recorded_by")
            .order_by("-paid_on", "-id")[:24]
        ),
        reductions=list(DuesReduction.objects.filter(member=member).order_by("-id")[:10]),
        owed=_cents(owed_rows["owed"]),
        owed_months=owed_rows["n"] or 0,
    )


# --- arrears and the 自行脱党 review alert ------------------------------------------------------


@dataclass
class LapseAlert:
    member_id: int
    name: str
    branch_id: int
    branch_name: str
    months: int  # consecutive months without any payment, up to the last overdue month
    since: dt.date  # the first of those months
    org_path: str = ""  # where the member is now (for counting per sub-organization)
    absences: int = 0  # unexcused absences from organizational life in those months
    meetings: int = 0  # meetings the member was invited to in those months


def lapse_alerts(
    *, org: Organization, today: dt.date, limit: int = 500, absences_for: int | None = None
) -> list[LapseAlert]:
    """Members of the subtree who paid nothing in each of the last N overdue months (N from
    the rules, 党章第九条: six), with their unexcused absences from organizational life in the
    same months (for the first ``absences_for`` alerts, or all). A reduced month still owes
    its amount; an exempted month (owes 0) breaks the run.

    A month is overdue once its due month has passed, so the window follows each row's own
    ``due_month``: a monthly branch's last N months before this one, a quarterly branch's N
    months up to the last closed quarter. One grouped query over the covering index of open
    months (``org_path`` range), then one each for the runs, the names and the absences."""
    this_month = first_of_month(today)
    n = policy_in_force(this_month).lapse_months
    first_monthly = add_months(last_closed_month(this_month, quarterly=False), -(n - 1))
    first_quarterly = add_months(last_closed_month(this_month, quarterly=True), -(n - 1))
    # Nothing paid and something owed in every overdue month of the window: the rows are all
    # "open" (paid < expected), so only the partial covering index of open months is read.
    # A row due in its own month (monthly, or a quarter's last month) counts from the monthly
    # window's start; a quarter's earlier months from the quarterly one (never later: a
    # quarter's last month cannot fall between the two starts).
    rows = (
        DuesMonth.objects.filter(
            subtree_q("org_path", org.path),
            month__gte=first_quarterly,
            due_month__lt=this_month,
            paid__lt=F("expected"),
            paid=0,
        )
        .exclude(due_month=F("month"), month__lt=first_monthly)
        .values("member_id")
        .annotate(unpaid=Count("id"), last=Max("month"))
        .filter(unpaid__gte=n)
        .order_by("member_id")[:limit]
    )
    hits: dict[int, dt.date] = {r["member_id"]: r["last"] for r in rows}
    if not hits:
        return []
    # How long the run really is: from the month after the last payment (or the first month).
    spans = (
        DuesMonth.objects.filter(member_id__in=list(hits))
        .values("member_id")
        .annotate(last_paid=Max("month", filter=Q(paid__gt=0) | Q(expected=0)), first=Min("month"))
    )
    since = {}
    for span in spans:
        start = add_months(span["last_paid"], 1) if span["last_paid"] else span["first"]
        since[span["member_id"]] = start
    members = {
        row[0]: row
        for row in Member.objects.filter(
            pk__in=list(hits), status=Member.Status.CURRENT
        ).values_list("id", "name", "branch_id", "branch__short_name", "branch__name", "org_path")
    }
    alerts = []
    for member_id, last in hits.items():
        m = members.get(member_id)
        if m is None:
            continue
        _, name, branch_id, short, full, path = m
        start = min(since.get(member_id, last), add_months(last, -(n - 1)))
        alerts.append(
            LapseAlert(
                member_id=member_id,
                name=name,
                branch_id=branch_id,
                branch_name=short or full,
                months=months_between(start, last) + 1,
                since=start,
                org_path=path,
            )
        )
    alerts.sort(key=lambda a: (-a.months, a.branch_name, a.name))
    # Absences only for the alerts that will be shown (a county has hundreds).
    _attach_absences(alerts if absences_for is None else alerts[:absences_for], this_month, n)
    return alerts


def _attach_absences(alerts: list[LapseAlert], this_month: dt.date, n: int) -> None:
    """Unexcused absences (缺席, not 请假) from organizational life in the alert window."""
    if not alerts:
        return
    start = add_months(this_month, -n)
    window_start = dt.datetime.combine(start, dt.time.min, tzinfo=dt.UTC)
    window_end = dt.datetime.combine(this_month, dt.time.min, tzinfo=dt.UTC)
    counts = (
        Attendance.objects.filter(
            member_id__in=[a.member_id for a in alerts],
            meeting__held_at__gte=window_start,
            meeting__held_at__lt=window_end,
        )
        .exclude(meeting__state__in=NOT_HELD)
        .values("member_id")
        .annotate(
            absent=Count("id", filter=Q(status=Attendance.Status.ABSENT)), invited=Count("id")
        )
    )
    by_member = {r["member_id"]: r for r in counts}
    for a in alerts:
        r = by_member.get(a.member_id)
        if r:
            a.absences, a.meetings = r["absent"], r["invited"]


@dataclass
class Arrear:
    member_id: int
    owed: Decimal
    months: int
    since: dt.date


def arrears_by_member(*, member_ids: list[int], today: dt.date) -> dict[int, Arrear]:
    """Overdue amounts per member: months past their due month not fully paid. One query."""
    this_month = first_of_month(today)
    rows = (
        DuesMonth.objects.filter(
            member_id__in=member_ids, due_month__lt=this_month, paid__lt=F("expected")
        )
        .values("member_id")
        .annotate(
            owed=Sum(ExpressionWrapper(F("expected") - F("paid"), output_field=MONEY)),
            n=Count("id"),
            since=Min("month"),
        )
    )
    return {
        r["member_id"]: Arrear(r["member_id"], _cents(r["owed"]), r["n"], r["since"]) for r in rows
    }


# --- the branch ledger ------------------------------------------------------------------------


@dataclass
class LedgerRow:
    member: Member
    row: DuesMonth | None
    payments: list[DuesPayment] = field(default_factory=list)
    paid_through: dt.date | None = None
    arrear: Arrear | None = None
    # What the recording form proposes: the months and the amount.
    pay_first: dt.date | None = None
    pay_last: dt.date | None = None
    pay_amount: Decimal | None = None

    @property
    def projected(self) -> bool:
        """The month is not opened for this member yet: ``row`` is what it will owe (computed
        from the dues profile, unsaved) — the daily job, 生成本月台账 or a payment opens it."""
        return self.row is not None and self.row.pk is None

    @property
    def outstanding(self) -> Decimal:
        if self.row is None:
            return ZERO
        return max(self.row.expected - self.row.paid, ZERO)

    @property
    def status(self) -> str:
        if self.row is None:
            return "未核定"
        if self.row.expected == 0 and self.row.reduction_id:
            return "免交"
        if self.row.paid >= self.row.expected:
            return "已交清"
        if self.row.paid > 0:
            return "部分交纳"
        return "未交"

    @property
    def status_color(self) -> str:
        return {"已交清": "green", "免交": "azure", "部分交纳": "orange", "未交": "red"}.get(
            self.status, "secondary"
        )


@dataclass
class Totals:
    members: int = 0
    rows: int = 0
    expected: Decimal = ZERO
    paid: Decimal = ZERO
    settled: int = 0
    unpaid: int = 0
    one_off: Decimal = ZERO
    to_central: Decimal = ZERO
    owed: Decimal = ZERO
    lapse: int = 0
    projected: int = 0  # rows shown but not opened yet (the ledger's projection)

    @property
    def rate(self) -> int | None:
        """Members fully paid for the month, percent of those owing a row."""
        return round(self.settled * 100 / self.rows) if self.rows else None


@dataclass
class BranchLedger:
    branch: Organization
    month: dt.date
    quarterly: bool
    rows: list[LedgerRow]
    totals: Totals
    one_offs: list[DuesPayment]
    setting: DuesBranchSetting | None = None


def _ledger_rows(
    members: list[Member], rows: dict[int, DuesMonth], month: dt.date, today: dt.date
) -> list[LedgerRow]:
    ids = [m.pk for m in members]
    payments: dict[int, list[DuesPayment]] = defaultdict(list)
    for p in DuesPayment.objects.filter(
        member_id__in=ids,
        kind=DuesPayment.Kind.REGULAR,
        first_month__lte=month,
        last_month__gte=month,
    ).select_related("recorded_by"):
        payments[p.member_id].append(p)
    through = paid_through_many(ids)
    arrears = arrears_by_member(member_ids=ids, today=today)
    return [
        LedgerRow(m, rows.get(m.pk), payments.get(m.pk, []), through.get(m.pk), arrears.get(m.pk))
        for m in members
    ]


def _propose(rows: list[LedgerRow], month: dt.date, today: dt.date, quarterly: bool) -> None:
    """Fill the form's proposal: this month's outstanding amount; on this month's ledger a
    member in arrears is proposed 补交 from the first unpaid month; a quarterly branch the
    whole quarter."""
    this_month = first_of_month(today)
    for r in rows:
        r.pay_first = r.pay_last = month
        r.pay_amount = r.outstanding or None
        if quarterly:
            r.pay_first, r.pay_last = quarter_start(month), quarter_end(month)
        elif r.arrear is not None and month == this_month:
            r.pay_first = r.arrear.since
            r.pay_amount = r.arrear.owed + r.outstanding


def _with_projection(
    members: list[Member], rows: dict[int, DuesMonth], month: dt.date, quarterly: bool
) -> None:
    """Add to ``rows`` the unsaved rows current members without an opened month would owe
    (the same computation ``months_open`` writes). Reads only; nothing when all are open."""
    missing = [m for m in members if m.pk not in rows and m.status == Member.Status.CURRENT]
    if not missing:
        return
    quarterly_ids = {m.branch_id for m in missing} if quarterly else set()
    for row in expected_rows(members=missing, months=[month], quarterly=quarterly_ids):
        rows[row.member_id] = row


def ledger_row(*, member: Member, month: dt.date, today: dt.date) -> LedgerRow:
    """One member's line of the branch ledger (after recording a payment)."""
    month = first_of_month(month)
    row = DuesMonth.objects.filter(member=member, month=month).select_related("reduction").first()
    quarterly = DuesBranchSetting.objects.filter(
        branch_id=member.branch_id, mode=DuesBranchSetting.Mode.QUARTERLY
    ).exists()
    rows = {member.pk: row} if row else {}
    _with_projection([member], rows, month, quarterly)
    line = _ledger_rows([member], rows, month, today)[0]
    _propose([line], month, today, quarterly)
    return line


def branch_ledger(*, branch: Organization, month: dt.date, today: dt.date) -> BranchLedger:
    """The branch's 党费收缴台账 for ``month``: every current member (and anyone who moved away
    but has the month here) with owed, paid, status, payments, paid-through and arrears.

    A read: members whose month is not opened yet are shown with what they will owe, computed
    from their dues profiles (``LedgerRow.projected``); nothing is written."""
    month = first_of_month(month)
    rows = {
        r.member_id: r
        for r in DuesMonth.objects.filter(branch=branch, month=month).select_related("reduction")
    }
    members = list(
        Member.objects.filter(Q(branch=branch, status=Member.Status.CURRENT) | Q(pk__in=list(rows)))
        .only("id", "name", "branch_id", "org_path", "status", "category", "user_id")
        .order_by("name_initials", "id")
    )
    setting = DuesBranchSetting.objects.filter(branch=branch).first()
    quarterly = setting is not None and setting.mode == DuesBranchSetting.Mode.QUARTERLY
    _with_projection(members, rows, month, quarterly)
    ledger_rows = _ledger_rows(members, rows, month, today)
    end = add_months(month, 1)
    one_offs = list(
        DuesPayment.objects.filter(
            branch=branch, kind=DuesPayment.Kind.ONE_OFF, paid_on__gte=month, paid_on__lt=end
        )
        .select_related("member")
        .order_by("paid_on", "id")
    )
    totals = Totals(members=len(members))
    for r in ledger_rows:
        if r.row is None:
            continue
        totals.rows += 1
        totals.projected += r.projected
        totals.expected += r.row.expected
        totals.paid += r.row.paid
        totals.settled += r.row.paid >= r.row.expected
        totals.unpaid += r.row.paid == 0 and r.row.expected > 0
    for r in ledger_rows:
        if r.arrear is not None and r.member.status == Member.Status.CURRENT:
            totals.owed += r.arrear.owed
    for p in one_offs:
        totals.one_off += p.amount
        totals.to_central += p.amount if p.to_central else ZERO
    _propose(ledger_rows, month, today, quarterly)
    return BranchLedger(branch, month, quarterly, ledger_rows, totals, one_offs, setting)


# --- subtree summary ---------------------------------------------------------------------------


@dataclass
class SummaryRow:
    org: Organization
    totals: Totals
    is_branch: bool


@dataclass
class Summary:
    org: Organization
    month: dt.date
    rows: list[SummaryRow]
    totals: Totals


def org_summary(
    *,
    org: Organization,
    month: dt.date,
    today: dt.date,
    alerts: list[LapseAlert] | None = None,
) -> Summary:
    """The collection summary of ``org``'s subtree for ``month``, one row per direct
    sub-organization: members owing, owed, paid, fully paid, unpaid, arrears to date, one-off
    payments (and what goes to 中央), 自行脱党 review alerts (pass ``alerts`` when the caller
    has them already). A fixed number of queries."""
    month = first_of_month(month)
    this_month = first_of_month(today)
    children = list(
        Organization.objects.filter(parent=org, dissolved_on__isnull=True).order_by("path")
    )
    width = len(org.path) + (len(children[0].path) - len(org.path) if children else 4)
    prefix = Substr("org_path", 1, width)
    within = subtree_q("org_path", org.path)
    by: dict[str, Totals] = defaultdict(Totals)
    for r in (
        DuesMonth.objects.filter(within, month=month)
        .annotate(p=prefix)
        .values("p")
        .annotate(
            n=Count("id"),
            owed_sum=Sum("expected"),
            paid_sum=Sum("paid"),
            settled=Count("id", filter=_settled_q()),
            unpaid=Count("id", filter=Q(paid=0, expected__gt=0)),
        )
    ):
        t = by[r["p"]]
        t.rows, t.members = r["n"], r["n"]
        t.expected, t.paid = _cents(r["owed_sum"]), _cents(r["paid_sum"])
        t.settled, t.unpaid = r["settled"], r["unpaid"]
    end = add_months(month, 1)
    for o in (
        DuesPayment.objects.filter(
            within, kind=DuesPayment.Kind.ONE_OFF, paid_on__gte=month, paid_on__lt=end
        )
        .annotate(p=prefix)
        .values("p")
        .annotate(total=Sum("amount"), central=Sum("amount", filter=Q(to_central=True)))
    ):
        by[o["p"]].one_off = _cents(o["total"])
        by[o["p"]].to_central = _cents(o["central"])
    # Arrears to date: overdue months of the last two years not fully paid.
    for a in (
        DuesMonth.objects.filter(
            within,
            month__gte=add_months(this_month, -24),
            due_month__lt=this_month,
            paid__lt=F("expected"),
        )
        .annotate(p=prefix)
        .values("p")
        .annotate(owed=Sum(ExpressionWrapper(F("expected") - F("paid"), output_field=MONEY)))
    ):
        by[a["p"]].owed = _cents(a["owed"])
    if alerts is None:  # only counted here: no absences needed
        alerts = lapse_alerts(org=org, today=today, limit=5000, absences_for=0)
    for alert in alerts:
        by[alert.org_path[:width]].lapse += 1
    rows = [SummaryRow(c, by.get(c.path, Totals()), c.org_type in BRANCH_TYPES) for c in children]
    total = Totals()
    for t in by.values():
        for name in ("members", "rows", "expected", "paid", "settled", "unpaid", "one_off",
                     "to_central", "owed", "lapse"):  # fmt: skip
            setattr(total, name, getattr(total, name) + getattr(t, name))
    return Summary(org, month, rows, total)


# --- reductions --------------------------------------------------------------------------------


REDUCTIONS_SHOWN = 100
REDUCTIONS_COUNT_CAP = 10_000


def _reductions_waiting(org: Organization) -> QuerySet[DuesReduction]:
    return DuesReduction.objects.filter(
        subtree_q("org_path", org.path),
        state__in=[DuesReduction.State.APPLIED, DuesReduction.State.DISCUSSED],
    )


def reductions_open(*, org: Organization, limit: int = REDUCTIONS_SHOWN) -> list[DuesReduction]:
    """Applications in the subtree still waiting for the branch or the upper 党委, oldest first
    (capped), each branch carrying its place (township › village) for the page."""
    rows = list(
        _reductions_waiting(org)
        .select_related("member", "branch")
        .order_by("applied_on", "id")[:limit]
    )
    attach_org_places(rows, org_of=lambda r: r.branch)
    return rows


def reductions_open_total(*, org: Organization) -> CappedCount:
    """How many applications wait in the subtree (capped count)."""
    return capped_count(_reductions_waiting(org), cap=REDUCTIONS_COUNT_CAP)


def recent_months(today: dt.date, n: int = 13) -> list[dt.date]:
    """The months a ledger may be opened for (this month first)."""
    this_month = first_of_month(today)
    return [add_months(this_month, -i) for i in range(n)]


def quarter_label(month: dt.date) -> str:
    return f"{month.year}年第{(quarter_start(month).month - 1) // 3 + 1}季度"


def as_money(value: Any) -> str:
    return f"{value:.2f}"
