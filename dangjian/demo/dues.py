"""Demo 党费: a year of dues profiles, monthly rows and payments with realistic arrears.

``seed_dues`` reads the branches with current members that have no dues profiles yet, gives
every member a profile (category and base from what the roll says: retired members pay on a
pension, village members are mostly farmers with the village cadres salaried, organ and unit
members salaried — a few on 年薪制 —, community members a mix of salaried, self-employed and
unemployed, members under 24 students), opens the months from twelve months back to this month
(``DuesMonth``) and writes the payments, all with ``insert_rows`` (one transaction per batch of
branches). The rules come from the rule set in force, quoted once per profile.

Branches get a collection tier (``TIERS``): most collect every month within the month (a few
members a month or two late, paying the arrears together), some are behind (the last two or
three months not yet collected, many members paying late), a few collect quarterly with the
branch's consent (a ``DuesBranchSetting`` and one payment per quarter). This month is about
half collected everywhere (today is the 21st). Members who have lost contact, and a few who
just stopped, have paid nothing for six months or more (the 党章第九条 review alert); some
members pay part of a month. About 15% of the salaried got a raise in July (a second profile
row; the months from July on owe the new amount). Hardship members are exempted (applied,
discussed by the branch, approved by the township) and a few applications are still open. On
七一 some members made a one-off payment, a few of 1000 元 or more (全额上缴中央).

The demo village branch (``village_secretary``'s) is exemplary and has all of it: the demo
``member`` (陈秀英) paid through last month and owes this month, one member six months
unpaid, an exemption approved, an application waiting for the branch and a 1000 元 one-off.

County scale: twelve months; city scale: three months for a bounded number of branches;
province scale: nothing. The same seed over the same data writes the same rows.
"""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db import transaction
from django.db.models import Max
from django.utils import timezone

from dangjian.accounts.models import RoleGrant
from dangjian.accounts.roles import Role
from dangjian.core.bulk import insert_rows
from dangjian.dues.models import (
    DuesBranchSetting,
    DuesMonth,
    DuesPayment,
    DuesProfile,
    DuesReduction,
    DuesRuleSet,
)
from dangjian.dues.rules import (
    DEFAULT_BASE_KINDS,
    add_months,
    due_month_for,
    month_span,
    policy_in_force,
    quote,
    rule_set_in_force,
)
from dangjian.members.models import Member
from dangjian.orgs.models import BRANCH_TYPES, Organization

S = Organization.Sector
MONTHS_BACK = {"county": 11, "city": 2}  # months before this one; province: none
CITY_MAX_BRANCHES = 3000
BATCH_ROWS = 80_000
DEMO_USERNAME = "village_secretary"
RAISE_MONTH = 7  # mid-year pay rises take effect in July
ONE_OFF_DAY = (7, 1)  # 七一


@dataclass(frozen=True)
class Tier:
    name: str
    share: float
    late: float  # a member pays a month late (together with the next)
    behind_months: int  # the branch has not collected the last N closed months
    quarterly: bool = False


TIERS = (
    Tier("exemplary", 0.55, 0.02, 0),
    Tier("middle", 0.27, 0.10, 0),
    Tier("behind", 0.12, 0.15, 2),
    Tier("quarterly", 0.06, 0.03, 0, quarterly=True),
)


@dataclass(slots=True)
class Person:
    id: int
    name: str
    org_path: str
    birth: dt.date
    joined: dt.date
    retired: bool
    hardship: bool
    lost: bool
    mobile: bool
    demo_member: bool


@dataclass(slots=True)
class Branch:
    id: int
    path: str
    sector: str
    retiree: bool
    people: list[Person] = field(default_factory=list)
    secretary_id: int | None = None
    secretary_name: str = ""
    approver_id: int | None = None
    demo: bool = False


def _load(scale: str, rng_seed: int) -> list[Branch]:
    """Branches with current members and no dues profiles yet."""
    branches: dict[int, Branch] = {}
    for oid, path, sector, retiree in (
        Organization.objects.filter(org_type__in=BRANCH_TYPES, dissolved_on__isnull=True)
        .order_by("path")
        .values_list("id", "path", "sector", "is_retiree")
    ):
        branches[oid] = Branch(oid, path, sector, retiree)
    done = set(DuesProfile.objects.values_list("member__branch_id", flat=True).distinct())
    for bid in done:
        branches.pop(bid, None)
    if scale == "city" and len(branches) > CITY_MAX_BRANCHES:
        keep = sorted(branches, key=lambda b: random.Random(f"{rng_seed}:{b}").random())
        branches = {b: branches[b] for b in sorted(keep[:CITY_MAX_BRANCHES])}
    linked = set(Member.objects.filter(user__username="member").values_list("id", flat=True)[:1])
    rows = (
        Member.objects.filter(status=Member.Status.CURRENT, branch_id__in=list(branches))
        .order_by("id")
        .values_list(
            "id", "branch_id", "name", "org_path", "birth_date", "joined_on", "is_retired",
            "is_hardship", "lost_contact", "is_mobile",
        )
    )  # fmt: skip
    for mid, bid, name, path, birth, joined, retired, hardship, lost, mobile in rows.iterator(
        10_000
    ):
        branches[bid].people.append(
            Person(mid, name, path, birth, joined, retired, hardship, lost, mobile, mid in linked)
        )
    reviewers: list[tuple[str, int]] = []
    for org_id, path, role, user_id, username, user_name in (
        RoleGrant.objects.filter(valid_to__isnull=True)
        .order_by("id")
        .values_list("org_id", "org__path", "role", "user_id", "user__username", "user__name")
    ):
        b = branches.get(org_id)
        if role == Role.SECRETARY and b is not None and b.secretary_id is None:
            b.secretary_id = user_id
            b.secretary_name = user_name
            b.demo = username == DEMO_USERNAME
        elif role in (Role.PARTY_WORKER, Role.ORG_ADMIN):
            reviewers.append((path, user_id))
    reviewers.sort(key=lambda r: -len(r[0]))
    for b in branches.values():
        b.approver_id = next((u for p, u in reviewers if b.path.startswith(p)), None)
    return [b for b in branches.values() if b.people]


def _yuan(rng: random.Random, low: int, high: int, cents: bool = True) -> Decimal:
    value = Decimal(rng.randrange(low * 100, high * 100)) / 100
    return value if cents else value.quantize(Decimal("1"))


def _profile(
    p: Person, b: Branch, today: dt.date, rng: random.Random
) -> tuple[str, Decimal | None]:
    """Category and monthly base as the roll suggests."""
    age = (today - p.birth).days // 365
    if p.demo_member:  # the demo member is a village cadre: her page shows a rate band
        return "salaried", Decimal("3600.00")
    if p.retired or b.retiree or age >= 62:
        return "retired", _yuan(rng, 2600, 9500)
    if age < 24:
        return "student", None
    if b.sector == S.RURAL:
        if rng.random() < 0.2:  # village cadres on a fixed allowance
            return "salaried", _yuan(rng, 2400, 4800, cents=False)
        return "farmer", None
    if b.sector == S.COMMUNITY:
        r = rng.random()
        if r < 0.05:
            return "unemployed", None
        if r < 0.35:
            return "self_employed", _yuan(rng, 2000, 9000, cents=False)
        return "salaried", _yuan(rng, 2800, 8000)
    if rng.random() < 0.04:
        return "annual_salary", _yuan(rng, 9000, 30000, cents=False)
    return "salaried", _yuan(rng, 3800, 14500)


class Writer:
    def __init__(self, *, today: dt.date, months: list[dt.date]) -> None:
        self.today = today
        self.this_month = today.replace(day=1)
        self.months = months
        self.profiles: list[dict[str, Any]] = []
        self.rows: list[dict[str, Any]] = []
        self.payments: list[dict[str, Any]] = []
        self.settings: list[dict[str, Any]] = []
        self.reductions: list[DuesReduction] = []
        self.counts: dict[str, int] = defaultdict(int)
        self.sets: dict[str, DuesRuleSet] = {}
        self.amounts: dict[tuple[str, Decimal | None], Decimal] = {}
        self.next_payment = (DuesPayment.objects.aggregate(m=Max("id"))["m"] or 0) + 1
        self.now = timezone.now()
        self.central_threshold = policy_in_force(self.this_month).central_threshold

    def amount(self, category: str, base: Decimal | None, path: str) -> Decimal:
        key = (category, base)
        if key not in self.amounts:
            rs = self.sets.get(category)
            if rs is None:
                found = rule_set_in_force(category, on=self.this_month, org_path=path)
                rs = DuesRuleSet.objects.prefetch_related("bands").get(pk=found.pk)
                self.sets[category] = rs
            self.amounts[key] = quote(
                category, base, on=self.this_month, rule_set=rs
            ).monthly_amount
        return self.amounts[key]

    def pay(
        self,
        p: Person,
        b: Branch,
        rows: list[dict[str, Any]],
        amount: Decimal,
        paid_on: dt.date,
        rng: random.Random,
        kind: str = "regular",
    ) -> None:
        """One payment; regular ones fill ``rows`` in order (the rest stays on the last)."""
        r = rng.random()
        method = "cash" if r < 0.5 else "online" if r < 0.9 else "transfer"
        pid = self.next_payment
        self.next_payment += 1
        prefix = {"online": "WX", "transfer": "BANK", "cash": ""}[method]
        self.payments.append(
            {
                "org_path": p.org_path,
                "member_id": p.id,
                "branch_id": b.id,
                "kind": kind,
                "method": method,
                "reference": f"{prefix}{paid_on:%Y%m%d}{pid:08d}" if prefix else "",
                "amount": amount,
                "paid_on": paid_on,
                "first_month": rows[0]["month"] if rows else None,
                "last_month": rows[-1]["month"] if rows else None,
                "to_central": kind == "one_off" and amount >= self.central_threshold,
                "backpay_approval_id": None,
                "note": "七一自愿交纳" if kind == "one_off" else "",
                "recorded_by_id": b.secretary_id,
                "created_at": self.now,
            }
        )
        self.counts["payments"] += 1
        left = amount
        for i, row in enumerate(rows):
            owed = max(row["expected"] - row["paid"], Decimal("0"))
            share = left if i == len(rows) - 1 else min(owed, left)
            row["paid"] += share
            row["last_paid_on"] = paid_on
            left -= share

    def add_branch(self, b: Branch, rng: random.Random) -> None:
        tier = b.demo and TIERS[0] or _weighted(rng)
        if tier.quarterly:
            self.settings.append(
                {
                    "org_path": b.path,
                    "branch_id": b.id,
                    "mode": "quarterly",
                    "agreed_on": dt.date(self.months[0].year, 1, 8),
                    "note": "党员大会同意按季度交纳",
                }
            )
        # The demo branch shows one member six months and more unpaid (someone who went away,
        # never the secretary or the demo member); its other members keep paying.
        lapser: Person | None = None
        candidates: list[Person] = []
        if b.demo:
            candidates = [p for p in b.people if not p.demo_member and p.name != b.secretary_name]
            away = [p for p in candidates if p.lost or p.mobile]
            pool = away or candidates
            lapser = pool[-1] if pool else None
        exempted = next((p for p in candidates if p is not lapser), None) if b.demo else None
        for p in b.people:
            lapse = (p is lapser) if b.demo else None
            self._add_person(p, b, tier, rng, lapse=lapse, exempt=p is exempted)
        if b.demo:
            self._demo_extras(b, rng)

    def _add_person(
        self,
        p: Person,
        b: Branch,
        tier: Tier,
        rng: random.Random,
        *,
        lapse: bool | None,
        exempt: bool = False,
    ) -> None:
        category, base = _profile(p, b, self.today, rng)
        start = max(self.months[0], p.joined.replace(day=1))
        if start > self.this_month:
            return
        changes = [(start, base)]
        if category in ("salaried", "annual_salary") and rng.random() < 0.15:
            raise_month = dt.date(self.this_month.year, RAISE_MONTH, 1)
            if start < raise_month <= self.this_month and base is not None:
                bumped = (base * Decimal(str(round(rng.uniform(1.05, 1.18), 2)))).quantize(
                    Decimal("0.01")
                )
                changes.append((raise_month, bumped))
                self.counts["raises"] += 1
        for month, value in changes:
            self.profiles.append(
                {
                    "member_id": p.id,
                    "category": category,
                    "monthly_base": value,
                    "base_kind": DEFAULT_BASE_KINDS.get(category, "") if value is not None else "",
                    "effective_month": month,
                    "created_by_id": b.secretary_id,
                }
            )
        reduction = None
        if p.hardship or exempt:
            r = 0.0 if exempt else rng.random()
            if r < 0.55:
                reduction = self._reduction(p, b, "approved", rng)
            elif r < 0.65:
                self._reduction(p, b, "discussed", rng)
            elif r < 0.72:
                self._reduction(p, b, "applied", rng)
        rows = []
        for month in month_span(start, self.this_month):
            value = changes[-1][1] if len(changes) > 1 and month >= changes[1][0] else base
            standard = self.amount(category, value, p.org_path)
            exempted = (
                reduction is not None and reduction.first_month <= month <= reduction.last_month
            )
            row = {
                "org_path": p.org_path,
                "member_id": p.id,
                "branch_id": b.id,
                "month": month,
                "due_month": due_month_for(month, quarterly=tier.quarterly),
                "category": category,
                "monthly_base": value,
                "standard": standard,
                "expected": Decimal("0.00") if exempted else standard,
                "paid": Decimal("0.00"),
                "last_paid_on": None,
                "reduction_id": reduction.pk if exempted and reduction else None,
            }
            rows.append(row)
        self.rows.extend(rows)
        self.counts["months"] += len(rows)
        self._collect(p, b, tier, rows, rng, lapse=lapse)
        if rng.random() < 0.004:
            self._one_off(p, b, rng)

    def _collect(
        self,
        p: Person,
        b: Branch,
        tier: Tier,
        rows: list[dict[str, Any]],
        rng: random.Random,
        *,
        lapse: bool | None,
    ) -> None:
        """Payments for the member's months, as this branch and this member behave. ``lapse``
        forces (True) or forbids (False) a stop; None leaves it to chance."""
        # Lapsed: lost contact, or simply stopped paying (6–10 months ago).
        stop = None
        chance = p.lost or (p.mobile and rng.random() < 0.15) or rng.random() < 0.005
        if lapse or (lapse is None and chance and not p.demo_member):
            stop = add_months(self.this_month, -rng.randint(6, 10))
        behind_from = (
            add_months(self.this_month, -tier.behind_months) if tier.behind_months else None
        )
        partial = rng.random() < 0.03 and not p.demo_member
        pending: list[dict[str, Any]] = []
        if tier.quarterly:
            by_quarter: dict[dt.date, list[dict[str, Any]]] = defaultdict(list)
            for row in rows:
                by_quarter[row["due_month"]].append(row)
            for due, quarter in sorted(by_quarter.items()):
                if stop is not None and quarter[0]["month"] >= stop:
                    break
                owed = sum((r["expected"] for r in quarter), Decimal("0"))
                if owed == 0:
                    continue
                if due > self.this_month or (due == self.this_month and rng.random() < 0.6):
                    continue  # the current quarter is collected at its end
                day = min(self.today, due.replace(day=rng.randint(10, 28)))
                self.pay(p, b, quarter, owed, day, rng)
            return
        for row in rows:
            month = row["month"]
            if stop is not None and month >= stop:
                break
            if row["expected"] == 0:
                continue
            if behind_from is not None and month >= behind_from and rng.random() < 0.85:
                continue  # the branch has not collected these months yet
            if month == self.this_month and (p.demo_member or rng.random() < 0.45):
                continue  # this month is about half collected
            pending.append(row)
            late = (
                rng.random() < tier.late
                and month < add_months(self.this_month, -1)
                and not p.demo_member
            )
            if late:
                continue  # paid together with the next month
            owed = sum((r["expected"] - r["paid"] for r in pending), Decimal("0"))
            amount = owed
            if partial and rng.random() < 0.3 and owed > Decimal("1"):
                amount = (owed / 2).quantize(Decimal("0.01"))
            day = month.replace(day=rng.randint(3, 25))
            if month == self.this_month:
                day = month.replace(day=rng.randint(1, self.today.day))
            self.pay(p, b, pending, amount, min(day, self.today), rng)
            pending = []

    def _reduction(self, p: Person, b: Branch, state: str, rng: random.Random) -> DuesReduction:
        if state == "approved":
            first = add_months(self.this_month, -rng.randint(2, 5))
            applied = first.replace(day=rng.randint(1, 20))
        else:  # still open: applied in the last few weeks
            first = self.this_month
            applied = self.today - dt.timedelta(days=rng.randint(6, 25))
        r = DuesReduction.objects.create(
            member_id=p.id,
            branch_id=b.id,
            org_path=p.org_path,
            kind="exempt",
            monthly_amount=Decimal("0.00"),
            first_month=first,
            last_month=add_months(first, 11),
            reason=rng.choice(
                ["年老体弱，生活困难", "本人长期患病，家庭困难", "家庭遭遇重大变故", "享受低保"]
            ),
            state=state,
            applied_on=applied,
            discussed_on=applied + dt.timedelta(days=5) if state != "applied" else None,
            discussion="支部委员会讨论，同意免交，报镇党委审批" if state != "applied" else "",
            decided_on=applied + dt.timedelta(days=12) if state == "approved" else None,
            decision="同意" if state == "approved" else "",
            decided_by_id=b.approver_id if state == "approved" else None,
        )
        self.counts["reductions"] += 1
        return r

    def _one_off(
        self, p: Person, b: Branch, rng: random.Random, amount: Decimal | None = None
    ) -> None:
        day = dt.date(self.this_month.year, *ONE_OFF_DAY)
        if day > self.today:
            day = self.today
        amount = amount or Decimal(rng.choice([200, 500, 800, 1000, 1000, 2000, 5000]))
        self.pay(p, b, [], amount, day, rng, kind="one_off")
        self.counts["one_off"] += 1

    def _demo_extras(self, b: Branch, rng: random.Random) -> None:
        others = [p for p in b.people if not p.demo_member]
        if len(others) >= 3:
            self._reduction(others[-1], b, "applied", rng)
            self._one_off(others[-2], b, rng, Decimal("1000.00"))

    def flush(self) -> None:
        with transaction.atomic():
            insert_rows(DuesProfile, self.profiles, as_dicts=True)
            insert_rows(DuesMonth, self.rows, as_dicts=True)
            insert_rows(DuesPayment, self.payments, as_dicts=True)
            insert_rows(DuesBranchSetting, self.settings, as_dicts=True)
        self.counts["profiles"] += len(self.profiles)
        self.profiles, self.rows, self.payments, self.settings = [], [], [], []


def _weighted(rng: random.Random) -> Tier:
    r, acc = rng.random(), 0.0
    for tier in TIERS:
        acc += tier.share
        if r < acc:
            return tier
    return TIERS[-1]


def seed_dues(*, rng_seed: int, today: dt.date, scale: str) -> int:
    """Write the demo dues; returns the number of payments written (0 when nothing to do)."""
    return seed_dues_rows(rng_seed=rng_seed, today=today, scale=scale).get("payments", 0)


def seed_dues_rows(*, rng_seed: int, today: dt.date, scale: str) -> dict[str, int]:
    """``seed_dues``, returning the rows written per kind."""
    if scale not in MONTHS_BACK:
        return {}
    this_month = today.replace(day=1)
    months = month_span(add_months(this_month, -MONTHS_BACK[scale]), this_month)
    writer = Writer(today=today, months=months)
    for b in _load(scale, rng_seed):
        writer.add_branch(b, random.Random(f"{rng_seed}:dues:{b.path}"))
        if len(writer.rows) >= BATCH_ROWS:
            writer.flush()
    writer.flush()
    return dict(writer.counts)
