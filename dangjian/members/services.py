"""Every write to the member registry. Keyword-only, atomic, permission-checked, audited,
on the member's timeline, and reflected in the statistics rollup in the same transaction.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from pypinyin import Style, lazy_pinyin

from dangjian.core import crypto
from dangjian.core.audit import audit_record
from dangjian.core.bulk import insert_rows
from dangjian.core.uploads import sanitize_upload
from dangjian.members import rollups
from dangjian.members.access import may_reveal

# Re-exported: other apps register people through this module (id_clash.py explains).
from dangjian.members.id_clash import Clash as Clash
from dangjian.members.id_clash import check_member_id_free
from dangjian.members.id_clash import id_clash_guard as id_clash_guard
from dangjian.members.id_clash import id_clash_record as id_clash_record
from dangjian.members.id_clash import member_id_clash as member_id_clash
from dangjian.members.id_lookup import id_lookup_guard
from dangjian.members.models import (
    DossierItem,
    DossierRequirement,
    Member,
    MemberEvent,
    MemberPlacement,
)
from dangjian.members.placements import (
    placement_close,
    placement_move,
    placement_open,
    placement_rejoined_on,
    placement_row,
    placement_start,
)
from dangjian.members.rules import (
    STATUS_RULES,
    check_id_number,
    check_mobile,
    code_labels,
    mask_id,
    normalize_id,
)
from dangjian.orgs.access import may
from dangjian.orgs.models import BRANCH_TYPES, Organization

CODED_FIELDS = {
    "sex": "sex",
    "ethnicity": "ethnicity",
    "education": "education",
    "job": "job",
    "marital": "marital",
    "health": "health",
    "degree": "degree",
    "party_post": "party_post",
}
REQUIRED = (
    "name",
    "sex",
    "ethnicity",
    "id_number",
    "birth_date",
    "education",
    "category",
    "joined_on",
    "job",
)
TEXT_LIMITS = {
    "name": 50,
    "address": 200,
    "mobile_destination": 100,
    "mobile_reason": 100,
    "native_place": 50,
    "major": 50,
    "school": 100,
    "admin_post": 50,
    "note": 2000,
}
BOOL_FIELDS = (
    "is_retired",
    "is_hardship",
    "is_migrant_worker",
    "is_new_social_class",
    "is_taiwan",
)
DATE_FIELDS = ("birth_date", "joined_on", "full_member_on", "work_started_on")
EDITABLE = (
    "name", "sex", "ethnicity", "id_number", "birth_date", "education", "category", "joined_on",
    "full_member_on", "job", "mobile", "address", "native_place", "work_started_on", "marital",
    "health", "degree", "major", "school", "party_post", "admin_post", "note", *BOOL_FIELDS,
)  # fmt: skip


@lru_cache(maxsize=65536)
def name_initials(name: str) -> str:
    """Pinyin initials for search: 张三 → zs."""
    return "".join(p[:1] for p in lazy_pinyin(name, style=Style.FIRST_LETTER) if p).lower()[:20]


def _code(table: str, value: Any) -> str | None:
    """Accept a code, a label, or "code label"; None when unknown."""
    text = str(value or "").strip()
    if not text:
        return ""
    labels = code_labels(table)
    if text in labels:
        return text
    head = text.split(" ", 1)[0]
    if head in labels:
        return head
    by_label = {v: k for k, v in labels.items()}
    return by_label.get(text)


def _date(value: Any) -> dt.date | None:
    if value in (None, ""):
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    text = str(value).strip().replace("/", "-").replace(".", "-")
    for fmt in ("%Y-%m-%d", "%Y%m%d", "%Y年%m月%d日"):
        try:
            return dt.datetime.strptime(text, fmt).date()  # noqa: DTZ007 — a calendar date
        except ValueError:
            continue
    raise ValueError(text)


def _label(name: str) -> str:
    """The Chinese label of a member field."""
    return str(getattr(Member._meta.get_field(name), "verbose_name", name))


def _years_after(day: dt.date, years: int) -> dt.date:
    """The same day ``years`` later (29 February → 1 March in a common year)."""
    try:
        return day.replace(year=day.year + years)
    except ValueError:
        return dt.date(day.year + years, 3, 1)


def member_clean(
    data: dict[str, Any], *, instance: Member | None = None, today: dt.date | None = None
) -> dict[str, Any]:
    """Validate record fields; return typed values or raise ValidationError({field: 中文}).

    Used by forms, the API and the Excel import alike, so every door has the same rules.
    """
    today = today or timezone.localdate()
    errors: dict[str, str] = {}
    out: dict[str, Any] = {}
    for field, value in data.items():
        if field not in EDITABLE:
            errors[field] = f"不支持的字段：{field}"
            continue
        if field in CODED_FIELDS:
            code = _code(CODED_FIELDS[field], value)
            if code is None:
                errors[field] = f"“{value}”不在{_label(field)}代码表中"
            else:
                out[field] = code
        elif field in DATE_FIELDS:
            try:
                out[field] = _date(value)
            except ValueError:
                errors[field] = f"日期“{value}”无法识别，请写成 2024-07-01 的形式"
        elif field in BOOL_FIELDS:
            out[field] = value in (True, 1, "1", "是", "true", "True", "Y", "y")
        elif field == "category":
            text = str(value or "").strip()
            labels = {v: k for k, v in Member.Category.choices} | {
                "正式": "full",
                "预备": "probationary",
            }
            code = text if text in Member.Category.values else labels.get(text)
            if code is None:
                errors[field] = "人员类别只能是“正式党员”或“预备党员”"
            else:
                out[field] = code
        else:
            text = str(value or "").strip()
            limit = TEXT_LIMITS.get(field)
            if limit and len(text) > limit:
                errors[field] = f"不能超过 {limit} 个字"
            if "\x00" in text:
                errors[field] = "含有不可见的空字符"
            out[field] = text

    def current(name: str) -> Any:
        if name in out:
            return out[name]
        if instance is not None and name != "id_number" and name != "mobile":
            return getattr(instance, name, None)
        return None

    if instance is None:
        for name in REQUIRED:
            if name not in errors and not out.get(name):
                errors[name] = (
                    f"请填写{_label(name if name != 'id_number' else 'id_number_masked')}"
                )
    if "name" in out and not out["name"] and "name" not in errors:
        errors["name"] = "请填写姓名"

    if "id_number" in out and out["id_number"] and "id_number" not in errors:
        check = check_id_number(out["id_number"], today=today)
        if not check.valid:
            errors["id_number"] = check.message
        else:
            out["id_number"] = normalize_id(out["id_number"])
            birth = current("birth_date")
            if birth and check.birth_date != birth and "birth_date" not in errors:
                errors["birth_date"] = (
                    f"出生日期与公民身份号码不一致（身份证为 {check.birth_date:%Y-%m-%d}）"
                )
            sex = current("sex")
            if sex in ("1", "2") and sex != check.sex_code and "sex" not in errors:
                errors["sex"] = "性别与公民身份号码不一致"
    if "mobile" in out:
        msg = check_mobile(out["mobile"])
        if msg:
            errors["mobile"] = msg

    birth, joined, full = current("birth_date"), current("joined_on"), current("full_member_on")
    category = current("category")
    if birth and birth > today:
        errors.setdefault("birth_date", "出生日期不能晚于今天")
    if joined:
        if joined > today:
            errors.setdefault("joined_on", "入党日期不能晚于今天")
        min_age = STATUS_RULES.admission_min_age
        if birth and joined < _years_after(birth, min_age):
            errors.setdefault("joined_on", f"入党时应年满 {min_age} 周岁，请核对出生日期和入党日期")
    if full:
        if joined and full < joined:
            errors.setdefault("full_member_on", "转正日期不能早于入党日期")
        if full > today:
            errors.setdefault("full_member_on", "转正日期不能晚于今天")
        if category == Member.Category.PROBATIONARY:
            errors.setdefault("full_member_on", "预备党员不应有转正日期")
    elif (
        category == Member.Category.FULL
        and joined
        and "full_member_on" not in errors
        and ("category" in out or "full_member_on" in out or instance is None)
    ):
        errors["full_member_on"] = "正式党员请填写转为正式党员日期"
    if errors:
        raise ValidationError(errors)
    return out


def _check_branch(actor: Any, branch: Organization, action: str) -> None:
    if branch.org_type not in BRANCH_TYPES:
        raise ValidationError({"branch": "党员只能编入党支部（含联合党支部、临时党支部）"})
    if not may(actor, "org.view", branch):
        raise ValidationError({"branch": "所选党支部不在您的管理范围内"})
    if not may(actor, action, branch):
        raise PermissionDenied("您没有维护该党支部党员的权限")


def _check_group(branch: Organization, group: Organization | None) -> None:
    if group is not None and group.parent_id != branch.pk:
        raise ValidationError({"group": "党小组必须属于所在党支部"})


def _apply_secret_fields(member: Member, data: dict[str, Any]) -> None:
    if "id_number" in data:
        number = data.pop("id_number")
        member.id_number_enc = crypto.encrypt(number)
        member.id_number_hash = crypto.lookup_hash(number)
        member.id_number_masked = mask_id(number)
    if "mobile" in data:
        number = data.pop("mobile")
        member.mobile_enc = crypto.encrypt(number)
        member.mobile_hash = crypto.lookup_hash(number)
        member.mobile_masked = crypto.mask_phone(number)


def member_build(
    *, branch: Organization, group: Organization | None, cleaned: dict[str, Any]
) -> Member:
    """An unsaved member from cleaned data (imports build many, then insert in bulk)."""
    data = dict(cleaned)
    member = Member(branch=branch, group=group, org_path=branch.path)
    _apply_secret_fields(member, data)
    for k, v in data.items():
        setattr(member, k, v)
    member.name_initials = name_initials(member.name)
    return member


def event_record(
    *,
    actor: Any,
    member: Member,
    kind: str,
    summary: str,
    occurred_on: dt.date | None = None,
    increase_reason: str = "",
    decrease_reason: str = "",
    details: dict[str, Any] | None = None,
) -> MemberEvent:
    """Put one event on a member's timeline (other capabilities call this too)."""
    return MemberEvent.objects.create(
        member=member,
        kind=kind,
        summary=summary[:200],
        occurred_on=occurred_on or timezone.localdate(),
        increase_reason=increase_reason,
        decrease_reason=decrease_reason,
        details=details or {},
        actor=actor if getattr(actor, "pk", None) else None,
        org_path=member.org_path,
    )


def member_create(
    *,
    actor: Any,
    branch: Organization,
    data: dict[str, Any],
    group: Organization | None = None,
    increase_reason: str = "11",
    surface: str = "member.create",
    id_checked: bool = False,
) -> Member:
    """Register a member in a branch; the 党统 increase reason goes on the timeline.

    ``id_checked``: the caller ran ``check_member_id_free`` before opening its own transaction
    (so the check is not counted twice against the actor's ID-lookup budget).
    """
    _check_branch(actor, branch, "member.edit")
    _check_group(branch, group)
    if increase_reason not in code_labels("increase"):
        raise ValidationError({"increase_reason": "未知的党员增加原因"})
    cleaned = member_clean(data)
    # Before the write transaction: the clash's audit row and the probe counter must outlive
    # the refusal (id_clash.py). The unique constraint still catches a concurrent registration.
    if not id_checked:
        check_member_id_free(actor=actor, number=cleaned["id_number"], surface=surface)
    return _member_admit(
        actor=actor, branch=branch, group=group, cleaned=cleaned, increase_reason=increase_reason
    )


@transaction.atomic
def _member_admit(
    *,
    actor: Any,
    branch: Organization,
    group: Organization | None,
    cleaned: dict[str, Any],
    increase_reason: str,
) -> Member:
    member = member_build(branch=branch, group=group, cleaned=cleaned)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:  # a concurrent registration of the same person won the race
        raise ValidationError({"id_number": "该公民身份号码已登记"}) from exc
    placement_open(
        member,
        since=placement_start(
            joined_on=member.joined_on,
            increase_reason=increase_reason,
            registered_on=timezone.localdate(),
        ),
    )
    event_record(
        actor=actor,
        member=member,
        kind=MemberEvent.Kind.ADMITTED,
        summary=f"{code_labels('increase')[increase_reason]}：编入{branch.display_name}",
        occurred_on=member.joined_on if increase_reason == "11" else None,
        increase_reason=increase_reason,
    )
    rollups.rollup_move(None, rollups.member_key(member))
    audit_record(
        actor=actor,
        action="member.create",
        obj=member,
        changes={"branch": branch.pk, "increase_reason": increase_reason},
        org_id=branch.pk,
        org_path=member.org_path,
    )
    return member


IN_CHUNK = 5000


@dataclass
class PreparedAdmission:
    """Members built for a bulk admission, ready to insert (see ``members_bulk_prepare``)."""

    members: list[Member]
    branches: dict[int, Organization]
    source: str


def members_bulk_prepare(
    *, actor: Any, rows: list[tuple[Organization, Organization | None, dict[str, Any]]], source: str
) -> PreparedAdmission:
    """Check and build many already-cleaned members, outside any transaction.

    The slow part of an import (encrypting and hashing every ID number and phone) happens here,
    before the write lock is taken, so other users' writes are not kept waiting behind it.
    """
    branches = {b.pk: b for b, _, _ in rows}
    for b in branches.values():
        _check_branch(actor, b, "member.import")
    members = [member_build(branch=b, group=g, cleaned=c) for b, g, c in rows]
    hashes = [m.id_number_hash for m in members]
    if len(set(hashes)) != len(hashes):
        raise ValidationError("文件中有重复的公民身份号码")
    return PreparedAdmission(members, branches, source)


@transaction.atomic
def members_bulk_write(*, actor: Any, prepared: PreparedAdmission) -> list[Member]:
    """Insert prepared members in one short transaction: all or nothing.

    Re-checks, inside the transaction, the branches' permission and that nobody registered one
    of these people since the caller's check; then only bulk inserts.
    """
    branches, members, source = prepared.branches, prepared.members, prepared.source
    for b in branches.values():
        _check_branch(actor, b, "member.import")
    hashes = [m.id_number_hash for m in members]
    existing = 0
    for start in range(0, len(hashes), IN_CHUNK):  # SQLite caps bound variables per statement
        existing += (
            Member.objects.filter(id_number_hash__in=hashes[start : start + IN_CHUNK])
            .exclude(status=Member.Status.FORMER)
            .count()
        )
    if existing:
        raise ValidationError(f"有 {existing} 人的公民身份号码已经登记")
    insert_rows(Member, members)
    ids: dict[str, int] = {}
    for start in range(0, len(hashes), IN_CHUNK):
        ids.update(
            Member.objects.filter(id_number_hash__in=hashes[start : start + IN_CHUNK])
            .exclude(status=Member.Status.FORMER)
            .values_list("id_number_hash", "id")
        )
    for m in members:
        m.pk = ids[m.id_number_hash]
    created = members
    today = timezone.localdate()
    actor_id = actor.pk if getattr(actor, "pk", None) else None
    insert_rows(
        MemberEvent,
        [
            {
                "member_id": m.pk,
                "kind": MemberEvent.Kind.ADMITTED,
                "summary": f"批量导入：编入{branches[m.branch_id].display_name}",
                "occurred_on": today,
                "increase_reason": "91",
                "details": {"source": source},
                "actor_id": actor_id,
                "org_path": m.org_path,
            }
            for m in created
        ],
        as_dicts=True,
    )
    # 其他原因增加 (91): loading a roll; each member has been in the branch since joining.
    insert_rows(
        MemberPlacement, [placement_row(m, since=m.joined_on) for m in created], as_dicts=True
    )
    rollups.rollup_add_many(created)
    audit_record(
        actor=actor,
        action="member.import",
        object_type="members.member",
        object_repr=f"导入 {len(created)} 名党员（{source}）",
        changes={"count": len(created), "branches": sorted(branches)},
        org_path=min(b.path for b in branches.values()) if branches else "",
    )
    return created


def members_bulk_admit(
    *, actor: Any, rows: list[tuple[Organization, Organization | None, dict[str, Any]]], source: str
) -> list[Member]:
    """Admit many already-cleaned members at once (Excel import): all or nothing.

    Built outside the transaction, written inside one short one (``members_bulk_prepare`` then
    ``members_bulk_write``).
    """
    prepared = members_bulk_prepare(actor=actor, rows=rows, source=source)
    return members_bulk_write(actor=actor, prepared=prepared)


def member_update(*, actor: Any, member: Member, data: dict[str, Any]) -> Member:
    """Change record fields (not placement or status); audited and on the timeline."""
    if not may(actor, "member.edit", member.branch):
        raise PermissionDenied("您没有维护该党员信息的权限")
    number = normalize_id(str(data.get("id_number") or ""))
    if number and check_id_number(number).valid:
        # Outside the transaction, as in member_create.
        if crypto.lookup_hash(number) != member.id_number_hash:
            check_member_id_free(
                actor=actor, number=number, surface="member.update", exclude=member.pk
            )
        else:
            # "Unchanged" is an answer too (the timeline shows no change): counted the same.
            id_lookup_guard(actor=actor, surface="member.update", numbers=[number])
    return _member_update(actor=actor, member=member, data=data)


@transaction.atomic
def _member_update(*, actor: Any, member: Member, data: dict[str, Any]) -> Member:
    member = Member.objects.select_for_update().get(pk=member.pk)
    if member.status == Member.Status.FORMER:
        raise ValidationError("历史库中的党员不能修改，如需恢复请办理恢复党籍")
    cleaned = member_clean(data, instance=member)
    before_key = rollups.member_key(member)
    changes: dict[str, list[Any]] = {}
    secret: dict[str, Any] = {k: cleaned.pop(k) for k in ("id_number", "mobile") if k in cleaned}
    if "id_number" in secret and crypto.lookup_hash(secret["id_number"]) != member.id_number_hash:
        changes["公民身份号码"] = ["（已更改）", "（已更改）"]
    elif "id_number" in secret:
        secret.pop("id_number")
    if "mobile" in secret and crypto.lookup_hash(secret["mobile"]) != member.mobile_hash:
        changes["联系电话"] = ["（已更改）", "（已更改）"]
    elif "mobile" in secret:
        secret.pop("mobile")
    for k, v in cleaned.items():
        if getattr(member, k) != v:
            changes[k] = [getattr(member, k), v]
            setattr(member, k, v)
    _apply_secret_fields(member, secret)
    if not changes:
        return member
    member.name_initials = name_initials(member.name)
    try:
        with transaction.atomic():
            member.save()
    except IntegrityError as exc:  # someone registered that number since the check above
        raise ValidationError({"id_number": "该公民身份号码已登记"}) from exc
    if "joined_on" in changes:
        placement_rejoined_on(member, old=changes["joined_on"][0], new=member.joined_on)
    labels = [_label(k) if hasattr(Member, k) else k for k in changes]
    event_record(
        actor=actor,
        member=member,
        kind=MemberEvent.Kind.UPDATED,
        summary="修改：" + "、".join(map(str, labels)),
    )
    rollups.rollup_move(before_key, rollups.member_key(member))
    audit_record(
        actor=actor,
        action="member.update",
        obj=member,
        changes=changes,
        org_id=member.branch_id,
        org_path=member.org_path,
    )
    return member


def _locked(member: Member) -> Member:
    """The member's row, locked for this transaction: checks read the current state."""
    return Member.objects.select_related("branch").select_for_update().get(pk=member.pk)


def _status_change(
    actor: Any,
    member: Member,
    *,
    fields: dict[str, Any],
    kind: str,
    summary: str,
    on: dt.date | None = None,
    increase_reason: str = "",
    decrease_reason: str = "",
) -> Member:
    if not may(actor, "member.edit", member.branch):
        raise PermissionDenied("您没有维护该党员信息的权限")
    if member.status == Member.Status.FORMER:
        raise ValidationError("历史库中的党员不能办理此项")
    if member.status == Member.Status.TRANSFERRING and kind in (
        MemberEvent.Kind.PLACEMENT,
        MemberEvent.Kind.LEFT,
    ):
        raise ValidationError("该党员正在办理组织关系转接，请先完成或撤销转接")
    before_key = rollups.member_key(member)
    before = {k: getattr(member, k) for k in fields}
    for k, v in fields.items():
        setattr(member, k, v)
    member.save()
    event_record(
        actor=actor,
        member=member,
        kind=kind,
        summary=summary,
        occurred_on=on,
        increase_reason=increase_reason,
        decrease_reason=decrease_reason,
    )
    rollups.rollup_move(before_key, rollups.member_key(member))
    audit_record(
        actor=actor,
        action=f"member.{kind}",
        obj=member,
        changes={k: [before[k], v] for k, v in fields.items()},
        org_id=member.branch_id,
        org_path=member.org_path,
    )
    return member


@transaction.atomic
def member_confirm_full(*, actor: Any, member: Member, on: dt.date) -> Member:
    """转正: a probationary member becomes a full member on ``on``."""
    member = _locked(member)
    if member.category != Member.Category.PROBATIONARY:
        raise ValidationError("只有预备党员才能转正")
    if on < member.joined_on:
        raise ValidationError("转正日期不能早于入党日期")
    if on > timezone.localdate():
        raise ValidationError("转正日期不能晚于今天")
    return _status_change(
        actor, member, fields={"category": Member.Category.FULL, "full_member_on": on},
        kind=MemberEvent.Kind.CATEGORY, summary=f"{on:%Y年%m月%d日}转为正式党员", on=on,
    )  # fmt: skip


@transaction.atomic
def member_set_lost_contact(*, actor: Any, member: Member, since: dt.date | None) -> Member:
    """Mark a member as lost contact since a date, or (None) as back in contact."""
    member = _locked(member)
    if since is not None and since > timezone.localdate():
        raise ValidationError("失联日期不能晚于今天")
    if since is None:
        return _status_change(
            actor, member, fields={"lost_contact": False, "lost_contact_since": None},
            kind=MemberEvent.Kind.CONTACT_RESTORED, summary="恢复与党组织的联系",
        )  # fmt: skip
    return _status_change(
        actor, member, fields={"lost_contact": True, "lost_contact_since": since},
        kind=MemberEvent.Kind.LOST_CONTACT, summary=f"自{since:%Y年%m月%d日}起与党组织失去联系", on=since,
    )  # fmt: skip


@transaction.atomic
def member_set_mobile(
    *,
    actor: Any,
    member: Member,
    destination: str,
    reason: str,
    since: dt.date,
    mobile_branch: Organization | None = None,
) -> Member:
    """Record a member going away (流动党员): where, why, since when, and who manages them there."""
    member = _locked(member)
    if not destination.strip():
        raise ValidationError({"mobile_destination": "请填写外出流向"})
    if since > timezone.localdate():
        raise ValidationError({"mobile_since": "外出日期不能晚于今天"})
    if (
        mobile_branch is not None
        and not mobile_branch.is_mobile
        and mobile_branch.org_type not in BRANCH_TYPES
    ):
        raise ValidationError({"mobile_branch": "管理党组织应为流动党员党支部"})
    return _status_change(
        actor, member,
        fields={"is_mobile": True, "mobile_destination": destination.strip()[:100], "mobile_reason": reason.strip()[:100],
                "mobile_since": since, "mobile_branch": mobile_branch},
        kind=MemberEvent.Kind.MOBILE, summary=f"外出流动至{destination.strip()}", on=since,
    )  # fmt: skip


@transaction.atomic
def member_end_mobile(*, actor: Any, member: Member) -> Member:
    """The member has come back: no longer mobile."""
    member = _locked(member)
    return _status_change(
        actor, member,
        fields={"is_mobile": False, "mobile_destination": "", "mobile_reason": "", "mobile_since": None, "mobile_branch": None},
        kind=MemberEvent.Kind.MOBILE_END, summary="结束外出流动",
    )  # fmt: skip


@transaction.atomic
def member_set_retired(*, actor: Any, member: Member, retired: bool) -> Member:
    member = _locked(member)
    return _status_change(
        actor, member, fields={"is_retired": retired}, kind=MemberEvent.Kind.RETIRED,
        summary="离退休" if retired else "取消离退休标记",
    )  # fmt: skip


@transaction.atomic
def member_set_checkin(
    *, actor: Any, member: Member, community: Organization | None, since: dt.date | None
) -> Member:
    """在职党员到社区报到: record the community and the date (None ends it)."""
    member = _locked(member)
    if community is not None and community.sector != Organization.Sector.COMMUNITY:
        raise ValidationError({"checkin_community": "报到组织应为社区党组织"})
    summary = f"到{community.display_name}报到" if community else "结束社区报到"
    return _status_change(
        actor, member, fields={"checkin_community": community, "checkin_since": since if community else None},
        kind=MemberEvent.Kind.CHECKIN, summary=summary, on=since,
    )  # fmt: skip


@transaction.atomic
def member_set_standing(
    *, actor: Any, member: Member, suspended: bool, on: dt.date, note: str = ""
) -> Member:
    """停止党籍 or 恢复党籍 (the decision of the upper committee is recorded in ``note``)."""
    member = _locked(member)
    if suspended == (member.standing == Member.Standing.SUSPENDED):
        raise ValidationError("党籍状态没有变化")
    if suspended:
        return _status_change(
            actor, member, fields={"standing": Member.Standing.SUSPENDED}, kind=MemberEvent.Kind.STANDING,
            summary=f"停止党籍{('：' + note) if note else ''}", on=on, decrease_reason="31",
        )  # fmt: skip
    return _status_change(
        actor, member, fields={"standing": Member.Standing.NORMAL}, kind=MemberEvent.Kind.RESTORED,
        summary=f"恢复党籍{('：' + note) if note else ''}", on=on, increase_reason="31",
    )  # fmt: skip


def members_keeping_org(org: Organization) -> str:
    """Why ``org`` cannot be dissolved yet: members still on its roll (in it, in its 党小组, or
    managed by it as a 流动党支部), or "" when none are."""
    on_roll = Member.objects.filter(status__in=[Member.Status.CURRENT, Member.Status.TRANSFERRING])
    count = on_roll.filter(Q(branch=org) | Q(group=org) | Q(mobile_branch=org)).count()
    if not count:
        return ""
    if org.org_type == Organization.Type.GROUP:
        return f"本党小组还有{count}名党员，请先把他们编入其他党小组或不分党小组"
    return f"该组织还有{count}名党员（含转接中、流动党员），请先转出或调整到其他党支部"


@transaction.atomic
def member_place(
    *, actor: Any, member: Member, branch: Organization, group: Organization | None = None
) -> Member:
    """Adjust placement inside the actor's scope (branch and 党小组); not a transfer."""
    member = _locked(member)
    _check_branch(actor, branch, "member.edit")
    _check_group(branch, group)
    if branch.pk == member.branch_id and group == member.group:
        raise ValidationError("编入的党支部和党小组没有变化")
    moved = branch.pk != member.branch_id
    member = _status_change(
        actor, member, fields={"branch": branch, "group": group, "org_path": branch.path},
        kind=MemberEvent.Kind.PLACEMENT, summary=f"编入{branch.display_name}{(' ' + group.display_name) if group else ''}",
    )  # fmt: skip
    if moved:  # a change of 党小组 alone leaves the branch placement as it is
        placement_move(member, on=timezone.localdate())
    return member


@transaction.atomic
def member_leave(
    *, actor: Any, member: Member, on: dt.date, decrease_reason: str, note: str = ""
) -> Member:
    """The member leaves the roll (死亡, 出党, 转出到系统外 …): moved to the 历史库."""
    member = _locked(member)
    labels = code_labels("decrease")
    if decrease_reason not in labels:
        raise ValidationError({"decrease_reason": "请选择党员减少原因"})
    if decrease_reason in ("21", "31"):
        raise ValidationError(
            {"decrease_reason": "请选择具体的出党方式；停止党籍请用“停止党籍”办理"}
        )
    if on > timezone.localdate():
        raise ValidationError({"left_on": "减少日期不能晚于今天"})
    member = _status_change(
        actor, member, fields={"status": Member.Status.FORMER, "left_on": on, "leave_reason": decrease_reason},
        kind=MemberEvent.Kind.LEFT, summary=f"{labels[decrease_reason]}{('：' + note) if note else ''}",
        on=on, decrease_reason=decrease_reason,
    )  # fmt: skip
    placement_close(member, on=on)
    return member


@transaction.atomic
def member_reveal(*, actor: Any, member: Member) -> dict[str, str]:
    """The full ID number and phone, for those permitted; every reveal is audited."""
    if not may_reveal(actor, member):
        raise PermissionDenied("您没有查看完整身份证号和电话的权限")
    audit_record(
        actor=actor,
        action="member.reveal",
        obj=member,
        org_id=member.branch_id,
        org_path=member.org_path,
    )
    event_record(
        actor=actor,
        member=member,
        kind=MemberEvent.Kind.REVEALED,
        summary="查看了完整身份证号和联系电话",
    )
    return {
        "id_number": crypto.decrypt(member.id_number_enc),
        "mobile": crypto.decrypt(member.mobile_enc),
    }


def member_find_by_id_number(*, viewer: Any, id_number: str) -> Member | None:
    """Exact lookup by 公民身份号码 through the keyed hash, within the viewer's scope."""
    from dangjian.members.access import members_visible_to

    number = normalize_id(id_number)
    if not number:
        return None
    return members_visible_to(viewer).filter(id_number_hash=crypto.lookup_hash(number)).first()


@transaction.atomic
def dossier_set(
    *,
    actor: Any,
    member: Member,
    requirement: DossierRequirement,
    present: bool,
    note: str = "",
    scan: Any = None,
) -> DossierItem:
    """Mark one dossier document present or missing (with an optional scan)."""
    if not may(actor, "member.edit", member.branch):
        raise PermissionDenied("您没有维护该党员档案的权限")
    safe_scan = sanitize_upload(scan) if scan is not None else None
    item, _ = DossierItem.objects.get_or_create(member=member, requirement=requirement)
    before = item.present
    item.present, item.note = present, note[:200]
    if safe_scan is not None:
        item.scan = safe_scan
    item.save()
    audit_record(
        actor=actor, action="member.dossier", obj=member,
        changes={requirement.name: [before, present]}, org_id=member.branch_id, org_path=member.org_path,
    )  # fmt: skip
    return item


def dossier_requirements(member: Member) -> Iterable[DossierRequirement]:
    qs = DossierRequirement.objects.filter(is_active=True)
    if member.category == Member.Category.PROBATIONARY:
        qs = qs.filter(applies_to_probationary=True)
    return qs


DOSSIER_PERMISSION = "members.change_dossierrequirement"


@transaction.atomic
def dossier_requirement_save(
    *,
    actor: Any,
    name: str,
    applies_to_probationary: bool,
    is_active: bool,
    sort: int = 0,
    source: str = "",
    requirement: DossierRequirement | None = None,
) -> DossierRequirement:
    """Add or change a required dossier document (organization department only); audited."""
    if not actor.has_perm(DOSSIER_PERMISSION):
        raise PermissionDenied("只有组织部管理员可以设置档案必备材料")
    name = name.strip()
    if not name:
        raise ValidationError({"name": "请填写材料名称"})
    clash = DossierRequirement.objects.filter(name=name)
    if requirement is not None:
        clash = clash.exclude(pk=requirement.pk)
    if clash.exists():
        raise ValidationError({"name": f"已有名为“{name}”的材料"})
    item = requirement or DossierRequirement()
    if requirement is not None and (
        requirement.name,
        requirement.applies_to_probationary,
        requirement.is_active,
        requirement.sort,
        requirement.source,
    ) == (name[:50], applies_to_probationary, is_active, sort, source[:200]):
        return requirement  # saved unchanged: no write, no audit row
    before = {"name": item.name, "is_active": item.is_active}
    item.name, item.applies_to_probationary, item.is_active = (
        name[:50],
        applies_to_probationary,
        is_active,
    )
    item.sort, item.source = sort, source[:200]
    item.save()
    audit_record(
        actor=actor, action="member.dossier_requirement", obj=item,
        changes={"name": [before["name"], item.name], "is_active": [before["is_active"], is_active]},
    )  # fmt: skip
    return item
