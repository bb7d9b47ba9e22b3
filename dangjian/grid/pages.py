"""What the pages of grid work share: grid's own (``views``) and those of 村情民意, 矛盾调解
and 乡贤 (``community.views``) — the scope gate, the working organization, filters, keyset
"加载更多", breadcrumbs and form choices."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.urls import reverse

from dangjian.accounts.models import User
from dangjian.accounts.workspace import current_grant
from dangjian.grid import selectors
from dangjian.grid.access import access_grid_by_id
from dangjian.grid.models import Grid, Household
from dangjian.orgs.access import access_org_by_id, may, scope_roots
from dangjian.orgs.models import Organization


def crumbs(*extra: tuple[str, str]) -> list[dict[str, str]]:
    return [{"label": "网格与联户", "url": reverse("grid:list")}] + [
        {"label": label, "url": url} for label, url in extra
    ]


def require_grid_scope(request: HttpRequest) -> None:
    if not scope_roots(request.user, action="grid.view"):
        raise PermissionDenied("您没有查看网格的权限")


def working_org(request: HttpRequest) -> Organization | None:
    grant = current_grant(request.user, request.session)
    if grant is None:
        return None
    org = access_org_by_id(request.user, grant.org_id)
    return org if may(request.user, "grid.view", org) else None


def scope_org(request: HttpRequest) -> Organization | None:
    """``?org=`` when given (checked), else the working organization."""
    raw = request.GET.get("org", "")
    if raw.isdigit() and len(raw) < 19:
        return access_org_by_id(request.user, int(raw), action="grid.view")
    return working_org(request)


def grid_param(request: HttpRequest, *, action: str = "grid.view") -> Grid | None:
    raw = request.GET.get("grid", "")
    if raw.isdigit() and len(raw) < 19:
        return access_grid_by_id(request.user, int(raw), action=action)
    return None


def filter_params(request: HttpRequest, keys: tuple[str, ...]) -> dict[str, str]:
    return {k: request.GET[k][:50] for k in keys if request.GET.get(k)}


def next_query(params: dict[str, str], cursor: str | None) -> str:
    return urlencode({**params, "cursor": cursor}) if cursor else ""


def render_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    context.setdefault("nav_active", "grid")
    return TemplateResponse(request, template, context)


def more_or_page(request: HttpRequest, template: str, context: dict[str, Any]) -> HttpResponse:
    """HTMX "加载更多" gets the rows partial only."""
    if getattr(request, "htmx", False) and request.GET.get("cursor"):
        return render_page(request, f"{template}#rows", context)
    return render_page(request, template, context)


def org_choices(orgs: list[Organization]) -> list[tuple[int, str]]:
    top = min((o.depth for o in orgs), default=1)
    return [(o.pk, "　" * (o.depth - top) + o.display_name) for o in orgs]


def user_choices(users: list[User]) -> list[tuple[int, str]]:
    return [(u.pk, u.name or u.username) for u in users]


def household_choices(grid: Grid) -> list[tuple[int, str]]:
    rows = Household.objects.filter(grid=grid, is_active=True).order_by("id")[
        : selectors.CHOICES_CAP
    ]
    return [(h.pk, f"{h.address}（{h.head_name}）") for h in rows]
