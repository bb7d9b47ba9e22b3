"""Duplicate 公民身份号码 checks that are not a membership oracle.

Registering a person (member, applicant, external transfer, import) must refuse a number that is
already on a current roll. The answer is itself a disclosure: "already registered in <branch>"
tells the actor that a number belongs to a party member, and where. So:

- inside the actor's scope (``members_visible_to``) the answer names the branch — the actor can
  see that member anyway, and it helps them find the record;
- outside it the answer names nothing ("已在其他党组织登记"), and it is counted: past
  ``settings.ID_CLASH_LIMIT`` out-of-scope hits per actor per window every further duplicate
  check is refused *before* the number is looked up (so the refusal says nothing about the
  number), the actor is flagged to the county's organization admins, and an import whose dry run
  meets the limit is refused as a whole instead of answering row by row;
- every hit, in scope or not, is an audit row (``member.id_clash``) with the actor and whether it
  was in scope, never the number.

Inside the actor's scope the answer can still confirm a guessed number; ``id_lookup.py`` counts
and throttles those lookups for actors without the reveal right (``member_id_clash`` calls it).

The counter and the audit rows must survive the refused write, so callers run these checks
before they open their own transaction (see ``member_create``).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError

from dangjian.core import crypto
from dangjian.core.audit import audit_record
from dangjian.core.context import client_ip
from dangjian.core.models import AuditLog
from dangjian.core.ratelimit import rate_count, rate_peek, rate_used
from dangjian.members.access import members_visible_to
from dangjian.members.id_lookup import id_lookup_guard
from dangjian.members.models import Member
from dangjian.members.probing import county_path, flag_prober

OUTSIDE_MESSAGE = "该公民身份号码已在其他党组织登记，如需转入请办理组织关系转接"
THROTTLED_CODE = "id_probe_throttled"
AUDIT_BATCH = 2000


@dataclass(frozen=True)
class Clash:
    """A current member holding the number: where (only when in scope) and whether in scope."""

    member_id: int  # the row holding the number (a member, or an applicant in recruitment)
    branch_name: str  # "" when outside the actor's scope
    in_scope: bool
    org_path: str
    object_type: str = "members.member"

    def message(self) -> str:
        if self.in_scope:
            return f"该公民身份号码已登记在“{self.branch_name}”"
        return OUTSIDE_MESSAGE


def _limit() -> tuple[int, int]:
    allowed, seconds = settings.ID_CLASH_LIMIT
    return int(allowed), int(seconds)


def _key(actor: Any) -> str | None:
    pk = getattr(actor, "pk", None)
    return f"id_clash:{pk}" if pk else None  # the CLI (no user) is not throttled


def refusal_message() -> str:
    allowed, seconds = _limit()
    span = "今天" if seconds >= 86400 else f"{max(1, seconds // 60)} 分钟内"
    return (
        f"{span}您核对到的本辖区以外已登记的公民身份号码已达 {allowed} 个。为防止批量探查党员身份，"
        "身份证号查重已暂停，此次未作任何更改；如确有需要，请联系县委组织部"
    )


def _refused() -> ValidationError:
    return ValidationError({"id_number": ValidationError(refusal_message(), code=THROTTLED_CODE)})


def is_throttled(actor: Any) -> bool:
    """Has the actor used up the out-of-scope budget in the current window?"""
    key = _key(actor)
    return key is not None and rate_peek(key=key, limit=_limit())


def id_clash_guard(*, actor: Any, surface: str) -> None:
    """Refuse any duplicate check once the budget is used up (audited, admins told once)."""
    if not is_throttled(actor):
        return
    audit_record(
        actor=actor,
        action="member.id_probe_refused",
        object_type="members.member",
        object_repr="身份证号查重已暂停（本辖区以外命中过多）",
        changes={"surface": surface},
        org_path=county_path(actor),
    )
    _flag(actor, surface=surface)
    raise _refused()


def find_member_clash(*, actor: Any, number_hash: str, exclude: int | None = None) -> Clash | None:
    """The current member holding this number, seen from the actor's scope (no side effects)."""
    qs = Member.objects.filter(id_number_hash=number_hash).exclude(status=Member.Status.FORMER)
    if exclude:
        qs = qs.exclude(pk=exclude)
    member = qs.select_related("branch").first()
    if member is None:
        return None
    in_scope = members_visible_to(actor).filter(pk=member.pk).exists()
    return Clash(
        member_id=member.pk,
        branch_name=member.branch.display_name if in_scope else "",
        in_scope=in_scope,
        org_path=member.org_path,
    )


def member_id_clash(
    *, actor: Any, number: str, surface: str, exclude: int | None = None
) -> Clash | None:
    """Guard, look up, and record one duplicate check of a normalised number; the caller words
    the refusal. A number that fits a member the actor may not reveal is counted (id_lookup.py)."""
    id_clash_guard(actor=actor, surface=surface)
    id_lookup_guard(actor=actor, surface=surface, numbers=[number])
    number_hash = crypto.lookup_hash(number)
    clash = find_member_clash(actor=actor, number_hash=number_hash, exclude=exclude)
    if clash is not None:
        id_clash_record(actor=actor, surface=surface, clashes=[clash])
    return clash


def check_member_id_free(
    *, actor: Any, number: str, surface: str, exclude: int | None = None
) -> None:
    """Raise the scope-safe "already registered" error when a current member holds the number."""
    clash = member_id_clash(actor=actor, number=number, surface=surface, exclude=exclude)
    if clash is not None:
        raise ValidationError({"id_number": ValidationError(clash.message(), code="duplicate")})


def id_clash_record(*, actor: Any, surface: str, clashes: Iterable[Clash]) -> int:
    """One audit row per hit; out-of-scope hits count against the actor's budget.

    Returns how many out-of-scope hits the actor has in the current window afterwards.
    """
    clashes = list(clashes)
    ip = client_ip.get()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    rows = [
        AuditLog(
            actor_id=actor_id,
            action="member.id_clash",
            object_type=c.object_type,
            object_id=str(c.member_id),
            object_repr="公民身份号码查重命中" + ("" if c.in_scope else "（本辖区以外）"),
            changes={"surface": surface, "in_scope": c.in_scope},
            ip=ip,
            # Filed under the member's organization: its auditors see who checked their people.
            org_path=c.org_path,
        )
        for c in clashes
    ]
    for start in range(0, len(rows), AUDIT_BATCH):
        AuditLog.objects.bulk_create(rows[start : start + AUDIT_BATCH])
    outside = sum(1 for c in clashes if not c.in_scope)
    key = _key(actor)
    if key is None or not outside:
        return 0
    allowed, seconds = _limit()
    count = rate_count(key=key, seconds=seconds, amount=outside)
    if count >= allowed:
        _flag(actor, surface=surface, count=count)
    return count


def refuse_bulk_probe(*, actor: Any, surface: str, clashes: list[Clash]) -> None:
    """An import whose out-of-scope hits would reach the budget is refused as a whole.

    Per-row answers would turn one upload into thousands of yes/no membership answers.
    """
    key = _key(actor)
    outside = sum(1 for c in clashes if not c.in_scope)
    if key is None or not outside:
        return
    allowed, seconds = _limit()
    used = rate_used(key=key, seconds=seconds)
    if used + outside < allowed:
        return
    rate_count(key=key, seconds=seconds, amount=outside)
    audit_record(
        actor=actor,
        action="member.id_probe_refused",
        object_type="members.member",
        object_repr=f"导入核对被拒绝：本辖区以外已登记 {outside} 人",
        changes={"surface": surface, "outside": outside, "in_scope": len(clashes) - outside},
        org_path=county_path(actor),
    )
    _flag(actor, surface=surface, count=used + outside)
    raise _refused()


def _flag(actor: Any, *, surface: str, count: int | None = None) -> None:
    allowed, seconds = _limit()
    name = getattr(actor, "name", "") or getattr(actor, "username", "")
    flag_prober(
        actor,
        kind="id-probe",
        seconds=seconds,
        title=f"疑似批量探查党员身份：{name}",
        body=(
            f"{name} 核对到的本辖区以外已登记的公民身份号码已达 {allowed} 个，"
            "身份证号查重已对其暂停。详情见审计日志（member.id_clash）。"
        ),
        changes={"surface": surface, "outside_hits": count, "limit": allowed},
    )
