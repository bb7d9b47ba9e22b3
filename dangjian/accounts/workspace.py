"""The viewer's workspace: working grant (organization + role) and the sidebar for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from dangjian.accounts.roles import ROLE_ACTIONS
from dangjian.orgs.access import ActiveGrant, viewer_grants


@dataclass
class NavItem:
    label: str
    url: str
    icon: str
    key: str


@dataclass
class Workspace:
    grants: list[ActiveGrant] = field(default_factory=list)
    current: ActiveGrant | None = None
    nav: list[NavItem] = field(default_factory=list)

    @property
    def has_choice(self) -> bool:
        return len(self.grants) > 1


# (action needed in the working grant's role, label, url name, icon, key). Only capabilities
# that exist are listed: a later issue adds its own line.
NAV: list[tuple[str | None, str, str, str, str]] = [
    (None, "首页", "home", "ti-home", "home"),
    ("org.view", "组织体系", "orgs:tree", "ti-sitemap", "orgs"),
    ("member.view", "党员管理", "members:list", "ti-users-group", "members"),
    ("member.view", "组织关系转接", "transfers:list", "ti-arrows-exchange", "transfers"),
    ("meeting.view", "组织生活", "meetings:list", "ti-calendar-event", "meetings"),
    ("meeting.view", "组织生活执行情况", "meetings:compliance", "ti-chart-bar", "compliance"),
    ("member.view", "民主评议党员", "meetings:reviews", "ti-checklist", "reviews"),
    ("meeting.view", "问题整改台账", "findings:ledger", "ti-clipboard-check", "findings"),
    ("org.view", "会议签到", "meetings:checkin", "ti-qrcode", "checkin"),
    ("grant.manage", "用户与授权", "accounts:people", "ti-users", "people"),
    ("audit.view", "审计日志", "orgs:audit", "ti-history", "audit"),
    ("calendar.manage", "节假日设置", "core:calendar", "ti-calendar", "calendar"),
    (None, "API 令牌", "accounts:tokens", "ti-key", "tokens"),
]


def current_grant(viewer: Any, session: Any) -> ActiveGrant | None:
    grants = viewer_grants(viewer)
    if not grants:
        return None
    chosen = session.get("working_grant_id") if session is not None else None
    return next((g for g in grants if g.id == chosen), grants[0])


def workspace_for(request: HttpRequest) -> Workspace:
    viewer = getattr(request, "user", None)
    if viewer is None or not viewer.is_authenticated:
        return Workspace()
    grants = viewer_grants(viewer)
    current = current_grant(viewer, request.session)
    actions = ROLE_ACTIONS.get(current.role, frozenset()) if current else frozenset()
    nav = []
    for need, label, url, icon, key in NAV:
        if need is not None and need not in actions:
            continue
        try:
            nav.append(NavItem(label, reverse(url), icon, key))
        except NoReverseMatch:  # a capability whose pages are not installed: no dead link
            continue
    return Workspace(grants=grants, current=current, nav=nav)
