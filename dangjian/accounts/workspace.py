"""The viewer's workspace: working grant (organization + role) and the sidebar for it."""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from django.http import HttpRequest
from django.urls import NoReverseMatch, reverse

from dangjian.accounts.grants import ActiveGrant, viewer_grants
from dangjian.accounts.roles import API_TOKEN_ROLES, ROLE_ACTIONS


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
    viewer: Any = None
    api_tokens: bool = False  # whether the menus offer "API 令牌" (see roles.API_TOKEN_ROLES)

    @cached_property
    def mine(self) -> list[NavItem]:
        """A member's own pages (phone-first); looked up only when a page shows them."""
        if getattr(self.viewer, "member_record", None) is None:
            return []
        return _items(MINE)

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
    ("recruit.view", "发展党员", "recruitment:board", "ti-user-plus", "recruitment"),
    ("points.view", "积分管理", "points:home", "ti-coins", "points"),
    ("points.view", "党员星级评定", "points:stars", "ti-star", "stars"),
    ("dues.view", "党费收缴", "dues:ledger", "ti-receipt", "dues"),
    ("grid.view", "网格与联户", "grid:list", "ti-grid-dots", "grid"),
    ("request.view", "群众诉求", "service_requests:queue", "ti-message-report", "requests"),
    ("org.view", "会议签到", "meetings:checkin", "ti-qrcode", "checkin"),
    ("grant.manage", "用户与授权", "accounts:people", "ti-users", "people"),
    ("audit.view", "审计日志", "orgs:audit", "ti-history", "audit"),
    ("calendar.manage", "节假日设置", "core:calendar", "ti-calendar", "calendar"),
    (None, "API 令牌", "accounts:tokens", "ti-key", "tokens"),
]


# A member's self-service pages, shown to any user linked to a member record (label, url name,
# icon, key); 会议签到 is in NAV already (every role may view its organization). A capability whose pages are not installed is skipped, as in NAV.
MINE: list[tuple[str, str, str, str]] = [
    ("我的积分存折", "points:passbook", "ti-coins", "passbook"),
    ("我的党费", "dues:mine", "ti-receipt", "my_dues"),
    ("我的派单", "service_requests:mine", "ti-clipboard-list", "my_orders"),
    ("我联系的住户", "grid:my_households", "ti-home-heart", "my_households"),
]


def _items(entries: list[tuple[str, str, str, str]]) -> list[NavItem]:
    items = []
    for label, url, icon, key in entries:
        try:
            items.append(NavItem(label, reverse(url), icon, key))
        except NoReverseMatch:
            continue
    return items


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
    api_tokens = viewer.is_superuser or (current is not None and current.role in API_TOKEN_ROLES)
    nav = []
    for need, label, url, icon, key in NAV:
        if need is not None and need not in actions:
            continue
        if key == "tokens" and not api_tokens:
            continue
        try:
            nav.append(NavItem(label, reverse(url), icon, key))
        except NoReverseMatch:  # a capability whose pages are not installed: no dead link
            continue
    return Workspace(grants=grants, current=current, nav=nav, viewer=viewer, api_tokens=api_tokens)
