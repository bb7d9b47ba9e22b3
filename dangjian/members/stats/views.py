"""Member statistics and alert panels for an organization page (HTMX partials).

Requested by HTMX they render the panel alone; opened directly they render it inside a page,
so a link or a browser without JavaScript still works.
"""

from __future__ import annotations

import json
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils import timezone

from dangjian.members.stats import selectors as stats
from dangjian.orgs import selectors as org_selectors
from dangjian.orgs.access import access_org_by_id
from dangjian.orgs.models import Organization


def _page_context(request: HttpRequest, org: Organization, label: str) -> dict[str, Any]:
    crumbs = [{"label": "组织体系", "url": reverse("orgs:tree")}]
    for a in [*org_selectors.org_ancestors(viewer=request.user, org=org), org]:
        crumbs.append({"label": a.display_name, "url": reverse("orgs:detail", args=[a.pk])})
    crumbs.append({"label": label, "url": ""})
    return {"crumbs": crumbs, "nav_active": "members"}


def _render(
    request: HttpRequest, org: Organization, name: str, label: str, context: dict[str, Any]
) -> HttpResponse:
    context = {"org": org, "list_url": reverse("members:list"), **context}
    if getattr(request, "htmx", False):
        return TemplateResponse(request, f"members/{name}_panel.html", context)
    context |= _page_context(request, org, label)
    return TemplateResponse(request, f"members/{name}_page.html", context)


def _charts(s: stats.MemberStats, org: Organization) -> list[dict[str, Any]]:
    """One chart per card: element id, title, figures, and the JSON member-charts.js draws."""
    specs = [
        ("category", "人员类别", "donut", s.category),
        ("sex", "性别构成", "pie", s.sex),
        ("age", "年龄分布（党统表2）", "bar", s.age_bands),
        ("education", "学历分布（党统表4）", "bar", s.education),
    ]
    return [
        {
            "id": f"member-chart-{key}-{org.pk}",
            "title": title,
            "figures": figures,
            # A data attribute, not json_script: htmx (allowScriptTags=false) strips every
            # <script> from swapped content, JSON blocks included.
            "config": json.dumps(
                {
                    "kind": kind,
                    "name": title,
                    "labels": [f.label for f in figures],
                    "values": [f.count for f in figures],
                },
                ensure_ascii=False,
            ),
        }
        for key, title, kind, figures in specs
    ]


@login_required
def member_stats_panel(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org_by_id(request.user, org_id)
    figures = stats.member_stats(viewer=request.user, org=org, today=timezone.localdate())
    return _render(
        request, org, "stats", "党员统计", {"stats": figures, "charts": _charts(figures, org)}
    )


@login_required
def member_alerts_panel(request: HttpRequest, org_id: int) -> HttpResponse:
    org = access_org_by_id(request.user, org_id)
    alerts = stats.member_alerts(viewer=request.user, org=org, today=timezone.localdate())
    return _render(
        request,
        org,
        "alerts",
        "党员预警",
        {
            "alerts": alerts,
            "alert_total": sum(a.count for a in alerts),
            "examples_shown": ":3" if getattr(request, "htmx", False) else ":",
        },
    )
