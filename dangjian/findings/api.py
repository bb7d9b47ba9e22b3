"""问题整改 endpoints: thin — access gate, schema, one service or selector."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.http import HttpRequest
from django.utils import timezone
from ninja import Router, Schema
from ninja.params import Query

from dangjian.findings import selectors, services
from dangjian.findings.access import access_finding_by_id, access_remedy_by_id
from dangjian.findings.models import Finding, Remedy
from dangjian.orgs.access import access_org_by_id

router = Router(tags=["问题整改"])


class ResponsibilityOut(Schema):
    id: int
    owner_name: str
    role: str


class RemedyOut(Schema):
    id: int
    measure: str
    owner_name: str
    deadline: dt.date
    done_on: dt.date | None
    evidence: str
    overdue: bool


class FindingOut(Schema):
    id: int
    org_id: int
    title: str
    description: str
    category: str
    severity: str
    found_on: dt.date
    state: str
    state_label: str
    source_type: str
    source_id: int | None
    overdue: bool
    verified_on: dt.date | None
    verdict: str


class FindingDetailOut(FindingOut):
    responsibilities: list[ResponsibilityOut]
    remedies: list[RemedyOut]


class FindingLedgerOut(Schema):
    counts: dict[str, int]
    overdue: int
    items: list[FindingOut]


class FindingIn(Schema):
    org_id: int
    title: str
    description: str = ""
    category: str = Finding.Category.OTHER
    severity: str = Finding.Severity.GENERAL
    found_on: dt.date
    source_type: str = ""
    source_id: int | None = None


class ResponsibilityIn(Schema):
    owner_name: str
    role: str = ""


class RemedyIn(Schema):
    measure: str
    owner_name: str
    deadline: dt.date


class RemedyDoneIn(Schema):
    done_on: dt.date
    evidence: str


class TransitionIn(Schema):
    verdict: str = ""


def _finding(f: Finding, *, overdue: bool | None = None) -> dict[str, Any]:
    return {
        "id": f.pk,
        "org_id": f.org_id,
        "title": f.title,
        "description": f.description,
        "category": f.category,
        "severity": f.severity,
        "found_on": f.found_on,
        "state": f.state,
        "state_label": f.get_state_display(),
        "source_type": f.source_type,
        "source_id": f.source_id,
        "overdue": f.is_overdue if overdue is None else overdue,
        "verified_on": f.verified_on,
        "verdict": f.verdict,
    }


def _remedy(r: Remedy, today: dt.date) -> dict[str, Any]:
    return {
        "id": r.pk,
        "measure": r.measure,
        "owner_name": r.owner_name,
        "deadline": r.deadline,
        "done_on": r.done_on,
        "evidence": r.evidence,
        "overdue": r.overdue_on(today),
    }


def _detail(request: HttpRequest, finding_id: int) -> dict[str, Any]:
    f = access_finding_by_id(request.user, finding_id)
    today = timezone.localdate()
    remedies = [_remedy(r, today) for r in f.remedies.all()]
    late = any(r["overdue"] for r in remedies) and f.state != Finding.State.CLOSED
    return {
        **_finding(f, overdue=late),
        "responsibilities": [
            {"id": r.pk, "owner_name": r.owner_name, "role": r.role}
            for r in f.responsibilities.all()
        ],
        "remedies": remedies,
    }


@router.get("/", response=FindingLedgerOut, summary="问题整改台账")
def finding_list(
    request: HttpRequest,
    org: Query[int | None] = None,
    state: Query[str] = "",
    overdue: Query[bool] = False,
) -> Any:
    scope = access_org_by_id(request.user, org) if org is not None else None
    items, counts, overdue_count = selectors.ledger(
        viewer=request.user, org=scope, state=state, overdue=overdue
    )
    return {"counts": counts, "overdue": overdue_count, "items": [_finding(f) for f in items]}


@router.post("/", response={201: FindingDetailOut}, summary="登记问题")
def finding_create(request: HttpRequest, payload: FindingIn) -> Any:
    org = access_org_by_id(request.user, payload.org_id)
    finding = services.finding_create(
        actor=request.user,
        org=org,
        title=payload.title,
        description=payload.description,
        category=payload.category,
        severity=payload.severity,
        found_on=payload.found_on,
        source_type=payload.source_type,
        source_id=payload.source_id,
    )
    return 201, _detail(request, finding.pk)


@router.get("/{int:finding_id}", response=FindingDetailOut, summary="问题详情（三张清单）")
def finding_detail(request: HttpRequest, finding_id: int) -> Any:
    return _detail(request, finding_id)


@router.post(
    "/{int:finding_id}/responsibilities", response={201: FindingDetailOut}, summary="添加责任人"
)
def responsibility_add(request: HttpRequest, finding_id: int, payload: ResponsibilityIn) -> Any:
    finding = access_finding_by_id(request.user, finding_id)
    services.responsibility_add(
        actor=request.user, finding=finding, owner_name=payload.owner_name, role=payload.role
    )
    return 201, _detail(request, finding_id)


@router.post("/{int:finding_id}/remedies", response={201: FindingDetailOut}, summary="添加整改措施")
def remedy_add(request: HttpRequest, finding_id: int, payload: RemedyIn) -> Any:
    finding = access_finding_by_id(request.user, finding_id)
    services.remedy_add(
        actor=request.user,
        finding=finding,
        measure=payload.measure,
        owner_name=payload.owner_name,
        deadline=payload.deadline,
    )
    return 201, _detail(request, finding_id)


@router.post("/remedies/{int:remedy_id}/done", response=FindingDetailOut, summary="整改措施完成")
def remedy_done(request: HttpRequest, remedy_id: int, payload: RemedyDoneIn) -> Any:
    remedy = access_remedy_by_id(request.user, remedy_id)
    services.remedy_complete(
        actor=request.user, remedy=remedy, done_on=payload.done_on, evidence=payload.evidence
    )
    return _detail(request, remedy.finding_id)


@router.post(
    "/{int:finding_id}/{action}",
    response=FindingDetailOut,
    summary="状态流转：start 开始整改 / rectify 提交整改完成 / close 验收销号 / reopen 退回整改",
)
def finding_transition(
    request: HttpRequest, finding_id: int, action: str, payload: TransitionIn
) -> Any:
    finding = access_finding_by_id(request.user, finding_id)
    services.finding_transition(
        actor=request.user, finding=finding, action=action, verdict=payload.verdict
    )
    return _detail(request, finding_id)
