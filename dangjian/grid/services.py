"""Writes for grids, households, household links and 党员中心户 (records and 乡贤: ``community``).

The permission and input checks that ``community.services`` shares are public here.

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
)
from dangjian.grid.rules import (
    check_grid_host,
    grid_rules_for,
)
from dangjian.members.models import Member
from dangjian.members.rules import check_id_number, mask_id, normalize_id
from dangjian.orgs.access import may, scope_roots
from dangjian.orgs.models import Organization

GRID_NAME_MAX = 60


def invalid(message: str, code: str = "invalid", field: str | None = None) -> ValidationError:
    if field:
        return ValidationError({field: ValidationError(message, code=code)})
    return ValidationError(message, code=code)


def require_manage(actor: Any, org: Organization) -> None:
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
        raise invalid("请填写网格名称", "name_required", "name")
    if len(name) > GRID_NAME_MAX:
        raise invalid(f"网格名称不能超过 {GRID_NAME_MAX} 个字", "name_too_long", "name")
    clash = Grid.objects.filter(org=org, name=name)
    if exclude is not None:
        clash = clash.exclude(pk=exclude)
    if clash.exists():
        raise invalid("该组织下已有同名网格", "name_taken", "name")
    return name


def _clean_workers(org: Organization, workers: Iterable[Any]) -> list[User]:
    """Grid workers must be active users who may see this organization's grids."""
    chosen: list[User] = []
    for worker in workers:
        user = worker if isinstance(worker, User) else User.objects.filter(pk=worker).first()
        if user is None or not user.is_active:
            raise invalid("网格员账号不存在或已停用", "worker_unknown", "workers")
        if not may(user, "grid.view", org):
            raise invalid(
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
    require_manage(actor, org)
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
    require_manage(actor, grid.org)
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


def require_grid_write(actor: Any, grid: Grid) -> None:
    if not may_record_in_grid(actor, grid):
        raise PermissionDenied("您不是该网格的网格员，也没有维护该网格的权限")


def require_active(grid: Grid) -> None:
    if not grid.is_active:
        raise invalid("该网格已停用，不能登记新的记录", "grid_inactive", "grid")


def _today() -> dt.date:
    return timezone.localdate()


def not_future(day: dt.date | None, label: str, field: str) -> dt.date:
    if day is None:
        raise invalid(f"请填写{label}", f"{field}_required", field)
    if day > _today():
        raise invalid(f"{label}不能晚于今天", f"{field}_future", field)
    return day


# ── households ───────────────────────────────────────────────────────────────

PHONE_RE = re.compile(r"^1[3-9]\d{9}$|^0\d{2,3}-?\d{7,8}$")
HOUSEHOLD_SIZE_MAX = 30
HOUSEHOLD_FIELDS = ("address", "head_name", "size", "note")


def clean_phone(value: str, field: str = "phone") -> str:
    value = re.sub(r"[\s]", "", value or "")
    if value and not PHONE_RE.match(value):
        raise invalid("联系电话格式不正确（11 位手机号或带区号的固定电话）", "phone_invalid", field)
    return value


def _clean_head_id(value: str) -> str:
    value = normalize_id(value or "")
    if value:
        check = check_id_number(value, today=_today())
        if not check.valid:
            raise invalid(check.message, "head_id_invalid", "head_id")
    return value


def _clean_household(data: dict[str, Any]) -> dict[str, Any]:
    address = str(data.get("address") or "").strip()
    if not address:
        raise invalid("请填写住址", "address_required", "address")
    if len(address) > 200:
        raise invalid("住址不能超过 200 个字", "address_too_long", "address")
    head_name = str(data.get("head_name") or "").strip()
    if not head_name:
        raise invalid("请填写户主姓名", "head_name_required", "head_name")
    if len(head_name) > 50:
        raise invalid("户主姓名不能超过 50 个字", "head_name_too_long", "head_name")
    size = data.get("size")
    if not isinstance(size, int) or isinstance(size, bool) or not 1 <= size <= HOUSEHOLD_SIZE_MAX:
        raise invalid(f"家庭人口应为 1–{HOUSEHOLD_SIZE_MAX} 人", "size_invalid", "size")
    note = str(data.get("note") or "").strip()
    if len(note) > 200:
        raise invalid("备注不能超过 200 个字", "note_too_long", "note")
    return {"address": address, "head_name": head_name, "size": size, "note": note}


def _clean_tags(codes: Iterable[str]) -> list[HouseholdTag]:
    codes = list(dict.fromkeys(codes))
    tags = list(HouseholdTag.objects.filter(code__in=codes, is_active=True))
    if len(tags) != len(codes):
        raise invalid("住户标签不正确", "tag_unknown", "tags")
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
    require_manage(actor, grid.org)
    if not grid.is_active:
        raise invalid("该网格已停用，不能登记住户", "grid_inactive", "grid")
    clean = _clean_household(data)
    phone = clean_phone(phone)
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
    require_manage(actor, grid.org)
    if not Grid.objects.filter(pk=grid.pk, is_active=True).exists():
        raise invalid("该网格已停用，不能登记住户", "grid_inactive", "grid")
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
    require_manage(actor, household.grid.org)
    before = {f: getattr(household, f) for f in HOUSEHOLD_FIELDS}
    clean = _clean_household({**before, **data})
    changes = field_changes(before, clean)
    if grid is not None and grid.pk != household.grid_id:
        if grid.org_id != household.org_id or not grid.is_active:
            raise invalid("只能调整到本村（社区）的其他在用网格", "grid_other_org", "grid")
        changes["grid"] = [household.grid_id, grid.pk]
        household.grid = grid
    new_phone = clean_phone(phone) if phone is not None else None
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


def check_member(member: Member, org: Organization) -> None:
    if not member_serves(member, org):
        raise invalid(
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
    require_manage(actor, grid.org)
    if not grid.is_active:
        raise invalid("该网格已停用", "grid_inactive", "grid")
    check_member(member, grid.org)
    if household is not None and (household.grid_id != grid.pk or not household.is_active):
        raise invalid("中心户住户须是本网格的在册住户", "household_other_grid", "household")
    started_on = not_future(started_on or _today(), "设立日期", "started_on")
    _lock_member(member)
    if AnchorHousehold.objects.filter(member=member, ended_on__isnull=True).exists():
        raise invalid(f"{member.name} 已是党员中心户", "anchor_exists", "member")
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
    require_manage(actor, anchor.grid.org)
    if anchor.ended_on is not None:
        raise invalid("该党员中心户已撤销", "anchor_ended")
    ended_on = not_future(ended_on or _today(), "撤销日期", "ended_on")
    if ended_on < anchor.started_on:
        raise invalid("撤销日期不能早于设立日期", "ended_before_started", "ended_on")
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
        raise invalid("请至少选择一户", "households_required", "households")
    started_on = not_future(started_on or _today(), "联系开始日期", "started_on")
    _lock_member(member)
    orgs = {h.org_id: h.grid.org for h in households}
    for org in orgs.values():
        require_manage(actor, org)
        check_member(member, org)
    if any(not h.is_active for h in households):
        raise invalid("只能联系在册住户", "household_inactive", "households")
    if anchor is not None:
        if anchor.member_id != member.pk or anchor.ended_on is not None:
            raise invalid("所选党员中心户不属于该党员或已撤销", "anchor_mismatch", "anchor")
        if any(h.grid_id != anchor.grid_id for h in households):
            raise invalid("党员中心户只联系本网格的住户", "anchor_other_grid", "households")
    existing = set(
        HouseholdLink.objects.filter(
            member=member, household__in=households, ended_on__isnull=True
        ).values_list("household_id", flat=True)
    )
    fresh = [h for h in dict.fromkeys(households) if h.pk not in existing]
    rules = grid_rules_for(households[0].org_path, started_on)
    current = HouseholdLink.objects.filter(member=member, ended_on__isnull=True).count()
    if current + len(fresh) > rules.links_per_member_max:
        raise invalid(
            f"每名党员联系户数不超过 {rules.links_per_member_max} 户（{member.name} 已联系 "
            f"{current} 户）",
            "links_per_member_max",
            "households",
        )
    if anchor is not None:
        under = HouseholdLink.objects.filter(anchor=anchor, ended_on__isnull=True).count()
        if under + len(fresh) > rules.households_per_anchor_max:
            raise invalid(
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
    require_manage(actor, link.household.org)
    if link.ended_on is not None:
        raise invalid("该联户关系已结束", "link_ended")
    ended_on = not_future(ended_on or _today(), "结束日期", "ended_on")
    if ended_on < link.started_on:
        raise invalid("结束日期不能早于联系开始日期", "ended_before_started", "ended_on")
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
