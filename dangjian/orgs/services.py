"""Every write to the organization tree: create, update, move, dissolve, joint links."""

from __future__ import annotations

import datetime as dt
import functools
import logging
import re
from collections.abc import Callable
from typing import Any

from django.apps import apps
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Value
from django.db.models.functions import Concat, Substr
from django.utils import timezone

from dangjian.core.audit import audit_record, field_changes
from dangjian.core.models import OrgPathCopy
from dangjian.core.paths import (
    PATH_MAX_LENGTH,
    SEGMENT_WIDTH,
    is_within,
    segment,
    segment_number,
    subtree_q,
)
from dangjian.orgs import rules
from dangjian.orgs.access import require
from dangjian.orgs.models import Organization, OrgLink

log = logging.getLogger(__name__)

EDITABLE_FIELDS = (
    "name",
    "short_name",
    "code",
    "sector",
    "is_retiree",
    "is_mobile",
    "established_on",
    "unit_name",
    "unit_credit_code",
    "address",
    "phone",
    "term_start",
    "term_end",
)

# GB 32100-2015 统一社会信用代码: 18 characters from this alphabet, the last a check character.
USCC_ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"
USCC_WEIGHTS = (1, 3, 9, 27, 19, 26, 16, 17, 20, 29, 25, 13, 8, 24, 10, 30, 28)
PHONE_RE = re.compile(r"^[0-9\-+ ()]{5,30}$")


def uscc_is_valid(code: str) -> bool:
    """Check a 统一社会信用代码 against GB 32100 (alphabet and check character)."""
    if len(code) != 18 or any(c not in USCC_ALPHABET for c in code):
        return False
    total = sum(USCC_ALPHABET.index(c) * w for c, w in zip(code[:17], USCC_WEIGHTS, strict=True))
    return USCC_ALPHABET[(31 - total % 31) % 31] == code[17]


def _clean_fields(data: dict[str, Any], *, instance: Organization | None = None) -> dict[str, Any]:
    """Validate editable fields; raise one ValidationError listing every problem in Chinese."""
    errors: dict[str, str] = {}
    name = (data.get("name") or "").strip() if "name" in data else None
    if name is not None:
        if not name:
            errors["name"] = "请填写组织名称"
        data["name"] = name
    if "code" in data:
        code = (data.get("code") or "").strip().upper()
        data["code"] = code
        if code:
            if not re.fullmatch(r"[0-9A-Z\-]{2,32}", code):
                errors["code"] = "组织代码只能由数字、大写字母和连字符组成，长度 2–32 位"
            else:
                clash = Organization.objects.filter(code=code)
                if instance is not None:
                    clash = clash.exclude(pk=instance.pk)
                if clash.exists():
                    errors["code"] = f"组织代码“{code}”已被使用"
    if "sector" in data and data["sector"] not in Organization.Sector.values:
        errors["sector"] = f"未知的所在领域：{data['sector']}"
    credit = (data.get("unit_credit_code") or "").strip().upper()
    if "unit_credit_code" in data:
        data["unit_credit_code"] = credit
        if credit and not uscc_is_valid(credit):
            errors["unit_credit_code"] = "统一社会信用代码不正确（应为 18 位，且校验位正确）"
    phone = (data.get("phone") or "").strip()
    if "phone" in data:
        data["phone"] = phone
        if phone and not PHONE_RE.fullmatch(phone):
            errors["phone"] = "联系电话格式不正确"
    start = data.get("term_start", instance.term_start if instance else None)
    end = data.get("term_end", instance.term_end if instance else None)
    if start and end and end <= start:
        errors["term_end"] = "任期届满日期必须晚于任期开始日期"
    established = data.get("established_on")
    if established and established > timezone.localdate() + dt.timedelta(days=1):
        errors["established_on"] = "成立日期不能晚于今天"
    if errors:
        raise ValidationError(errors)
    return data


def _next_child_path(parent: Organization | None) -> str:
    """The path for a new last child of a locked ``parent`` (or a new top organization)."""
    if parent is None:
        top = Organization.objects.filter(depth=1).aggregate(m=Max("path"))["m"]
        return segment(segment_number(top) + 1 if top else 1)
    last = Organization.objects.filter(parent=parent).aggregate(m=Max("path"))["m"]
    used = segment_number(last[-SEGMENT_WIDTH:]) if last else 0
    number = max(used, parent.last_child_number) + 1
    if len(parent.path) + SEGMENT_WIDTH > PATH_MAX_LENGTH:
        raise ValidationError("组织层级过深", code="too_deep")
    parent.last_child_number = number
    Organization.objects.filter(pk=parent.pk).update(last_child_number=number)
    return parent.path + segment(number)


def _lock(org: Organization) -> Organization:
    # Serialises child-path allocation under one parent (SQLite already serialises writers).
    return Organization.objects.select_for_update().get(pk=org.pk)


@transaction.atomic
def org_create(
    *,
    actor: Any,
    parent: Organization | None,
    org_type: str,
    name: str,
    sector: str,
    code: str = "",
    **fields: Any,
) -> Organization:
    """Create an organization under ``parent``; checks structure and permission; audited."""
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(f"不支持的字段：{', '.join(sorted(unknown))}", code="unknown_field")
    if parent is None:
        if not getattr(actor, "is_superuser", False):
            raise ValidationError("只有系统管理员可以建立顶层组织", code="top_level_forbidden")
    else:
        require(actor, "org.create", parent)
        parent = _lock(parent)
        if parent.dissolved_on:
            raise ValidationError("上级组织已撤销，不能在其下新建组织", code="parent_dissolved")
    rules.check_placement(org_type, parent.org_type if parent else None)
    data = _clean_fields({"name": name, "sector": sector, "code": code, **fields})
    path = _next_child_path(parent)
    org = Organization(
        parent=parent,
        org_type=org_type,
        path=path,
        depth=len(path) // SEGMENT_WIDTH,
        ancestor_ids=[*parent.ancestor_ids, parent.pk] if parent else [],
        **{**data, "code": data["code"] or f"TMP-{path}"},
    )
    org.save()
    if not data["code"]:
        org.code = f"D{org.pk:09d}"
        org.save(update_fields=["code"])
    audit_record(
        actor=actor,
        action="org.create",
        obj=org,
        changes={
            "parent": [None, parent.pk if parent else None],
            "org_type": [None, org_type],
            **data,
        },
        org_id=org.pk,
        org_path=org.path,
    )
    return org


@transaction.atomic
def org_update(*, actor: Any, org: Organization, **fields: Any) -> Organization:
    """Change an organization's own fields (not its place in the tree); audited."""
    require(actor, "org.update", org)
    unknown = set(fields) - set(EDITABLE_FIELDS)
    if unknown:
        raise ValidationError(
            f"不支持修改的字段：{', '.join(sorted(unknown))}", code="unknown_field"
        )
    org = _lock(org)
    data = _clean_fields(dict(fields), instance=org)
    if "code" in data and not data["code"]:
        raise ValidationError({"code": "组织代码不能为空"})
    before = {k: getattr(org, k) for k in data}
    for k, v in data.items():
        setattr(org, k, v)
    changes = field_changes(before, data)
    if changes:
        org.save(update_fields=[*data.keys(), "updated_at"])
        audit_record(
            actor=actor,
            action="org.update",
            obj=org,
            changes=changes,
            org_id=org.pk,
            org_path=org.path,
        )
    return org


def path_copy_models() -> list[type[OrgPathCopy]]:
    """Every concrete model that carries a copy of the organization path."""
    return [m for m in apps.get_models() if issubclass(m, OrgPathCopy) and not m._meta.abstract]


def rewrite_copied_paths(*, model_label: str, old: str, new: str) -> int:
    """Rewrite ``org_path`` copies of one model from subtree ``old`` to ``new``: one UPDATE."""
    model = apps.get_model(model_label)
    return model._default_manager.filter(subtree_q("org_path", old)).update(
        org_path=Concat(Value(new), Substr("org_path", len(old) + 1))
    )


@transaction.atomic
def org_move(*, actor: Any, org: Organization, new_parent: Organization) -> Organization:
    """Move an organization and its subtree under ``new_parent``; rewrites every path copy."""
    require(actor, "org.move", org)
    require(actor, "org.create", new_parent)
    org = _lock(org)
    new_parent = _lock(new_parent)
    if new_parent.pk == org.pk or is_within(new_parent.path, org.path):
        raise ValidationError(
            "不能把组织调整到它自己或它的下级组织之下", code="move_into_own_subtree"
        )
    if org.parent_id == new_parent.pk:
        raise ValidationError("该组织已经隶属于所选上级组织", code="same_parent")
    if new_parent.dissolved_on:
        raise ValidationError("目标上级组织已撤销", code="parent_dissolved")
    rules.check_placement(org.org_type, new_parent.org_type)

    old_path, old_parent_id = org.path, org.parent_id
    new_path = _next_child_path(new_parent)
    depth_delta = (len(new_path) - len(old_path)) // SEGMENT_WIDTH
    old_prefix_len = len(org.ancestor_ids)
    new_prefix = [*new_parent.ancestor_ids, new_parent.pk]

    subtree = list(
        Organization.objects.filter(subtree_q("path", old_path)).only(
            "id", "path", "depth", "ancestor_ids", "parent_id"
        )
    )
    for node in subtree:
        node.path = new_path + node.path[len(old_path) :]
        node.depth = node.depth + depth_delta
        node.ancestor_ids = new_prefix + list(node.ancestor_ids)[old_prefix_len:]
        if node.pk == org.pk:
            node.parent_id = new_parent.pk
    Organization.objects.bulk_update(
        subtree, ["path", "depth", "ancestor_ids", "parent_id"], batch_size=500
    )

    deferred: list[str] = []
    for model in path_copy_models():
        label = model._meta.label
        pending = model._default_manager.filter(subtree_q("org_path", old_path))
        if pending[: settings.ORG_MOVE_SYNC_LIMIT + 1].count() > settings.ORG_MOVE_SYNC_LIMIT:
            deferred.append(label)
        else:
            rewrite_copied_paths(model_label=label, old=old_path, new=new_path)
    if deferred:
        from dangjian.orgs.tasks import org_paths_rewrite_task

        def enqueue(label: str) -> None:
            org_paths_rewrite_task.enqueue(label, old_path, new_path)

        for label in deferred:
            transaction.on_commit(functools.partial(enqueue, label))

    org.refresh_from_db()
    audit_record(
        actor=actor,
        action="org.move",
        obj=org,
        changes={
            "parent": [old_parent_id, new_parent.pk],
            "path": [old_path, new_path],
            "subtree_size": len(subtree),
            "deferred": deferred,
        },
        org_id=org.pk,
        org_path=org.path,
    )
    return org


# What else keeps an organization from being dissolved, registered by the apps that hold it
# (the members app: people still on its roll). Each returns a Chinese reason, or "".
DissolveCheck = Callable[[Organization], str]
_DISSOLVE_CHECKS: list[DissolveCheck] = []


def register_dissolve_check(check: DissolveCheck) -> None:
    if check not in _DISSOLVE_CHECKS:
        _DISSOLVE_CHECKS.append(check)


@transaction.atomic
def org_dissolve(*, actor: Any, org: Organization, on: dt.date) -> Organization:
    """Mark an organization dissolved (撤销); refused while it has active children, or while
    a registered check (members still on its roll …) says it is still in use."""
    require(actor, "org.update", org)
    if org.children.filter(dissolved_on__isnull=True).exists():
        raise ValidationError("请先撤销或调出其下级组织", code="has_children")
    if org.parent_id is None:
        raise ValidationError("顶层组织不能撤销", code="top_level")
    for check in _DISSOLVE_CHECKS:
        reason = check(org)
        if reason:
            raise ValidationError(reason, code="in_use")
    org.dissolved_on = on
    org.save(update_fields=["dissolved_on", "updated_at"])
    audit_record(
        actor=actor,
        action="org.dissolve",
        obj=org,
        changes={"dissolved_on": [None, on.isoformat()]},
        org_id=org.pk,
        org_path=org.path,
    )
    return org


@transaction.atomic
def org_link_create(
    *,
    actor: Any,
    kind: str,
    lead: Organization,
    partner: Organization,
    started_on: dt.date,
    ended_on: dt.date | None = None,
    note: str = "",
) -> OrgLink:
    """Record a joint arrangement (联村党委, 跨村联建 …) between two organizations; audited."""
    require(actor, "org.link", lead)
    require(actor, "org.view", partner)
    if kind not in OrgLink.Kind.values:
        raise ValidationError(f"未知的联建类型：{kind}", code="unknown_kind")
    if lead.pk == partner.pk:
        raise ValidationError("不能与自身建立联建关系", code="self_link")
    if ended_on and ended_on < started_on:
        raise ValidationError("结束日期不能早于开始日期", code="invalid_dates")
    overlapping = OrgLink.objects.filter(kind=kind, lead=lead, partner=partner).filter(
        ended_on__isnull=True
    )
    if overlapping.exists():
        raise ValidationError("这两个组织之间已有同类型、尚未结束的联建关系", code="duplicate_link")
    # The unique constraint would turn a same-day repeat into an IntegrityError (a 500).
    if OrgLink.objects.filter(
        kind=kind, lead=lead, partner=partner, started_on=started_on
    ).exists():
        raise ValidationError("这两个组织之间已有同一天开始的同类型联建关系", code="duplicate_link")
    link = OrgLink.objects.create(
        kind=kind, lead=lead, partner=partner, started_on=started_on, ended_on=ended_on, note=note
    )
    audit_record(
        actor=actor,
        action="org.link",
        obj=link,
        changes={"kind": kind, "partner": partner.pk, "started_on": started_on.isoformat()},
        org_id=lead.pk,
        org_path=lead.path,
    )
    return link


@transaction.atomic
def org_link_end(*, actor: Any, link: OrgLink, ended_on: dt.date) -> OrgLink:
    """End a joint arrangement on a date; audited."""
    require(actor, "org.link", link.lead)
    if ended_on < link.started_on:
        raise ValidationError("结束日期不能早于开始日期", code="invalid_dates")
    link.ended_on = ended_on
    link.save(update_fields=["ended_on", "updated_at"])
    audit_record(
        actor=actor,
        action="org.link_end",
        obj=link,
        changes={"ended_on": [None, ended_on.isoformat()]},
        org_id=link.lead_id,
        org_path=link.lead.path,
    )
    return link


def org_term_reminders_send(*, today: dt.date) -> int:
    """Notify the people responsible for organizations whose term ends within a reminder window.

    Idempotent: each (organization, term end, window) notifies a user once, however often the
    daily job runs.
    """
    from dangjian.accounts.models import RoleGrant
    from dangjian.accounts.roles import Role
    from dangjian.core.services import notify
    from dangjian.core.workdays import add_months

    sent = 0
    window_start = today
    # Windows nest (3 inside 6): each organization is reminded once per window it enters.
    for months in sorted(rules.TERM_RULES.reminder_months):
        horizon = add_months(today, months)
        due = Organization.objects.filter(
            dissolved_on__isnull=True, term_end__gte=window_start, term_end__lte=horizon
        ).only("id", "name", "path", "parent_id", "term_end", "ancestor_ids")
        for org in due.iterator(chunk_size=500):
            end = org.term_end
            if end is None:  # excluded by the filter; narrows the type
                continue
            responsible_orgs = [org.pk, *([org.parent_id] if org.parent_id else [])]
            users = {
                g.user
                for g in RoleGrant.objects.filter(
                    org_id__in=responsible_orgs,
                    role__in=[Role.ORG_ADMIN, Role.PARTY_WORKER, Role.SECRETARY],
                    valid_from__lte=today,
                )
                .exclude(valid_to__lt=today)
                .select_related("user")
            }
            sent += len(
                notify(
                    recipients=users,
                    title=f"换届提醒：{org.name}",
                    body=f"本届任期将于 {end:%Y年%m月%d日} 届满（{months} 个月内），请及早筹备换届选举。",
                    url=f"/orgs/{org.pk}/",
                    dedupe_key=f"term:{org.pk}:{end.isoformat()}:{months}",
                )
            )
        window_start = horizon + dt.timedelta(days=1)
    return sent
