"""Writes for 村情民意, 矛盾调解 and 乡贤.

Every service is keyword-only, atomic, checks permission through the access root (grid
workers record in their own grids, managers anywhere below) and writes the audit log. Bad
input raises ``ValidationError`` with a Chinese message and changes nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.community.models import LocalWorthy, Mediation, OpinionRecord
from dangjian.core import crypto
from dangjian.core.audit import audit_record, field_changes
from dangjian.core.paths import is_within
from dangjian.grid.models import Grid, Household
from dangjian.grid.rules import check_grid_host, grid_rules_for, opinion_due_on
from dangjian.grid.services import (
    check_member,
    clean_phone,
    invalid,
    may_reveal_household,
    not_future,
    require_active,
    require_grid_write,
    require_manage,
)
from dangjian.members.models import Member
from dangjian.orgs.access import may
from dangjian.orgs.models import Organization


def _audit(actor: Any, action: str, obj: Any, changes: dict[str, Any] | None = None) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        changes=changes or {},
        org_id=obj.org_id,
        org_path=obj.org_path,
    )


def _today() -> dt.date:
    return timezone.localdate()


# ── 村情民意 ──────────────────────────────────────────────────────────────────

CONTENT_MAX = 2000


def _clean_text(value: Any, label: str, field: str, *, required: bool, limit: int) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise invalid(f"请填写{label}", f"{field}_required", field)
    if len(text) > limit:
        raise invalid(f"{label}不能超过 {limit} 个字", f"{field}_too_long", field)
    return text


@transaction.atomic
def opinion_record(
    *,
    actor: Any,
    grid: Grid,
    collected_on: dt.date,
    category: str,
    content: str,
    household: Household | None = None,
    collected_by_member: Member | None = None,
) -> OpinionRecord:
    """Record one opinion collected from residents (村情民意), with its answer deadline."""
    require_grid_write(actor, grid)
    require_active(grid)
    collected_on = not_future(collected_on, "收集日期", "collected_on")
    if category not in OpinionRecord.Category.values:
        raise invalid("请选择民意类别", "category_invalid", "category")
    content = _clean_text(content, "民意内容", "content", required=True, limit=CONTENT_MAX)
    if household is not None and household.grid_id != grid.pk:
        raise invalid("住户不在该网格", "household_other_grid", "household")
    if collected_by_member is not None:
        check_member(collected_by_member, grid.org)
    rules = grid_rules_for(grid.org_path, collected_on)
    opinion = OpinionRecord.objects.create(
        org_id=grid.org_id,
        org_path=grid.org_path,
        grid=grid,
        household=household,
        collected_on=collected_on,
        collected_by_user=actor,
        collected_by_member=collected_by_member,
        category=category,
        content=content,
        due_on=opinion_due_on(collected_on, rules),
        recorded_by=actor,
    )
    _audit(
        actor,
        "opinion.record",
        opinion,
        {"grid": grid.pk, "category": category, "collected_on": collected_on},
    )
    return opinion


OPINION_NEXT: dict[str, frozenset[str]] = {
    OpinionRecord.Status.RECEIVED: frozenset(
        {
            OpinionRecord.Status.HANDLING,
            OpinionRecord.Status.RESOLVED,
            OpinionRecord.Status.REPLIED,
        }
    ),
    # 办理中 may be updated as the work goes on.
    OpinionRecord.Status.HANDLING: frozenset(
        {
            OpinionRecord.Status.HANDLING,
            OpinionRecord.Status.RESOLVED,
            OpinionRecord.Status.REPLIED,
        }
    ),
    OpinionRecord.Status.RESOLVED: frozenset(),
    OpinionRecord.Status.REPLIED: frozenset(),
}
CLOSED_OPINION = frozenset({OpinionRecord.Status.RESOLVED, OpinionRecord.Status.REPLIED})


@transaction.atomic
def opinion_handle(
    *,
    actor: Any,
    opinion: OpinionRecord,
    status: str,
    handling: str = "",
    result: str = "",
    handled_on: dt.date | None = None,
) -> OpinionRecord:
    """Move an opinion on: 办理中, 已办结 (solved) or 已答复 (answered, not solved)."""
    grid = opinion.grid
    if grid is None:
        require_manage(actor, opinion.org)
    else:
        require_grid_write(actor, grid)
    if status not in OPINION_NEXT.get(opinion.status, frozenset()):
        raise invalid(
            f"“{opinion.get_status_display()}”的民意不能改为该状态", "status_transition", "status"
        )
    handling = _clean_text(handling, "办理情况", "handling", required=True, limit=CONTENT_MAX)
    closing = status in CLOSED_OPINION
    result = _clean_text(result, "办理结果", "result", required=closing, limit=CONTENT_MAX)
    before = {f: getattr(opinion, f) for f in ("status", "handling", "result", "handled_on")}
    if closing:
        handled_on = not_future(handled_on or _today(), "办结日期", "handled_on")
        if handled_on < opinion.collected_on:
            raise invalid("办结日期不能早于收集日期", "handled_before_collected", "handled_on")
    else:
        handled_on = None
    opinion.status, opinion.handling, opinion.result = status, handling, result
    opinion.handled_on = handled_on
    opinion.save()
    after = {f: getattr(opinion, f) for f in before}
    _audit(actor, "opinion.handle", opinion, field_changes(before, after))
    return opinion


# ── 乡贤 ──────────────────────────────────────────────────────────────────────


def _check_village(org: Organization) -> None:
    try:
        check_grid_host(org)
    except ValidationError as exc:
        raise invalid("乡贤须登记在村（社区）党组织之下", "worthy_org", "org") from exc


def _clean_worthy(data: dict[str, Any]) -> dict[str, Any]:
    name = _clean_text(data.get("name"), "姓名", "name", required=True, limit=50)
    background = data.get("background") or ""
    if background not in LocalWorthy.Background.values:
        raise invalid("请选择身份背景", "background_invalid", "background")
    specialty = _clean_text(data.get("specialty"), "专长", "specialty", required=False, limit=100)
    note = _clean_text(data.get("note"), "备注", "note", required=False, limit=200)
    joined_on = not_future(data.get("joined_on"), "聘请日期", "joined_on")
    return {
        "name": name,
        "background": background,
        "specialty": specialty,
        "note": note,
        "joined_on": joined_on,
    }


@transaction.atomic
def worthy_create(
    *,
    actor: Any,
    org: Organization,
    data: dict[str, Any],
    phone: str = "",
    member: Member | None = None,
) -> LocalWorthy:
    """Register a 乡贤 with a village or community; the phone is stored encrypted and masked."""
    require_manage(actor, org)
    _check_village(org)
    clean = _clean_worthy(data)
    phone = clean_phone(phone)
    if member is not None and member.status == Member.Status.FORMER:
        raise invalid("关联的党员已不在册", "member_former", "member")
    worthy = LocalWorthy(org=org, org_path=org.path, member=member, **clean)
    worthy.phone_enc = crypto.encrypt(phone)
    worthy.phone_hash = crypto.lookup_hash(phone)
    worthy.phone_masked = crypto.mask_phone(phone) if phone else ""
    worthy.save()
    _audit(actor, "worthy.create", worthy, {**clean, "phone": bool(phone)})
    return worthy


@transaction.atomic
def worthy_update(
    *,
    actor: Any,
    worthy: LocalWorthy,
    data: dict[str, Any],
    phone: str | None = None,
    is_active: bool | None = None,
) -> LocalWorthy:
    """Change a 乡贤's record, phone or standing (在聘/不再聘请)."""
    require_manage(actor, worthy.org)
    fields = ("name", "background", "specialty", "note", "joined_on")
    before = {f: getattr(worthy, f) for f in fields}
    clean = _clean_worthy({**before, **data})
    changes = field_changes(before, clean)
    new_phone = clean_phone(phone) if phone is not None else None
    for field, value in clean.items():
        setattr(worthy, field, value)
    if new_phone is not None and crypto.lookup_hash(new_phone) != worthy.phone_hash:
        changes["phone"] = ["***", "***"]
        worthy.phone_enc = crypto.encrypt(new_phone)
        worthy.phone_hash = crypto.lookup_hash(new_phone)
        worthy.phone_masked = crypto.mask_phone(new_phone) if new_phone else ""
    if is_active is not None and is_active != worthy.is_active:
        changes["is_active"] = [worthy.is_active, is_active]
        worthy.is_active = is_active
    if not changes:  # an unchanged form changes nothing, not even the audit log
        return worthy
    worthy.save()
    _audit(actor, "worthy.update", worthy, changes)
    return worthy


@transaction.atomic
def worthy_reveal(*, actor: Any, worthy: LocalWorthy) -> dict[str, str]:
    """A 乡贤's full phone, for those permitted; audited."""
    if not may_reveal_household(actor, worthy.org):
        raise PermissionDenied("您没有查看完整电话的权限")
    _audit(actor, "worthy.reveal", worthy)
    return {"phone": crypto.decrypt(worthy.phone_enc)}


# ── 矛盾调解 ──────────────────────────────────────────────────────────────────

PARTIES_MIN = 2
PARTIES_MAX = 20


def _clean_parties(parties: Sequence[str]) -> list[str]:
    names = [str(p).strip() for p in parties if str(p).strip()]
    if len(names) < PARTIES_MIN:
        raise invalid("请至少填写两方当事人", "parties_required", "parties")
    if len(names) > PARTIES_MAX or any(len(n) > 50 for n in names):
        raise invalid(
            f"当事人最多 {PARTIES_MAX} 个，每个不超过 50 个字", "parties_too_long", "parties"
        )
    return names


@transaction.atomic
def mediation_record(
    *,
    actor: Any,
    grid: Grid,
    mediated_on: dt.date,
    dispute_type: str,
    parties: Sequence[str],
    summary: str,
    place: str,
    outcome: str,
    place_detail: str = "",
    mediator_users: Iterable[User] = (),
    mediator_members: Iterable[Member] = (),
    worthies: Iterable[LocalWorthy] = (),
    referred_to: str = "",
    agreement: str = "",
) -> Mediation:
    """Record a dispute mediated in a grid: parties (encrypted, masked), mediators, 乡贤, result."""
    require_grid_write(actor, grid)
    require_active(grid)
    org = grid.org
    mediated_on = not_future(mediated_on, "调解日期", "mediated_on")
    if dispute_type not in Mediation.DisputeType.values:
        raise invalid("请选择纠纷类型", "dispute_type_invalid", "dispute_type")
    if place not in Mediation.Place.values:
        raise invalid("请选择调解地点", "place_invalid", "place")
    if outcome not in Mediation.Outcome.values:
        raise invalid("请选择调解结果", "outcome_invalid", "outcome")
    names = _clean_parties(parties)
    summary = _clean_text(summary, "纠纷概要", "summary", required=True, limit=CONTENT_MAX)
    place_detail = _clean_text(place_detail, "地点说明", "place_detail", required=False, limit=100)
    agreement = _clean_text(
        agreement,
        "调解协议",
        "agreement",
        required=outcome == Mediation.Outcome.SUCCESS,
        limit=CONTENT_MAX,
    )
    referred_to = _clean_text(
        referred_to,
        "转交单位",
        "referred_to",
        required=outcome == Mediation.Outcome.REFERRED,
        limit=100,
    )
    users = list(dict.fromkeys(mediator_users))
    for user in users:
        if not user.is_active or not may(user, "grid.view", org):
            raise invalid(
                "所选调解人不是本村（社区）的网格工作人员",
                "mediator_user_scope",
                "mediator_users",
            )
    members = list(dict.fromkeys(mediator_members))
    for member in members:
        check_member(member, org)
    chosen_worthies = list(dict.fromkeys(worthies))
    township = org.parent.path if org.parent_id and org.parent else org.path
    for worthy in chosen_worthies:
        if not worthy.is_active or not is_within(worthy.org_path, township):
            raise invalid("所选乡贤不在聘或不属于本乡镇（街道）", "worthy_scope", "worthies")
    if not (users or members or chosen_worthies):
        raise invalid("请至少选择一名调解人或乡贤", "mediators_required", "mediator_users")
    mediation = Mediation.objects.create(
        org=org,
        org_path=grid.org_path,
        grid=grid,
        mediated_on=mediated_on,
        dispute_type=dispute_type,
        parties_enc=crypto.encrypt("\n".join(names)),
        parties_masked="、".join(crypto.mask_name(n) for n in names)[:200],
        summary=summary,
        place=place,
        place_detail=place_detail,
        outcome=outcome,
        referred_to=referred_to if outcome == Mediation.Outcome.REFERRED else "",
        agreement=agreement,
        recorded_by=actor,
    )
    mediation.mediator_users.set(users)
    mediation.mediator_members.set(members)
    mediation.worthies.set(chosen_worthies)
    _audit(
        actor,
        "mediation.record",
        mediation,
        {
            "grid": grid.pk,
            "mediated_on": mediated_on,
            "dispute_type": dispute_type,
            "outcome": outcome,
            "place": place,
            "worthies": [w.pk for w in chosen_worthies],
        },
    )
    return mediation


@transaction.atomic
def mediation_reveal(*, actor: Any, mediation: Mediation) -> list[str]:
    """The parties' full names, for those permitted; audited."""
    if not may_reveal_household(actor, mediation.org):
        raise PermissionDenied("您没有查看当事人完整信息的权限")
    _audit(actor, "mediation.reveal", mediation)
    return crypto.decrypt(mediation.parties_enc).split("\n")
