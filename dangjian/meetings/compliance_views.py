"""Pages: organizational-life compliance of a subtree, and a branch's annual plan."""

from __future__ import annotations

import datetime as dt
from typing import Any

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import NoReverseMatch, reverse
from django.utils import timezone

from dangjian.meetings import plans
from dangjian.meetings.compliance import STATUS_LABELS, compliance
from dangjian.meetings.rules import HISTORY_RULES
from dangjian.orgs.access import access_org_by_id, scope_roots
from dangjian.orgs.models import Organization

FIRST_YEAR = 2018  # the national rules took effect on 2018-10-28


def _meetings_url() -> str:
    """The meeting list page, when the meetings pages are installed."""
    try:
        return reverse("meetings:list")
    except NoReverseMatch:
        return ""


def _year(request: HttpRequest, today: dt.date) -> int:
    raw = request.GET.get("year", "")
    if not raw:
        return today.year
    try:
        year = int(raw)
    except ValueError:
        raise Http404("年度格式不正确") from None
    if not FIRST_YEAR <= year <= today.year + 1:
        raise Http404("年度超出范围")
    return year


def _org_from_query(request: HttpRequest) -> Organization:
    raw = request.GET.get("org", "")
    if raw:
        if not raw.isdigit():
            raise Http404("未找到该组织，或您无权查看")
        return access_org_by_id(request.user, int(raw), action="meeting.view")
    roots = scope_roots(request.user, action="meeting.view")
    if not roots:
        raise PermissionDenied("您没有查看组织生活的权限")
    org = Organization.objects.filter(path=roots[0]).first()
    if org is None:
        raise Http404("未找到该组织，或您无权查看")
    return org


@login_required
def compliance_page(request: HttpRequest) -> HttpResponse:
    """组织生活执行情况 for an organization and a year."""
    today = timezone.localdate()
    org = _org_from_query(request)
    year = _year(request, today)
    result = compliance(
        viewer=request.user,
        org=org,
        start=dt.date(year, 1, 1),
        end=dt.date(year, 12, 31),
        today=today,
    )
    rows = [
        {
            "branch": b,
            "cells": [b.cells[t] for t in result.types],
        }
        for b in result.branches
    ]
    context: dict[str, Any] = {
        "org": org,
        "year": year,
        "years": list(range(today.year + 1, FIRST_YEAR - 1, -1)),
        "result": result,
        "rows": rows,
        "status_labels": STATUS_LABELS,
        "basis": HISTORY_RULES,
        "meetings_url": _meetings_url(),
        "nav_active": "meetings",
        "crumbs": [{"label": "组织生活", "url": ""}, {"label": "执行情况", "url": ""}],
    }
    return TemplateResponse(request, "meetings/compliance.html", context)


def _plan_context(request: HttpRequest, org: Organization, year: int) -> dict[str, Any]:
    may_edit = plans.may_edit_plan(request.user, org)
    calendar = plans.plan_calendar(
        viewer=request.user, org=org, year=year, today=timezone.localdate(), all_types=may_edit
    )
    return {
        "org": org,
        "year": year,
        "calendar": calendar,
        "may_edit": may_edit,
        "nav_active": "meetings",
        "crumbs": [
            {
                "label": "组织生活",
                "url": reverse("meetings:compliance") + f"?org={org.pk}&year={year}",
            },
            {"label": f"{year}年度计划", "url": ""},
        ],
    }


@login_required
def plan_page(request: HttpRequest, org_id: int, year: int) -> HttpResponse:
    """A branch's annual plan: planned vs held by month and type; secretaries edit it here."""
    org = access_org_by_id(request.user, org_id, action="meeting.view")
    if not FIRST_YEAR <= year <= timezone.localdate().year + 1:
        raise Http404("年度超出范围")
    context = _plan_context(request, org, year)
    if request.method == "POST":
        if not context["may_edit"]:
            raise PermissionDenied("您没有权限编辑年度计划")
        items = plans.parse_plan_form(request.POST)
        try:
            plans.plan_save(
                actor=request.user,
                org=org,
                year=year,
                items=items,
                note=request.POST.get("note", ""),
            )
        except ValidationError as exc:
            context["errors"] = exc.messages
            return TemplateResponse(request, "meetings/plan.html", context, status=400)
        return redirect("meetings:plan", org_id=org.pk, year=year)
    return TemplateResponse(request, "meetings/plan.html", context)
