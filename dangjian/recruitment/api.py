"""发展党员 endpoints: thin — access gate, schema, one service or selector."""

from __future__ import annotations

from typing import Any
from urllib.parse import quote

from django.http import HttpRequest, HttpResponse
from django.utils import timezone
from ninja import Router
from ninja.params import Query

from dangjian.orgs.access import access_org_by_id
from dangjian.orgs.models import BRANCH_TYPES, Organization
from dangjian.recruitment import documents, rules, selectors, services
from dangjian.recruitment.access import access_applicant_by_id
from dangjian.recruitment.models import Applicant, RuleSet
from dangjian.recruitment.schemas import (
    AlertsOut,
    ApplicantDetailOut,
    ApplicantIn,
    ApplicantOut,
    ApplicantPageOut,
    ColumnOut,
    OverviewOut,
    PlanIn,
    PlanOut,
    RuleSetOut,
    StepIn,
    StopIn,
)

router = Router(tags=["发展党员"])


def _detail(applicant: Applicant) -> dict[str, Any]:
    line = selectors.timeline(applicant)
    view = line.outlook
    data = ApplicantOut.from_orm(applicant).dict()
    data["rule_set"] = line.book.label
    data["steps"] = [
        {
            "id": r.pk, "number": r.number, "name": s.rule.name, "round": r.round,
            "done_on": r.done_on, "people": [m.pk for m in r.people.all()],
            "people_names": r.people_names, "note": r.note, "data": r.data, "is_late": r.is_late,
            "failed": r.failed, "result": getattr(r, "result_label", ""),
            "files": [{"id": f.pk, "caption": f.caption} for f in r.files.all()],
        }
        for s in line.steps
        for r in s.records
    ]  # fmt: skip
    data["next"] = {
        "number": view.step.number if view.step else None,
        "name": view.step.name if view.step else "",
        "stage": view.stage,
        "earliest_on": view.earliest.on if view.earliest else None,
        "earliest_rule": view.earliest.message if view.earliest else "",
        "due_on": view.due.on if view.due else None,
        "due_rule": view.due.label if view.due else "",
        "review_due_on": view.review.on if view.review else None,
        "review_due_rule": view.review.label if view.review else "",
        "needs_upper": view.step.needs_upper if view.step else False,
    }
    done = {s.rule.number for s in line.steps if s.records}
    data["documents"] = [k for k, _ in documents.available_kinds(applicant, done)]
    return data


def _card(c: selectors.Card) -> dict[str, Any]:
    a = c.applicant
    return {
        "id": a.pk, "name": a.name, "org_id": a.org_id, "stage": a.stage,
        "next_step": a.next_step, "next_name": c.next_name, "next_earliest_on": a.next_earliest_on,
        "due_on": a.due_on, "due_label": a.due_label, "overdue": c.overdue, "is_farmer": a.is_farmer,
        "vote_failed_on": a.vote_failed_on,
    }  # fmt: skip


def _village(v: Organization) -> dict[str, Any]:
    return {
        "org_id": v.pk,
        "name": v.name,
        "parent_name": v.parent.name if v.parent else "",
        "last_joined": getattr(v, "last_joined", None),
        "in_pipeline": getattr(v, "in_pipeline", None) or 0,
    }


def _row(r: selectors.OverviewRow) -> dict[str, Any]:
    return {
        "org_id": r.org.pk, "name": r.org.name, "stages": r.stages, "overdue": r.overdue,
        "not_talked": r.not_talked, "admitted": r.admitted, "admitted_farmers": r.admitted_farmers,
        "quota": r.quota, "farmer_quota": r.farmer_quota, "villages_without": r.villages_without,
    }  # fmt: skip


@router.get("/applicants", response=ApplicantPageOut, summary="入党申请人列表（键集分页）")
def applicant_list(
    request: HttpRequest,
    org: Query[int | None] = None,
    stage: Query[str] = "",
    status: Query[str] = "",
    cursor: Query[str | None] = None,
    limit: Query[int] = 20,
) -> Any:
    scope = access_org_by_id(request.user, org, action="recruit.view") if org else None
    page = selectors.applicant_page(
        viewer=request.user, org=scope, stage=stage, status=status, cursor=cursor,
        size=max(1, min(limit, 100)),
    )  # fmt: skip
    return {"items": page.rows, "next_cursor": page.next_cursor}


@router.post("/applicants", response={201: ApplicantDetailOut}, summary="登记入党申请人（第1步）")
def applicant_create(request: HttpRequest, payload: ApplicantIn) -> Any:
    org = access_org_by_id(request.user, payload.org_id, action="recruit.record")
    data = payload.dict(exclude={"org_id", "note"})
    applicant = services.applicant_create(actor=request.user, org=org, data=data, note=payload.note)
    return 201, _detail(applicant)


@router.get(
    "/applicants/{applicant_id}", response=ApplicantDetailOut, summary="申请人详情、步骤和下一步"
)
def applicant_detail(request: HttpRequest, applicant_id: int) -> Any:
    return _detail(access_applicant_by_id(request.user, applicant_id))


@router.post(
    "/applicants/{applicant_id}/steps",
    response={201: ApplicantDetailOut},
    summary="登记一个步骤（校验顺序、最早日期和本步规则）",
)
def step_create(request: HttpRequest, applicant_id: int, payload: StepIn) -> Any:
    applicant = access_applicant_by_id(request.user, applicant_id)
    services.step_record(
        actor=request.user, applicant=applicant, number=payload.number, done_on=payload.done_on,
        note=payload.note, people=payload.people, people_names=payload.people_names,
        data=payload.step_data(),
    )  # fmt: skip
    applicant.refresh_from_db()
    return 201, _detail(applicant)


@router.post("/applicants/{applicant_id}/stop", response=ApplicantOut, summary="终止培养")
def applicant_stop(request: HttpRequest, applicant_id: int, payload: StopIn) -> Any:
    applicant = access_applicant_by_id(request.user, applicant_id, action="recruit.record")
    return services.applicant_stop(actor=request.user, applicant=applicant, reason=payload.reason)


@router.get(
    "/applicants/{applicant_id}/documents/{kind}",
    summary="生成文书（Word）：notice 公示、talk 谈话记录、review 政治审查表、conversion 转正通知",
    response={200: None},
)
def applicant_document(request: HttpRequest, applicant_id: int, kind: str) -> Any:
    applicant = access_applicant_by_id(request.user, applicant_id)
    doc = services.document_issue(actor=request.user, applicant=applicant, kind=kind)
    response = HttpResponse(
        doc.content,
        content_type="application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    )
    response["Content-Disposition"] = (
        f'attachment; filename="recruitment-{applicant.pk}-{kind}.docx"; '
        f"filename*=UTF-8''{quote(doc.filename)}"
    )
    return response


@router.get("/board", response=list[ColumnOut], summary="党支部发展党员看板（按阶段）")
def board(request: HttpRequest, org: Query[int]) -> Any:
    branch = access_org_by_id(request.user, org, action="recruit.view")
    if branch.org_type not in BRANCH_TYPES:
        from django.core.exceptions import ValidationError

        raise ValidationError("看板按党支部查看；乡镇、县请使用 overview", code="not_branch")
    columns = selectors.board(viewer=request.user, org=branch, today=timezone.localdate())
    return [
        {"stage": c.stage, "label": c.label, "cards": [_card(x) for x in c.cards]} for c in columns
    ]


@router.get("/overview", response=OverviewOut, summary="乡镇、县发展党员概况（按下级组织）")
def overview(request: HttpRequest, org: Query[int], year: Query[int | None] = None) -> Any:
    scope = access_org_by_id(request.user, org, action="recruit.view")
    today = timezone.localdate()
    y = year if year is not None and 2000 <= year <= 2100 else today.year
    result = selectors.overview(viewer=request.user, org=scope, today=today, year=y)
    return {
        "org_id": scope.pk,
        "year": y,
        "total": _row(result.total),
        "rows": [_row(r) for r in result.rows],
        "villages": [_village(v) for v in result.villages],
    }


@router.get(
    "/alerts", response=AlertsOut, summary="提醒：超期、未谈话、即将可办、三年未发展党员的村"
)
def alerts(request: HttpRequest, org: Query[int]) -> Any:
    scope = access_org_by_id(request.user, org, action="recruit.view")
    result = selectors.alerts(viewer=request.user, org=scope, today=timezone.localdate())
    return {
        "overdue_count": result.overdue_count,
        "overdue": [_card(c) for c in result.overdue],
        "not_talked": [_card(c) for c in result.not_talked],
        "upcoming": [_card(c) for c in result.upcoming],
        "villages": [_village(v) for v in result.villages],
    }


def _plan(org: Organization, year: int) -> dict[str, Any]:
    if not 2000 <= year <= 2100:
        from django.core.exceptions import ValidationError

        raise ValidationError("年度须在 2000 到 2100 之间", code="year")
    progress = selectors.plan_progress(org=org, year=year)
    plan = progress["plan"]
    return {
        "org_id": org.pk,
        "year": year,
        "quota": plan.quota if plan else None,
        "farmer_quota": plan.farmer_quota if plan else None,
        "note": plan.note if plan else "",
        "admitted": progress["admitted"],
        "admitted_farmers": progress["farmers"],
    }


@router.get("/plans/{org_id}/{year}", response=PlanOut, summary="年度发展党员计划与完成情况")
def plan_get(request: HttpRequest, org_id: int, year: int) -> Any:
    org = access_org_by_id(request.user, org_id, action="recruit.view")
    return _plan(org, year)


@router.put("/plans/{org_id}/{year}", response=PlanOut, summary="制定年度发展党员计划（农民单列）")
def plan_put(request: HttpRequest, org_id: int, year: int, payload: PlanIn) -> Any:
    org = access_org_by_id(request.user, org_id, action="recruit.record")
    services.plan_save(
        actor=request.user, org=org, year=year, quota=payload.quota,
        farmer_quota=payload.farmer_quota, note=payload.note,
    )  # fmt: skip
    return _plan(org, year)


@router.get(
    "/rule-sets", response=list[RuleSetOut], summary="发展党员规则集（步骤、时间规则及条款）"
)
def rule_set_list(request: HttpRequest) -> Any:
    out = []
    for rs in RuleSet.objects.order_by("-effective_from")[:20]:
        book = rules.load_book(rs)
        out.append(
            {
                "id": rs.pk,
                "name": rs.name,
                "version": rs.version,
                "steps": [vars(s) for s in book.steps.values()],
                "limits": [vars(x) for x in book.limits.values()],
            }
        )
    return out
