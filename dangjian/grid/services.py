"""Writes for grids, households, household links, opinions, mediations and local worthies.

Every service is keyword-only, atomic, checks permission through the access root and writes
the audit log. Bad input raises ``ValidationError`` with a Chinese message and changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone

from dangjian.accounts.models import User
from dangjian.core import crypto
from dangjian.core.audit import audit_record, field_changes
from dangjian.core.paths import is_within
from dangjian.grid.models import (
    AnchorHousehold,
    Grid,
    Household,
    HouseholdLink,
    HouseholdTag,
    LocalWorthy,
    Mediation,
    OpinionRecord,
)
from dangjian.grid.rules import check_grid_host, grid_rules_for, opinion_due_on
from dangjian.members.models import Member
from dangjian.members.rules import check_id_number, mask_id, normalize_id
from dangjian.orgs.access import may, scope_roots
from dangjian.orgs.models import Organization

GRID_NAME_MAX = 60


def _invalid(message: str, code: str = "invalid", field: str | None = None) -> ValidationError:
    if field:
        return ValidationError({field: ValidationError(message, code=code)})
    return ValidationError(message, code=code)


def _require_manage(actor: Any, org: Organization) -> None:
    if not may(actor, "grid.manage", org):
        raise PermissionDenied("您没有维护该组织网格的权限")


def _audit(actor: Any, action: str, obj: Any, changes: dict[str, Any] | None = None) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=obj,
        changes=changes or {},
        org_id=obj.org_id,
        org_path=obj.org_path,
    )


# ── grids ────────────────────────────────────────────────────────────────────


def _clean_grid_name(org: Organization, name: str, *, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise _invalid("请填写网格名称", "name_required", "name")
    if len(name) > GRID_NAME_MAX:
        raise _invalid(f"网格名称不能超过 {GRID_NAME_MAX} 个字", "name_too_long", "name")
    clash = Grid.objects.filter(org=org, name=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise _invalid("该组织下已有同名网格", "name_taken", "name")
    return name


def _clean_workers(org: Organization, workers: Iterable[Any]) -> list[User]:
    """Grid workers must be active users who may see this organization's grids."""
    chosen: list[User] = []
    for worker in workers:
        user = worker if isinstance(worker, User) else User.objects.filter(pk=worker).first()
        if user is None or not user.is_active:
            raise _invalid("网格员账号不存在或已停用", "worker_unknown", "workers")
        if not may(user, "grid.view", org):
            raise _invalid(
                # No name: an id from outside the actor's view must not reveal whose it is.
                "所选网格员没有该组织的网格权限，请先为其分配网格员角色",
                "worker_out_of_scope",
                "workers",
            )
        if user not in chosen:
            chosen.append(user)
    return chosen


@transaction.atomic
def grid_create(
    *,
    actor: Any,
    org: Organization,
    name: str,
    area_description: str = "",
    workers: Iterable[Any] = (),
) -> Grid:
    """Draw a grid under a village or community organization, with its grid workers."""
    _require_manage(actor, org)
    check_grid_host(org)
    name = _clean_grid_name(org, name)
    chosen = _clean_workers(org, workers)
    grid = Grid.objects.create(
        org=org, org_path=org.path, name=name, area_description=(area_description or "").strip()
    )
    grid.workers.set(chosen)
    _audit(
        actor,
        "grid.create",
        grid,
        {
            "name": name,
            "area_description": grid.area_description,
            "workers": [u.pk for u in chosen],
        },
    )
    return grid


@transaction.atomic
def grid_update(
    *,
    actor: Any,
    grid: Grid,
    name: str | None = None,
    area_description: str | None = None,
    workers: Iterable[Any] | None = None,
    is_active: bool | None = None,
) -> Grid:
    """Rename a grid, redraw its area, change its grid workers, or (de)activate it."""
    _require_manage(actor, grid.org)
    before = {
        "name": grid.name,
        "area_description": grid.area_description,
        "is_active": grid.is_active,
    }
    after = dict(before)
    if name is not None:
        after["name"] = _clean_grid_name(grid.org, name, exclude=grid.pk)
    if area_description is not None:
        after["area_description"] = area_description.strip()
    if is_active is not None:
        after["is_active"] = is_active
    chosen = _clean_workers(grid.org, workers) if workers is not None else None
    changes = field_changes(before, after)
    if chosen is not None:
        old = sorted(grid.workers.values_list("pk", flat=True))
        new = sorted(u.pk for u in chosen)
        if old != new:
            changes["workers"] = [old, new]
    if not changes:  # an unchanged form changes nothing, not even the audit log
        return grid
    for field, value in after.items():
        setattr(grid, field, value)
    grid.save()
    if "workers" in changes:
        grid.workers.set(chosen)  # type: ignore[arg-type]
    _audit(actor, "grid.update", grid, changes)
    return grid


def may_record_in_grid(actor: Any, grid: Grid) -> bool:
    """Grid workers record opinions and mediations in their own grids; managers anywhere below."""
    if may(actor, "grid.manage", grid.org):
        return True
    return (
        grid.is_active
        and may(actor, "grid.view", grid.org)
        and grid.workers.filter(pk=actor.pk).exists()
    )


def may_reveal_household(viewer: Any, org: Organization) -> bool:
    """Full phone and ID numbers of residents follow the members' rule: the reveal permission."""
    return may(viewer, "member.reveal", org)


def _require_grid_write(actor: Any, grid: Grid) -> None:
    if not may_record_in_grid(actor, grid):
        raise PermissionDenied("您不是该网格的网格员，也没有维护该网格的权限")


def _require_active(grid: Grid) -> None:
    if not grid.is_active:
        raise _invalid("该网格已停用，不能登记新的记录", "grid_inactive", "grid")


def _today() -> dt.date:
    return timezone.localdate()


def _not_future(day: dt.date | None, label: str, field: str) -> dt.date:
    if day is None:
        raise _invalid(f"请填写{label}", f"{field}_required", field)
    if day > _today():
        raise _invalid(f"{label}不能晚于今天", f"{field}_future", field)
    return day


# ── households ───────────────────────────────────────────────────────────────

PHONE_RE = re.compile(r"^1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$")
HOUSEHOLD_SIZE_MAX = 30
HOUSEHOLD_FIELDS = ("address", "head_name", "size", "note")


def _clean_phone(value: str, field: str = "phone") -> str:
    value = re.sub(r"[\s]", "", value or "")
    if value and not PHONE_RE.match(value):
        raise _invalid(
            "联系电话格式不正确（11 位手机号或带区号的固定电话）", "phone_invalid", field
        )
    return value


def _clean_head_id(value: str) -> str:
    value = normalize_id(value or "")
    if value:
        check = check_id_number(value, today=_today())
        if not check.valid:
            raise _invalid(check.message, "head_id_invalid", "head_id")
    return value


def _clean_household(data: dict[str, Any]) -> dict[str, Any]:
    address = str(data.get("address") or "").strip()
    if not address:
        raise _invalid("请填写住址", "address_required", "address")
    if len(address) > 200:
        raise _invalid("住址不能超过 200 个字", "address_too_long", "address")
    head_name = str(data.get("head_name") or "").strip()
    if not head_name:
        raise _invalid("请填写户主姓名", "head_name_required", "head_name")
    if len(head_name) > 50:
        raise _invalid("户主姓名不能超过 50 个字", "head_name_too_long", "head_name")
    size = data.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= HOUSEHOLD_SIZE_MAX:
        raise _invalid(f"家庭人口应为 1–{HOUSEHOLD_SIZE_MAX} 人", "size_invalid", "size")
    note = str(data.get("note") or "").strip()
    if len(note) > 200:
        raise _invalid("备注不能超过 200 个字", "note_too_long", "note")
    return {"address": address, "head_name": head_name, "size": size, "note": note}


def _clean_tags(codes: Iterable[str]) -> list[HouseholdTag]:
    codes = list(dict.fromkeys(codes))
    tags = list(HouseholdTag.objects.filter(code__in=codes, is_active=True))
    if len(tags) != len(codes):
        raise _invalid("住户标签不正确", "tag_unknown", "tags")
    return tags


def _set_household_secrets(household: Household, *, phone: str, head_id: str) -> None:
    household.phone_enc = crypto.encrypt(phone)
    household.phone_hash = crypto.lookup_hash(phone)
    household.phone_masked = crypto.mask_phone(phone) if phone else ""
    household.head_id_enc = crypto.encrypt(head_id)
    household.head_id_hash = crypto.lookup_hash(head_id)
    household.head_id_masked = mask_id(head_id) if head_id else ""


@dataclass
class PreparedHousehold:
    """A checked, unsaved household with its tags and the changes its audit row records."""

    household: Household
    tags: list[HouseholdTag]
    changes: dict[str, Any]


def household_prepare(
    *,
    actor: Any,
    grid: Grid,
    data: dict[str, Any],
    phone: str = "",
    head_id: str = "",
    tags: Iterable[str] = (),
) -> PreparedHousehold:
    """Check and build one household without writing (imports check every row first)."""
    _require_manage(actor, grid.org)
    if not grid.is_active:
        raise _invalid("该网格已停用，不能登记住户", "grid_inactive", "grid")
    clean = _clean_household(data)
    phone = _clean_phone(phone)
    head_id = _clean_head_id(head_id)
    chosen = _clean_tags(tags)
    household = Household(
        grid=grid,
        org_id=grid.org_id,
        org_path=grid.org_path,
        needs_care=any(t.needs_care for t in chosen),
        **clean,
    )
    _set_household_secrets(household, phone=phone, head_id=head_id)
    changes = {**clean, "grid": grid.pk, "tags": [t.code for t in chosen], "phone": bool(phone)}
    return PreparedHousehold(household, chosen, changes)


@transaction.atomic
def household_create(
    *,
    actor: Any,
    grid: Grid,
    data: dict[str, Any],
    phone: str = "",
    head_id: str = "",
    tags: Iterable[str] = (),
) -> Household:
    """Register a household in a grid; phone and ID number are stored encrypted and masked."""
    prepared = household_prepare(
        actor=actor, grid=grid, data=data, phone=phone, head_id=head_id, tags=tags
    )
    household = prepared.household
    household.save()
    household.tags.set(prepared.tags)
    _audit(actor, "household.create", household, prepared.changes)
    return household


@transaction.atomic
def households_import_write(
    *, actor: Any, grid: Grid, prepared: Sequence[PreparedHousehold]
) -> list[Household]:
    """Write households checked by ``household_prepare`` in one short transaction (an import):
    bulk inserts, an audit row per household and one for the import; all or nothing."""
    _require_manage(actor, grid.org)
    if not Grid.objects.filter(pk=grid.pk, is_active=True).exists():
        raise _invalid("该网格已停用，不能登记住户", "grid_inactive", "grid")
    households = Household.objects.bulk_create([p.household for p in prepared])
    through = Household.tags.through
    through.objects.bulk_create(
        [
            through(household_id=h.pk, householdtag_id=t.pk)
            for h, p in zip(households, prepared, strict=True)
            for t in p.tags
        ]
    )
    for h, p in zip(households, prepared, strict=True):
        _audit(actor, "household.create", h, p.changes)
    audit_record(
        actor=actor,
        action="household.import",
        obj=grid,
        changes={"rows": len(households)},
        org_id=grid.org_id,
        org_path=grid.org_path,
    )
    return households


@transaction.atomic
def household_update(
    *,
    actor: Any,
    household: Household,
    data: dict[str, Any],
    phone: str | None = None,
    head_id: str | None = None,
    tags: Iterable[str] | None = None,
    grid: Grid | None = None,
    is_active: bool | None = None,
) -> Household:
    """Change a household's record, its tags, its grid (within the same village) or its status."""
    _require_manage(actor, household.grid.org)
    before = {f: getattr(household, f) for f in HOUSEHOLD_FIELDS}
    clean = _clean_household({**before, **data})
    changes = field_changes(before, clean)
    if grid is not None and grid.pk != household.grid_id:
        if grid.org_id != household.org_id or not grid.is_active:
            raise _invalid("只能调整到本村（社区）的其他在用网格", "grid_other_org", "grid")
        changes["grid"] = [household.grid_id, grid.pk]
        household.grid = grid
    new_phone = _clean_phone(phone) if phone is not None else None
    new_id = _clean_head_id(head_id) if head_id is not None else None
    chosen = _clean_tags(tags) if tags is not None else None
    for field, value in clean.items():
        setattr(household, field, value)
    if new_phone is not None and crypto.lookup_hash(new_phone) != household.phone_hash:
        changes["phone"] = ["***", "***"]
        household.phone_enc = crypto.encrypt(new_phone)
        household.phone_hash = crypto.lookup_hash(new_phone)
        household.phone_masked = crypto.mask_phone(new_phone) if new_phone else ""
    if new_id is not None and crypto.lookup_hash(new_id) != household.head_id_hash:
        changes["head_id"] = ["***", "***"]
        household.head_id_enc = crypto.encrypt(new_id)
        household.head_id_hash = crypto.lookup_hash(new_id)
        household.head_id_masked = mask_id(new_id) if new_id else ""
    if is_active is not None and is_active != household.is_active:
        changes["is_active"] = [household.is_active, is_active]
        household.is_active = is_active
        if not is_active:  # a household that moved away is no longer looked after
            ended = HouseholdLink.objects.filter(household=household, ended_on__isnull=True)
            ended.update(ended_on=_today())
    if chosen is not None:
        old = sorted(household.tags.values_list("code", flat=True))
        new = sorted(t.code for t in chosen)
        if old != new:
            changes["tags"] = [old, new]
        care = any(t.needs_care for t in chosen)
        if care != household.needs_care:
            changes.setdefault("tags", [sorted(old), sorted(new)])
            household.needs_care = care
    if not changes:  # an unchanged form changes nothing, not even the audit log
        return household
    household.save()
    if "tags" in changes:
        household.tags.set(chosen)  # type: ignore[arg-type]
    _audit(actor, "household.update", household, changes)
    return household


@transaction.atomic
def household_reveal(*, actor: Any, household: Household) -> dict[str, str]:
    """The head's full phone and ID number, for those permitted; every reveal is audited."""
    if not may_reveal_household(actor, household.org):
        raise PermissionDenied("您没有查看完整身份证号和电话的权限")
    _audit(actor, "household.reveal", household)
    return {
        "phone": crypto.decrypt(household.phone_enc),
        "head_id": crypto.decrypt(household.head_id_enc),
    }


# ── 党员中心户 and 党员联户 ──────────────────────────────────────────────────


def member_serves(member: Member, org: Organization) -> bool:
    """A member may look after households of ``org``: placed in its subtree, or checked in to
    it as a working member (在职党员到社区报到)."""
    if member.status != Member.Status.CURRENT:
        return False
    if is_within(member.org_path, org.path):
        return True
    community = member.checkin_community
    return community is not None and is_within(community.path, org.path)


def _check_member(member: Member, org: Organization) -> None:
    if not member_serves(member, org):
        raise _invalid(
            f"{member.name} 不是本村（社区）党组织的在册党员，也未到本社区报到",
            "member_out_of_org",
            "member",
        )


def _lock_member(member: Member) -> None:
    """Serialize 联户 writes per member: the per-member limit and the one-中心户 rule are
    checked and written by one transaction at a time (two requests cannot both pass)."""
    Member.objects.select_for_update().filter(pk=member.pk).values_list("pk").first()


@transaction.atomic
def anchor_create(
    *,
    actor: Any,
    grid: Grid,
    member: Member,
    household: Household | None = None,
    started_on: dt.date | None = None,
    note: str = "",
) -> AnchorHousehold:
    """Name a member's household a 党员中心户 of the grid."""
    _require_manage(actor, grid.org)
    if not grid.is_active:
        raise _invalid("该网格已停用", "grid_inactive", "grid")
    _check_member(member, grid.org)
    if household is not None and (household.grid_id != grid.pk or not household.is_active):
        raise _invalid("中心户住户须是本网格的在册住户", "household_other_grid", "household")
    started_on = _not_future(started_on or _today(), "设立日期", "started_on")
    _lock_member(member)
    if AnchorHousehold.objects.filter(member=member, ended_on__isnull=True).exists():
        raise _invalid(f"{member.name} 已是党员中心户", "anchor_exists", "member")
    anchor = AnchorHousehold.objects.create(
        grid=grid,
        org_path=grid.org_path,
        member=member,
        household=household,
        started_on=started_on,
        note=(note or "").strip()[:200],
    )
    audit_record(
        actor=actor,
        action="anchor.create",
        obj=anchor,
        changes={"grid": grid.pk, "member": member.pk, "household": getattr(household, "pk", None)},
        org_id=grid.org_id,
        org_path=grid.org_path,
    )
    return anchor


@transaction.atomic
def anchor_end(*, actor: Any, anchor: AnchorHousehold, ended_on: dt.date | None = None) -> None:
    """Stand a 党员中心户 down; the households it looked after are unlinked the same day."""
    _require_manage(actor, anchor.grid.org)
    if anchor.ended_on is not None:
        raise _invalid("该党员中心户已撤销", "anchor_ended")
    ended_on = _not_future(ended_on or _today(), "撤销日期", "ended_on")
    if ended_on < anchor.started_on:
        raise _invalid("撤销日期不能早于设立日期", "ended_before_started", "ended_on")
    anchor.ended_on = ended_on
    anchor.save(update_fields=["ended_on", "updated_at"])
    n = HouseholdLink.objects.filter(anchor=anchor, ended_on__isnull=True).update(ended_on=ended_on)
    audit_record(
        actor=actor,
        action="anchor.end",
        obj=anchor,
        changes={"ended_on": ended_on, "links_ended": n},
        org_id=anchor.grid.org_id,
        org_path=anchor.org_path,
    )


@transaction.atomic
def household_link(
    *,
    actor: Any,
    member: Member,
    households: Sequence[Household],
    anchor: AnchorHousehold | None = None,
    started_on: dt.date | None = None,
) -> list[HouseholdLink]:
    """党员联户: a member takes on households to look after. Pairs already linked are kept as they
    are; the per-member and per-中心户 limits come from the grid rules in force."""
    if not households:
        raise _invalid("请至少选择一户", "households_required", "households")
    started_on = _not_future(started_on or _today(), "联系开始日期", "started_on")
    _lock_member(member)
    orgs = {h.org_id: h.grid.org for h in households}
    for org in orgs.values():
        _require_manage(actor, org)
        _check_member(member, org)
    if any(not h.is_active for h in households):
        raise _invalid("只能联系在册住户", "household_inactive", "households")
    if anchor is not None:
        if anchor.member_id != member.pk or anchor.ended_on is not None:
            raise _invalid("所选党员中心户不属于该党员或已撤销", "anchor_mismatch", "anchor")
        if any(h.grid_id != anchor.grid_id for h in households):
            raise _invalid("党员中心户只联系本网格的住户", "anchor_other_grid", "households")
    existing = set(
        HouseholdLink.objects.filter(
            member=member, household__in=households, ended_on__isnull=True
        ).values_list("household_id", flat=True)
    )
    fresh = [h for h in dict.fromkeys(households) if h.pk not in existing]
    rules = grid_rules_for(households[0].org_path, started_on)
    current = HouseholdLink.objects.filter(member=member, ended_on__isnull=True).count()
    if current + len(fresh) > rules.links_per_member_max:
        raise _invalid(
            f"每名党员联系户数不超过 {rules.links_per_member_max} 户（{member.name} 已联系 "
            f"{current} 户）",
            "links_per_member_max",
            "households",
        )
    if anchor is not None:
        under = HouseholdLink.objects.filter(anchor=anchor, ended_on__isnull=True).count()
        if under + len(fresh) > rules.households_per_anchor_max:
            raise _invalid(
                f"每个党员中心户联系户数不超过 {rules.households_per_anchor_max} 户"
                f"（已联系 {under} 户）",
                "households_per_anchor_max",
                "households",
            )
    links = [
        HouseholdLink.objects.create(
            member=member, household=h, anchor=anchor, started_on=started_on, org_path=h.org_path
        )
        for h in fresh
    ]
    for link in links:
        audit_record(
            actor=actor,
            action="household.link",
            obj=link,
            changes={
                "member": member.pk,
                "household": link.household_id,
                "anchor": anchor and anchor.pk,
            },
            org_id=link.household.org_id,
            org_path=link.org_path,
        )
    return links


@transaction.atomic
def household_unlink(*, actor: Any, link: HouseholdLink, ended_on: dt.date | None = None) -> None:
    """End a 党员联户 link (history is kept)."""
    _require_manage(actor, link.household.org)
    if link.ended_on is not None:
        raise _invalid("该联户关系已结束", "link_ended")
    ended_on = _not_future(ended_on or _today(), "结束日期", "ended_on")
    if ended_on < link.started_on:
        raise _invalid("结束日期不能早于联系开始日期", "ended_before_started", "ended_on")
    link.ended_on = ended_on
    link.save(update_fields=["ended_on", "updated_at"])
    audit_record(
        actor=actor,
        action="household.unlink",
        obj=link,
        changes={"ended_on": ended_on},
        org_id=link.household.org_id,
        org_path=link.org_path,
    )


# ── 村情民意 ──────────────────────────────────────────────────────────────────

CONTENT_MAX = 2000


def _clean_text(value: Any, label: str, field: str, *, required: bool, limit: int) -> str:
    text = str(value or "").strip()
    if required and not text:
        raise _invalid(f"请填写{label}", f"{field}_required", field)
    if len(text) > limit:
        raise _invalid(f"{label}不能超过 {limit} 个字", f"{field}_too_long", field)
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
    _require_grid_write(actor, grid)
    _require_active(grid)
    collected_on = _not_future(collected_on, "收集日期", "collected_on")
    if category not in OpinionRecord.Category.values:
        raise _invalid("请选择民意类别", "category_invalid", "category")
    content = _clean_text(content, "民意内容", "content", required=True, limit=CONTENT_MAX)
    if household is not None and household.grid_id != grid.pk:
        raise _invalid("住户不在该网格", "household_other_grid", "household")
    if collected_by_member is not None:
        _check_member(collected_by_member, grid.org)
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
        _require_manage(actor, opinion.org)
    else:
        _require_grid_write(actor, grid)
    if status not in OPINION_NEXT.get(opinion.status, frozenset()):
        raise _invalid(
            f"“{opinion.get_status_display()}”的民意不能改为该状态", "status_transition", "status"
        )
    handling = _clean_text(handling, "办理情况", "handling", required=True, limit=CONTENT_MAX)
    closing = status in CLOSED_OPINION
    result = _clean_text(result, "办理结果", "result", required=closing, limit=CONTENT_MAX)
    before = {f: getattr(opinion, f) for f in ("status", "handling", "result", "handled_on")}
    if closing:
        handled_on = _not_future(handled_on or _today(), "办结日期", "handled_on")
        if handled_on < opinion.collected_on:
            raise _invalid("办结日期不能早于收集日期", "handled_before_collected", "handled_on")
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
        raise _invalid("乡贤须登记在村（社区）党组织之下", "worthy_org", "org") from exc


def _clean_worthy(data: dict[str, Any]) -> dict[str, Any]:
    name = _clean_text(data.get("name"), "姓名", "name", required=True, limit=50)
    background = data.get("background") or ""
    if background not in LocalWorthy.Background.values:
        raise _invalid("请选择身份背景", "background_invalid", "background")
    specialty = _clean_text(data.get("specialty"), "专长", "specialty", required=False, limit=100)
    note = _clean_text(data.get("note"), "备注", "note", required=False, limit=200)
    joined_on = _not_future(data.get("joined_on"), "聘请日期", "joined_on")
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
    _require_manage(actor, org)
    _check_village(org)
    clean = _clean_worthy(data)
    phone = _clean_phone(phone)
    if member is not None and member.status == Member.Status.FORMER:
        raise _invalid("关联的党员已不在册", "member_former", "member")
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
    _require_manage(actor, worthy.org)
    fields = ("name", "background", "specialty", "note", "joined_on")
    before = {f: getattr(worthy, f) for f in fields}
    clean = _clean_worthy({**before, **data})
    changes = field_changes(before, clean)
    new_phone = _clean_phone(phone) if phone is not None else None
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
        raise _invalid("请至少填写两方当事人", "parties_required", "parties")
    if len(names) > PARTIES_MAX or any(len(n) > 50 for n in names):
        raise _invalid(
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
    _require_grid_write(actor, grid)
    _require_active(grid)
    org = grid.org
    mediated_on = _not_future(mediated_on, "调解日期", "mediated_on")
    if dispute_type not in Mediation.DisputeType.values:
        raise _invalid("请选择纠纷类型", "dispute_type_invalid", "dispute_type")
    if place not in Mediation.Place.values:
        raise _invalid("请选择调解地点", "place_invalid", "place")
    if outcome not in Mediation.Outcome.values:
        raise _invalid("请选择调解结果", "outcome_invalid", "outcome")
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
            raise _invalid(
                "所选调解人不是本村（社区）的网格工作人员",
                "mediator_user_scope",
                "mediator_users",
            )
    members = list(dict.fromkeys(mediator_members))
    for member in members:
        _check_member(member, org)
    chosen_worthies = list(dict.fromkeys(worthies))
    township = org.parent.path if org.parent_id and org.parent else org.path
    for worthy in chosen_worthies:
        if not worthy.is_active or not is_within(worthy.org_path, township):
            raise _invalid("所选乡贤不在聘或不属于本乡镇（街道）", "worthy_scope", "worthies")
    if not (users or members or chosen_worthies):
        raise _invalid("请至少选择一名调解人或乡贤", "mediators_required", "mediator_users")
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


# ── Excel ────────────────────────────────────────────────────────────────────


@transaction.atomic
def household_export_record(*, actor: Any, scope_label: str, rows: int) -> None:
    """Audit a household roster export (``rows`` households of ``scope_label``, masked).

    The rows were scoped by the caller's selector; the export is only for those who maintain
    households somewhere.
    """
    if not scope_roots(actor, action="grid.manage"):
        raise PermissionDenied("您没有导出住户名册的权限")
    audit_record(
        actor=actor,
        action="household.export",
        object_type="grid.household",
        object_repr=scope_label[:200],
        changes={"rows": rows},
    )
