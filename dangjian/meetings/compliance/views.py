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
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from dangjian.meetings.compliance.access import may_edit_plan
from dangjian.meetings.compliance.forms import parse_plan_form
from dangjian.meetings.compliance.selectors import (
    STATUS_LABELS,
    BranchRow,
    Compliance,
    compliance,
    plan_calendar,
)
from dangjian.meetings.compliance.services import plan_save
from dangjian.meetings.rules import HISTORY_RULES
from dangjian.orgs.access import access_org_by_id, scope_roots
from dangjian.orgs.models import Organization

FIRST_YEAR = 2018  # the national rules took effect on 2018-10-28
# Branch rows per page of the branch × type table: a county has ~600 branches; its rows are
# paged (the direct children's roll-up above links down to each township's own page).
BRANCH_PAGE_SIZE = 50


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


def _rate_text(rate: float | None) -> str:
    return "—" if rate is None else f"{rate}%"


def _page_number(request: HttpRequest, pages: int) -> int:
    """The branch table page asked for, within 1..pages (anything else: the nearest one)."""
    raw = request.GET.get("page", "")
    number = int(raw) if raw.isdigit() else 1
    return min(max(number, 1), max(pages, 1))


def branch_page(
    request: HttpRequest, result: Compliance, *, org_id: int, year: int
) -> dict[str, Any]:
    """The slice of branches the table shows, with what the pager needs."""
    total = len(result.branches)
    pages = (total + BRANCH_PAGE_SIZE - 1) // BRANCH_PAGE_SIZE
    number = _page_number(request, pages)
    first = (number - 1) * BRANCH_PAGE_SIZE
    shown = result.branches[first : first + BRANCH_PAGE_SIZE]

    def url(n: int) -> str:
        return f"?org={org_id}&year={year}&page={n}"

    return {
        "branches": shown,
        "number": number,
        "pages": pages,
        "total": total,
        "first": first + 1,
        "last": first + len(shown),
        "prev_url": url(number - 1) if number > 1 else "",
        "next_url": url(number + 1) if number < pages else "",
    }


def branch_rows_html(
    result: Compliance,
    *,
    year: int,
    meetings_url: str,
    branches: list[BranchRow] | None = None,
) -> SafeString:
    """The branch × type table's rows (``branches``: one page of them, all by default), built
    in Python: the template language spends most of a page's time on that many cells."""
    parts: list[str] = []
    for b in result.branches if branches is None else branches:
        dissolved = (
            f' <span class="badge bg-secondary-lt" title="{b.dissolved_on.year}年'
            f'{b.dissolved_on.month}月{b.dissolved_on.day}日撤销">已撤销</span>'
            if b.dissolved_on
            else ""
        )
        cells = []
        for t in result.types:
            c = b.cells[t]
            required = c.required
            if required:
                missing = f" · 缺{c.missing}" if c.missing else ""
                cells.append(
                    f'<td class="text-center"><span class="badge bg-{c.tone}-lt" title="'
                    f"{escape(c.label)}：按期 {c.held}，补录 {c.held_late}，未开展 {c.missing}，"
                    f'进行中 {c.pending}">{c.satisfied}/{required}{missing}</span></td>'
                )
            else:
                cells.append(
                    '<td class="text-center"><span class="text-secondary" title="不适用">—</span></td>'
                )
        plan = reverse("meetings:plan", args=[b.org_id, year])
        links = f'<a href="{plan}">计划</a>'
        if meetings_url:
            links += f' · <a href="{escape(meetings_url)}?org={b.org_id}">会议</a>'
        parts.append(
            f'<tr data-testid="branch-{b.org_id}"><td>{escape(b.name)}{dissolved} '
            f'<span class="text-secondary small">正式党员{b.full_members}人</span></td>'
            + "".join(cells)
            + f'<td class="text-end">{_rate_text(b.execution_rate)}</td>'
            f'<td class="text-end">{_rate_text(b.attendance_rate)}</td>'
            f'<td class="text-end">{links}</td></tr>'
        )
    return mark_safe("\n".join(parts))  # noqa: S308 — every value above is escaped or numeric


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
    paged = branch_page(request, result, org_id=org.pk, year=year)
    rows = branch_rows_html(
        result, year=year, meetings_url=_meetings_url(), branches=paged["branches"]
    )
    context: dict[str, Any] = {
        "org": org,
        "year": year,
        "years": list(range(today.year + 1, FIRST_YEAR - 1, -1)),
        "result": result,
        "rows": rows,
        "branch_page": paged,
        "status_labels": STATUS_LABELS,
        "basis": HISTORY_RULES,
        "meetings_url": _meetings_url(),
        "nav_active": "meetings",
        "crumbs": [{"label": "组织生活", "url": ""}, {"label": "执行情况", "url": ""}],
    }
    return TemplateResponse(request, "meetings/compliance.html", context)


def _plan_context(request: HttpRequest, org: Organization, year: int) -> dict[str, Any]:
    may_edit = may_edit_plan(request.user, org)
    calendar = plan_calendar(
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
        items = parse_plan_form(request.POST)
        try:
            plan_save(
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
