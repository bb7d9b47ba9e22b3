"""Every write on the three lists (问题、责任、整改): permission, rule, audit.

A finding moves through an explicit transition table; each transition is one service.
销号 (close out) is done by the upper organization after every remedy is done, so
"closed" always means verified, never merely "the branch says it is fixed".
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.apps import apps
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone

from dangjian.core.audit import audit_record
from dangjian.core.services import notify
from dangjian.core.uploads import sanitize_upload
from dangjian.findings.access import may_manage, may_verify
from dangjian.findings.models import Finding, Remedy, Responsibility
from dangjian.orgs.access import may
from dangjian.orgs.models import Organization

State = Finding.State

# Where a finding may come from: "app_label.model" → label. The source row must belong to the
# finding's organization. Later capabilities (党建体检, 达标创星) add their line here.
SOURCES: dict[str, str] = {
    "meetings.meeting": "组织生活会查摆",
}

# States in which the lists may still be edited (not while awaiting verification or closed).
EDITABLE = frozenset({State.OPEN, State.IN_PROGRESS, State.REOPENED})


@dataclass(frozen=True)
class Transition:
    label: str
    sources: frozenset[str]
    target: str
    by_upper: bool  # True: only the upper organization (verification)


TRANSITIONS: dict[str, Transition] = {
    "start": Transition(
        "开始整改", frozenset({State.OPEN, State.REOPENED}), State.IN_PROGRESS, False
    ),
    "rectify": Transition("提交整改完成", frozenset({State.IN_PROGRESS}), State.RECTIFIED, False),
    "close": Transition("验收销号", frozenset({State.RECTIFIED}), State.CLOSED, True),
    "reopen": Transition(
        "验收不通过，退回整改", frozenset({State.RECTIFIED, State.CLOSED}), State.REOPENED, True
    ),
}


def _audit(actor: Any, action: str, finding: Finding, changes: dict[str, Any]) -> None:
    audit_record(
        actor=actor,
        action=action,
        obj=finding,
        changes=changes,
        org_id=finding.org_id,
        org_path=finding.org_path,
    )


def _require_manage(actor: Any, finding: Finding) -> None:
    if not may_manage(actor, finding):
        raise PermissionDenied("您没有登记和整改该问题的权限")


def _require_editable(finding: Finding) -> None:
    if finding.state not in EDITABLE:
        raise ValidationError(f"问题“{finding.get_state_display()}”，不能再修改清单")


def _locked(finding: Finding) -> Finding:
    return (
        Finding.objects.select_related("org", "org__parent")
        .select_for_update(of=("self",))
        .get(pk=finding.pk)
    )


def _clean_text(value: str, label: str, max_length: int, *, required: bool = True) -> str:
    value = (value or "").strip()
    if required and not value:
        raise ValidationError({label: "此项为必填项"})
    if len(value) > max_length:
        raise ValidationError({label: f"不能超过 {max_length} 个字"})
    return value


def _check_source(org: Organization, source_type: str, source_id: int | None) -> None:
    if not source_type and source_id is None:
        return
    if source_type not in SOURCES or source_id is None:
        raise ValidationError({"source_type": "问题来源不正确"})
    model = apps.get_model(source_type)
    if not model.objects.filter(pk=source_id, org_id=org.pk).exists():
        raise ValidationError({"source_id": f"未找到该党组织的{SOURCES[source_type]}来源记录"})


@transaction.atomic
def finding_create(
    *,
    actor: Any,
    org: Organization,
    title: str,
    found_on: dt.date,
    description: str = "",
    category: str = Finding.Category.OTHER,
    severity: str = Finding.Severity.GENERAL,
    source_type: str = "",
    source_id: int | None = None,
) -> Finding:
    """登记问题 on an organization (optionally tied to its source record)."""
    if not may(actor, "finding.manage", org):
        raise PermissionDenied("您没有为该党组织登记问题的权限")
    errors: dict[str, str] = {}
    if category not in Finding.Category.values:
        errors["category"] = "请选择问题类别"
    if severity not in Finding.Severity.values:
        errors["severity"] = "请选择严重程度"
    if found_on > timezone.localdate():
        errors["found_on"] = "发现日期不能晚于今天"
    if errors:
        raise ValidationError(errors)
    _check_source(org, source_type, source_id)
    finding = Finding.objects.create(
        org=org,
        org_path=org.path,
        title=_clean_text(title, "title", 200),
        description=_clean_text(description, "description", 5000, required=False),
        category=category,
        severity=severity,
        found_on=found_on,
        source_type=source_type,
        source_id=source_id,
        created_by=actor if getattr(actor, "pk", None) else None,
    )
    _audit(
        actor,
        "finding.create",
        finding,
        {"title": [None, finding.title], "state": [None, finding.state]},
    )
    return finding


@transaction.atomic
def finding_transition(*, actor: Any, finding: Finding, action: str, verdict: str = "") -> Finding:
    """Move a finding along the transition table; anything else is refused and nothing changes."""
    transition = TRANSITIONS.get(action)
    if transition is None:
        raise ValidationError("不支持的操作")
    finding = _locked(finding)
    if transition.by_upper:
        if not may_verify(actor, finding):
            raise PermissionDenied("验收和销号须由上级党组织办理")
    else:
        _require_manage(actor, finding)
    if finding.state not in transition.sources:
        raise ValidationError(f"问题当前为“{finding.get_state_display()}”，不能{transition.label}")
    remedies = list(finding.remedies.all())
    today = timezone.localdate()
    if action == "rectify":
        if not remedies:
            raise ValidationError("请先制定整改措施")
        if any(r.done_on is None for r in remedies):
            raise ValidationError("还有整改措施未完成，不能提交整改完成")
    if action == "close" and any(r.done_on is None for r in remedies):
        raise ValidationError("还有整改措施未完成，不能销号")
    if action == "reopen":
        verdict = _clean_text(verdict, "verdict", 2000)
    before = {"state": finding.state, "verdict": finding.verdict}
    finding.state = transition.target
    if transition.by_upper:
        finding.verified_by = actor
        finding.verified_on = today
        finding.verdict = (verdict or "").strip()[:2000]
    finding.save()
    _audit(
        actor,
        f"finding.{action}",
        finding,
        {
            "state": [before["state"], finding.state],
            "verdict": [before["verdict"], finding.verdict],
        },
    )
    if transition.by_upper and finding.created_by_id and finding.created_by_id != actor.pk:
        # 事事有回音: whoever registered the finding hears how verification went.
        transaction.on_commit(
            lambda: notify(
                recipients=[finding.created_by],
                title=f"问题“{finding.title[:30]}”{finding.get_state_display()}",
                body=finding.verdict,
                url=f"/findings/{finding.pk}/",
                dedupe_key=f"finding:{finding.pk}:{action}:{finding.updated_at.isoformat()}",
            )
        )
    return finding


def finding_start(*, actor: Any, finding: Finding) -> Finding:
    """开始整改: open/reopened → in_progress."""
    return finding_transition(actor=actor, finding=finding, action="start")


def finding_rectify(*, actor: Any, finding: Finding) -> Finding:
    """提交整改完成: in_progress → rectified (every remedy done)."""
    return finding_transition(actor=actor, finding=finding, action="rectify")


def finding_close(*, actor: Any, finding: Finding, verdict: str = "") -> Finding:
    """销号 by the upper organization: rectified → closed."""
    return finding_transition(actor=actor, finding=finding, action="close", verdict=verdict)


def finding_reopen(*, actor: Any, finding: Finding, verdict: str) -> Finding:
    """验收不通过 (or 回头看 finds it back): rectified/closed → reopened, with a reason."""
    return finding_transition(actor=actor, finding=finding, action="reopen", verdict=verdict)


@transaction.atomic
def responsibility_add(
    *, actor: Any, finding: Finding, owner_name: str, role: str = "", user: Any = None
) -> Responsibility:
    """责任清单: name who answers for the finding."""
    finding = _locked(finding)
    _require_manage(actor, finding)
    _require_editable(finding)
    last = finding.responsibilities.order_by("-ordering").values_list("ordering", flat=True).first()
    item = Responsibility.objects.create(
        finding=finding,
        owner_name=_clean_text(owner_name, "owner_name", 50),
        role=_clean_text(role, "role", 100, required=False),
        user=user,
        ordering=(last or 0) + 1,
    )
    _audit(actor, "finding.responsibility_add", finding, {"responsibility": [None, str(item)]})
    return item


@transaction.atomic
def remedy_add(
    *, actor: Any, finding: Finding, measure: str, owner_name: str, deadline: dt.date
) -> Remedy:
    """整改清单: one measure with an owner and a deadline (not in the past)."""
    finding = _locked(finding)
    _require_manage(actor, finding)
    _require_editable(finding)
    if deadline < timezone.localdate():
        raise ValidationError({"deadline": "整改时限不能早于今天"})
    remedy = Remedy.objects.create(
        finding=finding,
        measure=_clean_text(measure, "measure", 2000),
        owner_name=_clean_text(owner_name, "owner_name", 50),
        deadline=deadline,
    )
    _audit(
        actor,
        "finding.remedy_add",
        finding,
        {"remedy": [None, remedy.measure[:100]], "deadline": [None, deadline]},
    )
    return remedy


@transaction.atomic
def remedy_complete(
    *,
    actor: Any,
    remedy: Remedy,
    done_on: dt.date,
    evidence: str = "",
    evidence_file: UploadedFile | None = None,
) -> Remedy:
    """Mark a measure done, with what was achieved (text and/or a sanitised file)."""
    finding = _locked(remedy.finding)
    _require_manage(actor, finding)
    _require_editable(finding)
    remedy = Remedy.objects.select_for_update().get(pk=remedy.pk)
    if remedy.done_on is not None:
        raise ValidationError("该整改措施已完成")
    if done_on > timezone.localdate():
        raise ValidationError({"done_on": "完成日期不能晚于今天"})
    evidence = _clean_text(evidence, "evidence", 2000, required=False)
    if not evidence and evidence_file is None:
        raise ValidationError({"evidence": "请填写整改成效或上传佐证材料"})
    if evidence_file is not None:
        safe = sanitize_upload(evidence_file)
        remedy.evidence_file.save(safe.name or "evidence", safe, save=False)
    remedy.done_on = done_on
    remedy.evidence = evidence
    remedy.save()
    _audit(actor, "finding.remedy_done", finding, {"remedy": remedy.pk, "done_on": [None, done_on]})
    return remedy
