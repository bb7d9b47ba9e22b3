"""Demo 组织关系转接: a handful of transfers in every state, made through the services as the
demo users, so the work boxes, the letters and the members' timelines have something to show.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import QuerySet

from dangjian.accounts.models import RoleGrant, User
from dangjian.core.paths import subtree_q
from dangjian.members.models import Member
from dangjian.orgs.models import BRANCH_TYPES, Organization
from dangjian.transfers import services
from dangjian.transfers.models import Transfer

# Days before ``today`` that the expired letter was issued (past a 3-month validity).
EXPIRED_ISSUED_DAYS_AGO = 120
# Days before ``today`` that the earlier accepted transfer was requested (its 回执 6 days later).
ACCEPTED_DAYS_AGO = 150


def _grant_org(user: User, role: str) -> Organization | None:
    grant = (
        RoleGrant.objects.filter(user=user, role=role, valid_to__isnull=True)
        .select_related("org")
        .order_by("id")
        .first()
    )
    return grant.org if grant else None


def _branches_under(org: Organization) -> list[Organization]:
    return list(
        Organization.objects.filter(
            subtree_q("path", org.path), org_type__in=BRANCH_TYPES, dissolved_on__isnull=True
        ).order_by("path")
    )


def _spread_over_branches(members: QuerySet[Member], n: int) -> list[Member]:
    """Up to ``n`` members taken in turn from each branch (tree order), for variety."""
    by_branch: dict[int, list[Member]] = {}
    for m in members.order_by("org_path", "id")[:2000].iterator(chunk_size=500):
        by_branch.setdefault(m.branch_id, []).append(m)
    chosen: list[Member] = []
    depth = 0
    while len(chosen) < n and any(len(ms) > depth for ms in by_branch.values()):
        chosen += [ms[depth] for ms in by_branch.values() if len(ms) > depth][: n - len(chosen)]
        depth += 1
    return chosen


def seed_transfers(*, today: dt.date) -> int:
    """Create a few transfers (requested, approved, accepted, returned, revoked, expired, and a
    letter to outside the system) for current members of township A; returns how many."""
    users = {u.username: u for u in User.objects.filter(username__in=_USERNAMES)}
    if any(name not in users for name in _USERNAMES):
        return 0
    secretary, worker, admin = (users[n] for n in _USERNAMES)
    township_a = _grant_org(worker, "party_worker")
    village_a = _grant_org(secretary, "secretary")
    township_b_user = User.objects.filter(username="township_b").first()
    township_b = _grant_org(township_b_user, "party_worker") if township_b_user else None
    if township_a is None or village_a is None:
        return 0

    # Ordinary members only: the demo logins' own records stay where the walkthrough expects.
    people = set(User.objects.exclude(name="").values_list("name", flat=True))
    current = (
        Member.objects.filter(status=Member.Status.CURRENT)
        .exclude(name__in=people)
        .filter(party_post="")
    )  # no post holders: branches keep their secretaries
    in_village = list(current.filter(branch=village_a).order_by("id")[:4])
    in_township = _spread_over_branches(
        current.filter(subtree_q("org_path", township_a.path)).exclude(branch=village_a), 8
    )
    if not in_village and not in_township:
        return 0
    targets = _branches_under(township_b) if township_b else []
    targets += [b for b in _branches_under(township_a) if b.pk != village_a.pk]

    def target_for(member: Member) -> Organization | None:
        # Rotate through the candidates so the demo letters go to different branches.
        choices = [b for b in targets if b.pk != member.branch_id]
        return choices[made % len(choices)] if choices else None

    dues = dt.date(today.year, today.month, 1)
    made = 0

    def attempt(step: Callable[[], Any]) -> None:
        nonlocal made
        try:
            with transaction.atomic():  # a scenario happens whole or not at all
                step()
        except ValidationError:
            return  # no member or no target branch left: skip quietly
        made += 1

    def take(source: list[Member]) -> Member | None:
        return source.pop(0) if source else None

    def internal(member: Member | None, actor: Any, *, on: dt.date = today) -> Transfer | None:
        target = target_for(member) if member else None
        if member is None or target is None:
            return None
        return services.transfer_request(
            actor=actor,
            member=member,
            to_branch=target,
            dues_paid_through=dt.date(on.year, on.month, 1),
            reason=_REASONS[made % len(_REASONS)],
            today=on,
        )

    # 1. The village secretary asks; it waits for the township's approval (待我审批).
    m = take(in_village)
    attempt(lambda: internal(m, secretary))

    # 2. Approved: the letter is out, waiting for the receiving branch (待我接收).
    m = take(in_township) or take(in_village)

    def approved() -> None:
        t = internal(m, worker)
        if t is None:
            raise ValidationError("skip")
        services.transfer_approve(actor=worker, transfer=t, today=today)

    attempt(approved)

    # 3. Done: requested, approved and accepted; the member now belongs to the new branch.
    m = take(in_township) or take(in_village)

    def accepted() -> None:
        t = internal(m, worker)
        if t is None:
            raise ValidationError("skip")
        services.transfer_approve(actor=worker, transfer=t, today=today)
        services.transfer_accept(actor=admin, transfer=t, receiver_name="王建国", today=today)

    attempt(accepted)

    # 4. Returned by the township: the receiving branch had not agreed.
    m = take(in_township) or take(in_village)

    def returned() -> None:
        t = internal(m, worker)
        if t is None:
            raise ValidationError("skip")
        services.transfer_return(
            actor=worker, transfer=t, reason="未附党员本人书面申请，请补齐后重新提交"
        )

    attempt(returned)

    # 5. A letter to a party organization outside the system, waiting for its 回执.
    m = take(in_township) or take(in_village)

    def outbound() -> None:
        if m is None:
            raise ValidationError("skip")
        t = services.transfer_out_external(
            actor=worker,
            member=m,
            external_unit="中共浙江省杭州市西湖区委组织部",
            dues_paid_through=dues,
            reason="工作单位变动",
            today=today,
        )
        services.transfer_approve(actor=worker, transfer=t, today=today)

    attempt(outbound)

    # 6. Expired: issued months ago and never accepted; the daily job closed it.
    m = take(in_township) or take(in_village)

    def expired() -> None:
        then = today - dt.timedelta(days=EXPIRED_ISSUED_DAYS_AGO)
        t = internal(m, worker, on=then)
        if t is None:
            raise ValidationError("skip")
        services.transfer_approve(actor=worker, transfer=t, today=then)
        services.transfers_expire(today=today)

    attempt(expired)

    # 7. Revoked by the secretary who asked: the member changed their mind.
    m = take(in_village) or take(in_township)

    def revoked() -> None:
        t = internal(m, secretary if m is not None and m.branch_id == village_a.pk else worker)
        if t is None:
            raise ValidationError("skip")
        services.transfer_revoke(
            actor=secretary if t.from_branch_id == village_a.pk else worker,
            transfer=t,
            reason="党员工作调动取消",
        )

    attempt(revoked)

    # 8. Done months ago: the member has counted in the receiving branch since the 回执 date,
    # so the two branches' past periods (支委会 at 7 full members) reflect the move.
    m = take(in_township) or take(in_village)

    def accepted_earlier() -> None:
        then = today - dt.timedelta(days=ACCEPTED_DAYS_AGO)
        t = internal(m, worker, on=then)
        if t is None:
            raise ValidationError("skip")
        services.transfer_approve(actor=worker, transfer=t, today=then)
        received = then + dt.timedelta(days=6)
        services.transfer_accept(actor=admin, transfer=t, receiver_name="王建国", today=received)

    attempt(accepted_earlier)
    return made


_USERNAMES = ("village_secretary", "township_a", "county_admin")
_REASONS = ("工作单位变动", "经常居住地变动", "外出务工经商（半年以上，地点相对固定）")
