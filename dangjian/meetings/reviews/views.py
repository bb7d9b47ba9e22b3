"""Pages of 民主评议党员: one branch's roster for a year, bulk results, 不合格 handling.

Thin: access gate → parse → one service or selector → template.
"""

from __future__ import annotations

import datetime as dt
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone
from django.views.decorators.http import require_POST

from dangjian.accounts.workspace import current_grant
from dangjian.meetings.models import MemberReview
from dangjian.meetings.reviews import selectors, services
from dangjian.meetings.reviews.access import reviews_visible_to
from dangjian.orgs.access import access_org_by_id, may, scope_roots
from dangjian.orgs.models import BRANCH_TYPES, Organization


def _year(raw: str | None) -> int:
    this_year = timezone.localdate().year
    try:
        year = int(raw or "")
    except ValueError:
        return this_year
    return year if 1921 <= year <= this_year else this_year


def _org(request: HttpRequest, raw: str | None) -> Organization:
    viewer = request.user
    try:
        org_id = int(raw or "")
    except ValueError:
        grant = current_grant(viewer, request.session)
        if grant is None:
            raise PermissionDenied("您没有查看民主评议的权限") from None
        org_id = grant.org_id
    return access_org_by_id(viewer, org_id, action="member.view")


def _back(org_id: int, year: int) -> str:
    return f"{reverse('meetings:reviews')}?{urlencode({'org': org_id, 'year': year})}"


@login_required
def review_list(request: HttpRequest) -> HttpResponse:
    viewer = request.user
    if not scope_roots(viewer, action="member.view"):
        raise PermissionDenied("您没有查看民主评议的权限")
    org = _org(request, request.GET.get("org"))
    year = _year(request.GET.get("year"))
    this_year = timezone.localdate().year
    context: dict[str, Any] = {
        "nav_active": "reviews",
        "crumbs": [{"label": "民主评议党员", "url": ""}],
        "org": org,
        "year": year,
        "years": list(range(this_year, this_year - 6, -1)),
        "results": MemberReview.Result.choices,
        "handlings": [(v, label) for v, label in MemberReview.Handling.choices if v],
        "is_branch": org.org_type in BRANCH_TYPES,
        "can_edit": may(viewer, "member.edit", org),
        "tomorrow": timezone.localdate() + dt.timedelta(days=1),
    }
    if context["is_branch"]:
        rows, summary = selectors.review_roster(branch=org, year=year)
        context.update(rows=rows, summary=summary)
    else:
        branches = selectors.review_branch_summaries(org=org, year=year)
        context["branches"] = branches
        total = sum(b.total for b in branches)
        counts = {v: sum(b.counts.get(v, 0) for b in branches) for v in MemberReview.Result.values}
        context["summary"] = selectors.ReviewSummary(
            counts=counts, total=total, pending=sum(b.pending for b in branches)
        )
    return TemplateResponse(request, "meetings/review_list.html", context)


@login_required
@require_POST
def review_bulk_save(request: HttpRequest) -> HttpResponse:
    org = _org(request, request.POST.get("org"))
    year = _year(request.POST.get("year"))
    results: dict[int, str] = {}
    for key in request.POST:
        if key.startswith("result_") and key[7:].isdigit():
            results[int(key[7:])] = request.POST.get(key, "")
    try:
        changed = services.reviews_bulk_record(
            actor=request.user, branch=org, year=year, results=results
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"已保存 {changed} 名党员的{year}年度评议结果")
    return redirect(_back(org.pk, year))


@login_required
@require_POST
def review_handle(request: HttpRequest, review_id: int) -> HttpResponse:
    review = (
        reviews_visible_to(request.user)
        .select_related("member__branch")
        .filter(pk=review_id)
        .first()
    )
    if review is None:
        raise Http404("未找到该评议记录，或您无权查看")
    deadline = None
    raw = request.POST.get("deadline", "")
    if raw:
        try:
            deadline = dt.date.fromisoformat(raw)
        except ValueError:
            messages.error(request, "改正期限格式不正确")
            return redirect(_back(review.member.branch_id, review.year))
    try:
        services.review_handle_unqualified(
            actor=request.user,
            member_review=review,
            handling=request.POST.get("handling", ""),
            deadline=deadline,
            confirm=request.POST.get("confirm") == "1",
        )
    except ValidationError as exc:
        for message in exc.messages:
            messages.error(request, message)
    else:
        messages.success(request, f"已登记对{review.member.name}的处置")
    return redirect(_back(review.member.branch_id, review.year))
